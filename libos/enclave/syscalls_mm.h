// The program's memory calls over the user region (docs/libos.md, M3):
// anonymous and file-backed private mappings, MAP_FIXED inside what the
// program owns, munmap of any part, mprotect.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot);
long sys_msync(uint64_t addr, uint64_t len, uint64_t flags);

}  // namespace nsgx::libos
