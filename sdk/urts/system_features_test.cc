#include "sdk/urts/system_features.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <utility>

namespace nsgx::urts {
namespace {

// A CPU described leaf by leaf; missing leaves read as zeros.
struct FakeCpu {
  std::map<std::pair<std::uint32_t, std::uint32_t>, CpuidRegs> leaves;
  std::uint64_t xcr0 = 0;
  int xcr0_reads = 0;
  CpuSource source() {
    CpuSource s;
    s.cpuid = [this](std::uint32_t leaf, std::uint32_t sub) {
      auto it = leaves.find({leaf, sub});
      return it == leaves.end() ? CpuidRegs{} : it->second;
    };
    s.xcr0 = [this] {
      ++xcr0_reads;
      return xcr0;
    };
    s.online_cpus = 6;
    return s;
  }
};

constexpr std::uint64_t bit(unsigned n) { return 1ull << n; }

// GenuineIntel, max leaf 7, with x87/CMOV/MMX/FXSAVE/SSE/SSE2 in leaf 1.
FakeCpu baseline_intel() {
  FakeCpu c;
  c.leaves[{0, 0}] = {7, 0x756e6547, 0x6c65746e, 0x49656e69};
  c.leaves[{1, 0}] = {0x906ea, 0, 0, (1u << 0) | (1u << 15) | (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26)};
  return c;
}

TEST(SystemFeatures, BaselineCpu) {
  FakeCpu c = baseline_intel();
  // x87 .. SSE2 are the SDK's bits 1..6 over GENERIC_IA32 (bit 0).
  EXPECT_EQ(cpu_features_ext(c.source()), 0x7fu);
  EXPECT_EQ(c.xcr0_reads, 0) << "XGETBV may fault without OSXSAVE";
}

TEST(SystemFeatures, NoCpuidLeavesMeansGenericOnly) {
  FakeCpu c;
  c.leaves[{1, 0}] = {0, 0, ~0u, ~0u};  // not reachable: max leaf 0
  EXPECT_EQ(cpu_features_ext(c.source()), 1u);
}

TEST(SystemFeatures, SseFamilyNeedsFxsave) {
  FakeCpu c = baseline_intel();
  c.leaves[{1, 0}].edx &= ~(1u << 24);
  c.leaves[{1, 0}].ecx |= 1u << 19;  // SSE4.1
  const std::uint64_t f = cpu_features_ext(c.source());
  EXPECT_FALSE(f & bit(4));
  EXPECT_FALSE(f & bit(5));
  EXPECT_FALSE(f & bit(9));
}

TEST(SystemFeatures, VectorExtensionsFollowXcr0) {
  FakeCpu c = baseline_intel();
  c.leaves[{1, 0}].ecx |= (1u << 27) | (1u << 28) | (1u << 12);  // OSXSAVE, AVX, FMA
  c.leaves[{7, 0}].ebx |= (1u << 5) | (1u << 16) | (1u << 17);   // AVX2, AVX512F, AVX512DQ
  c.xcr0 = 0x3;                                                  // the OS saves only x87/SSE
  std::uint64_t f = cpu_features_ext(c.source());
  EXPECT_EQ(c.xcr0_reads, 1);
  EXPECT_FALSE(f & (bit(16) | bit(18) | bit(23) | bit(27) | bit(24)));
  c.xcr0 = 0x7;  // + YMM
  f = cpu_features_ext(c.source());
  EXPECT_EQ(f & (bit(16) | bit(18) | bit(23)), bit(16) | bit(18) | bit(23));
  EXPECT_FALSE(f & (bit(27) | bit(24)));
  c.xcr0 = 0xe7;  // + opmask, ZMM
  f = cpu_features_ext(c.source());
  EXPECT_EQ(f & (bit(27) | bit(24)), bit(27) | bit(24));
}

TEST(SystemFeatures, IntelOnlyBits) {
  FakeCpu c = baseline_intel();
  c.leaves[{7, 0}].ebx |= (1u << 2) | (1u << 4) | (1u << 11) | (1u << 18) | (1u << 19);  // SGX HLE RTM RDSEED ADX
  c.leaves[{0x80000000u, 0}] = {0x80000008u, 0, 0, 0};
  c.leaves[{0x80000001u, 0}] = {0, 0, 1u << 5, 0};  // LZCNT
  std::uint64_t f = cpu_features_ext(c.source());
  EXPECT_EQ(f & (bit(53) | bit(21) | bit(22) | bit(20)), bit(53) | bit(21) | bit(22) | bit(20));
  EXPECT_EQ(f & (bit(28) | bit(29)), bit(28) | bit(29));
  c.leaves[{0, 0}] = {7, 0x68747541, 0x444d4163, 0x69746e65};  // AuthenticAMD
  f = cpu_features_ext(c.source());
  EXPECT_FALSE(f & (bit(53) | bit(21) | bit(22) | bit(20)));
  EXPECT_EQ(f & (bit(28) | bit(29)), bit(28) | bit(29));
}

TEST(SystemFeatures, FilledStruct) {
  FakeCpu c = baseline_intel();
  c.leaves[{1, 0}].ecx |= (1u << 22) | (1u << 23);  // MOVBE, POPCNT: bits the legacy word does not share
  c.leaves[{4, 0}] = {0x11, 0x22, 0x33, 0x44};
  c.leaves[{7, 0}] = {0x55, 1u << 18, 0, 0};  // RDSEED
  alignas(8) nsgx_system_features_t f;
  std::memset(&f, 0xa5, sizeof f);
  fill_system_features(c.source(), f);
  // Packed fields are read into locals: gtest binds references, and a
  // reference to a misaligned uint64_t is undefined behaviour.
  const std::uint32_t version = f.version, cores = f.cpu_core_num;
  const std::uint64_t set0 = f.system_feature_set[0], size = f.size, key = f.sealed_key;
  const std::uint64_t ext = f.cpu_features_ext, legacy = f.cpu_features;
  EXPECT_EQ(version, NSGX_SDK_VERSION_3_0);
  EXPECT_EQ(set0, bit(63) | bit(62)) << "last element, EXTEND; no EDMM, no AEX-Notify";
  EXPECT_EQ(size, sizeof f);
  EXPECT_EQ(size, 0xb0u);
  EXPECT_EQ(cores, 6u);
  EXPECT_EQ(key, 0u);
  EXPECT_EQ(ext, 0x7fu | bit(11) | bit(12) | bit(29));
  EXPECT_EQ(legacy, 0x7fu | bit(26)) << "legacy word: shared bits and its own RDSEED bit";
  EXPECT_EQ(f.cpuinfo_table[0][0], 7u);
  EXPECT_EQ(f.cpuinfo_table[0][1], 0x756e6547u);
  EXPECT_EQ(f.cpuinfo_table[1][0], 0x906eau);
  EXPECT_EQ(f.cpuinfo_table[4][2], 0x33u);
  EXPECT_EQ(f.cpuinfo_table[7][0], 0x55u);
  for (unsigned row : {2u, 3u, 5u, 6u})
    for (unsigned col = 0; col < 4; ++col) EXPECT_EQ(f.cpuinfo_table[row][col], 0u) << row;
}

// What an SDK trusted runtime (init_optimized_libs) demands of the word it
// uses: a feature beyond SSE4.1's level, and each SSE level only with all
// below it.
TEST(SystemFeatures, HostCpuSatisfiesTheSdkRuntime) {
  const std::uint64_t f = cpu_features_ext(host_cpu());
  EXPECT_NE(f & ~0x1ffull, 0u);
  for (unsigned level = 5; level <= 10; ++level)
    if (f & bit(level)) {
      EXPECT_EQ(f & (bit(level) - 1), bit(level) - 1) << level;
    }
  EXPECT_EQ(f >> 56, 0u) << "reserved bits";
}

}  // namespace
}  // namespace nsgx::urts
