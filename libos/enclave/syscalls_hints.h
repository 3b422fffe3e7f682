// Calls that are hints to the kernel's scheduler and page cache
// (docs/libos.md, "fio"): kept or accepted inside, never the host's.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

long sys_getpriority(uint64_t which, uint64_t who);
long sys_setpriority(uint64_t which, uint64_t who, int64_t prio);
long sys_fadvise64(int64_t fd, int64_t off, int64_t len, uint64_t advice);

}  // namespace nsgx::libos
