// System-call sites of an ELF image (syscall_sites.h). The ELF types are
// <elf.h>'s (System V gABI); the unwind tables' formats are the LSB's
// (Core Specification 5.0, "Exception Frames": .eh_frame CIE/FDE with
// DWARF pointer encodings; .eh_frame_hdr's search table). Every structure
// is copied out of the file's bytes after a bounds check.
#include "libos/enclave/syscall_sites.h"

#include <elf.h>
#include <string.h>

#include <algorithm>

#include "libos/enclave/x86_length.h"

namespace nsgx::libos {
namespace {

// DWARF pointer encodings (DW_EH_PE_*) GNU ld writes.
constexpr uint8_t kPeUdata4 = 0x03, kPeSdata4 = 0x0b, kPePcrel = 0x10, kPeDatarel = 0x30;

struct Image {
  const uint8_t* file;
  uint64_t size;
  std::vector<Elf64_Phdr> loads;  // PT_LOAD
};

template <typename T>
bool read_at(const Image& im, uint64_t off, T& out) {
  if (off > im.size || im.size - off < sizeof(T)) return false;
  memcpy(&out, im.file + off, sizeof(T));
  return true;
}

// The file offset holding `len` bytes at vaddr, inside one PT_LOAD's file bytes.
bool file_offset(const Image& im, uint64_t vaddr, uint64_t len, uint64_t& off) {
  for (const Elf64_Phdr& ph : im.loads)
    if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr <= ph.p_filesz && ph.p_filesz - (vaddr - ph.p_vaddr) >= len) {
      off = ph.p_offset + (vaddr - ph.p_vaddr);
      return true;
    }
  return false;
}

bool uleb(const Image& im, uint64_t& at, uint64_t end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= end) return false;
    const uint8_t b = im.file[at++];
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The pointer encoding of an FDE's pc_begin, from its CIE's "zR" augmentation.
bool cie_fde_encoding(const Image& im, uint64_t cie_off, uint8_t& enc) {
  uint32_t len;
  if (!read_at(im, cie_off, len) || len == 0xffffffffu || len < 8 || im.size - cie_off - 4 < len) return false;
  const uint64_t end = cie_off + 4 + len;
  uint64_t at = cie_off + 4;
  uint32_t id;
  if (!read_at(im, at, id) || id != 0) return false;
  at += 4;
  const uint8_t version = im.file[at++];
  if (version != 1 && version != 3) return false;
  std::string aug;
  while (at < end && im.file[at] != 0) aug.push_back(static_cast<char>(im.file[at++]));
  if (at >= end) return false;
  ++at;
  uint64_t skip, code_align, data_align;
  if (!uleb(im, at, end, code_align) || !uleb(im, at, end, data_align)) return false;
  if (version == 1) {
    ++at;
  } else if (!uleb(im, at, end, skip)) {
    return false;
  }
  if (aug.empty() || aug[0] != 'z' || !uleb(im, at, end, skip)) return false;
  enc = 0;  // DW_EH_PE_absptr unless 'R' says otherwise: not one we take
  for (size_t i = 1; i < aug.size(); ++i) {
    if (at >= end) return false;
    if (aug[i] == 'R') {
      enc = im.file[at++];
      return true;
    }
    if (aug[i] == 'L') {
      ++at;
    } else if (aug[i] == 'P') {
      const uint8_t penc = im.file[at++];
      if ((penc & 0x0f) != kPeSdata4 && (penc & 0x0f) != kPeUdata4) return false;
      at += 4;
    } else if (aug[i] != 'S' && aug[i] != 'B') {
      return false;
    }
  }
  return false;
}

// An FDE's [pc_begin, pc_begin + pc_range), checked against the search
// table's initial location.
bool fde_range(const Image& im, uint64_t fde_vaddr, uint64_t initial, uint64_t& range) {
  uint64_t off;
  uint32_t len, cie_ptr;
  if (!file_offset(im, fde_vaddr, 16, off) || !read_at(im, off, len) || !read_at(im, off + 4, cie_ptr)) return false;
  if (len == 0xffffffffu || len < 12 || cie_ptr == 0 || cie_ptr > off + 4) return false;
  uint8_t enc;
  if (!cie_fde_encoding(im, off + 4 - cie_ptr, enc) || enc != (kPePcrel | kPeSdata4)) return false;
  int32_t begin;
  uint32_t r;
  if (!read_at(im, off + 8, begin) || !read_at(im, off + 12, r)) return false;
  if (fde_vaddr + 8 + static_cast<uint64_t>(static_cast<int64_t>(begin)) != initial) return false;
  range = r;
  return true;
}

// An instruction that may sit between the mov and the syscall and be run
// from the stub instead (copied as it is): it names registers only (no
// memory, so nothing RIP- or RSP-relative), never RSP (the stub runs 128
// bytes lower), never writes RAX (the number stays the site's) and is not
// a branch. Register MOVs (89, 8B), two-operand ALU ops (ADD OR AND SUB
// XOR: 01 03 09 0B 21 23 29 2B 31 33), Group 1 with an immediate (80 81 83)
// with ModRM mod = 11, and MOV r32, imm32 (B8+r). glibc 2.36 puts
// `xor $FUTEX_PRIVATE_FLAG, %sil` there in its futex calls.
bool is_tail_insn(const uint8_t* p, size_t len) {
  uint8_t rex = 0;
  size_t i = 0;
  if ((p[0] & 0xF0) == 0x40) rex = p[i++];
  if (i >= len) return false;
  const uint8_t op = p[i];
  if (op >= 0xB9 && op <= 0xBF && (rex & 8) == 0 && len == i + 5) {  // MOV r32, imm32 (not EAX: B8)
    const unsigned r = (rex & 1u) << 3 | (op & 7u);
    return r != 4;
  }
  if (len < i + 2 || (p[i + 1] >> 6) != 3) return false;
  const uint8_t modrm = p[i + 1];
  const unsigned reg = ((rex >> 2) & 1u) << 3 | ((modrm >> 3) & 7u), rm = (rex & 1u) << 3 | (modrm & 7u);
  if (op == 0x80 || op == 0x83) return len == i + 3 && rm != 4 && rm != 0;
  if (op == 0x81) return len == i + 6 && rm != 4 && rm != 0;
  if (len != i + 2 || reg == 4 || rm == 4) return false;
  switch (op) {
    case 0x89:
    case 0x01:
    case 0x09:
    case 0x21:
    case 0x29:
    case 0x31:
      return rm != 0;  // r/m is written
    case 0x8B:
    case 0x03:
    case 0x0B:
    case 0x23:
    case 0x2B:
    case 0x33:
      return reg != 0;  // reg is written
    default:
      return false;
  }
}

// One function's walk: [vaddr, vaddr + len) at file offset `off`.
void walk(const Image& im, uint64_t vaddr, uint64_t off, uint64_t len, SiteScan& out) {
  ++out.functions;
  std::vector<SyscallSite> found;
  uint64_t syscalls = 0;
  const size_t mark = out.boundaries ? out.boundaries->size() : 0;
  bool pending = false;
  SyscallSite cur;
  uint64_t at = 0;
  while (at < len) {
    const uint8_t* p = im.file + off + at;
    const size_t n = x86_length(p, len - at);
    if (n == 0) break;
    if (out.boundaries) out.boundaries->push_back(vaddr + at);
    const bool mov = n == 5 && p[0] == 0xB8, xor_eax = n == 2 && (p[0] == 0x31 || p[0] == 0x33) && p[1] == 0xC0;
    if (mov || xor_eax) {
      pending = true;
      cur = SyscallSite{};
      cur.vaddr = vaddr + at;
      cur.file_off = off + at;
      cur.head = mov ? SiteHead::kMovImm : SiteHead::kXorEax;
      cur.head_len = static_cast<uint8_t>(n);
      memcpy(cur.head_bytes, p, n);
      if (mov) memcpy(&cur.nr, p + 1, 4);
    } else if (n == 2 && p[0] == 0x0F && p[1] == 0x05) {
      ++syscalls;
      if (pending) found.push_back(cur);
      pending = false;
    } else if (pending && is_tail_insn(p, n) && cur.tail_len + n <= kMaxTailBytes) {
      memcpy(cur.tail + cur.tail_len, p, n);
      cur.tail_len = static_cast<uint8_t>(cur.tail_len + n);
    } else {
      pending = false;
    }
    at += n;
  }
  if (at != len) {  // an instruction it does not know, or one running past the end: not trusted
    ++out.functions_dropped;
    if (out.boundaries) out.boundaries->resize(mark);
    return;
  }
  out.syscalls += syscalls;
  for (const SyscallSite& s : found) {
    if (s.tail_len != 0) ++out.with_tail;
    out.sites.push_back(s);
  }
}

// A NOP encoding compilers pad with: 90, 66 90, and 0F 1F /0 behind any
// number of 66 and 2E prefixes (SDM Vol. 2B, NOP: the recommended
// multi-byte sequences).
bool is_nop(const uint8_t* p, size_t n) {
  if (n == 1) return p[0] == 0x90;
  if (n == 2 && p[0] == 0x66 && p[1] == 0x90) return true;
  size_t i = 0;
  while (i < n && (p[i] == 0x66 || p[i] == 0x2E)) ++i;
  return n - i >= 3 && p[i] == 0x0F && p[i + 1] == 0x1F && ((p[i + 2] >> 3) & 7) == 0;
}

// An instruction after which the next byte is reached only by a jump: RET
// (C3, C2 iw), JMP (E9, EB, FF /4 and /5 with or without REX), UD2.
bool ends_flow(const uint8_t* p, size_t n) {
  size_t i = (n > 1 && (p[0] & 0xF0) == 0x40) ? 1 : 0;
  const uint8_t op = p[i];
  if (op == 0xC3 || op == 0xC2 || op == 0xE9 || op == 0xEB) return true;
  if (op == 0x0F && i + 1 < n && p[i + 1] == 0x0B) return true;
  if (op == 0xFF && i + 1 < n) {
    const unsigned reg = (p[i + 1] >> 3) & 7u;
    return reg == 4 || reg == 5;
  }
  return false;
}

struct Pad {
  uint64_t vaddr, off, len, used;
};

// Whether [vaddr, vaddr + len) holds five bytes a jmp rel8 at one of
// `near` (xor sites' addresses, sorted) reaches.
bool in_reach(const std::vector<uint64_t>& near, uint64_t vaddr, uint64_t len) {
  // A site at s reaches [s + 2 - 128, s + 2 + 127]; the pad's first five
  // bytes are enough to ask for.
  const uint64_t lo = vaddr > 130 ? vaddr - 129 : 0;
  auto it = std::lower_bound(near.begin(), near.end(), lo);
  return it != near.end() && *it <= vaddr + len + 126;
}

// Alignment padding of an executable segment, on its linear sweep: each run
// of NOPs that follows an unconditional transfer and ends at an 8-byte
// boundary (where the aligned code a jump may reach begins) — only runs
// near one of `near`, so that a large image's thousands of paddings are
// not held (the enclave's heap is small).
std::vector<Pad> find_pads(const Image& im, const Elf64_Phdr& ph, const std::vector<uint64_t>& near) {
  std::vector<Pad> pads;
  uint64_t at = 0, run = 0, run_len = 0;
  bool after_end = false, in_run = false;
  while (at < ph.p_filesz) {
    const uint8_t* p = im.file + ph.p_offset + at;
    const size_t n = x86_length(p, ph.p_filesz - at);
    if (n == 0) {
      after_end = in_run = false;
      ++at;
      continue;
    }
    if ((in_run || after_end) && is_nop(p, n)) {
      if (!in_run) run = at, run_len = 0;
      in_run = true;
      run_len += n;
    } else {
      if (in_run && run_len >= 5 && (ph.p_vaddr + at) % 8 == 0 && in_reach(near, ph.p_vaddr + run, run_len))
        pads.push_back(Pad{ph.p_vaddr + run, ph.p_offset + run, run_len, 0});
      in_run = false;
      after_end = ends_flow(p, n);
    }
    at += n;
  }
  return pads;
}

// Gives each xor site of [from, end) (sorted) five bytes of padding its
// jmp rel8 reaches (from the end of the 2-byte jmp: -128..+127), or drops
// it.
void place_xor_sites(const Image& im, const Elf64_Phdr& ph, std::vector<SyscallSite>& sites, size_t from,
                     SiteScan& out) {
  std::vector<uint64_t> near;
  for (size_t i = from; i < sites.size(); ++i)
    if (sites[i].head == SiteHead::kXorEax) near.push_back(sites[i].vaddr);
  if (near.empty()) return;
  std::vector<Pad> pads = find_pads(im, ph, near);
  std::vector<SyscallSite> kept;
  for (size_t i = from; i < sites.size(); ++i) {
    SyscallSite s = sites[i];
    if (s.head == SiteHead::kXorEax) {
      const uint64_t next = s.vaddr + 2;
      bool placed = false;
      for (Pad& pad : pads) {
        if (pad.len - pad.used < 5) continue;
        const uint64_t t = pad.vaddr + pad.used;
        const int64_t d = static_cast<int64_t>(t - next);
        // Not into the site's own bytes, and within a rel8.
        if (d < -128 || d > 127 || (t + 5 > s.vaddr && t < s.vaddr + s.head_len + s.tail_len + 2)) continue;
        s.tramp_vaddr = t;
        s.tramp_off = pad.off + pad.used;
        memcpy(s.tramp_bytes, im.file + s.tramp_off, 5);
        pad.used += 5;
        placed = true;
        break;
      }
      if (!placed) {
        ++out.xor_unplaced;
        continue;
      }
      ++out.xor_sites;
    }
    kept.push_back(s);
  }
  sites.resize(from);
  sites.insert(sites.end(), kept.begin(), kept.end());
}

// The second, independent walk: the whole executable segment from its
// first byte, as a disassembler sweeps it (an unknown byte is stepped over
// and the walk resynchronises). A site stays only if this walk also starts
// an instruction at its B8 — from there both walks decode the same bytes
// the same way. It catches a function start that is not an instruction
// start (glibc's signal restorer's FDE begins one byte early, inside the
// preceding NOP).
void confirm_by_sweep(const Image& im, const Elf64_Phdr& ph, std::vector<SyscallSite>& sites, size_t from) {
  std::vector<SyscallSite> kept;
  std::sort(sites.begin() + static_cast<std::ptrdiff_t>(from), sites.end(),
            [](const SyscallSite& a, const SyscallSite& b) { return a.vaddr < b.vaddr; });
  size_t next = from;
  uint64_t at = 0;
  while (at < ph.p_filesz && next < sites.size()) {
    const uint64_t v = ph.p_vaddr + at;
    while (next < sites.size() && sites[next].vaddr < v) ++next;
    if (next < sites.size() && sites[next].vaddr == v) kept.push_back(sites[next++]);
    const size_t n = x86_length(im.file + ph.p_offset + at, ph.p_filesz - at);
    at += n == 0 ? 1 : n;
  }
  sites.resize(from);
  sites.insert(sites.end(), kept.begin(), kept.end());
}

}  // namespace

bool scan_elf(const uint8_t* file, uint64_t size, SiteScan& out, std::string& why) {
  Image im{file, size, {}};
  Elf64_Ehdr eh;
  if (!read_at(im, 0, eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(Elf64_Phdr)) {
    why = "not an ELF64 x86-64 image";
    return false;
  }
  if (eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
    why = "program headers outside the file";
    return false;
  }
  Elf64_Phdr hdr{};
  bool have_hdr = false;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    memcpy(&ph, file + eh.e_phoff + uint64_t{i} * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD) {
      if (ph.p_offset > size || size - ph.p_offset < ph.p_filesz || ph.p_vaddr > UINT64_MAX - ph.p_filesz) {
        why = "a segment outside the file";
        return false;
      }
      im.loads.push_back(ph);
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      hdr = ph;
      have_hdr = true;
    }
  }
  // .eh_frame_hdr: version 1, GNU ld's encodings (eh_frame_ptr pcrel
  // sdata4, fde_count udata4, table datarel sdata4), then the table.
  uint64_t hoff;
  if (!have_hdr || hdr.p_filesz < 12 || !file_offset(im, hdr.p_vaddr, hdr.p_filesz, hoff)) return true;
  const uint8_t* h = file + hoff;
  if (h[0] != 1 || h[1] != (kPePcrel | kPeSdata4) || h[2] != kPeUdata4 || h[3] != (kPeDatarel | kPeSdata4)) return true;
  uint32_t count;
  memcpy(&count, h + 8, 4);
  if (count > (hdr.p_filesz - 12) / 8) return true;
  for (const Elf64_Phdr& seg : im.loads) {
    if (!(seg.p_flags & PF_X)) continue;
    const size_t from = out.sites.size();
    for (uint32_t i = 0; i < count; ++i) {
      int32_t e[2];
      memcpy(e, h + 12 + uint64_t{i} * 8, 8);
      const uint64_t start = hdr.p_vaddr + static_cast<uint64_t>(static_cast<int64_t>(e[0]));
      const uint64_t fde = hdr.p_vaddr + static_cast<uint64_t>(static_cast<int64_t>(e[1]));
      uint64_t range;
      if (start < seg.p_vaddr || start - seg.p_vaddr >= seg.p_filesz) continue;
      if (!fde_range(im, fde, start, range) || range == 0 || seg.p_filesz - (start - seg.p_vaddr) < range) continue;
      walk(im, start, seg.p_offset + (start - seg.p_vaddr), range, out);
    }
    const size_t found = out.sites.size() - from;
    confirm_by_sweep(im, seg, out.sites, from);
    out.sites_unconfirmed += found - (out.sites.size() - from);
    place_xor_sites(im, seg, out.sites, from, out);
  }
  std::sort(out.sites.begin(), out.sites.end(),
            [](const SyscallSite& a, const SyscallSite& b) { return a.vaddr < b.vaddr; });
  return true;
}

}  // namespace nsgx::libos
