// A thread's CPU state as a signal frame holds it, in the monitor's terms:
// the general registers and the XSAVE image of a ucontext_t, and the
// instruction bytes at a trapping RIP. Both backends that run enclave code
// natively (inproc in the application, isolated in the enclave host) turn
// traps into ENCLU emulation or AEX through these, so they agree on every
// register and flag.
#pragma once

#include <signal.h>
#include <ucontext.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "arch/sgx/types.h"
#include "base/bytes.h"
#include "monitor/thread.h"

namespace nsgx::runtime {

using monitor::CpuState;

inline std::uint64_t ureg(ucontext_t* uc, int r) { return static_cast<std::uint64_t>(uc->uc_mcontext.gregs[r]); }
inline void set(ucontext_t* uc, int r, std::uint64_t v) { uc->uc_mcontext.gregs[r] = static_cast<greg_t>(v); }

inline CpuState state_of(ucontext_t* uc, std::uint64_t fs_base, std::uint64_t gs_base) {
  CpuState s;
  s.rax = ureg(uc, REG_RAX), s.rcx = ureg(uc, REG_RCX), s.rdx = ureg(uc, REG_RDX), s.rbx = ureg(uc, REG_RBX);
  s.rsp = ureg(uc, REG_RSP), s.rbp = ureg(uc, REG_RBP), s.rsi = ureg(uc, REG_RSI), s.rdi = ureg(uc, REG_RDI);
  s.r8 = ureg(uc, REG_R8), s.r9 = ureg(uc, REG_R9), s.r10 = ureg(uc, REG_R10), s.r11 = ureg(uc, REG_R11);
  s.r12 = ureg(uc, REG_R12), s.r13 = ureg(uc, REG_R13), s.r14 = ureg(uc, REG_R14), s.r15 = ureg(uc, REG_R15);
  s.rflags = ureg(uc, REG_EFL), s.rip = ureg(uc, REG_RIP);
  s.fs_base = fs_base, s.gs_base = gs_base;
  return s;
}

inline void load_state(ucontext_t* uc, const CpuState& s) {
  set(uc, REG_RAX, s.rax), set(uc, REG_RCX, s.rcx), set(uc, REG_RDX, s.rdx), set(uc, REG_RBX, s.rbx);
  set(uc, REG_RSP, s.rsp), set(uc, REG_RBP, s.rbp), set(uc, REG_RSI, s.rsi), set(uc, REG_RDI, s.rdi);
  set(uc, REG_R8, s.r8), set(uc, REG_R9, s.r9), set(uc, REG_R10, s.r10), set(uc, REG_R11, s.r11);
  set(uc, REG_R12, s.r12), set(uc, REG_R13, s.r13), set(uc, REG_R14, s.r14), set(uc, REG_R15, s.r15);
  // Only the status and control flags the program may set travel (no TF/IOPL/VM).
  constexpr std::uint64_t kUserFlags = 0x0cd5 | (1u << 18) | (1u << 21);  // CF PF AF ZF SF DF OF, AC, ID
  set(uc, REG_EFL, (ureg(uc, REG_EFL) & ~kUserFlags) | (s.rflags & kUserFlags));
  set(uc, REG_RIP, s.rip);
}

// The XSAVE image in the signal frame (uc_mcontext.fpregs): the legacy
// region, then — when the kernel marked it with FP_XSTATE_MAGIC1 — the
// header and extended components, xstate_size bytes in all.
inline constexpr std::uint32_t kFpXstateMagic1 = 0x46505853;
inline MutableByteSpan xsave_image(ucontext_t* uc) {
  auto* fx = reinterpret_cast<std::uint8_t*>(uc->uc_mcontext.fpregs);
  if (fx == nullptr) return {};
  std::size_t size = 512;
  if (load_le<std::uint32_t>(fx + 464) == kFpXstateMagic1) size = load_le<std::uint32_t>(fx + 480);
  return MutableByteSpan(fx, std::min<std::size_t>(size, 4096));
}

// AEX's synthetic extended state: x87 and SSE in their initial state.
inline void reset_fp(ucontext_t* uc) {
  auto img = xsave_image(uc);
  if (img.empty()) return;
  std::memset(img.data(), 0, 464);                 // keep the kernel's software bytes at 464..511
  store_le<std::uint16_t>(img.data() + 0, 0x037f);  // FCW
  store_le<std::uint32_t>(img.data() + 24, 0x1f80);  // MXCSR
  if (img.size() >= 520) store_le<std::uint64_t>(img.data() + 512, 0);  // XSTATE_BV: all in init state
}

inline void restore_fp(ucontext_t* uc, ByteSpan saved) {
  auto img = xsave_image(uc);
  if (img.empty() || saved.size() < 512) return;
  std::memcpy(img.data(), saved.data(), 464);
  if (img.size() > 512 && saved.size() > 512)
    std::memcpy(img.data() + 512, saved.data() + 512, std::min(img.size(), saved.size()) - 512);
}

// Instruction bytes read at a trapping RIP.
struct Insn {
  std::uint8_t bytes[8] = {};
  bool ok = false;
};

// Whether a signal is a trap that may be ENCLU or CPUID to emulate: #UD
// (SIGILL) or #GP (SIGSEGV from the kernel, trap 13) — never a page fault,
// whose RIP may not even be readable.
inline bool instruction_trap(int sig, siginfo_t* info, ucontext_t* uc) {
  if (info->si_code <= 0) return false;  // sent by a process, not a trap
  if (sig == SIGILL) return true;
  return sig == SIGSEGV && info->si_code == SI_KERNEL && (uc->uc_mcontext.gregs[REG_TRAPNO] == 13);
}

// Length of ENCLU (0F 01 D7) after legacy prefixes; 0 if not.
inline std::size_t enclu_length(const Insn& in, std::uint8_t opcode3) {
  if (!in.ok) return 0;
  const std::uint8_t* p = in.bytes;
  std::size_t i = 0;
  while (i < 4 && (p[i] == 0x66 || p[i] == 0x67 || p[i] == 0xf2 || p[i] == 0xf3 || p[i] == 0x2e || p[i] == 0x3e ||
                   p[i] == 0x26 || p[i] == 0x36 || p[i] == 0x64 || p[i] == 0x65))
    ++i;
  if (p[i] == 0x0f && p[i + 1] == 0x01 && p[i + 2] == opcode3) return i + 3;
  return 0;
}

// SYSCALL, SYSENTER and INT n are illegal in enclave mode and raise #UD
// there (SDM Vol. 3D, "Instructions that may require a change in privilege
// level", the illegal-instruction list of the SGX chapters). Without SGX the
// same instructions behave otherwise: SYSCALL enters the kernel (the
// backends stop it before: a seccomp filter or syscall user dispatch over
// ELRANGE, reported with RIP after the instruction), SYSENTER in 64-bit
// mode is #UD on AMD and enters the kernel on Intel, and INT n with a gate
// of DPL 0 — every vector but 3, 4 and (with IA-32 emulation) 0x80 — is
// #GP. All of them are 2 bytes long.
inline constexpr std::uint64_t kSyscallInsnLength = 2;

// Whether the bytes at a #GP are INT n (CD ib), which SGX makes #UD.
inline bool is_int_n(const Insn& in) { return in.ok && in.bytes[0] == 0xcd; }

// SIGSYS from syscall user dispatch (SYS_USER_DISPATCH,
// include/uapi/asm-generic/siginfo.h) and from a seccomp filter's
// SECCOMP_RET_TRAP (SYS_SECCOMP): the system call did not run, RIP is past it.
inline constexpr int kSysSeccomp = 1;
inline constexpr int kSysUserDispatch = 2;

// An exception as SGX reports it in EXITINFO/EXINFO.
struct Exception {
  std::uint8_t vector = 0;
  std::uint32_t error_code = 0;
  std::uint64_t address = 0;
  sgx::ExitType type = sgx::ExitType::kHardwareException;
};

// The exception a synchronous signal stands for (the kernel's trap number).
inline Exception exception_of_signal(int sig, siginfo_t* info, ucontext_t* uc) {
  const auto trapno = static_cast<std::uint8_t>(ureg(uc, REG_TRAPNO));
  const auto err = static_cast<std::uint32_t>(ureg(uc, REG_ERR));
  switch (sig) {
    case SIGSEGV:
    case SIGBUS:
      if (trapno == sgx::vector::kPf) return {sgx::vector::kPf, err, reinterpret_cast<std::uint64_t>(info->si_addr)};
      if (trapno == sgx::vector::kAc) return {sgx::vector::kAc, 0, 0};
      return {sgx::vector::kGp, 0, 0};
    case SIGFPE:
      return {trapno == sgx::vector::kXm ? sgx::vector::kXm : trapno == sgx::vector::kMf ? sgx::vector::kMf
                                                                                        : sgx::vector::kDe,
              0, 0};
    case SIGTRAP:
      if (trapno == sgx::vector::kDb) return {sgx::vector::kDb, 0, 0};
      return {sgx::vector::kBp, 0, 0, sgx::ExitType::kSoftwareException};
    default:
      return {sgx::vector::kUd, 0, 0};
  }
}

}  // namespace nsgx::runtime
