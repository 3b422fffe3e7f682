// The program's image (elf_loader.h).
#include "libos/enclave/elf_loader.h"

#include <elf.h>
#include <string.h>

#include "libos/enclave/syscall_rewrite.h"
#include "libos/enclave/user_region.h"
#include "libos/enclave/xstate_choice.h"  // hex_string

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

// ET_DYN: a static-PIE program, a PIE with an interpreter, or the
// interpreter itself, anywhere in the user region. ET_EXEC: a non-PIE
// program, static or with an interpreter, at its own addresses. Static-PIE
// programs relocate themselves (_dl_relocate_static_pie) and ld.so
// relocates itself and the program, so nothing is patched here.
bool load_elf(std::string_view path, const uint8_t* file, uint64_t size, bool allow_interp, LoadedImage& out,
              std::string& why) {
  const std::string name(path);
  Elf64_Ehdr eh;
  if (!read_at(file, size, 0, &eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
    why = name + ": not an x86-64 ELF program";
    return false;
  }
  // ET_EXEC: a non-PIE program, loaded at its own addresses, which must
  // then be the user region's (below); never an interpreter.
  const bool fixed = eh.e_type == ET_EXEC;
  if (fixed && !allow_interp) {
    why = name + ": an interpreter with fixed addresses (ET_EXEC)";
    return false;
  }
  if ((!fixed && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > kMaxPhnum) {
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
  uint64_t lo = UINT64_MAX, hi = 0;
  std::string interp;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type == PT_INTERP) {
      // gABI: a NUL-terminated path, p_filesz bytes with the NUL.
      if (!allow_interp) {
        why = name + ": an interpreter with an interpreter (PT_INTERP)";
        return false;
      }
      if (ph.p_offset > size || size - ph.p_offset < ph.p_filesz || ph.p_filesz < 2 || ph.p_filesz > 4096 ||
          file[ph.p_offset + ph.p_filesz - 1] != 0) {
        why = name + ": PT_INTERP out of range";
        return false;
      }
      interp.assign(reinterpret_cast<const char*>(file + ph.p_offset), ph.p_filesz - 1);
      if (interp.size() != strlen(interp.c_str())) {
        why = name + ": PT_INTERP out of range";
        return false;
      }
    }
    if (ph.p_type != PT_LOAD) continue;
    // vaddr and memsz below 2^40 each: their sum cannot overflow.
    if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || size - ph.p_offset < ph.p_filesz ||
        ph.p_vaddr > (1ull << 40) || ph.p_memsz > (1ull << 40) || (ph.p_vaddr % kPage) != (ph.p_offset % kPage)) {
      why = name + ": a PT_LOAD segment out of range";
      return false;
    }
    const uint64_t start = ph.p_vaddr & ~(kPage - 1);
    const uint64_t end = (ph.p_vaddr + ph.p_memsz + kPage - 1) & ~(kPage - 1);
    if (start < lo) lo = start;
    if (end > hi) hi = end;
  }
  if (hi == 0 || hi <= lo) {
    why = name + ": no PT_LOAD segment";
    return false;
  }
  // AT_PHDR: the table's address in the image. PT_PHDR says where it is
  // (ld.so computes the program's load bias from it); without one, the
  // PT_LOAD whose file bytes hold it. Either way it must lie inside a
  // loaded segment's file bytes, or the program would read what is not
  // its header table.
  const uint64_t table = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  uint64_t phdr_vaddr = UINT64_MAX;
  for (uint16_t i = 0; i < eh.e_phnum; ++i)
    if (phs[i].p_type == PT_PHDR) phdr_vaddr = phs[i].p_vaddr;
  for (uint16_t i = 0; i < eh.e_phnum && phdr_vaddr == UINT64_MAX; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type == PT_LOAD && eh.e_phoff >= ph.p_offset && eh.e_phoff - ph.p_offset <= ph.p_filesz &&
        ph.p_filesz - (eh.e_phoff - ph.p_offset) >= table)
      phdr_vaddr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
  }
  bool phdr_loaded = false;
  for (uint16_t i = 0; i < eh.e_phnum && phdr_vaddr != UINT64_MAX; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type == PT_LOAD && phdr_vaddr >= ph.p_vaddr && phdr_vaddr - ph.p_vaddr <= ph.p_filesz &&
        ph.p_filesz - (phdr_vaddr - ph.p_vaddr) >= table)
      phdr_loaded = true;
  }
  if (!phdr_loaded) {
    why = name + ": its program header table is not inside a loaded segment";
    return false;
  }
  if (eh.e_entry < lo || eh.e_entry >= hi) {
    why = name + ": entry point outside the image";
    return false;
  }
  const uint64_t n = (hi - lo) / kPage;
  uint64_t first = kNoPages;
  if (!fixed) {
    first = reserve_pages(n);
  } else if (!in_region(lo, hi - lo)) {
    // Only an enclave laid out with its user region first and placed at
    // base 0 holds such addresses (`nsgx libos build` lays it out so when
    // a trusted program is ET_EXEC; the host places it: placement.h).
    why = name + ": a non-PIE program (ET_EXEC) at fixed addresses " + hex_string(lo) + "-" + hex_string(hi) +
          ", outside this enclave's memory " + hex_string(reinterpret_cast<uint64_t>(region_base())) + "-" +
          hex_string(reinterpret_cast<uint64_t>(region_base()) + region_pages() * kPage) +
          " (an enclave built for it sits at address 0; build the enclave anew with `nsgx libos build`, or "
          "build the program with -pie)";
    return false;
  } else if (reserve_pages_at(page_index(reinterpret_cast<const void*>(lo)), n)) {
    first = page_index(reinterpret_cast<const void*>(lo));
  } else {
    // Below 64 KiB (never used: NULL's page is there) or taken already.
    why = name + ": a non-PIE program (ET_EXEC) at fixed addresses " + hex_string(lo) + "-" + hex_string(hi) +
          ", which the enclave cannot give it (its first 64 KiB are never used)";
    return false;
  }
  if (first == kNoPages) {
    why = name + ": does not fit in the enclave's memory";
    return false;
  }
  const uint64_t base = reinterpret_cast<uint64_t>(region_base() + first * kPage) - lo;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type != PT_LOAD) continue;
    // EPCM permissions can only grow from inside (EMODPE); restricting
    // needs the host's EMODPR. So pages are RW, plus X where the segment
    // is executable (docs/libos.md: W^X is not enforced).
    const uint64_t p0 = (ph.p_vaddr - lo) / kPage, p1 = (ph.p_vaddr - lo + ph.p_memsz + kPage - 1) / kPage;
    // A segment's pages past its file bytes (.bss) are zero-filled on
    // demand (user_region.h: defer_pages): a large .bss costs no EPC until
    // the program touches it.
    const bool x = (ph.p_flags & PF_X) != 0;
    const uint64_t pf = (ph.p_vaddr - lo + ph.p_filesz + kPage - 1) / kPage;
    // Only a large .bss (1 MiB and more, as syscalls_mm.cc's anonymous
    // mappings): a small one may hold what the library OS writes while it
    // cannot take a fault — a signal's alternate stack (libos_signals
    // crashed with a 64 KiB one deferred).
    constexpr uint64_t kDeferFrom = 256;
    const uint64_t eager_end = x || pf > p1 || p1 - pf < kDeferFrom ? p1 : pf;
    if (eager_end < p1) defer_pages(first + eager_end, p1 - eager_end);
    if (!make_usable(first + p0, eager_end - p0, x)) {
      release_pages(first, n);
      why = name + ": EACCEPT failed";
      return false;
    }
  }
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type != PT_LOAD) continue;
    memcpy(reinterpret_cast<void*>(base + ph.p_vaddr), file + ph.p_offset, ph.p_filesz);
  }
  rewrite_image(file, size, base);  // before the program runs a byte of it (syscall_rewrite.h)
  // The whole span is the program's, holes between segments included (as
  // ld.so's own reservation is): it may mprotect, map over or unmap them.
  set_program_owned(first, n, true);
  out.base = base;
  out.entry = base + eh.e_entry;
  out.phdr = base + phdr_vaddr;
  out.phnum = eh.e_phnum;
  out.interp = std::move(interp);
  return true;
}

}  // namespace nsgx::libos
