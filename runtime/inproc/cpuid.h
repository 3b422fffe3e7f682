// CPUID as a program sees it on an SGX2 machine whose EPC is the monitor's
// (SDM Vol.2A CPUID leaf 07H and leaf 12H "Intel SGX Capability
// Enumeration"). Reached through CPUID faulting (arch_prctl(ARCH_SET_CPUID)),
// which makes every CPUID raise #GP.
#pragma once

#include <cstdint>

#include "monitor/monitor.h"

namespace nsgx::inproc {

struct CpuidRegs {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// Fake physical base of the emulated EPC section.
inline constexpr std::uint64_t kEpcSectionBase = 0x4000000000ull;

// `native` with the SGX bits added: leaf 7 EBX[2] (SGX), ECX[30] (SGX_LC);
// leaf 12H sub-leaf 0 (SGX1, SGX2, MISCSELECT, maximum enclave sizes),
// sub-leaf 1 (ATTRIBUTES and XFRM that may be set), sub-leaf 2 (one EPC
// section of `epc_bytes`), sub-leaf 3 and up (no more sections).
CpuidRegs sgx_cpuid(std::uint32_t leaf, std::uint32_t subleaf, CpuidRegs native, std::uint64_t epc_bytes,
                    const monitor::MonitorConfig& config);

// Turns CPUID faulting on for this thread (inherited by new threads and
// across fork). False when the kernel or CPU cannot (ENODEV).
bool enable_cpuid_faulting();

}  // namespace nsgx::inproc
