// The library OS's shared state (program_state.h).
#include "libos/enclave/program_state.h"

#include <unistd.h>

namespace nsgx::libos {

ProgramState g_program;

void say(std::string_view s) {
  if (s.empty()) return;
  (void)::write(2, s.data(), s.size());
}

}  // namespace nsgx::libos
