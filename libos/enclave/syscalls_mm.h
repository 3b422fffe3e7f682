// The program's memory calls over the user region (docs/libos.md, M3):
// anonymous and file-backed mappings (shared ones of files written back:
// shared_maps.h), MAP_FIXED inside what the program owns, munmap of any
// part, mprotect, msync. Each runs under g_memory_lock, and also under the
// encrypted files' lock, taken first, when it may reach an encrypted file
// (memory_call, below).
#pragma once

#include <stdint.h>

#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/shared_maps.h"
#include "libos/enclave/threads.h"

namespace nsgx::libos {

// What sys_mmap answers for an encrypted file's descriptor without that
// lock held (`encrypted_locked`): the caller takes it and calls again.
// Outside the errno range, never a program's answer.
constexpr long kNeedEncryptedLock = -100000;

long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd, uint64_t off,
              bool encrypted_locked = false);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot);
long sys_msync(uint64_t addr, uint64_t len, uint64_t flags);

// A memory call under g_memory_lock, and under the encrypted files' lock
// before it (spin_lock.h's order) when it may reach an encrypted file: an
// mmap of one (sys_mmap asks: kNeedEncryptedLock), or a write-back of a
// tracked mapping of one (shared_maps_encrypted, true under the memory
// lock; a hint before it, looked at again once it is held).
// Every caller of sys_mmap, sys_munmap and sys_msync goes through it
// (syscalls.cc, syscalls_shm.cc).
template <class Call>
long memory_call(Call call) {
  bool enc = shared_maps_encrypted();
  for (;;) {
    if (enc) encrypted_lock().lock();
    g_memory_lock.lock();
    long r = kNeedEncryptedLock;
    if (enc || !shared_maps_encrypted()) r = call(enc);
    g_memory_lock.unlock();
    if (enc) encrypted_lock().unlock();
    if (r != kNeedEncryptedLock) return r;
    enc = true;
  }
}

}  // namespace nsgx::libos
