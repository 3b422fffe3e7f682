// The length of one x86-64 instruction (64-bit mode), for the system-call
// rewriter (syscall_sites.h): enough of the Intel SDM Vol. 2 opcode maps
// (Appendix A) to walk compiled code — legacy prefixes, REX, the one-byte,
// 0F, 0F38 and 0F3A maps, VEX (C4/C5) and EVEX (62) — with ModRM, SIB,
// displacement and immediate sizes (Vol. 2 chapter 2). Anything it does not
// know (3DNow!, XOP, invalid opcodes, an operand-size prefix on a relative
// branch, whose length differs between vendors) is 0: the caller must then
// not trust its walk, and leaves the code as it is.
//
// Usage: for (size_t at = 0; at < n;) { size_t len = x86_length(p + at, n - at); if (len == 0) break; at += len; }
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace nsgx::libos {

// The length of the instruction at p (at most `avail` bytes readable), or
// 0 if it is unknown, invalid in 64-bit mode, longer than 15 bytes or
// longer than `avail`.
size_t x86_length(const uint8_t* p, size_t avail);

}  // namespace nsgx::libos
