// Timer descriptors through the host (syscalls_timerfd.h). The timer runs
// on the host's clock: the host decides when it expires and what count a
// read answers (the read path checks the count of bytes, not the value) —
// a lying host can only make the program's timer early, late or silent,
// which it could do to any wait. The setting going out is checked here
// (timerfd_settime(2)'s EINVAL), the old setting coming back is checked
// for form before the program sees it.
#include "libos/enclave/syscalls_timerfd.h"

#include <errno.h>
#include <string.h>

#include "libos/enclave/file_table.h"
#include "libos/enclave/host_io.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_io.h"

namespace nsgx::libos {
namespace {

using sc::err;

// Linux uapi linux/time.h and linux/timerfd.h.
constexpr uint64_t kClockRealtime = 0, kClockMonotonic = 1, kClockBoottime = 7;
constexpr uint64_t kTfdCloexec = 02000000, kTfdNonblock = 04000;
constexpr uint64_t kTfdTimerAbstime = 1, kTfdTimerCancelOnSet = 2;
constexpr int64_t kNsPerSec = 1000000000;

// An itimerspec (interval, value; each seconds and nanoseconds).
bool valid_spec(const int64_t v[4]) {
  for (int i = 0; i < 4; i += 2)
    if (v[i] < 0 || v[i + 1] < 0 || v[i + 1] >= kNsPerSec) return false;
  return true;
}

}  // namespace

long sys_timerfd_create(uint64_t clockid, uint64_t flags) {
  if (clockid != kClockRealtime && clockid != kClockMonotonic && clockid != kClockBoottime) return err(EINVAL);
  if ((flags & ~(kTfdCloexec | kTfdNonblock)) != 0) return err(EINVAL);
  const long h = host_timerfd_create(static_cast<int>(clockid), static_cast<int>(flags | kTfdCloexec));
  if (h < 0) return h;
  return install_stream(static_cast<int>(h), StreamKind::kEventfd, (flags & kTfdCloexec) != 0);
}

long sys_timerfd_settime(int64_t fd, uint64_t flags, uint64_t value, uint64_t old) {
  if ((flags & ~(kTfdTimerAbstime | kTfdTimerCancelOnSet)) != 0) return err(EINVAL);
  const Fd* f = fd_at(fd);
  if (f == nullptr) return err(EBADF);
  // A timerfd is installed as an eventfd-kind stream (read and poll alike);
  // the host refuses an eventfd here (EINVAL), as Linux does.
  if (f->kind != FdKind::kStream || f->stream != StreamKind::kEventfd) return err(EINVAL);
  if (!sc::user_buffer(value, 32) || (old != 0 && !sc::user_buffer(old, 32))) return err(EFAULT);
  int64_t v[4], o[4] = {};
  memcpy(v, reinterpret_cast<const void*>(value), sizeof v);
  if (!valid_spec(v)) return err(EINVAL);
  const long r = host_timerfd_settime(f->host, static_cast<int>(flags), v, o);
  if (r < 0) return r;
  if (!valid_spec(o)) return refuse("timerfd_settime");  // Iago: an old setting out of form
  if (old != 0) memcpy(reinterpret_cast<void*>(old), o, sizeof o);
  return 0;
}

}  // namespace nsgx::libos
