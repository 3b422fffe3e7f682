// The one piece of state the library OS's files share (everything else is
// private to the file that owns it): what libos_run sets up before the
// program starts, which the system calls then read (brk also moves).
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include "libos/enclave/program_entry.h"
#include "libos/manifest/manifest.h"

namespace nsgx::libos {

struct ProgramState {
  const Manifest* manifest = nullptr;            // parsed from the measured section; never changes once set
  int trace = 0;                                 // `nsgx run --trace` level
  uint64_t brk_start = 0, brk = 0, brk_end = 0;  // brk: reserved pages [start, end), in use to brk
  uint64_t stack_size = 0;                       // the thread's stack (RLIMIT_STACK)
  int32_t pid = 1, ppid = 0;                     // getpid, getppid: 1 and 0 for `nsgx run`'s program (syscalls_spawn.h)
  // Where the main thread's program stack ends on the TCS's stack (its
  // initial stack's strings below, libos_run's frames above); 0 when the
  // main thread's program stack is not the TCS's (a fork child of a
  // started thread). fork copies [the program's RSP - red zone, here).
  uint64_t stack_here = 0;
  uint32_t max_threads = 1;  // program threads at most (threads_init's table)
  // The ELF file this process runs (/proc/self/exe, executable as the
  // entrypoint is): the entrypoint, an execve'd program, or the
  // interpreter of a script; empty in a fork child (the entrypoint then).
  std::string exe;
};
extern ProgramState g_program;

// Writes the library OS's own messages to the host's stderr.
void say(std::string_view s);

}  // namespace nsgx::libos
