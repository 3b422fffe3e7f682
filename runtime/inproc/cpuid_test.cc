// CPUID as an SGX program probes it (SDM Vol.2A CPUID leaf 07H and 12H).
// The values are checked here; whether they reach a program depends on
// CPUID faulting, which many VMs do not offer.
#include "runtime/inproc/cpuid.h"

#include <gtest/gtest.h>

namespace nsgx::inproc {
namespace {

TEST(Cpuid, Leaf7AddsSgxAndLaunchControlKeepingNativeBits) {
  const CpuidRegs native{0, 0x1u, 0x4u, 0x8u};
  const CpuidRegs r = sgx_cpuid(7, 0, native, 64 << 20, monitor::MonitorConfig{});
  EXPECT_EQ(r.ebx, 0x1u | (1u << 2));   // SGX
  EXPECT_EQ(r.ecx, 0x4u | (1u << 30));  // SGX_LC
  EXPECT_EQ(r.edx, 0x8u);
  // Other sub-leaves and leaves pass through.
  EXPECT_EQ(sgx_cpuid(7, 1, native, 64 << 20, {}).ebx, 0x1u);
  EXPECT_EQ(sgx_cpuid(1, 0, native, 64 << 20, {}).ecx, 0x4u);
}

TEST(Cpuid, MaximumBasicLeafReachesLeaf12) {
  EXPECT_EQ(sgx_cpuid(0, 0, CpuidRegs{0xd, 1, 2, 3}, 1 << 20, {}).eax, 0x12u);
  EXPECT_EQ(sgx_cpuid(0, 0, CpuidRegs{0x20, 1, 2, 3}, 1 << 20, {}).eax, 0x20u);
}

TEST(Cpuid, Leaf12DescribesSgx2AndTheMonitorsEpc) {
  monitor::MonitorConfig config;
  const std::uint64_t epc = 0x1'2345'6000ull;  // > 4 GiB: both halves of the size fields
  const CpuidRegs s0 = sgx_cpuid(0x12, 0, CpuidRegs{9, 9, 9, 9}, epc, config);
  EXPECT_EQ(s0.eax & 0x3u, 0x3u);  // SGX1 and SGX2
  EXPECT_EQ(s0.ebx, config.supported_misc_select);
  EXPECT_EQ(s0.edx & 0xff, 31u);         // MaxEnclaveSize_Not64
  EXPECT_EQ((s0.edx >> 8) & 0xff, 36u);  // MaxEnclaveSize_64
  const CpuidRegs s1 = sgx_cpuid(0x12, 1, {}, epc, config);
  EXPECT_EQ(s1.eax | (std::uint64_t{s1.ebx} << 32), config.supported_attributes);
  EXPECT_EQ(s1.ecx | (std::uint64_t{s1.edx} << 32), config.supported_xfrm);
  const CpuidRegs s2 = sgx_cpuid(0x12, 2, {}, epc, config);
  EXPECT_EQ(s2.eax & 0xf, 1u);  // a valid EPC section
  const std::uint64_t base = (s2.eax & 0xfffff000u) | (std::uint64_t{s2.ebx & 0xfffff} << 32);
  const std::uint64_t size = (s2.ecx & 0xfffff000u) | (std::uint64_t{s2.edx & 0xfffff} << 32);
  EXPECT_EQ(base, kEpcSectionBase);
  EXPECT_EQ(size, epc);
  EXPECT_EQ(s2.ecx & 0xf, 1u);  // confidentiality and integrity protected
  EXPECT_EQ(sgx_cpuid(0x12, 3, CpuidRegs{7, 7, 7, 7}, epc, config).eax & 0xf, 0u);  // no more sections
}

}  // namespace
}  // namespace nsgx::inproc
