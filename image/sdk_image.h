// SGX SDK enclave images: an ELF shared object with the SDK's metadata in
// the `.note.sgxmeta` note (layout table, patch table, SIGSTRUCT).
//
// SdkImage::parse validates everything a loader will later trust — the ELF,
// the note, the metadata, every directory, layout entry, group and patch —
// and replay() then issues ECREATE/EADD/EEXTEND exactly as the SGX SDK's
// loader does (docs/image-format.md), into any identity::EnclaveBuilder.
// Measuring is replaying into a MeasuringBuilder; it never reads the
// SIGSTRUCT's ENCLAVEHASH.
//
//   auto image = image::SdkImage::parse(std::move(file_bytes));
//   identity::MeasuringBuilder m;
//   NSGX_RETURN_IF_ERROR(image->replay(m));
//   bool same = m.mrenclave() == image->sigstruct_enclave_hash();
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "identity/enclave_builder.h"
#include "image/elf.h"
#include "image/sdk_format.h"

namespace nsgx::image {

class SdkImage {
 public:
  static Result<SdkImage> parse(Bytes file);

  SdkImage(SdkImage&&) noexcept = default;
  SdkImage& operator=(SdkImage&&) noexcept = default;
  SdkImage(const SdkImage&) = delete;
  SdkImage& operator=(const SdkImage&) = delete;

  const sdk::Metadata& metadata() const { return md_; }
  const sgx::Sigstruct& sigstruct() const { return md_.enclave_css; }
  // File offsets of every metadata block in the note (all carry the SIGSTRUCT).
  const std::vector<std::uint64_t>& metadata_offsets() const { return md_offsets_; }
  std::uint64_t selected_metadata_offset() const { return md_offset_; }

  // ECREATE, the ELF segments, then the layout table — as the SDK loader does.
  Status replay(identity::EnclaveBuilder& builder) const;

  // The image bytes with `ss` written into every metadata block.
  Bytes with_sigstruct(const sgx::Sigstruct& ss) const;

  const Bytes& file() const { return file_; }
  const ElfFile& elf() const { return elf_; }

 private:
  SdkImage() = default;
  struct LayoutElement {
    bool is_group = false;
    sdk::LayoutEntry entry{};
    sdk::LayoutGroup group{};
  };

  Status validate_layout() const;
  Status replay_elements(std::size_t begin, std::size_t end, std::uint64_t delta,
                         identity::EnclaveBuilder& builder) const;
  Status replay_entry(const sdk::LayoutEntry& e, std::uint64_t delta, identity::EnclaveBuilder& builder) const;
  Result<std::vector<bool>> relocation_bitmap() const;

  Bytes file_;
  ElfFile elf_;
  sdk::Metadata md_{};
  ByteSpan md_bytes_;  // the selected metadata block, md_.size bytes, inside file_
  std::uint64_t md_offset_ = 0;
  std::vector<std::uint64_t> md_offsets_;
  std::vector<LayoutElement> layout_;
  std::vector<sdk::PatchEntry> patches_;
};

}  // namespace nsgx::image
