#include "image/raw_pages.h"

#include <bit>
#include <string>

#include "identity/sgxs.h"

namespace nsgx::image {

Status replay_raw_pages(ByteSpan pages, const RawPagesLayout& layout, identity::EnclaveBuilder& builder) {
  if (pages.empty() || pages.size() % sgx::kPageSize != 0)
    return Error("raw pages: file size " + std::to_string(pages.size()) + " is not a non-zero multiple of 4096");
  const std::uint64_t count = pages.size() / sgx::kPageSize;
  for (std::uint64_t t : layout.tcs_pages)
    if (t >= count) return Error("raw pages: TCS page " + std::to_string(t) + " is beyond the " + std::to_string(count) + " pages");
  if ((layout.reg_flags & ~0x7ull) != sgx::secinfo_flags::page_type(sgx::PageType::kReg))
    return Error("raw pages: SECINFO flags of regular pages must be REG (0x200) with R/W/X bits only");
  std::uint64_t size = layout.enclave_size;
  if (size == 0) size = std::max<std::uint64_t>(std::bit_ceil(pages.size()), 2 * sgx::kPageSize);
  NSGX_RETURN_IF_ERROR(identity::check_ecreate_params(layout.ssa_frame_size, size));
  if (pages.size() > size) return Error("raw pages: the pages do not fit in the enclave size");
  NSGX_RETURN_IF_ERROR(builder.ecreate(layout.ssa_frame_size, size));
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t flags =
        layout.tcs_pages.contains(i) ? sgx::secinfo_flags::page_type(sgx::PageType::kTcs) : layout.reg_flags;
    std::span<const std::uint8_t, sgx::kPageSize> page(pages.data() + i * sgx::kPageSize, sgx::kPageSize);
    NSGX_RETURN_IF_ERROR(builder.add_page(i * sgx::kPageSize, flags, page, identity::kExtendAll));
  }
  return {};
}

}  // namespace nsgx::image
