// Fuzzes the library OS's manifest parser (the bytes an enclave reads),
// and, for inputs that start as a trusted directory's listing does, the
// listing's parser (a listing of "/usr/lib/py"): an accepted manifest or
// listing must be the canonical encoding of what it says.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libos/manifest/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& magic = nsgx::libos::kListingMagic;
  if (size >= magic.size() && std::equal(magic.begin(), magic.end(), data)) {
    auto files = nsgx::libos::parse_trusted_listing({data, size}, "/usr/lib/py");
    if (!files) return 0;
    auto again = nsgx::libos::encode_trusted_listing("/usr/lib/py", *files);
    if (!again || again->size() != size || !std::equal(again->begin(), again->end(), data)) std::abort();
    return 0;
  }
  auto m = nsgx::libos::parse_manifest({data, size});
  if (!m) return 0;
  auto again = nsgx::libos::encode_manifest(*m);
  if (!again || again->size() != size || !std::equal(again->begin(), again->end(), data)) std::abort();
  return 0;
}
