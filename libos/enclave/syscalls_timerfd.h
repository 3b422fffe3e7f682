// timerfd_create and timerfd_settime (docs/libos.md, "fio"): the host's
// timerfd, read and polled as an eventfd is (an 8-byte count).
#pragma once

#include <stdint.h>

namespace nsgx::libos {

long sys_timerfd_create(uint64_t clockid, uint64_t flags);
long sys_timerfd_settime(int64_t fd, uint64_t flags, uint64_t value, uint64_t old);

}  // namespace nsgx::libos
