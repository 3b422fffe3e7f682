#include "image/elf.h"

#include <elf.h>

#include <algorithm>

namespace nsgx::image {

namespace {

constexpr std::uint64_t kPage = 4096;
// An enclave image larger than this cannot be an enclave (ELRANGE limit of the SDK's loader).
constexpr std::uint64_t kMaxVaddr = 0x1fffffffffull;
constexpr std::size_t kMaxHeaders = 4096;

}  // namespace

Result<ElfFile> ElfFile::parse(ByteSpan file) {
  ElfFile elf;
  elf.file_ = file;
  if (file.size() < sizeof(Elf64_Ehdr)) return Error("ELF: file too small for an ELF header");
  const std::uint8_t* e = file.data();
  if (e[EI_MAG0] != ELFMAG0 || e[EI_MAG1] != ELFMAG1 || e[EI_MAG2] != ELFMAG2 || e[EI_MAG3] != ELFMAG3)
    return Error("ELF: bad magic (not an ELF file)");
  if (e[EI_CLASS] != ELFCLASS64) return Error("ELF: not a 64-bit ELF file");
  if (e[EI_DATA] != ELFDATA2LSB) return Error("ELF: not little-endian");
  if (e[EI_VERSION] != EV_CURRENT) return Error("ELF: unknown ELF version");
  const auto e_type = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_type));
  const auto e_machine = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_machine));
  elf.entry_ = load_le<std::uint64_t>(e + offsetof(Elf64_Ehdr, e_entry));
  const auto e_phoff = load_le<std::uint64_t>(e + offsetof(Elf64_Ehdr, e_phoff));
  const auto e_shoff = load_le<std::uint64_t>(e + offsetof(Elf64_Ehdr, e_shoff));
  const auto e_phentsize = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_phentsize));
  const auto e_phnum = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_phnum));
  const auto e_shentsize = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_shentsize));
  const auto e_shnum = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_shnum));
  const auto e_shstrndx = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_shstrndx));
  if (e_type != ET_DYN) return Error("ELF: not a shared object (ET_DYN); enclaves are position independent");
  if (e_machine != EM_X86_64) return Error("ELF: not an x86-64 image");
  if (e_phentsize != sizeof(Elf64_Phdr)) return Error("ELF: unexpected program header size");
  if (e_phnum == 0 || e_phnum > kMaxHeaders) return Error("ELF: no or too many program headers");
  if (!range_within(e_phoff, std::uint64_t{e_phnum} * sizeof(Elf64_Phdr), file.size()))
    return Error("ELF: program headers lie outside the file");

  for (std::size_t i = 0; i < e_phnum; ++i) {
    const std::uint8_t* p = e + e_phoff + i * sizeof(Elf64_Phdr);
    ElfSegment s;
    s.type = load_le<std::uint32_t>(p + offsetof(Elf64_Phdr, p_type));
    s.flags = load_le<std::uint32_t>(p + offsetof(Elf64_Phdr, p_flags));
    s.offset = load_le<std::uint64_t>(p + offsetof(Elf64_Phdr, p_offset));
    s.vaddr = load_le<std::uint64_t>(p + offsetof(Elf64_Phdr, p_vaddr));
    s.filesz = load_le<std::uint64_t>(p + offsetof(Elf64_Phdr, p_filesz));
    s.memsz = load_le<std::uint64_t>(p + offsetof(Elf64_Phdr, p_memsz));
    s.align = load_le<std::uint64_t>(p + offsetof(Elf64_Phdr, p_align));
    const std::string which = "ELF: program header " + std::to_string(i);
    if (!range_within(s.offset, s.filesz, file.size())) return Error(which + ": file range outside the file");
    if (s.type == PT_LOAD) {
      if (s.align == 0 || s.align % kPage != 0 || s.align > kMaxVaddr)
        return Error(which + ": PT_LOAD alignment " + hex_u64(s.align) + " is not a sane multiple of the page size");
      if (s.filesz > s.memsz) return Error(which + ": file size exceeds memory size");
      if (s.vaddr > kMaxVaddr || s.memsz > kMaxVaddr - s.vaddr)
        return Error(which + ": segment beyond the enclave limit");
      if ((s.flags & (PF_R | PF_W | PF_X)) == 0) return Error(which + ": PT_LOAD without R, W or X");
    }
    elf.segments_.push_back(s);
  }
  // Loadable segments may not share a page: each spans [vaddr, align_up(vaddr+memsz, align)).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  for (const auto& s : elf.segments_) {
    if (s.type != PT_LOAD) continue;
    const std::uint64_t end = s.vaddr + s.memsz;
    const std::uint64_t aligned_end = (end + s.align - 1) / s.align * s.align;
    spans.emplace_back(s.vaddr, aligned_end);
  }
  if (spans.empty()) return Error("ELF: no loadable segment");
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second)
      return Error("ELF: loadable segments at " + hex_u64(spans[i - 1].first) + " and " + hex_u64(spans[i].first) +
                   " overlap");

  // Section headers (optional in general, required for the SDK's metadata note).
  if (e_shnum != 0) {
    if (e_shentsize != sizeof(Elf64_Shdr)) return Error("ELF: unexpected section header size");
    if (e_shnum > kMaxHeaders) return Error("ELF: too many section headers");
    if (!range_within(e_shoff, std::uint64_t{e_shnum} * sizeof(Elf64_Shdr), file.size()))
      return Error("ELF: section headers lie outside the file");
    if (e_shstrndx >= e_shnum) return Error("ELF: section name table index out of range");
    auto shdr = [&](std::size_t i) { return e + e_shoff + i * sizeof(Elf64_Shdr); };
    const std::uint8_t* strtab_hdr = shdr(e_shstrndx);
    const auto str_off = load_le<std::uint64_t>(strtab_hdr + offsetof(Elf64_Shdr, sh_offset));
    const auto str_size = load_le<std::uint64_t>(strtab_hdr + offsetof(Elf64_Shdr, sh_size));
    if (!range_within(str_off, str_size, file.size())) return Error("ELF: section name table outside the file");
    for (std::size_t i = 0; i < e_shnum; ++i) {
      const std::uint8_t* h = shdr(i);
      ElfSection s;
      const auto name_off = load_le<std::uint32_t>(h + offsetof(Elf64_Shdr, sh_name));
      s.type = load_le<std::uint32_t>(h + offsetof(Elf64_Shdr, sh_type));
      s.flags = load_le<std::uint64_t>(h + offsetof(Elf64_Shdr, sh_flags));
      s.addr = load_le<std::uint64_t>(h + offsetof(Elf64_Shdr, sh_addr));
      s.offset = load_le<std::uint64_t>(h + offsetof(Elf64_Shdr, sh_offset));
      s.size = load_le<std::uint64_t>(h + offsetof(Elf64_Shdr, sh_size));
      s.addralign = load_le<std::uint64_t>(h + offsetof(Elf64_Shdr, sh_addralign));
      if (name_off >= str_size) return Error("ELF: section " + std::to_string(i) + " name outside the name table");
      const char* name = reinterpret_cast<const char*>(e + str_off + name_off);
      const std::size_t max_len = static_cast<std::size_t>(str_size - name_off);
      s.name.assign(name, strnlen(name, max_len));
      if (s.type != SHT_NOBITS && !range_within(s.offset, s.size, file.size()))
        return Error("ELF: section '" + s.name + "' lies outside the file");
      elf.sections_.push_back(std::move(s));
    }
  }

  // The dynamic table: the SDK requires one with at least one entry.
  auto dyn = std::find_if(elf.segments_.begin(), elf.segments_.end(),
                          [](const ElfSegment& s) { return s.type == PT_DYNAMIC; });
  if (dyn == elf.segments_.end()) return Error("ELF: no PT_DYNAMIC segment");
  for (std::uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dyn->filesz; off += sizeof(Elf64_Dyn)) {
    const std::uint8_t* d = e + dyn->offset + off;
    ElfDynamic entry{static_cast<std::int64_t>(load_le<std::uint64_t>(d)), load_le<std::uint64_t>(d + 8)};
    if (entry.tag == DT_NULL) break;
    elf.dynamic_.push_back(entry);
  }
  if (elf.dynamic_.empty()) return Error("ELF: empty dynamic table");
  return elf;
}

const ElfSection* ElfFile::find_section(std::string_view name) const {
  for (const auto& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<std::uint64_t> ElfFile::dynamic_value(std::int64_t tag) const {
  for (const auto& d : dynamic_)
    if (d.tag == tag) return d.value;
  return std::nullopt;
}

std::optional<ElfFile::Symbol> ElfFile::find_dynamic_symbol(std::string_view name) const {
  const ElfSection* sym = find_section(".dynsym");
  const ElfSection* str = find_section(".dynstr");
  if (sym == nullptr || str == nullptr) return std::nullopt;
  if (sym->offset > file_.size() || sym->size > file_.size() - sym->offset) return std::nullopt;
  if (str->offset > file_.size() || str->size > file_.size() - str->offset) return std::nullopt;
  const ByteSpan strtab = file_.subspan(str->offset, str->size);
  constexpr std::size_t kSymSize = sizeof(Elf64_Sym);
  for (std::uint64_t off = 0; off + kSymSize <= sym->size; off += kSymSize) {
    const std::uint8_t* e = file_.data() + sym->offset + off;
    const auto st_name = load_le<std::uint32_t>(e);
    const std::uint8_t st_info = e[4];
    const auto st_shndx = load_le<std::uint16_t>(e + 6);
    if (st_name >= strtab.size() || st_shndx == SHN_UNDEF) continue;
    const auto* begin = reinterpret_cast<const char*>(strtab.data() + st_name);
    const std::size_t max = strtab.size() - st_name;
    const std::size_t len = strnlen(begin, max);
    if (len == max || std::string_view(begin, len) != name) continue;
    return Symbol{load_le<std::uint64_t>(e + 8), load_le<std::uint64_t>(e + 16),
                  static_cast<std::uint8_t>(ELF64_ST_TYPE(st_info))};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> ElfFile::vaddr_to_offset(std::uint64_t vaddr, std::uint64_t len) const {
  for (const auto& s : segments_) {
    if (s.type != PT_LOAD || vaddr < s.vaddr) continue;
    const std::uint64_t rel = vaddr - s.vaddr;
    if (rel <= s.filesz && len <= s.filesz - rel) return s.offset + rel;
  }
  return std::nullopt;
}

}  // namespace nsgx::image
