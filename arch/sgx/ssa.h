// SSA frame contents: GPRSGX, EXITINFO, and the EXINFO MISC component.
// SDM Vol.3D 34.9 "State Save Area (SSA) Frame", Tables 34-7 .. 34-10.
//
// An SSA frame is SECS.SSAFRAMESIZE pages. XSAVE data starts at the frame's
// beginning; GPRSGX occupies the frame's last 184 bytes and the MISC region
// (EXINFO when MISCSELECT.EXINFO is set) lies immediately below GPRSGX.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/types.h"

namespace nsgx::sgx {

// EXITINFO (SDM Table 34-9): bits 7:0 vector, 10:8 exit type, 31 valid.
struct ExitInfo {
  std::uint32_t raw;

  static constexpr ExitInfo make(std::uint8_t vec, ExitType type) {
    return ExitInfo{static_cast<std::uint32_t>(vec) | (static_cast<std::uint32_t>(type) << 8) | (1u << 31)};
  }
  constexpr std::uint8_t vector() const { return static_cast<std::uint8_t>(raw & 0xff); }
  constexpr std::uint8_t exit_type() const { return static_cast<std::uint8_t>((raw >> 8) & 0x7); }
  constexpr bool valid() const { return (raw >> 31) != 0; }
};
static_assert(sizeof(ExitInfo) == 4);

struct Gprsgx {
  std::uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
  std::uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  std::uint64_t rflags;
  std::uint64_t rip;
  std::uint64_t ursp;  // untrusted RSP, saved by EENTER
  std::uint64_t urbp;  // untrusted RBP, saved by EENTER
  ExitInfo exit_info;
  std::uint8_t reserved[3];
  std::uint8_t aex_notify;  // bit 0: AEX-Notify enabled for this SSA frame
  std::uint64_t fs_base;
  std::uint64_t gs_base;
};
static_assert(std::is_trivially_copyable_v<Gprsgx>);
static_assert(sizeof(Gprsgx) == 184, "SDM Table 34-8: GPRSGX is 184 bytes");
static_assert(offsetof(Gprsgx, rax) == 0, "SDM Table 34-8 RAX");
static_assert(offsetof(Gprsgx, rsp) == 32, "SDM Table 34-8 RSP");
static_assert(offsetof(Gprsgx, rdi) == 56, "SDM Table 34-8 RDI");
static_assert(offsetof(Gprsgx, r8) == 64, "SDM Table 34-8 R8");
static_assert(offsetof(Gprsgx, r15) == 120, "SDM Table 34-8 R15");
static_assert(offsetof(Gprsgx, rflags) == 128, "SDM Table 34-8 RFLAGS");
static_assert(offsetof(Gprsgx, rip) == 136, "SDM Table 34-8 RIP");
static_assert(offsetof(Gprsgx, ursp) == 144, "SDM Table 34-8 URSP");
static_assert(offsetof(Gprsgx, urbp) == 152, "SDM Table 34-8 URBP");
static_assert(offsetof(Gprsgx, exit_info) == 160, "SDM Table 34-8 EXITINFO");
static_assert(offsetof(Gprsgx, aex_notify) == 167, "SDM Table 34-8 AEXNOTIFY");
static_assert(offsetof(Gprsgx, fs_base) == 168, "SDM Table 34-8 FSBASE");
static_assert(offsetof(Gprsgx, gs_base) == 176, "SDM Table 34-8 GSBASE");

// MISC component EXINFO (SDM Table 34-10), reported for #PF and #GP when
// MISCSELECT.EXINFO is set.
struct Exinfo {
  std::uint64_t maddr;  // faulting linear address (#PF), 0 for #GP
  std::uint32_t errcd;  // exception error code
  std::uint32_t reserved;
};
static_assert(sizeof(Exinfo) == 16, "SDM Table 34-10: EXINFO is 16 bytes");
static_assert(offsetof(Exinfo, maddr) == 0, "SDM Table 34-10 MADDR");
static_assert(offsetof(Exinfo, errcd) == 8, "SDM Table 34-10 ERRCD");

// Offsets of GPRSGX and MISC inside one SSA frame of `frame_pages` pages.
constexpr std::size_t gprsgx_offset(std::uint32_t frame_pages) {
  return static_cast<std::size_t>(frame_pages) * kPageSize - sizeof(Gprsgx);
}
constexpr std::size_t exinfo_offset(std::uint32_t frame_pages) {
  return gprsgx_offset(frame_pages) - sizeof(Exinfo);
}

}  // namespace nsgx::sgx
