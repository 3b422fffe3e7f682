// The program's memory calls over the user region (docs/libos.md, M3):
// anonymous and file-backed mappings (shared ones of files written back:
// shared_maps.h), MAP_FIXED inside what the program owns, munmap of any
// part, mprotect, msync. Each runs under g_memory_lock, and also under the
// encrypted files' lock, taken first, when it may reach an encrypted file
// (memory_call in syscalls.cc).
#pragma once

#include <stdint.h>

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

}  // namespace nsgx::libos
