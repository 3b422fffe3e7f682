#include "runtime/inproc/cpuid.h"

#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace nsgx::inproc {

CpuidRegs sgx_cpuid(std::uint32_t leaf, std::uint32_t subleaf, CpuidRegs r, std::uint64_t epc_bytes,
                    const monitor::MonitorConfig& config) {
  if (leaf == 0 && r.eax < 0x12) r.eax = 0x12;  // the maximum basic leaf must reach 12H
  if (leaf == 7 && subleaf == 0) {
    r.ebx |= 1u << 2;   // SGX
    r.ecx |= 1u << 30;  // SGX_LC: launch control (any signer, per the monitor's policy)
  }
  if (leaf != 0x12) return r;
  r = CpuidRegs{};
  switch (subleaf) {
    case 0:
      r.eax = 0x1 | 0x2;  // SGX1, SGX2 (EAUG, EMODPR, EMODT, EACCEPT, EACCEPTCOPY, EMODPE)
      r.ebx = config.supported_misc_select;
      r.edx = 31u | (36u << 8);  // MaxEnclaveSize_Not64 = 2^31, MaxEnclaveSize_64 = 2^36
      break;
    case 1:
      r.eax = static_cast<std::uint32_t>(config.supported_attributes);
      r.ebx = static_cast<std::uint32_t>(config.supported_attributes >> 32);
      r.ecx = static_cast<std::uint32_t>(config.supported_xfrm);
      r.edx = static_cast<std::uint32_t>(config.supported_xfrm >> 32);
      break;
    case 2:
      // EPC section: type 1 (valid), base and size in 4 KiB units, ECX[3:0]
      // = 1: confidentiality and integrity protected.
      r.eax = static_cast<std::uint32_t>(kEpcSectionBase & 0xfffff000u) | 0x1;
      r.ebx = static_cast<std::uint32_t>((kEpcSectionBase >> 32) & 0xfffff);
      r.ecx = static_cast<std::uint32_t>(epc_bytes & 0xfffff000u) | 0x1;
      r.edx = static_cast<std::uint32_t>((epc_bytes >> 32) & 0xfffff);
      break;
    default:
      break;  // type 0: no further EPC sections
  }
  return r;
}

bool enable_cpuid_faulting() { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0; }

}  // namespace nsgx::inproc
