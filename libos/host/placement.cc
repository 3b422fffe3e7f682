#include "libos/host/placement.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "image/sdk_format.h"
#include "sgx_metadata.h"

namespace nsgx::libos_host {

std::optional<std::uint64_t> placement_for(const char* image) {
  namespace fmt = nsgx::image::sdk;
  // NSGX_LIBOS_TEST_PLACE_ANYWHERE (test builds only, NSGX_ENV_OVERRIDES,
  // as the other variables that steer placement): the loader chooses, as a
  // host that ignores the layout would (libos_python: the enclave refuses
  // the program).
  if (NSGX_ENV_OVERRIDES && std::getenv("NSGX_LIBOS_TEST_PLACE_ANYWHERE") != nullptr) return std::nullopt;
  auto md = std::make_unique<metadata_t>();  // 20 KB: not on the stack
  if (sgx_get_metadata(image, md.get()) != SGX_SUCCESS) return std::nullopt;
  // The layout directory's offset is from the metadata's start (image
  // format: docs/image-format.md); its entries lie in the data area.
  const data_directory_t dir = md->dirs[DIR_LAYOUT];
  const std::size_t data_at = offsetof(metadata_t, data);
  if (dir.offset < data_at || dir.offset > sizeof(metadata_t) || dir.size > sizeof(metadata_t) - dir.offset)
    return std::nullopt;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(md.get());
  for (std::size_t at = dir.offset; at + sizeof(fmt::LayoutEntry) <= std::size_t{dir.offset} + dir.size;
       at += sizeof(fmt::LayoutEntry)) {
    fmt::LayoutEntry e;
    std::memcpy(&e, bytes + at, sizeof e);
    if (e.id == fmt::layout_id::kUserRegion && e.rva == 0) return 0;
  }
  return std::nullopt;
}

}  // namespace nsgx::libos_host
