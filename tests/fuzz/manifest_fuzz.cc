// Fuzzes the library OS's manifest parser (the bytes an enclave reads);
// an accepted manifest must be the canonical encoding of what it says.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libos/manifest/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = nsgx::libos::parse_manifest({data, size});
  if (!m) return 0;
  auto again = nsgx::libos::encode_manifest(*m);
  if (!again || again->size() != size || !std::equal(again->begin(), again->end(), data)) std::abort();
  return 0;
}
