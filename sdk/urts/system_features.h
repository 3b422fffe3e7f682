// The system_features_t the untrusted runtime hands the trusted runtime
// with ECMD_INIT_ENCLAVE (sdk/common/system_features.h): CPUID facts the
// enclave cannot gather itself, in the SGX SDK's encoding, so that an
// SDK-built trusted runtime initialises its optimised libraries exactly
// as under the SDK's own untrusted runtime.
//
//   nsgx_system_features_t f;
//   nsgx::urts::fill_system_features(nsgx::urts::host_cpu(), f);
#pragma once

#include <cstdint>
#include <functional>

#include "sdk/common/system_features.h"

namespace nsgx::urts {

struct CpuidRegs {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// Where the facts come from: this machine, or a fake CPU in tests.
struct CpuSource {
  std::function<CpuidRegs(std::uint32_t leaf, std::uint32_t subleaf)> cpuid;
  std::function<std::uint64_t()> xcr0;  // XGETBV(0); only asked when CPUID.1:ECX.OSXSAVE is set
  std::uint32_t online_cpus = 1;
};

CpuSource host_cpu();

// The SDK's cpu_features_ext bits (se_cpu_feature_defs_ext.h: bit n is
// FeatureId n + 1), computed the way the SDK's untrusted runtime does.
std::uint64_t cpu_features_ext(const CpuSource& cpu);

// Every field: both feature words, version 3.0, EXTEND and MSb set, EDMM
// and AEX-Notify clear (this runtime serves neither's OCALLs), CPUID
// leaves 0/1/4/7, no sealed key, the processor count.
void fill_system_features(const CpuSource& cpu, nsgx_system_features_t& out);

}  // namespace nsgx::urts
