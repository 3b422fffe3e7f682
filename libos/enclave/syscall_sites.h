// Finding the system-call sites of an ELF image that load-time rewriting
// may replace (docs/libos.md, "Load-time system-call rewriting"). Pure
// functions of the file's bytes (no enclave, no system calls): the enclave
// calls them on a trusted file's checked copy, the native tool
// `libos_syscall_sites` on a file on disk, so a test can hold the walk
// against objdump's.
//
// A site is `mov $nr, %eax` (B8 imm32) — or `xor %eax, %eax` (31 C0 or
// 33 C0: how compilers load read's number, 0) — then up to kMaxTailBytes of
// register-only instructions that neither name RSP nor write RAX (moves,
// ALU ops; syscall_sites.cc's is_tail_insn), then `syscall` (0F 05), all
// found on one linear walk of instructions (x86_length.h) over a function
// that an FDE describes ([pc_begin, pc_begin + pc_range), found through
// .eh_frame_hdr: PT_GNU_EH_FRAME, LSB 5.0 "Exception Frames"), and
// confirmed by a second walk over the whole segment from its first byte.
// A function walk that meets an instruction it does not know, or does not
// end exactly at the FDE's end, is not trusted: its sites are dropped (a
// wrong decode is worse than a trap). Code no FDE covers is never
// rewritten.
//
// A `mov` is five bytes, room for the `jmp rel32` to a stub. A `xor` is
// two: room for a `jmp rel8` only, so an xor site needs a trampoline within
// -128..+127 bytes of it: five bytes of alignment padding — a run of NOPs
// right after an unconditional transfer (ret, jmp, ud2) that ends at an
// 8-byte boundary, on the segment's linear sweep — that no code runs and
// no compiler jumps into; each is given to one site only. An xor site
// without one in reach is dropped (it keeps trapping).
//
// Usage:
//   SiteScan scan;
//   if (scan_elf(bytes, size, scan, why)) for (const SyscallSite& s : scan.sites) ...
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

namespace nsgx::libos {

constexpr size_t kMaxTailBytes = 12;  // register-only instructions between the mov and the syscall

// The instruction that loads the number: what the site starts with.
enum class SiteHead : uint8_t {
  kMovImm,  // B8 imm32: 5 bytes, replaced by E9 rel32 to the stub
  kXorEax,  // 31 C0 / 33 C0 (nr 0): 2 bytes, replaced by EB rel8 to the trampoline
};

struct SyscallSite {
  uint64_t vaddr = 0;     // of the site's first byte (the image's virtual address)
  uint64_t file_off = 0;  // of that byte in the file
  uint32_t nr = 0;        // the system call number
  SiteHead head = SiteHead::kMovImm;
  uint8_t head_bytes[5] = {};  // the loading instruction as the file has it (copied into the stub)
  uint8_t head_len = 0;        // 5 or 2
  uint8_t tail_len = 0;        // bytes of instructions between the head's end and the syscall (copied into the stub)
  uint8_t tail[kMaxTailBytes] = {};
  uint64_t tramp_vaddr = 0;  // kXorEax: the five bytes of padding its jmp rel8 reaches
  uint64_t tramp_off = 0;    // their file offset
  uint8_t tramp_bytes[5] = {};
};

struct SiteScan {
  std::vector<SyscallSite> sites;
  uint64_t syscalls = 0;           // `syscall` instructions on trusted walks
  uint64_t with_tail = 0;          // sites with moves between the mov and the syscall
  uint64_t functions = 0;          // walks (function starts in executable segments)
  uint64_t functions_dropped = 0;  // walks not trusted (unknown instruction, or not ending at the FDE's end)
  uint64_t sites_unconfirmed = 0;  // found on a walk, but the segment's sweep disagreed: dropped
  uint64_t xor_sites = 0;          // kXorEax sites kept (each with a trampoline)
  uint64_t xor_unplaced = 0;       // kXorEax sites without padding in reach: dropped
  // Per walk, when asked (the objdump comparison): each instruction's vaddr.
  std::vector<uint64_t>* boundaries = nullptr;
};

// Walks the executable PT_LOAD segments of the ELF64 x86-64 image in
// file[0, size) from the function starts its .eh_frame_hdr lists. False
// (with `why`) if the image's headers are malformed; an image without a
// .eh_frame_hdr, or with an encoding other than GNU ld's, has no sites
// (true, empty). Every offset is bounds-checked against `size`.
bool scan_elf(const uint8_t* file, uint64_t size, SiteScan& out, std::string& why);

}  // namespace nsgx::libos
