#include "sdk/sign/layout.h"

#include <elf.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "image/elf.h"
#include "image/sdk_format.h"
#include "sdk/common/global_data.h"

namespace nsgx::sdk {
namespace {

namespace fmt = image::sdk;
constexpr std::uint64_t kPage = 4096;
constexpr std::uint32_t kMetadataSize = 0x5000;

std::uint64_t round_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

// What the trusted runtime cannot run: refused here, with the reason.
Status check_elf(const image::ElfFile& elf) {
  // Thread-local storage: one PT_TLS, whose image the trusted runtime copies
  // into each thread's block (sdk/trts/tls.c), reached through __tls_get_addr.
  int tls = 0;
  for (const auto& s : elf.segments())
    if (s.type == PT_TLS) {
      if (++tls > 1) return Error("more than one PT_TLS segment");
      if (s.filesz > s.memsz) return Error("PT_TLS: file size beyond memory size");
      if (s.align > kPage || (s.align & (s.align - 1)) != 0)
        return Error("PT_TLS: alignment must be a power of two up to 4096");
    }
  if (elf.dynamic_value(DT_NEEDED)) return Error("the enclave needs shared libraries (DT_NEEDED); link it statically");
  if (elf.dynamic_value(DT_TEXTREL)) return Error("the enclave has text relocations; build it with -fPIC");
  if (auto n = elf.dynamic_value(DT_PLTRELSZ); n && *n != 0)
    return Error("the enclave has PLT relocations; link with -Wl,-z,now -Wl,-Bsymbolic and hidden visibility");
  const auto rela = elf.dynamic_value(DT_RELA), relasz = elf.dynamic_value(DT_RELASZ);
  if (rela && relasz) {
    auto off = elf.vaddr_to_offset(*rela, *relasz);
    if (!off) return Error("DT_RELA is outside the file");
    const ByteSpan b = elf.bytes().subspan(*off, *relasz);
    for (std::size_t i = 0; i + sizeof(Elf64_Rela) <= b.size(); i += sizeof(Elf64_Rela)) {
      const auto info = load_le<std::uint64_t>(b.data() + i + 8);
      const auto type = static_cast<std::uint32_t>(ELF64_R_TYPE(info));
      // DTPMOD64 without a symbol: a thread-local variable's module, the enclave's own.
      if (type == R_X86_64_DTPMOD64 && ELF64_R_SYM(info) == 0) continue;
      if (type != R_X86_64_RELATIVE && type != R_X86_64_NONE)
        return Error("relocation type " + std::to_string(type) + " at entry " + std::to_string(i / sizeof(Elf64_Rela)) +
                     ": only R_X86_64_RELATIVE (and the enclave's own R_X86_64_DTPMOD64) is applied inside the "
                     "enclave (is a symbol undefined or exported?)");
    }
  }
  return {};
}

// Moves the image up by `shift` bytes of ELRANGE: its program headers'
// addresses (and e_entry) become RVAs `shift` higher, which is where the
// loader adds its pages; everything the image itself holds stays
// link-time (from its header), which the trusted runtime relocates against
// (sdk/common/global_data.h, image_offset). PT_GNU_STACK carries no address.
// The header was parsed before (image::ElfFile), so its table is in the file.
void shift_program_headers(Bytes& file, std::uint64_t shift) {
  std::uint8_t* const eh = file.data();
  auto add = [shift](std::uint8_t* at) { store_le<std::uint64_t>(at, load_le<std::uint64_t>(at) + shift); };
  add(eh + offsetof(Elf64_Ehdr, e_entry));
  const auto phoff = load_le<std::uint64_t>(eh + offsetof(Elf64_Ehdr, e_phoff));
  const auto phnum = load_le<std::uint16_t>(eh + offsetof(Elf64_Ehdr, e_phnum));
  for (std::uint16_t i = 0; i < phnum; ++i) {
    std::uint8_t* ph = eh + phoff + std::uint64_t{i} * sizeof(Elf64_Phdr);
    const auto type = load_le<std::uint32_t>(ph + offsetof(Elf64_Phdr, p_type));
    if (type == PT_NULL || type == PT_GNU_STACK) continue;
    add(ph + offsetof(Elf64_Phdr, p_vaddr));
    add(ph + offsetof(Elf64_Phdr, p_paddr));
  }
}

struct Writer {
  Bytes data;  // the metadata block
  std::uint32_t put(const void* p, std::size_t n) {
    const auto off = static_cast<std::uint32_t>(data.size());
    data.insert(data.end(), static_cast<const std::uint8_t*>(p), static_cast<const std::uint8_t*>(p) + n);
    return off;
  }
};

}  // namespace

Result<Bytes> lay_out(ByteSpan unsigned_elf, const EnclaveConfig& config) {
  Bytes file(unsigned_elf.begin(), unsigned_elf.end());
  auto elf = image::ElfFile::parse(file);
  if (!elf) return elf.error();
  NSGX_RETURN_IF_ERROR(check_elf(*elf));

  // The note the trusted runtime reserves (sdk/trts/metadata_note.S).
  const image::ElfSection* note = elf->find_section(fmt::kNoteSection);
  if (note == nullptr) return Error("no .note.sgxmeta section: is the enclave linked with the trusted runtime?");
  constexpr std::uint64_t kDescOffset = 12 + sizeof(fmt::kNoteName);
  if (note->offset > file.size() || note->size < kDescOffset + kMetadataSize ||
      note->offset + kDescOffset + kMetadataSize > file.size())
    return Error(".note.sgxmeta is too small for SGX SDK metadata");
  const std::uint64_t md_at = note->offset + kDescOffset;
  if (load_le<std::uint32_t>(file.data() + note->offset) != sizeof(fmt::kNoteName) ||
      load_le<std::uint32_t>(file.data() + note->offset + 4) != kMetadataSize ||
      std::memcmp(file.data() + note->offset + 12, fmt::kNoteName, sizeof(fmt::kNoteName)) != 0)
    return Error(".note.sgxmeta is not an sgx_metadata note of 0x5000 bytes");
  if (std::any_of(file.begin() + static_cast<std::ptrdiff_t>(md_at),
                  file.begin() + static_cast<std::ptrdiff_t>(md_at + kMetadataSize), [](std::uint8_t b) { return b; }))
    return Error("the image is laid out already; `nsgx sign` without --config re-signs it");

  const auto entry = elf->find_dynamic_symbol("enclave_entry");
  if (!entry || entry->type != STT_FUNC)
    return Error("no exported function enclave_entry (the trusted runtime's entry)");
  const auto gd = elf->find_dynamic_symbol("g_global_data");
  if (!gd || gd->size != sizeof(nsgx_global_data_t))
    return Error("no exported g_global_data of " + std::to_string(sizeof(nsgx_global_data_t)) + " bytes");
  const auto gd_file = elf->vaddr_to_offset(gd->value, sizeof(nsgx_global_data_t));
  if (!gd_file) return Error("g_global_data has no bytes in the file (it must be in .data)");

  // <UserRegionFirst>: the user region from RVA 0, the image moved above
  // it by a multiple of its segments' alignment (enclave_config.h).
  std::uint64_t align = kPage;
  for (const auto& s : elf->segments())
    if (s.type == PT_LOAD && s.align > align) align = s.align;
  if (config.user_region_first && ((align & (align - 1)) != 0 || align > (1ull << 30)))
    return Error("<UserRegionFirst>: the image's PT_LOAD alignment is not a power of two up to 1 GiB");
  const std::uint64_t shift = config.user_region_first ? round_up(config.user_region, align) : 0;
  std::uint64_t image_end = 0;
  for (const auto& s : elf->segments())
    if (s.type == PT_LOAD) image_end = std::max(image_end, shift + round_up(s.vaddr + s.memsz, kPage));

  // Sizes, in pages.
  const std::uint64_t guard = NSGX_GUARD_SIZE / kPage, ssa_frame = 1;
  const std::uint64_t heap = round_up(config.heap_max, kPage) / kPage;
  const std::uint64_t stack = round_up(config.stack_max, kPage) / kPage;
  const std::uint64_t ssa = ssa_frame * NSGX_SSA_FRAMES;
  const std::uint64_t thread_pages = guard + stack + guard + 1 + ssa + guard + 1;

  Writer w;
  w.data.resize(sizeof(fmt::Metadata));
  std::vector<fmt::LayoutEntry> entries;
  std::uint64_t rva = image_end;
  auto add = [&](std::uint16_t id, std::uint16_t attr, std::uint64_t pages, std::uint64_t si,
                 std::uint32_t content = 0) {
    fmt::LayoutEntry e{};
    e.id = id;
    e.attributes = attr;
    e.page_count = static_cast<std::uint32_t>(pages);
    e.rva = rva;
    e.content_size = content;
    e.si_flags = si;
    entries.push_back(e);
    rva += pages * kPage;
    return entries.size() - 1;
  };
  using namespace fmt::page_attr;
  const std::uint64_t heap_rva = rva;
  if (heap) add(fmt::layout_id::kHeapMin, kEadd, heap, 0x203);
  const std::size_t first = entries.size();
  add(fmt::layout_id::kGuard, 0, guard, 0);
  add(fmt::layout_id::kStackMin, kEadd | kEextend, stack, 0x203, 0xCCCCCCCCu);  // the SDK's stack fill
  add(fmt::layout_id::kGuard, 0, guard, 0);
  const std::size_t tcs = add(fmt::layout_id::kTcs, kEadd | kEextend, 1, 0x100);
  const std::size_t ssa_entry = add(fmt::layout_id::kSsa, kEadd | kEextend, ssa, 0x203);
  add(fmt::layout_id::kGuard, 0, guard, 0);
  const std::size_t td = add(fmt::layout_id::kTd, kEadd | kEextend, 1, 0x203);
  const std::uint64_t tcs_rva = entries[tcs].rva;
  rva += (config.tcs_num - 1) * thread_pages * kPage;
  // The user region: pages the enclave adds itself (EACCEPT), never EADDed;
  // a layout entry without attributes, as the SDK's LAYOUT_ID_USER_REGION.
  // Below the image when it comes first.
  const std::uint64_t user_rva = config.user_region_first ? 0 : rva;
  const std::uint64_t user_size = config.user_region_first ? shift : config.user_region;
  if (!config.user_region_first) rva += user_size;
  const std::uint64_t end = rva;
  std::uint64_t enclave_size = kPage;
  while (enclave_size < end) enclave_size <<= 1;
  if (enclave_size > (1ull << 36)) return Error("the enclave would need more than 64 GiB of address space");

  // The TCS template: offsets from the TCS (the loader adds its address).
  std::uint8_t tmpl[fmt::kTcsTemplateSize] = {};
  store_le<std::uint64_t>(tmpl + 16, entries[ssa_entry].rva - tcs_rva);  // OSSA
  store_le<std::uint32_t>(tmpl + 28, NSGX_SSA_FRAMES);                   // NSSA
  store_le<std::uint64_t>(tmpl + 32, shift + entry->value);              // OENTRY
  store_le<std::uint64_t>(tmpl + 48, entries[td].rva - tcs_rva);         // OFSBASGX
  store_le<std::uint64_t>(tmpl + 56, entries[td].rva - tcs_rva);         // OGSBASGX
  store_le<std::uint32_t>(tmpl + 64, 0xffffffffu);                       // FSLIMIT
  store_le<std::uint32_t>(tmpl + 68, 0xffffffffu);                       // GSLIMIT

  nsgx_global_data_t g{};
  g.magic = NSGX_GLOBAL_DATA_MAGIC;
  g.enclave_size = enclave_size;
  g.heap_offset = heap_rva;
  g.heap_size = heap * kPage;
  g.stack_size = stack * kPage;
  g.first_tcs_offset = tcs_rva;
  g.thread_step = thread_pages * kPage;
  g.tcs_num = config.tcs_num;
  g.ssa_frame_size = static_cast<std::uint32_t>(ssa_frame);
  g.user_region_offset = config.user_region ? user_rva : 0;
  g.user_region_size = user_size;
  g.image_offset = shift;

  // The data area: layout table, TCS template, global data, zeros, patches.
  const std::size_t n_layout =
      entries.size() + (config.tcs_num > 1 ? 1 : 0) + (config.user_region ? 1 : 0) + (enclave_size > end ? 1 : 0);
  const std::uint32_t layout_off = static_cast<std::uint32_t>(w.data.size());
  w.data.resize(w.data.size() + n_layout * sizeof(fmt::LayoutEntry));
  const std::uint32_t tmpl_off = w.put(tmpl, sizeof tmpl);
  entries[tcs].content_offset = tmpl_off;
  entries[tcs].content_size = sizeof tmpl;
  std::size_t at = layout_off;
  for (const auto& e : entries) {
    std::memcpy(w.data.data() + at, &e, sizeof e);
    at += sizeof e;
  }
  if (config.tcs_num > 1) {
    fmt::LayoutGroup grp{};
    grp.id = fmt::layout_id::kThreadGroup;
    grp.entry_count = static_cast<std::uint16_t>(entries.size() - first);
    grp.load_times = config.tcs_num - 1;
    grp.load_step = thread_pages * kPage;
    std::memcpy(w.data.data() + at, &grp, sizeof grp);
    at += sizeof grp;
  }
  if (config.user_region) {
    fmt::LayoutEntry e{};
    e.id = fmt::layout_id::kUserRegion;
    e.page_count = static_cast<std::uint32_t>(user_size / kPage);
    e.rva = user_rva;
    std::memcpy(w.data.data() + at, &e, sizeof e);
    at += sizeof e;
  }
  if (enclave_size > end) {
    fmt::LayoutEntry e{};
    e.id = fmt::layout_id::kGuard;
    e.page_count = static_cast<std::uint32_t>((enclave_size - end) / kPage);
    e.rva = end;
    std::memcpy(w.data.data() + at, &e, sizeof e);
  }
  const std::uint32_t gd_off = w.put(&g, sizeof g);
  const std::uint8_t zeros[8] = {};
  const std::uint32_t zero_off = w.put(zeros, sizeof zeros);
  const fmt::PatchEntry patches[] = {
      {*gd_file, gd_off, sizeof g, {}},
      {0x28, zero_off, 8, {}},  // e_shoff
      {0x3c, zero_off, 2, {}},  // e_shnum
      {0x3e, zero_off, 2, {}},  // e_shstrndx
  };
  const std::uint32_t patch_off = w.put(patches, sizeof patches);
  if (w.data.size() > kMetadataSize) return Error("the metadata does not fit in .note.sgxmeta");

  fmt::Metadata md{};
  md.magic = fmt::kMetadataMagic;
  md.version = fmt::make_version(1, 4);
  md.size = static_cast<std::uint32_t>(w.data.size());
  md.tcs_policy = config.tcs_policy;
  md.ssa_frame_size = static_cast<std::uint32_t>(ssa_frame);
  md.max_save_buffer_size = 2632;
  md.desired_misc_select = 0;
  md.tcs_min_pool = 0;
  md.enclave_size = enclave_size;
  md.attributes = sigstruct_fields(config).attributes;
  md.dirs[fmt::kDirPatch] = {patch_off, static_cast<std::uint32_t>(sizeof patches)};
  md.dirs[fmt::kDirLayout] = {layout_off, static_cast<std::uint32_t>(n_layout * sizeof(fmt::LayoutEntry))};
  std::memcpy(w.data.data(), &md, sizeof md);
  std::memcpy(file.data() + md_at, w.data.data(), w.data.size());
  if (shift != 0) shift_program_headers(file, shift);
  return file;
}

}  // namespace nsgx::sdk
