// fork, and clone without CLONE_VM (docs/libos.md "Processes", fork): a
// new enclave of the same image, in a host process the untrusted host
// starts, receives a checkpoint of this process — Gramine's checkpoint
// and restore, over fork_channel.h's encrypted, authenticated, once-only
// channel — and continues the calling thread where it called fork, with
// RAX 0. What crosses: the user region's pages in use (image, brk,
// mappings, trusted files' copies: their bytes and their maps), the
// calling thread's registers, FS base, signal mask and alternate stack,
// the main thread's program stack (it lies on the TCS's stack, which the
// child has at the same addresses: same image, same base), the signal
// actions, the working directory, the descriptor table (host descriptors
// passed by the host at the same numbers, as execve's; trusted files by
// their copies) and brk. Not carried: other threads (as Linux), protected
// files and epoll sets (closed in the child), pending signals and the
// alarm (as Linux), SysV shared memory, the children (as Linux).
#pragma once

#include <stdint.h>

#include "sgx_trts_exception.h"

namespace nsgx::libos {

// fork (57): `c` the registers at the `syscall`.
long sys_fork(const sgx_cpu_context_t& c);
// clone without CLONE_VM: a fork with clone's flags (CLONE_CHILD_SETTID,
// CLONE_CHILD_CLEARTID, CLONE_PARENT_SETTID, an exit signal; glibc's
// fork issues these), other flags EINVAL.
long fork_clone(const sgx_cpu_context_t& c);

// The child's side (libos_run_forked): restores the checkpoint the host
// hands over and runs the program on from the parent's fork. Must be
// called with the manifest loaded and the region initialised, from a
// frame shallower than the parent's libos_run (checked). Returns the
// program's status, or 126 with a message if the checkpoint is refused.
int run_forked(int32_t host_pid);

}  // namespace nsgx::libos
