#include "runtime/inproc/vdso_image.h"

#include <elf.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace nsgx::inproc {

namespace {

// The System V ABI's ELF hash (DT_HASH).
std::uint32_t elf_hash(const char* name) {
  std::uint32_t h = 0;
  for (const auto* p = reinterpret_cast<const unsigned char*>(name); *p; ++p) {
    h = (h << 4) + *p;
    const std::uint32_t g = h & 0xf0000000;
    if (g) h ^= g >> 24;
    h &= ~g;
  }
  return h;
}

template <typename T>
const T* at(std::uint64_t addr) {
  return reinterpret_cast<const T*>(addr);
}

std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) & ~(a - 1); }

}  // namespace

std::vector<VdsoSymbol> vdso_symbols(std::uint64_t base, const char* version) {
  std::vector<VdsoSymbol> out;
  if (base == 0) return out;
  const auto* eh = at<Elf64_Ehdr>(base);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) return out;
  std::uint64_t load_offset = 0;
  bool have_load = false;
  const Elf64_Dyn* dyn = nullptr;
  for (int i = 0; i < eh->e_phnum; ++i) {
    const auto* ph = at<Elf64_Phdr>(base + eh->e_phoff + static_cast<std::uint64_t>(i) * eh->e_phentsize);
    if (ph->p_type == PT_LOAD && !have_load) {
      load_offset = base + ph->p_offset - ph->p_vaddr;
      have_load = true;
    } else if (ph->p_type == PT_DYNAMIC) {
      dyn = at<Elf64_Dyn>(base + ph->p_offset);
    }
  }
  if (!have_load || dyn == nullptr) return out;
  const Elf64_Word* hash = nullptr;
  const Elf64_Sym* symtab = nullptr;
  const char* strtab = nullptr;
  const Elf64_Versym* versym = nullptr;
  const Elf64_Verdef* verdef = nullptr;
  for (; dyn->d_tag != DT_NULL; ++dyn) {
    const std::uint64_t p = load_offset + dyn->d_un.d_ptr;
    switch (dyn->d_tag) {
      case DT_HASH: hash = at<Elf64_Word>(p); break;
      case DT_SYMTAB: symtab = at<Elf64_Sym>(p); break;
      case DT_STRTAB: strtab = at<char>(p); break;
      case DT_VERSYM: versym = at<Elf64_Versym>(p); break;
      case DT_VERDEF: verdef = at<Elf64_Verdef>(p); break;
      default: break;
    }
  }
  if (hash == nullptr || symtab == nullptr || strtab == nullptr) return out;
  const Elf64_Word nchain = hash[1];
  for (Elf64_Word i = 1; i < nchain; ++i) {
    const Elf64_Sym& s = symtab[i];
    const int bind = ELF64_ST_BIND(s.st_info), type = ELF64_ST_TYPE(s.st_info);
    if (type != STT_FUNC || (bind != STB_GLOBAL && bind != STB_WEAK) || s.st_shndx == SHN_UNDEF) continue;
    if (versym != nullptr && verdef != nullptr && version != nullptr) {
      const Elf64_Versym ndx = versym[i] & 0x7fff;
      bool match = false;
      for (const Elf64_Verdef* d = verdef;; d = reinterpret_cast<const Elf64_Verdef*>(reinterpret_cast<const char*>(d) + d->vd_next)) {
        if ((d->vd_flags & VER_FLG_BASE) == 0 && d->vd_ndx == ndx) {
          const auto* aux = reinterpret_cast<const Elf64_Verdaux*>(reinterpret_cast<const char*>(d) + d->vd_aux);
          match = std::strcmp(strtab + aux->vda_name, version) == 0;
          break;
        }
        if (d->vd_next == 0) break;
      }
      if (!match) continue;
    }
    out.push_back({strtab + s.st_name, load_offset + s.st_value});
  }
  return out;
}

std::optional<std::uint64_t> build_vdso_image(const std::vector<VdsoSymbol>& symbols) {
  const std::size_t nsym = symbols.size() + 1;  // index 0 is the null symbol
  const char* kSoname = "linux-vdso.so.1";
  const char* kVersion = "LINUX_2.6";
  // String table: "", the version names, then the symbols.
  std::string strtab(1, '\0');
  auto add_str = [&](const std::string& s) {
    const auto off = static_cast<Elf64_Word>(strtab.size());
    strtab += s;
    strtab += '\0';
    return off;
  };
  const Elf64_Word soname_off = add_str(kSoname), version_off = add_str(kVersion);
  std::vector<Elf64_Word> name_off;
  name_off.reserve(symbols.size());
  for (const auto& s : symbols) name_off.push_back(add_str(s.name));

  constexpr std::size_t kDynCount = 10;
  const std::size_t off_phdr = sizeof(Elf64_Ehdr);
  const std::size_t off_dyn = off_phdr + 2 * sizeof(Elf64_Phdr);
  const std::size_t off_hash = off_dyn + kDynCount * sizeof(Elf64_Dyn);
  const std::size_t off_sym = align_up(off_hash + (2 + nsym + nsym) * sizeof(Elf64_Word), 8);
  const std::size_t off_str = off_sym + nsym * sizeof(Elf64_Sym);
  const std::size_t off_versym = align_up(off_str + strtab.size(), 2);
  const std::size_t off_verdef = align_up(off_versym + nsym * sizeof(Elf64_Versym), 8);
  const std::size_t verdef_size = 2 * (sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux));
  const std::size_t off_text = align_up(off_verdef + verdef_size, 16);
  const std::size_t total = align_up(off_text + symbols.size() * 16, 4096);

  const long m = syscall(SYS_mmap, 0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == -1) return std::nullopt;
  auto* img = reinterpret_cast<std::uint8_t*>(m);

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  eh.e_type = ET_DYN;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = off_phdr;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  std::memcpy(img, &eh, sizeof eh);

  Elf64_Phdr ph[2]{};
  ph[0].p_type = PT_LOAD;
  ph[0].p_flags = PF_R | PF_X;
  ph[0].p_filesz = ph[0].p_memsz = total;
  ph[0].p_align = 4096;
  ph[1].p_type = PT_DYNAMIC;
  ph[1].p_flags = PF_R;
  ph[1].p_offset = ph[1].p_vaddr = off_dyn;
  ph[1].p_filesz = ph[1].p_memsz = kDynCount * sizeof(Elf64_Dyn);
  ph[1].p_align = 8;
  std::memcpy(img + off_phdr, ph, sizeof ph);

  const Elf64_Dyn dyn[kDynCount] = {
      {DT_HASH, {off_hash}},     {DT_STRTAB, {off_str}},    {DT_SYMTAB, {off_sym}},
      {DT_STRSZ, {strtab.size()}}, {DT_SYMENT, {sizeof(Elf64_Sym)}}, {DT_VERSYM, {off_versym}},
      {DT_VERDEF, {off_verdef}}, {DT_VERDEFNUM, {2}},       {DT_SONAME, {soname_off}},
      {DT_NULL, {0}}};
  std::memcpy(img + off_dyn, dyn, sizeof dyn);

  // DT_HASH: one bucket per symbol, chained by hash.
  auto* h = reinterpret_cast<Elf64_Word*>(img + off_hash);
  const auto nb = static_cast<Elf64_Word>(nsym);
  h[0] = nb;
  h[1] = static_cast<Elf64_Word>(nsym);
  Elf64_Word* bucket = h + 2;
  Elf64_Word* chain = bucket + nb;
  for (std::size_t i = 1; i < nsym; ++i) {
    const Elf64_Word b = elf_hash(symbols[i - 1].name.c_str()) % nb;
    chain[i] = bucket[b];
    bucket[b] = static_cast<Elf64_Word>(i);
  }

  auto* sym = reinterpret_cast<Elf64_Sym*>(img + off_sym);
  auto* versym = reinterpret_cast<Elf64_Versym*>(img + off_versym);
  for (std::size_t i = 1; i < nsym; ++i) {
    sym[i].st_name = name_off[i - 1];
    sym[i].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    sym[i].st_shndx = 1;  // defined (the image has no section headers)
    sym[i].st_value = off_text + (i - 1) * 16;
    sym[i].st_size = 12;
    versym[i] = 2;
    // Thunk: movabs $target, %rax; jmp *%rax
    std::uint8_t* t = img + off_text + (i - 1) * 16;
    t[0] = 0x48;
    t[1] = 0xb8;
    std::memcpy(t + 2, &symbols[i - 1].target, 8);
    t[10] = 0xff;
    t[11] = 0xe0;
    t[12] = t[13] = t[14] = t[15] = 0xcc;
  }
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): an ELF string table, each name ends in its own '\0' (add_str)
  std::memcpy(img + off_str, strtab.data(), strtab.size());

  auto* vd = reinterpret_cast<std::uint8_t*>(img + off_verdef);
  const struct {
    Elf64_Half flags, ndx;
    Elf64_Word name;
    const char* text;
  } defs[2] = {{VER_FLG_BASE, 1, soname_off, kSoname}, {0, 2, version_off, kVersion}};
  for (int i = 0; i < 2; ++i) {
    Elf64_Verdef d{};
    d.vd_version = VER_DEF_CURRENT;
    d.vd_flags = defs[i].flags;
    d.vd_ndx = defs[i].ndx;
    d.vd_cnt = 1;
    d.vd_hash = elf_hash(defs[i].text);
    d.vd_aux = sizeof(Elf64_Verdef);
    d.vd_next = i == 0 ? static_cast<Elf64_Word>(sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux)) : 0;
    Elf64_Verdaux a{defs[i].name, 0};
    std::memcpy(vd, &d, sizeof d);
    std::memcpy(vd + sizeof d, &a, sizeof a);
    vd += sizeof d + sizeof a;
  }
  syscall(SYS_mprotect, img, total, PROT_READ | PROT_EXEC);
  return reinterpret_cast<std::uint64_t>(img);
}

}  // namespace nsgx::inproc
