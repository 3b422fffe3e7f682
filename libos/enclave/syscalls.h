// The program's system calls (syscalls.cc): the dispatch table, its
// handlers, and the two exception-handler phases that reach them.
#pragma once

namespace nsgx::libos {

// Registers the first-phase handler (arch_prctl's FS, which needs ERESUME)
// and the second-phase one (every other system call). Needs g_program's
// manifest; false if the trusted runtime refuses either.
bool install_syscall_handlers();

}  // namespace nsgx::libos
