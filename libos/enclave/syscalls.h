// The program's system calls (syscalls.cc): the dispatch table, its
// handlers, and the two exception-handler phases that reach them.
#pragma once

#include "sgx_trts_exception.h"

namespace nsgx::libos {

// Registers the first-phase handler (arch_prctl's FS, which needs ERESUME)
// and the second-phase one (every other system call). Needs g_program's
// manifest; false if the trusted runtime refuses either.
bool install_syscall_handlers();

// Answers the system call in `c` (RAX the number, RDI..R9 the arguments,
// RIP the `syscall` instruction): the one path both the trap path (the
// #UD's second phase) and the rewritten sites (syscall_rewrite.h) take. On
// return RAX is the result, RCX and R11 as SYSCALL leaves them, RIP past
// the `syscall` — unless a pending signal's handler was set up (signals.h:
// RIP, RSP and the argument registers then start the handler), the call
// is restarted (RIP back at the `syscall`), or a vfork child's end
// restored the parent's context (syscalls_spawn.h).
void run_syscall(sgx_cpu_context_t& c);

}  // namespace nsgx::libos
