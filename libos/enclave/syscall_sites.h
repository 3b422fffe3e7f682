// Finding the system-call sites of an ELF image that load-time rewriting
// may replace (docs/libos.md, "Load-time system-call rewriting"). Pure
// functions of the file's bytes (no enclave, no system calls): the enclave
// calls them on a trusted file's checked copy, the native tool
// `libos_syscall_sites` on a file on disk, so a test can hold the walk
// against objdump's.
//
// A site is `mov $nr, %eax` (B8 imm32), then up to kMaxTailBytes of
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

struct SyscallSite {
  uint64_t vaddr = 0;     // of the B8 (the image's virtual address)
  uint64_t file_off = 0;  // of the B8 in the file
  uint32_t nr = 0;        // the system call number
  uint8_t tail_len = 0;   // bytes of instructions between the mov's end and the syscall (copied into the stub)
  uint8_t tail[kMaxTailBytes] = {};
};

struct SiteScan {
  std::vector<SyscallSite> sites;
  uint64_t syscalls = 0;           // `syscall` instructions on trusted walks
  uint64_t with_tail = 0;          // sites with moves between the mov and the syscall
  uint64_t functions = 0;          // walks (function starts in executable segments)
  uint64_t functions_dropped = 0;  // walks not trusted (unknown instruction, or not ending at the FDE's end)
  uint64_t sites_unconfirmed = 0;  // found on a walk, but the segment's sweep disagreed: dropped
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
