#include "image/sdk_image.h"

#include <elf.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>

#include "identity/sgxs.h"

namespace nsgx::image {

namespace {

using sgx::kPageSize;
constexpr std::uint64_t kPageMask = sgx::kPageMask;
// Largest enclave the SDK's ELF64 loader accepts (binparser.h ENCLAVE_MAX_SIZE_64).
constexpr std::uint64_t kMaxEnclaveSize = 0x2000000000ull;
// Largest SSA frame the SDK's loader accepts (SSA_FRAME_SIZE_MAX).
constexpr std::uint32_t kMaxSsaFrameSize = 4;
// Bound on the expanded layout (entries x group repeats); a real image has a
// handful of ranges per thread. Keeps hostile metadata from exhausting memory.
constexpr std::size_t kMaxLayoutRanges = 1u << 22;
// SECINFO flags a loader may pass (SDK SI_FLAGS_EXTERNAL): R, W, X and the page type.
constexpr std::uint64_t kExternalSiFlags = 0xff07;
constexpr std::uint64_t kSiFlagsTcs = sgx::secinfo_flags::page_type(sgx::PageType::kTcs);

constexpr std::uint64_t round_up_page(std::uint64_t v) { return (v + kPageMask) & ~kPageMask; }

std::uint64_t segment_si_flags(std::uint32_t pflags) {
  std::uint64_t f = sgx::secinfo_flags::page_type(sgx::PageType::kReg);
  if (pflags & PF_R) f |= sgx::secinfo_flags::kR;
  if (pflags & PF_W) f |= sgx::secinfo_flags::kW;
  if (pflags & PF_X) f |= sgx::secinfo_flags::kX;
  return f;
}

// A metadata version this loader understands: 1.x, 2.x and 3.x (SGX1 and
// SGX2 layouts). ELRANGE metadata (major > 10) relocates the image inside a
// larger range and is refused with a clear error.
bool supported_version(std::uint64_t v) {
  const std::uint32_t major = sdk::version_major(v);
  return major >= 1 && major <= 3;
}

}  // namespace

Result<SdkImage> SdkImage::parse(Bytes file) {
  SdkImage img;
  img.file_ = std::move(file);
  auto elf = ElfFile::parse(img.file_);
  if (!elf) return elf.error();
  img.elf_ = std::move(*elf);
  const ByteSpan f = img.file_;

  // --- the note: namesz, descsz, type, "sgx_metadata\0", then the desc, unpadded ---
  const ElfSection* note = img.elf_.find_section(sdk::kNoteSection);
  if (note == nullptr) return Error("not an SGX enclave image: no .note.sgxmeta section");
  if (note->type != SHT_NOTE) return Error(".note.sgxmeta is not a note section");
  ByteReader nr(f.subspan(note->offset, note->size));
  auto namesz = nr.read_le<std::uint32_t>();
  auto descsz = nr.read_le<std::uint32_t>();
  auto type = nr.read_le<std::uint32_t>();
  if (!namesz || !descsz || !type) return Error(".note.sgxmeta: truncated note header");
  if (*namesz != sizeof(sdk::kNoteName)) return Error(".note.sgxmeta: unexpected note name size");
  auto name = nr.take(*namesz);
  if (!name || std::memcmp(name->data(), sdk::kNoteName, sizeof(sdk::kNoteName)) != 0)
    return Error(".note.sgxmeta: note name is not \"sgx_metadata\"");
  auto desc = nr.take(*descsz);
  if (!desc) return Error(".note.sgxmeta: metadata size exceeds the section");
  const std::uint64_t desc_offset = note->offset + 12 + *namesz;

  // --- the chain of metadata blocks; pick the highest supported version ---
  std::uint64_t pos = 0;
  bool found = false;
  std::uint64_t best_version = 0;
  std::string unsupported;
  while (desc->size() - pos >= sizeof(sdk::Metadata)) {
    const ByteSpan block = desc->subspan(pos);
    if (load_le<std::uint64_t>(block.data()) != sdk::kMetadataMagic) break;
    const auto md = copy_struct<sdk::Metadata>(block);
    if (md.size < sizeof(sdk::Metadata) || md.size > block.size())
      return Error("metadata at note offset " + std::to_string(pos) + ": size " + std::to_string(md.size) +
                   " is out of range");
    img.md_offsets_.push_back(desc_offset + pos);
    if (supported_version(md.version)) {
      if (!found || md.version > best_version) {
        found = true;
        best_version = md.version;
        img.md_ = md;
        img.md_offset_ = desc_offset + pos;
        img.md_bytes_ = block.first(md.size);
      }
    } else {
      unsupported = hex_u64(md.version);
    }
    pos += md.size;
  }
  if (img.md_offsets_.empty()) return Error(".note.sgxmeta: no metadata (bad magic; is the image signed?)");
  if (!found) return Error("metadata version " + unsupported + " is not supported (ELRANGE or newer format)");

  // --- metadata fields (SDK CLoader::validate_metadata) ---
  const sdk::Metadata& md = img.md_;
  if (md.tcs_policy > 1) return Error("metadata: tcs_policy " + std::to_string(md.tcs_policy) + " is invalid");
  if (md.ssa_frame_size < 1 || md.ssa_frame_size > kMaxSsaFrameSize)
    return Error("metadata: SSA frame size " + std::to_string(md.ssa_frame_size) + " outside 1.." +
                 std::to_string(kMaxSsaFrameSize));
  auto ecreate_ok = identity::check_ecreate_params(md.ssa_frame_size, md.enclave_size);
  if (!ecreate_ok) return ecreate_ok.error().context("metadata");
  if (md.enclave_size > kMaxEnclaveSize) return Error("metadata: enclave size " + hex_u64(md.enclave_size) + " is too large");
  for (std::size_t d = 0; d < sdk::kDirCount; ++d) {
    const auto& dir = md.dirs[d];
    if (dir.offset < sizeof(sdk::Metadata) || !range_within(dir.offset, dir.size, md.size))
      return Error("metadata: directory " + std::to_string(d) + " (offset " + std::to_string(dir.offset) +
                   ", size " + std::to_string(dir.size) + ") outside the metadata");
    if (dir.size % 32 != 0) return Error("metadata: directory " + std::to_string(d) + " size is not a multiple of 32");
  }
  // Every loadable segment must lie inside the enclave.
  for (const auto& s : img.elf_.segments()) {
    if (s.type == PT_LOAD && round_up_page(s.vaddr + s.memsz) > md.enclave_size)
      return Error("ELF segment at " + hex_u64(s.vaddr) + " extends beyond the enclave size " + hex_u64(md.enclave_size));
  }

  // --- layout table ---
  const auto& ldir = md.dirs[sdk::kDirLayout];
  for (std::uint32_t off = 0; off < ldir.size; off += 32) {
    const ByteSpan raw = img.md_bytes_.subspan(ldir.offset + off, 32);
    LayoutElement el;
    el.is_group = (load_le<std::uint16_t>(raw.data()) & sdk::kGroupFlag) != 0;
    if (el.is_group)
      el.group = copy_struct<sdk::LayoutGroup>(raw);
    else
      el.entry = copy_struct<sdk::LayoutEntry>(raw);
    img.layout_.push_back(el);
  }
  NSGX_RETURN_IF_ERROR(img.validate_layout());

  // --- patch table (SDK CLoader::validate_patch_table) ---
  const auto& pdir = md.dirs[sdk::kDirPatch];
  for (std::uint32_t off = 0; off < pdir.size; off += 32) {
    const auto p = copy_struct<sdk::PatchEntry>(img.md_bytes_.subspan(pdir.offset + off, 32));
    const std::string which = "patch entry " + std::to_string(off / 32);
    if (p.src < sizeof(sdk::Metadata) || !range_within(p.src, p.size, md.size))
      return Error(which + ": source outside the metadata");
    if (!range_within(p.dst, p.size, md.enclave_size) || !range_within(p.dst, p.size, f.size()))
      return Error(which + ": destination " + hex_u64(p.dst) + " outside the image");
    img.patches_.push_back(p);
  }
  return img;
}

Status SdkImage::validate_layout() const {
  const std::uint64_t size = md_.enclave_size;
  struct Range {
    std::uint64_t start, len;
    std::size_t index;
  };
  std::vector<Range> ranges;
  auto add_entry = [&](const sdk::LayoutEntry& e, std::size_t index, std::uint64_t delta) -> Status {
    const std::string which = "layout entry " + std::to_string(index);
    if (e.content_offset != 0) {
      if (e.content_offset < sizeof(sdk::Metadata) || !range_within(e.content_offset, e.content_size, md_.size))
        return Error(which + ": content outside the metadata");
      if (e.si_flags == kSiFlagsTcs && e.content_size > kPageSize) return Error(which + ": TCS content exceeds a page");
      if (e.si_flags != kSiFlagsTcs && e.content_size > std::uint64_t{e.page_count} * kPageSize)
        return Error(which + ": content larger than its pages");
    }
    if ((e.attributes & sdk::page_attr::kEadd) != 0 && (e.si_flags & ~kExternalSiFlags) != 0)
      return Error(which + ": SECINFO flags " + hex_u64(e.si_flags) + " are not allowed");
    if (e.page_count == 0) return {};
    const std::uint64_t len = std::uint64_t{e.page_count} * kPageSize;
    if (e.rva > UINT64_MAX - delta) return Error(which + ": address overflows");
    const std::uint64_t start = e.rva + delta;
    if ((start & kPageMask) != 0) return Error(which + ": address " + hex_u64(start) + " is not page aligned");
    if (!range_within(start, len, size)) return Error(which + ": pages at " + hex_u64(start) + " outside the enclave");
    if (ranges.size() >= kMaxLayoutRanges) return Error("layout table expands to too many ranges");
    ranges.push_back({start, len, index});
    return {};
  };
  for (std::size_t i = 0; i < layout_.size(); ++i) {
    const auto& el = layout_[i];
    if (!el.is_group) {
      NSGX_RETURN_IF_ERROR(add_entry(el.entry, i, 0));
      continue;
    }
    const auto& g = el.group;
    const std::string which = "layout group " + std::to_string(i);
    if (g.entry_count == 0 || g.entry_count > i) return Error(which + ": entry count out of range");
    if (std::uint64_t{g.load_times} * g.entry_count > kMaxLayoutRanges) return Error(which + ": repeats too often");
    for (std::size_t k = i - g.entry_count; k < i; ++k)
      if (layout_[k].is_group) return Error(which + ": groups may not be nested");
    std::uint64_t step = 0;
    for (std::uint32_t j = 0; j < g.load_times; ++j) {
      if (g.load_step > size - step) return Error(which + ": load step leaves the enclave");
      step += g.load_step;
      for (std::size_t k = i - g.entry_count; k < i; ++k) NSGX_RETURN_IF_ERROR(add_entry(layout_[k].entry, k, step));
    }
  }
  // The ELF's pages take part too: nothing may be added twice.
  for (const auto& s : elf_.segments()) {
    if (s.type != PT_LOAD || s.memsz == 0) continue;
    const std::uint64_t start = s.vaddr & ~kPageMask;
    ranges.push_back({start, round_up_page(s.vaddr + s.memsz) - start, SIZE_MAX});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].start < ranges[i - 1].start + ranges[i - 1].len) {
      auto name = [](std::size_t idx) {
        return idx == SIZE_MAX ? std::string("an ELF segment") : "layout entry " + std::to_string(idx);
      };
      return Error(name(ranges[i].index) + " at " + hex_u64(ranges[i].start) + " overlaps " + name(ranges[i - 1].index));
    }
  }
  return {};
}

Result<std::vector<bool>> SdkImage::relocation_bitmap() const {
  // Only images with text relocations get writable code pages (SDK
  // ElfParser::get_reloc_bitmap); the SDK's signer refuses them by default.
  std::vector<bool> bitmap;
  if (!elf_.dynamic_value(DT_TEXTREL)) return bitmap;
  std::uint64_t max_end = 0;
  for (const auto& s : elf_.segments())
    if (s.type == PT_LOAD) max_end = std::max(max_end, s.vaddr + s.memsz);
  bitmap.assign(static_cast<std::size_t>(round_up_page(max_end) / kPageSize) + 1, false);
  auto walk = [&](std::int64_t addr_tag, std::int64_t size_tag) -> Status {
    auto addr = elf_.dynamic_value(addr_tag);
    auto len = elf_.dynamic_value(size_tag);
    if (!addr || !len) return {};
    auto off = elf_.vaddr_to_offset(*addr, *len);
    if (!off) return Error("relocation table outside the image");
    for (std::uint64_t r = 0; r + sizeof(Elf64_Rela) <= *len; r += sizeof(Elf64_Rela)) {
      const std::uint8_t* p = file_.data() + *off + r;
      const auto r_offset = load_le<std::uint64_t>(p);
      const auto r_info = load_le<std::uint64_t>(p + 8);
      if (ELF64_R_TYPE(r_info) == R_X86_64_NONE) continue;
      const std::uint64_t page = r_offset / kPageSize;
      if (page < bitmap.size()) bitmap[static_cast<std::size_t>(page)] = true;
      if ((r_offset & kPageMask) > kPageSize - 8 && page + 1 < bitmap.size())
        bitmap[static_cast<std::size_t>(page + 1)] = true;
    }
    return {};
  };
  NSGX_RETURN_IF_ERROR(walk(DT_RELA, DT_RELASZ));
  NSGX_RETURN_IF_ERROR(walk(DT_JMPREL, DT_PLTRELSZ));
  return bitmap;
}

namespace {

// The SDK's build_mem_region: the bytes of [rva, rva+raw.size()) placed at
// their in-page positions with zeros around them, then zero pages up to
// rva+vsize; every page added and extended.
Status add_region(identity::EnclaveBuilder& b, std::uint64_t rva, ByteSpan raw, std::uint64_t vsize, std::uint64_t flags,
                  const std::vector<bool>* bitmap) {
  std::array<std::uint8_t, kPageSize> page;
  std::uint64_t off = 0;
  while (off < raw.size()) {
    const std::uint64_t addr = rva + off;
    const std::uint64_t in_page = addr & kPageMask;
    const std::uint64_t n = std::min<std::uint64_t>(kPageSize - in_page, raw.size() - off);
    std::uint64_t f = flags;
    const std::uint64_t frame = addr / kPageSize;
    if (bitmap != nullptr && frame < bitmap->size() && (*bitmap)[static_cast<std::size_t>(frame)])
      f |= sgx::secinfo_flags::kW;
    page.fill(0);
    std::memcpy(page.data() + in_page, raw.data() + off, static_cast<std::size_t>(n));
    NSGX_RETURN_IF_ERROR(b.add_page(addr & ~kPageMask, f, page, identity::kExtendAll));
    off += kPageSize - in_page;
  }
  if (vsize > off) {
    const std::uint64_t addr = rva + off;
    const std::uint64_t count = round_up_page(vsize - off + (addr & kPageMask)) / kPageSize;
    page.fill(0);
    for (std::uint64_t i = 0; i < count; ++i)
      NSGX_RETURN_IF_ERROR(b.add_page((addr & ~kPageMask) + i * kPageSize, flags, page, identity::kExtendAll));
  }
  return {};
}

}  // namespace

Status SdkImage::replay(identity::EnclaveBuilder& builder) const {
  NSGX_RETURN_IF_ERROR(builder.ecreate(md_.ssa_frame_size, md_.enclave_size));

  // Relocations are read from the unpatched image, then the patch table is
  // applied to a copy at file offsets (SDK CLoader::build_image).
  NSGX_ASSIGN_OR_RETURN(const std::vector<bool> bitmap, relocation_bitmap());
  Bytes patched = file_;
  for (const auto& p : patches_)
    std::memcpy(patched.data() + p.dst, md_bytes_.data() + p.src, p.size);

  // ELF segments in program-header order.
  const bool v13 = md_.version == sdk::kVersion1_3;
  const ElfSegment* last = nullptr;
  auto v13_extra_page = [&](std::uint64_t before) -> Status {
    // SDK 1.5-1.8 loaders added one zero page after a segment whose start
    // and end are both unaligned (and fit in one page); later metadata
    // versions dropped this (SDK CLoader::build_sections).
    if (!v13 || last == nullptr) return {};
    const std::uint64_t a = round_up_page(last->vaddr + last->memsz);
    const std::uint64_t b = round_up_page(round_up_page(last->memsz) + last->vaddr);
    if (a < b && a < before) {
      std::array<std::uint8_t, kPageSize> zero{};
      NSGX_RETURN_IF_ERROR(builder.add_page(a, segment_si_flags(last->flags), zero, identity::kExtendAll));
    }
    return {};
  };
  for (const auto& s : elf_.segments()) {
    if (s.type != PT_LOAD) continue;
    NSGX_RETURN_IF_ERROR(v13_extra_page(s.vaddr & ~kPageMask));
    if (last == nullptr || s.vaddr > last->vaddr) last = &s;
    const ByteSpan raw(patched.data() + s.offset, static_cast<std::size_t>(s.filesz));
    NSGX_RETURN_IF_ERROR(add_region(builder, s.vaddr, raw, s.memsz, segment_si_flags(s.flags), &bitmap));
  }
  NSGX_RETURN_IF_ERROR(v13_extra_page(UINT64_MAX));

  return replay_elements(0, layout_.size(), 0, builder);
}

Status SdkImage::replay_elements(std::size_t begin, std::size_t end, std::uint64_t delta,
                                 identity::EnclaveBuilder& builder) const {
  for (std::size_t i = begin; i < end; ++i) {
    const auto& el = layout_[i];
    if (!el.is_group) {
      NSGX_RETURN_IF_ERROR(replay_entry(el.entry, delta, builder));
      continue;
    }
    // A group repeats the entry_count elements before it load_times more
    // times, each shifted by a further load_step (SDK build_contexts).
    std::uint64_t step = 0;
    for (std::uint32_t j = 0; j < el.group.load_times; ++j) {
      step += el.group.load_step;
      NSGX_RETURN_IF_ERROR(replay_elements(i - el.group.entry_count, i, step, builder));
    }
  }
  return {};
}

Status SdkImage::replay_entry(const sdk::LayoutEntry& e, std::uint64_t delta, identity::EnclaveBuilder& builder) const {
  if ((e.attributes & sdk::page_attr::kEadd) == 0) return {};  // guard pages, post-add and dynamic entries
  const std::uint64_t rva = e.rva + delta;
  const std::uint16_t extend = (e.attributes & sdk::page_attr::kEextend) != 0 ? identity::kExtendAll : 0;
  std::array<std::uint8_t, kPageSize> page{};
  if (e.content_offset != 0) {
    const ByteSpan content = md_bytes_.subspan(e.content_offset, e.content_size);
    if (e.si_flags != kSiFlagsTcs)
      return add_region(builder, rva, content, std::uint64_t{e.page_count} * kPageSize, e.si_flags, nullptr);
    // The TCS template's offsets are relative to the TCS; make them
    // relative to the enclave base (SDK CLoader::build_context).
    std::memcpy(page.data(), content.data(), content.size());
    for (std::size_t field : {std::size_t{16} /*OSSA*/, std::size_t{48} /*OFSBASE*/, std::size_t{56} /*OGSBASE*/})
      store_le<std::uint64_t>(page.data() + field, load_le<std::uint64_t>(page.data() + field) + rva);
  } else if (e.si_flags == 0) {
    return {};
  } else if (e.content_size != 0) {
    // A fill pattern (e.g. 0xCCCCCCCC for stacks, to measure stack use).
    for (std::size_t i = 0; i < kPageSize; i += 4) store_le<std::uint32_t>(page.data() + i, e.content_size);
  }
  // Every page of a multi-page entry gets the same content.
  for (std::uint32_t i = 0; i < e.page_count; ++i)
    NSGX_RETURN_IF_ERROR(builder.add_page(rva + std::uint64_t{i} * kPageSize, e.si_flags, page, extend));
  return {};
}

Bytes SdkImage::with_sigstruct(const sgx::Sigstruct& ss) const {
  Bytes out = file_;
  const ByteSpan raw = as_bytes(ss);
  for (std::uint64_t off : md_offsets_)
    std::memcpy(out.data() + off + offsetof(sdk::Metadata, enclave_css), raw.data(), raw.size());
  return out;
}

}  // namespace nsgx::image
