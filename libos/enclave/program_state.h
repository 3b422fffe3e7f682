// The one piece of state the library OS's files share (everything else is
// private to the file that owns it): what libos_run sets up before the
// program starts, which the system calls then read (brk also moves).
#pragma once

#include <stdint.h>

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
};
extern ProgramState g_program;

// Writes the library OS's own messages to the host's stderr.
void say(std::string_view s);

}  // namespace nsgx::libos
