// Fuzzes SIGSTRUCT parsing and verification (EINIT's checks on hostile bytes).
#include <cstddef>
#include <cstdint>

#include "identity/sigstruct.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto ss = nsgx::identity::parse_sigstruct({data, size});
  if (ss) {
    (void)nsgx::identity::verify_sigstruct(*ss);
    (void)nsgx::identity::mrsigner(*ss);
  }
  return 0;
}
