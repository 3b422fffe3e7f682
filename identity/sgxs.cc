#include "identity/sgxs.h"

#include "identity/enclave_builder.h"

#include <bit>
#include <cstring>
#include <string>
#include <unordered_set>

#include "arch/sgx/pageinfo.h"

namespace nsgx::identity {

namespace {

constexpr std::uint64_t kTagEcreate = 0x0045544145524345ull;    // "ECREATE\0"
constexpr std::uint64_t kTagEadd = 0x0000000044444145ull;       // "EADD\0\0\0\0"
constexpr std::uint64_t kTagEextend = 0x00444e4554584545ull;    // "EEXTEND\0"
constexpr std::uint64_t kTagUnsized = 0x0044455a49534e55ull;    // "UNSIZED\0"
constexpr std::uint64_t kTagUnmeasured = 0x44525341454d4e55ull; // "UNMEASRD"

Error at(std::size_t off, const std::string& what) { return Error("SGXS offset " + std::to_string(off) + ": " + what); }

}  // namespace

Status check_ecreate_params(std::uint32_t ssa_frame_size, std::uint64_t size) {
  if (ssa_frame_size == 0) return Error("SSAFRAMESIZE is 0");
  if (size < 2 * sgx::kPageSize || !std::has_single_bit(size))
    return Error("enclave size " + hex_u64(size) + " is not a power of two of at least two pages");
  return {};
}

Result<EnclaveLayout> parse_sgxs(ByteSpan stream) {
  EnclaveLayout out;
  ByteReader r(stream);
  bool have_ecreate = false;
  EnclavePage* page = nullptr;
  std::unordered_set<std::uint64_t> added;
  while (!r.at_end()) {
    const std::size_t off = r.offset();
    auto rec = r.take(kRecordSize);
    if (!rec) return at(off, "truncated record (" + std::to_string(r.remaining()) + " bytes left)");
    const std::uint8_t* p = rec->data();
    const std::uint64_t tag = load_le<std::uint64_t>(p);
    if (tag == kTagEcreate || tag == kTagUnsized) {
      if (tag == kTagUnsized) return at(off, "UNSIZED record: the enclave size is not fixed, cannot measure");
      if (have_ecreate) return at(off, "second ECREATE");
      if (!all_zero(rec->subspan(20))) return at(off, "ECREATE reserved bytes are not zero");
      out.ssa_frame_size = load_le<std::uint32_t>(p + 8);
      out.size = load_le<std::uint64_t>(p + 12);
      auto ok = check_ecreate_params(out.ssa_frame_size, out.size);
      if (!ok) return at(off, ok.error().message());
      have_ecreate = true;
      continue;
    }
    if (!have_ecreate) return at(off, "stream does not start with ECREATE");
    if (tag == kTagEadd) {
      const std::uint64_t offset = load_le<std::uint64_t>(p + 8);
      const std::uint64_t flags = load_le<std::uint64_t>(p + 16);
      if ((offset & sgx::kPageMask) != 0) return at(off, "EADD offset " + hex_u64(offset) + " is not page aligned");
      if (offset >= out.size) return at(off, "EADD offset " + hex_u64(offset) + " is outside the enclave");
      if (!added.insert(offset).second) return at(off, "EADD offset " + hex_u64(offset) + " added twice");
      if (!all_zero(rec->subspan(24))) return at(off, "EADD SECINFO reserved bytes are not zero");
      if ((flags & sgx::secinfo_flags::kReservedMask) != 0 ||
          (flags & (sgx::secinfo_flags::kPending | sgx::secinfo_flags::kModified | sgx::secinfo_flags::kPr)) != 0)
        return at(off, "EADD SECINFO flags " + hex_u64(flags) + " have reserved or SGX2 state bits set");
      const auto type = static_cast<sgx::PageType>((flags & sgx::secinfo_flags::kPageTypeMask) >>
                                                   sgx::secinfo_flags::kPageTypeShift);
      if (type != sgx::PageType::kReg && type != sgx::PageType::kTcs)
        return at(off, "EADD of a page that is neither REG nor TCS");
      if (type == sgx::PageType::kTcs && (flags & sgx::secinfo_flags::kPermMask) != 0)
        return at(off, "TCS page measured with R/W/X permissions");
      out.pages.push_back(EnclavePage{.offset = offset, .secinfo_flags = flags});
      page = &out.pages.back();
      continue;
    }
    if (tag == kTagEextend || tag == kTagUnmeasured) {
      const char* name = tag == kTagEextend ? "EEXTEND" : "UNMEASRD";
      const std::uint64_t offset = load_le<std::uint64_t>(p + 8);
      if (!all_zero(rec->subspan(16))) return at(off, std::string(name) + " reserved bytes are not zero");
      auto data = r.take(kExtendChunk);
      if (!data) return at(off, std::string(name) + " record without its 256 data bytes");
      if (page == nullptr || (offset & ~sgx::kPageMask) != page->offset)
        return at(off, std::string(name) + " at " + hex_u64(offset) + " outside the page of the preceding EADD");
      if ((offset % kExtendChunk) != 0) return at(off, std::string(name) + " offset " + hex_u64(offset) + " not 256-byte aligned");
      const auto chunk = static_cast<unsigned>((offset & sgx::kPageMask) / kExtendChunk);
      const auto bit = static_cast<std::uint16_t>(1u << chunk);
      if (((page->measured | page->unmeasured) & bit) != 0)
        return at(off, "chunk " + hex_u64(offset) + " loaded twice");
      (tag == kTagEextend ? page->measured : page->unmeasured) |= bit;
      std::memcpy(page->data.data() + chunk * kExtendChunk, data->data(), kExtendChunk);
      continue;
    }
    return at(off, "unknown record tag " + hex_u64(tag));
  }
  if (!have_ecreate) return Error("SGXS: empty stream (no ECREATE)");
  return out;
}

namespace {
void replay(const EnclaveLayout& layout, Measurement& m) {
  m.ecreate(layout.ssa_frame_size, layout.size);
  for (const auto& page : layout.pages) {
    if (page.unmeasured == 0) {
      m.add_page(page.offset, page.secinfo_flags, page.data, page.measured);
      continue;
    }
    // Measured and unmeasured chunks interleave in offset order.
    m.eadd(page.offset, page.secinfo_flags);
    for (unsigned i = 0; i < kChunksPerPage; ++i) {
      std::span<const std::uint8_t, kExtendChunk> chunk(page.data.data() + i * kExtendChunk, kExtendChunk);
      if ((page.measured >> i) & 1u) m.eextend(page.offset + i * kExtendChunk, chunk);
      if ((page.unmeasured >> i) & 1u) m.unmeasured(page.offset + i * kExtendChunk, chunk);
    }
  }
}
}  // namespace

Mrenclave measure(const EnclaveLayout& layout) {
  Measurement m;
  replay(layout, m);
  return m.digest();
}

Bytes write_sgxs(const EnclaveLayout& layout) {
  Bytes out;
  Measurement m(&out);
  replay(layout, m);
  return out;
}

}  // namespace nsgx::identity

namespace nsgx::identity {
Status replay(const EnclaveLayout& layout, EnclaveBuilder& builder) {
  NSGX_RETURN_IF_ERROR(builder.ecreate(layout.ssa_frame_size, layout.size));
  for (const auto& page : layout.pages)
    NSGX_RETURN_IF_ERROR(builder.add_page(page.offset, page.secinfo_flags, page.data, page.measured));
  return {};
}
}  // namespace nsgx::identity
