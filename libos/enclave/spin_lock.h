// A spin lock for the library OS's short critical sections (the enclave
// has no sleeping lock of its own that works in the second phase without
// an OCALL per wait).
//
// Lock order: each may be taken while holding those listed before it,
// never the reverse —
//   g_fd_lock      (threads.h) openat, close; held across the OCALLs that
//                  open and read a file
//   g_enc_lock     (encrypted_files.cc) every call on encrypted files; held
//                  across their OCALLs
//   g_memory_lock  (threads.h) brk, mmap, munmap, mprotect, msync, shmat,
//                  shmdt
//   the user region's own (user_region.cc), the threads' table
//   (threads.cc), the clocks' records (syscalls_time.cc), the working
//   directory (syscalls_path.cc), syscalls_sys.cc's, the SysV segments'
//   (syscalls_shm.cc, never held across a memory call): leaves
// Only g_fd_lock and g_enc_lock are held across an OCALL — and
// g_memory_lock while fork writes its checkpoint (syscalls_fork.cc, with
// g_fd_lock: no mapping may change while the pages are copied out), while
// mmap reads a file into a mapping, and while a shared file mapping is
// written back or its descriptor duplicated or closed (shared_maps.h);
// other threads' mm calls wait. The mm calls that may reach an encrypted
// file take g_enc_lock first (syscalls_mm.h, memory_call). None is taken in the first
// phase, which may have interrupted a holder on its own thread.
#pragma once

namespace nsgx::libos {

class SpinLock {
 public:
  void lock() {
    while (__atomic_exchange_n(&held_, 1, __ATOMIC_ACQUIRE) != 0) __builtin_ia32_pause();
  }
  void unlock() { __atomic_store_n(&held_, 0, __ATOMIC_RELEASE); }

 private:
  int held_ = 0;
};

class SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) : l_(l) { l_.lock(); }
  ~SpinGuard() { l_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& l_;
};

}  // namespace nsgx::libos
