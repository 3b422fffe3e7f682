// Scheduling priority and file advice (syscalls_hints.h). The enclave
// cannot change how the host schedules its threads, nor what the host
// caches: the process's nice value is kept and answered (glibc's nice()
// reads it back), and posix_fadvise is accepted on a file descriptor and
// does nothing, which the call allows (it is advice).
#include "libos/enclave/syscalls_hints.h"

#include <errno.h>

#include "libos/enclave/file_table.h"
#include "libos/enclave/syscall_args.h"

namespace nsgx::libos {
namespace {

using sc::err;

// Linux uapi linux/resource.h and linux/fadvise.h.
constexpr uint64_t kPrioProcess = 0, kPrioPgrp = 1, kPrioUser = 2;
constexpr uint64_t kPosixFadvNoreuse = 5;

int g_nice = 0;  // the whole process's (one value: threads share it here)

bool ours(uint64_t which, uint64_t who) {
  // The process itself (pid 1, "Processes"), its group or its user.
  return (which == kPrioProcess && (who == 0 || who == 1)) || (which == kPrioPgrp && who == 0) ||
         (which == kPrioUser && who == 0);
}

}  // namespace

// The system call answers 20 - nice (1..40), so that no answer is
// negative (getpriority(2), "C library/kernel differences").
long sys_getpriority(uint64_t which, uint64_t who) {
  if (which > kPrioUser) return err(EINVAL);
  if (!ours(which, who)) return err(ESRCH);
  return 20 - __atomic_load_n(&g_nice, __ATOMIC_RELAXED);
}

long sys_setpriority(uint64_t which, uint64_t who, int64_t prio) {
  if (which > kPrioUser) return err(EINVAL);
  if (!ours(which, who)) return err(ESRCH);
  const int64_t p = prio < -20 ? -20 : prio > 19 ? 19 : prio;
  // Lowering the value (a higher priority) needs CAP_SYS_NICE: the
  // program is not privileged here (its uid is 0 inside, but nothing of
  // the host's is its to raise).
  if (p < __atomic_load_n(&g_nice, __ATOMIC_RELAXED)) return err(EACCES);
  __atomic_store_n(&g_nice, static_cast<int>(p), __ATOMIC_RELAXED);
  return 0;
}

long sys_fadvise64(int64_t fd, int64_t off, int64_t len, uint64_t advice) {
  (void)off;
  (void)len;
  const Fd* f = fd_at(fd);
  if (f == nullptr) return err(EBADF);
  if (advice > kPosixFadvNoreuse) return err(EINVAL);
  if (f->kind == FdKind::kStream) return err(ESPIPE);
  return 0;
}

}  // namespace nsgx::libos
