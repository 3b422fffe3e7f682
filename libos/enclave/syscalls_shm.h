// System V shared memory for one process (docs/libos.md, "fio"): private
// segments (IPC_PRIVATE) emulated inside over anonymous mappings — what
// fio asks for its own bookkeeping. Segments shared with other processes
// (a key) are refused: the library OS's processes are separate enclaves
// and share no memory.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

long sys_shmget(int64_t key, uint64_t size, uint64_t flags);
long sys_shmat(int64_t id, uint64_t addr, uint64_t flags);
long sys_shmdt(uint64_t addr);
long sys_shmctl(int64_t id, uint64_t cmd, uint64_t buf);

}  // namespace nsgx::libos
