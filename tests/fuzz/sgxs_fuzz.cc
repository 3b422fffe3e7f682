// Fuzzes the SGXS stream parser; accepted streams must round-trip and
// measure to the hash of their measured records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "identity/sgxs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto layout = nsgx::identity::parse_sgxs({data, size});
  if (!layout) return 0;
  const auto mr = nsgx::identity::measure(*layout);
  const nsgx::Bytes again = nsgx::identity::write_sgxs(*layout);
  auto reparsed = nsgx::identity::parse_sgxs(again);
  if (!reparsed || nsgx::identity::measure(*reparsed) != mr) std::abort();
  return 0;
}
