// Register state exchanged between a backend and the monitor on enclave
// entry and exit. The backend executes the registers; the monitor owns the
// TCS state (busy, CSSA), the SSA frames and the checks (SDM Vol.3D 36,
// "Enclave Exiting Events", and EENTER/ERESUME/EEXIT).
#pragma once

#include <cstdint>

#include "arch/sgx/ssa.h"

namespace nsgx::monitor {

// General-purpose state as GPRSGX lays it out (rax..r15, rflags, rip, fs/gs bases).
struct CpuState {
  std::uint64_t rax = 0, rcx = 0, rdx = 0, rbx = 0, rsp = 0, rbp = 0, rsi = 0, rdi = 0;
  std::uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  std::uint64_t rflags = 0, rip = 0;
  std::uint64_t fs_base = 0, gs_base = 0;
};

// What EENTER hands the backend: where enclave code starts and with what.
struct EnterState {
  std::uint64_t rip = 0;      // enclave base + TCS.OENTRY
  std::uint64_t rax = 0;      // TCS.CSSA
  std::uint64_t rcx = 0;      // the return address the caller passed (after ENCLU)
  std::uint64_t fs_base = 0;  // enclave base + TCS.OFSBASE
  std::uint64_t gs_base = 0;  // enclave base + TCS.OGSBASE
};

// An asynchronous exit's cause, as EXITINFO/EXINFO record it.
struct ExitEvent {
  std::uint8_t vector = 0;
  sgx::ExitType type = sgx::ExitType::kHardwareException;
  bool report = false;         // the vector is one SGX reports in EXITINFO (not an interrupt)
  std::uint64_t address = 0;   // #PF: the faulting linear address
  std::uint32_t error_code = 0;
};

}  // namespace nsgx::monitor
