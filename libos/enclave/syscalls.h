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
// RIP the `syscall` instruction): the one dispatch both the trap path and
// the rewritten sites (syscall_rewrite.h) use. Returns RAX's new value.
long dispatch_syscall(const sgx_cpu_context_t& c);

}  // namespace nsgx::libos
