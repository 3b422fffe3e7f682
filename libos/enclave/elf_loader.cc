// The program's image (elf_loader.h).
#include "libos/enclave/elf_loader.h"

#include <elf.h>
#include <string.h>

#include "libos/enclave/user_region.h"

namespace nsgx::libos {
namespace {

constexpr uint16_t kMaxPhnum = 64;
static_assert(sizeof(Elf64_Ehdr) == 64 && sizeof(Elf64_Phdr) == 56, "ELF64 header sizes (gABI)");

// Copies a T out of the file's bytes at `off` (the file need not be
// aligned for T); false if it does not lie wholly inside them.
template <typename T>
bool read_at(const uint8_t* file, uint64_t size, uint64_t off, T* out) {
  if (off > size || size - off < sizeof(T)) return false;
  memcpy(out, file + off, sizeof(T));
  return true;
}

}  // namespace

// Only a static-PIE (ET_DYN without PT_INTERP) whose PT_LOAD segments fit.
// Static-PIE programs relocate themselves (_dl_relocate_static_pie), so
// nothing is patched here.
bool load_program(std::string_view path, const uint8_t* file, uint64_t size, LoadedImage& out, std::string& why) {
  const std::string name(path);
  Elf64_Ehdr eh;
  if (!read_at(file, size, 0, &eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
    why = name + ": not an x86-64 ELF program";
    return false;
  }
  if (eh.e_type == ET_EXEC) {
    why = name +
          ": a non-PIE static program (ET_EXEC) needs its fixed addresses, which lie outside the enclave; "
          "build it with -static-pie";
    return false;
  }
  if (eh.e_type != ET_DYN || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > kMaxPhnum) {
    why = name + ": not a position-independent executable";
    return false;
  }
  // The whole table inside the file, checked once without overflow; then
  // each entry copied out of the file's bytes.
  if (eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
    why = name + ": program headers outside the file";
    return false;
  }
  Elf64_Phdr phs[kMaxPhnum];
  for (uint16_t i = 0; i < eh.e_phnum; ++i)
    if (!read_at(file, size, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr), &phs[i])) {
      why = name + ": program headers outside the file";
      return false;
    }
  uint64_t span = 0;
  bool any_load = false;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type == PT_INTERP) {
      why = name + ": dynamically linked programs (PT_INTERP) are not supported yet; link it with -static-pie";
      return false;
    }
    if (ph.p_type != PT_LOAD) continue;
    any_load = true;
    // vaddr and memsz below 2^40 each: their sum cannot overflow.
    if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || size - ph.p_offset < ph.p_filesz ||
        ph.p_vaddr > (1ull << 40) || ph.p_memsz > (1ull << 40) || (ph.p_vaddr % kPage) != (ph.p_offset % kPage)) {
      why = name + ": a PT_LOAD segment out of range";
      return false;
    }
    const uint64_t end = (ph.p_vaddr + ph.p_memsz + kPage - 1) & ~(kPage - 1);
    if (end > span) span = end;
  }
  if (!any_load || span == 0) {
    why = name + ": no PT_LOAD segment";
    return false;
  }
  const uint64_t n = span / kPage;
  const uint64_t first = reserve_pages(n);
  if (first == kNoPages) {
    why = name + ": does not fit in the enclave's memory";
    return false;
  }
  const uint64_t base = reinterpret_cast<uint64_t>(region_base() + first * kPage);
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type != PT_LOAD) continue;
    // EPCM permissions can only grow from inside (EMODPE); restricting
    // needs the host's EMODPR. So pages are RW, plus X where the segment
    // is executable (docs/libos.md: W^X is not enforced).
    const uint64_t p0 = ph.p_vaddr / kPage, p1 = (ph.p_vaddr + ph.p_memsz + kPage - 1) / kPage;
    if (!make_usable(first + p0, p1 - p0, (ph.p_flags & PF_X) != 0)) {
      why = name + ": EACCEPT failed";
      return false;
    }
  }
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type != PT_LOAD) continue;
    memcpy(reinterpret_cast<void*>(base + ph.p_vaddr), file + ph.p_offset, ph.p_filesz);
  }
  if (eh.e_entry >= span) {
    why = name + ": entry point outside the image";
    return false;
  }
  out.base = base;
  out.entry = base + eh.e_entry;
  out.phdr = base + eh.e_phoff;  // static-pie: the first PT_LOAD maps the headers (PT_PHDR)
  out.phnum = eh.e_phnum;
  return true;
}

}  // namespace nsgx::libos
