// x86-64 instruction lengths (x86_length.h). References: Intel SDM Vol. 2,
// chapter 2 (instruction format: prefixes, REX, VEX, EVEX, ModRM/SIB,
// displacement, immediate) and Appendix A (opcode maps).
#include "libos/enclave/x86_length.h"

namespace nsgx::libos {
namespace {

// What follows an opcode.
enum : uint8_t {
  kBad = 0,     // unknown or invalid in 64-bit mode
  kNone = 1,    // nothing
  kM = 2,       // ModRM (+ SIB, displacement)
  kI8 = 3,      // imm8
  kIz = 4,      // imm16/imm32 by operand size
  kMI8 = 5,     // ModRM + imm8
  kMIz = 6,     // ModRM + imm16/32
  kRel32 = 7,   // rel32 (an operand-size prefix is refused: vendors differ)
  kI16 = 8,     // imm16
  kI16I8 = 9,   // imm16 + imm8 (ENTER)
  kMoffs = 10,  // an 8-byte address (4 with 67)
  kF6 = 11,     // Group 3: ModRM, + imm8 (F6) or immz (F7) for /0 and /1
  kBIz = 12,    // B8+r: imm32, imm64 with REX.W (imm16 with 66)
};

// Appendix A.3, Table A-2 (one-byte opcodes), 64-bit mode. Prefixes
// (26 2E 36 3E 40-4F 64-67 F0 F2 F3) and VEX/EVEX (C4 C5 62) are taken
// before this table is consulted.
// One row of Appendix A per two lines, left as written:
// clang-format off
constexpr uint8_t kOneByte[256] = {
    // 00-0F: ADD, OR (06 07 0E invalid; 0F escape, handled before)
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    // 10-1F: ADC, SBB
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    // 20-2F: AND, SUB (27 2F invalid)
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    // 30-3F: XOR, CMP (37 3F invalid)
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    kM, kM, kM, kM, kI8, kIz, kBad, kBad,
    // 40-4F: REX (prefixes)
    kBad, kBad, kBad, kBad, kBad, kBad, kBad, kBad,
    kBad, kBad, kBad, kBad, kBad, kBad, kBad, kBad,
    // 50-5F: PUSH, POP
    kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,
    kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,
    // 60-6F: 60 61 62 invalid (62 is EVEX), 63 MOVSXD, 68 PUSH Iz, 69 IMUL Iz, 6A PUSH Ib, 6B IMUL Ib, 6C-6F INS/OUTS
    kBad, kBad, kBad, kM, kBad, kBad, kBad, kBad,
    kIz, kMIz, kI8, kMI8, kNone, kNone, kNone, kNone,
    // 70-7F: Jcc rel8
    kI8, kI8, kI8, kI8, kI8, kI8, kI8, kI8,
    kI8, kI8, kI8, kI8, kI8, kI8, kI8, kI8,
    // 80-8F: Group 1 (82 invalid), TEST, XCHG, MOV, LEA, MOV Sreg, POP Ev (8F: XOP checked before)
    kMI8, kMIz, kBad, kMI8, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // 90-9F: XCHG/NOP, CBW, CWD, (9A invalid), FWAIT, PUSHF, POPF, SAHF, LAHF
    kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,
    kNone, kNone, kBad, kNone, kNone, kNone, kNone, kNone,
    // A0-AF: MOV moffs, MOVS, CMPS, TEST Ib/Iz, STOS, LODS, SCAS
    kMoffs, kMoffs, kMoffs, kMoffs, kNone, kNone, kNone, kNone,
    kI8, kIz, kNone, kNone, kNone, kNone, kNone, kNone,
    // B0-BF: MOV r8, imm8; MOV r, imm
    kI8, kI8, kI8, kI8, kI8, kI8, kI8, kI8,
    kBIz, kBIz, kBIz, kBIz, kBIz, kBIz, kBIz, kBIz,
    // C0-CF: shifts Ib, RET Iw, RET, (C4 C5 VEX), MOV Eb Ib / Ev Iz (XABORT, XBEGIN), ENTER, LEAVE, RETF, INT3, INT,
    // (CE), IRET
    kMI8, kMI8, kI16, kNone, kBad, kBad, kMI8, kMIz,
    kI16I8, kNone, kI16, kNone, kNone, kI8, kBad, kNone,
    // D0-DF: shifts, (D4 D5 D6 invalid), XLAT, x87
    kM, kM, kM, kM, kBad, kBad, kBad, kNone,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // E0-EF: LOOPcc, JrCXZ, IN/OUT Ib, CALL, JMP rel32, (EA), JMP rel8, IN/OUT DX
    kI8, kI8, kI8, kI8, kI8, kI8, kI8, kI8,
    kRel32, kRel32, kBad, kI8, kNone, kNone, kNone, kNone,
    // F0-FF: (prefixes), INT1, HLT, CMC, Group 3, CLC..STD, Group 4, Group 5
    kBad, kNone, kBad, kBad, kNone, kNone, kF6, kF6,
    kNone, kNone, kNone, kNone, kNone, kNone, kM, kM,
};
// clang-format on

// Appendix A.3, Table A-3 (two-byte opcodes, 0F xx). 0F 38 and 0F 3A are
// the three-byte maps, handled before.
// One row of Appendix A per two lines, left as written:
// clang-format off
constexpr uint8_t kTwoByte[256] = {
    // 00-0F: Group 6, Group 7, LAR, LSL, (04), SYSCALL, CLTS, SYSRET, INVD, WBINVD, (0A), UD2, (0C), prefetch, FEMMS,
    // (0F 3DNow!)
    kM, kM, kM, kM, kBad, kNone, kNone, kNone,
    kNone, kNone, kBad, kNone, kBad, kM, kNone, kBad,
    // 10-1F: SSE moves, prefetch/hint NOPs (ENDBR64 is F3 0F 1E FA)
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // 20-2F: MOV CR/DR, (24-27), SSE
    kM, kM, kM, kM, kBad, kBad, kBad, kBad,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // 30-3F: WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER, SYSEXIT, (36), GETSEC, (38 3A maps), (39 3B-3F)
    kNone, kNone, kNone, kNone, kNone, kNone, kBad, kNone,
    kBad, kBad, kBad, kBad, kBad, kBad, kBad, kBad,
    // 40-4F: CMOVcc
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // 50-5F: SSE
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // 60-6F: SSE/MMX
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // 70-7F: PSHUF* Ib, Groups 12-14 Ib, PCMPEQ*, EMMS, VMREAD, VMWRITE (78 79: AMD's EXTRQ/INSERTQ differ: refused),
    // (7A 7B), SSE
    kMI8, kMI8, kMI8, kMI8, kM, kM, kM, kNone,
    kBad, kBad, kBad, kBad, kM, kM, kM, kM,
    // 80-8F: Jcc rel32
    kRel32, kRel32, kRel32, kRel32, kRel32, kRel32, kRel32, kRel32,
    kRel32, kRel32, kRel32, kRel32, kRel32, kRel32, kRel32, kRel32,
    // 90-9F: SETcc
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    // A0-AF: PUSH/POP FS, CPUID, BT, SHLD Ib, SHLD CL, (A6 A7), PUSH/POP GS, RSM, BTS, SHRD Ib, SHRD CL, Group 15, IMUL
    kNone, kNone, kNone, kM, kMI8, kM, kBad, kBad,
    kNone, kNone, kNone, kM, kMI8, kM, kM, kM,
    // B0-BF: CMPXCHG, LSS, BTR, LFS, LGS, MOVZX, POPCNT, UD1, Group 8 Ib, BTC, BSF, BSR, MOVSX
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kMI8, kM, kM, kM, kM, kM,
    // C0-CF: XADD, CMPPS Ib, MOVNTI, PINSRW Ib, PEXTRW Ib, SHUFPS Ib, Group 9, BSWAP
    kM, kM, kMI8, kM, kMI8, kMI8, kMI8, kM,
    kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,
    // D0-FF: SSE/MMX, UD0
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
    kM, kM, kM, kM, kM, kM, kM, kM,
};
// clang-format on

// In the VEX/EVEX 0F map, the opcodes that take an imm8 (Table A-3: the
// same as their legacy forms).
bool vex_map1_imm8(uint8_t op) {
  return (op >= 0x70 && op <= 0x73) || op == 0xC2 || op == 0xC4 || op == 0xC5 || op == 0xC6;
}

// ModRM, SIB and displacement (Vol. 2, 2.1.5 and 2.2.1.6: RIP-relative
// when mod = 00 and r/m = 101); the same layout with 32-bit addressing.
// Returns the bytes they take from p, or 0 if they do not fit.
size_t modrm_length(const uint8_t* p, size_t avail) {
  if (avail < 1) return 0;
  const uint8_t modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
  size_t len = 1;
  if (mod == 3) return len;
  if (rm == 4) {
    if (avail < 2) return 0;
    const uint8_t base = p[1] & 7;
    len = 2;
    if (mod == 0 && base == 5) len += 4;
  } else if (mod == 0 && rm == 5) {
    len += 4;
  }
  if (mod == 1) len += 1;
  if (mod == 2) len += 4;
  return len <= avail ? len : 0;
}

}  // namespace

size_t x86_length(const uint8_t* p, size_t avail) {
  constexpr size_t kMax = 15;  // Vol. 2, 2.3.11: longer is #GP
  size_t at = 0;
  bool opsize = false, addrsize = false, rex_w = false;
  // Legacy prefixes, then REX (a REX before another prefix is ignored by
  // the CPU, Vol. 2 2.2.1: it only counts immediately before the opcode).
  for (;;) {
    if (at >= avail || at >= kMax) return 0;
    const uint8_t b = p[at];
    if (b == 0x66) {
      opsize = true;
    } else if (b == 0x67) {
      addrsize = true;
    } else if (b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 ||
               b == 0x65) {
    } else if ((b & 0xF0) == 0x40) {
      rex_w = (b & 8) != 0;
      ++at;
      if (at < avail &&
          ((p[at] & 0xF0) == 0x40 || p[at] == 0x66 || p[at] == 0x67 || p[at] == 0xF0 || p[at] == 0xF2 || p[at] == 0xF3))
        return 0;  // a prefix after REX: legal but never emitted by compilers; not trusted
      break;
    } else {
      break;
    }
    ++at;
  }
  if (at >= avail) return 0;
  const uint8_t op = p[at];
  size_t len = 0;
  // VEX (Vol. 2, 2.3.5): C5 one payload byte (map 0F), C4 two (map in
  // the low five bits of the first). EVEX (2.7.1): 62 and three payload
  // bytes (map in the low three bits of the first). Both: opcode, ModRM.
  if (op == 0xC4 || op == 0xC5 || op == 0x62) {
    const size_t payload = op == 0xC5 ? 1 : op == 0xC4 ? 2 : 3;
    if (at + payload + 2 > avail) return 0;
    const uint8_t map = op == 0xC5 ? 1 : op == 0xC4 ? (p[at + 1] & 0x1F) : (p[at + 1] & 0x07);
    const uint8_t vop = p[at + payload + 1];
    if (map != 1 && map != 2 && map != 3) return 0;
    size_t n = at + payload + 2;
    if (map == 1 && vop == 0x77 && op != 0x62) return n <= kMax ? n : 0;  // VZEROUPPER/VZEROALL: no ModRM
    const size_t m = modrm_length(p + n, avail - n);
    if (m == 0) return 0;
    n += m;
    if (map == 3 || (map == 1 && vex_map1_imm8(vop))) ++n;
    return n <= avail && n <= kMax ? n : 0;
  }
  // XOP (AMD): 8F with a ModRM reg field other than 0 (POP Ev is 8F /0).
  if (op == 0x8F && (at + 1 >= avail || ((p[at + 1] >> 3) & 7) != 0)) return 0;
  uint8_t kind;
  ++at;
  if (op == 0x0F) {
    if (at >= avail) return 0;
    const uint8_t op2 = p[at++];
    if (op2 == 0x38 || op2 == 0x3A) {
      if (at >= avail) return 0;
      ++at;  // the third opcode byte
      kind = op2 == 0x38 ? kM : kMI8;
    } else {
      kind = kTwoByte[op2];
    }
  } else {
    kind = kOneByte[op];
  }
  const size_t iz = opsize && !rex_w ? 2 : 4;
  switch (kind) {
    case kNone:
      len = at;
      break;
    case kI8:
      len = at + 1;
      break;
    case kIz:
      len = at + iz;
      break;
    case kI16:
      len = at + 2;
      break;
    case kI16I8:
      len = at + 3;
      break;
    case kRel32:
      if (opsize) return 0;
      len = at + 4;
      break;
    case kMoffs:
      len = at + (addrsize ? 4 : 8);
      break;
    case kBIz:
      len = at + (rex_w ? 8 : iz);
      break;
    case kM:
    case kMI8:
    case kMIz:
    case kF6: {
      const size_t m = modrm_length(p + at, avail - at);
      if (m == 0) return 0;
      const uint8_t reg = (p[at] >> 3) & 7;
      len = at + m;
      if (kind == kMI8) len += 1;
      if (kind == kMIz) len += iz;
      if (kind == kF6 && reg <= 1) len += op == 0xF6 ? 1 : iz;
      break;
    }
    default:
      return 0;
  }
  return len <= avail && len <= kMax ? len : 0;
}

}  // namespace nsgx::libos
