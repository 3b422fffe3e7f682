#include "sdk/urts/system_features.h"

#include <cpuid.h>
#include <unistd.h>

#include <cstring>

namespace nsgx::urts {
namespace {

// Bit positions of the SDK's feature words (se_cpu_feature_defs_ext.h;
// the legacy word, se_cpu_feature_defs.h, shares bits 0-10 and 13-23).
enum Feature : unsigned {
  kGenericIa32 = 0,
  kFpu = 1,
  kCmov = 2,
  kMmx = 3,
  kFxsave = 4,
  kSse = 5,
  kSse2 = 6,
  kSse3 = 7,
  kSsse3 = 8,
  kSse41 = 9,
  kSse42 = 10,
  kMovbe = 11,
  kPopcnt = 12,
  kPclmulqdq = 13,
  kAes = 14,
  kF16c = 15,
  kAvx = 16,
  kRdrnd = 17,
  kFma = 18,
  kBmi = 19,
  kLzcnt = 20,
  kHle = 21,
  kRtm = 22,
  kAvx2 = 23,
  kAvx512dq = 24,
  kPtwrite = 25,
  kAvx512f = 27,
  kAdx = 28,
  kRdseed = 29,
  kAvx512ifma = 30,
  kAvx512er = 32,
  kAvx512pf = 33,
  kAvx512cd = 34,
  kSha = 35,
  kMpx = 36,
  kAvx512bw = 37,
  kAvx512vl = 38,
  kAvx512vbmi = 39,
  kAvx5124fmaps = 40,
  kAvx5124vnniw = 41,
  kAvx512vpopcntdq = 42,
  kAvx512bitalg = 43,
  kAvx512vbmi2 = 44,
  kGfni = 45,
  kVaes = 46,
  kVpclmulqdq = 47,
  kAvx512vnni = 48,
  kClwb = 49,
  kRdpid = 50,
  kIbt = 51,
  kShstk = 52,
  kSgx = 53,
  kWbnoinvd = 54,
  kPconfig = 55,
};
// The legacy word's own bits above 24 (se_cpu_feature_defs.h).
constexpr unsigned kLegacyPrefetchw = 25, kLegacyRdseed = 26, kLegacyAdcox = 27;

constexpr bool has(std::uint32_t reg, unsigned bit) { return (reg >> bit) & 1u; }

struct Leaves {
  CpuidRegs l0, l1, l7, l14, e1, e8;
  bool intel = false;
};

Leaves read_leaves(const CpuSource& cpu) {
  Leaves l;
  l.l0 = cpu.cpuid(0, 0);
  // "GenuineIntel" in EBX, EDX, ECX: some bits are only trusted from Intel
  // parts (the SDK gates SGX, HLE, RTM and LZCNT on it).
  l.intel = l.l0.ebx == 0x756e6547 && l.l0.edx == 0x49656e69 && l.l0.ecx == 0x6c65746e;
  if (l.l0.eax >= 1) l.l1 = cpu.cpuid(1, 0);
  if (l.l0.eax >= 7) l.l7 = cpu.cpuid(7, 0);
  if (l.l0.eax >= 0x14) l.l14 = cpu.cpuid(0x14, 0);
  const std::uint32_t max_ext = cpu.cpuid(0x80000000u, 0).eax;
  if (max_ext >= 0x80000001u) l.e1 = cpu.cpuid(0x80000001u, 0);
  if (max_ext >= 0x80000008u) l.e8 = cpu.cpuid(0x80000008u, 0);
  return l;
}

}  // namespace

CpuSource host_cpu() {
  CpuSource c;
  c.cpuid = [](std::uint32_t leaf, std::uint32_t subleaf) {
    CpuidRegs r;
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
    return r;
  };
  c.xcr0 = [] {
    std::uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
  };
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  c.online_cpus = n > 0 ? static_cast<std::uint32_t>(n) : 1;
  return c;
}

std::uint64_t cpu_features_ext(const CpuSource& cpu) {
  std::uint64_t f = 1ull << kGenericIa32;
  const Leaves l = read_leaves(cpu);
  if (l.l0.eax == 0) return f;
  const auto set = [&f](bool present, unsigned bit) {
    if (present) f |= 1ull << bit;
  };
  const CpuidRegs &c1 = l.l1, &c7 = l.l7;
  set(has(c1.edx, 0), kFpu);
  set(has(c1.edx, 15), kCmov);
  set(has(c1.edx, 23), kMmx);
  // The SSE family counts only with FXSAVE (its state is saved by it).
  if (has(c1.edx, 24)) {
    f |= 1ull << kFxsave;
    set(has(c1.edx, 25), kSse);
    set(has(c1.edx, 26), kSse2);
    set(has(c1.ecx, 0), kSse3);
    set(has(c1.ecx, 9), kSsse3);
    set(has(c1.ecx, 22), kMovbe);
    set(has(c1.ecx, 19), kSse41);
    set(has(c1.ecx, 20), kSse42);
    set(has(c1.ecx, 23), kPopcnt);
    set(has(c1.ecx, 1), kPclmulqdq);
    set(has(c1.ecx, 25), kAes);
    set(has(c7.ebx, 29), kSha);
  }
  set(has(c1.ecx, 30), kRdrnd);
  set(has(c7.ebx, 3) && has(c7.ebx, 8), kBmi);
  if (l.intel) {
    set(has(c7.ebx, 2), kSgx);
    set(has(c7.ebx, 4), kHle);
    set(has(c7.ebx, 11), kRtm);
    set(has(l.e1.ecx, 5), kLzcnt);
  }
  set(has(c7.ebx, 19), kAdx);
  set(has(c7.ebx, 18), kRdseed);
  set(has(c7.ebx, 24), kClwb);
  set(has(l.e8.ebx, 9), kWbnoinvd);
  set(has(c7.ecx, 8), kGfni);
  set(has(c7.ecx, 22), kRdpid);
  set(has(c7.ecx, 7), kShstk);
  set(has(c7.edx, 20), kIbt);
  set(has(c7.edx, 18), kPconfig);
  set(has(l.l14.ebx, 4), kPtwrite);
  // Vector extensions count only if the OS saves their state (XCR0, read
  // when CPUID.1:ECX.OSXSAVE says XGETBV works): YMM (bits 1-2), MPX's
  // BNDREGS/BNDCSR (3-4), AVX-512's opmask/ZMM_Hi256/Hi16_ZMM (5-7).
  if (!has(c1.ecx, 27)) return f;
  const std::uint64_t xcr0 = cpu.xcr0();
  if ((xcr0 & 0x6) != 0x6) return f;
  if (has(c1.ecx, 28)) {
    f |= 1ull << kAvx;
    set(has(c7.ecx, 9), kVaes);
    set(has(c7.ecx, 10), kVpclmulqdq);
  }
  set(has(c1.ecx, 29), kF16c);
  set(has(c7.ebx, 5), kAvx2);
  set(has(c1.ecx, 12), kFma);
  if ((xcr0 & 0x18) == 0x18) set(has(c7.ebx, 14), kMpx);
  if ((xcr0 & 0xe0) == 0xe0) {
    set(has(c7.ebx, 16), kAvx512f);
    set(has(c7.ebx, 28), kAvx512cd);
    set(has(c7.ebx, 27), kAvx512er);
    set(has(c7.ebx, 26), kAvx512pf);
    set(has(c7.ebx, 17), kAvx512dq);
    set(has(c7.ebx, 30), kAvx512bw);
    set(has(c7.ebx, 31), kAvx512vl);
    set(has(c7.ebx, 21), kAvx512ifma);
    set(has(c7.ecx, 1), kAvx512vbmi);
    set(has(c7.ecx, 14), kAvx512vpopcntdq);
    set(has(c7.edx, 2), kAvx5124vnniw);
    set(has(c7.edx, 3), kAvx5124fmaps);
    set(has(c7.ecx, 12), kAvx512bitalg);
    set(has(c7.ecx, 6), kAvx512vbmi2);
    set(has(c7.ecx, 11), kAvx512vnni);
  }
  return f;
}

void fill_system_features(const CpuSource& cpu, nsgx_system_features_t& out) {
  std::memset(&out, 0, sizeof out);
  const std::uint64_t ext = cpu_features_ext(cpu);
  out.cpu_features_ext = ext;
  // The legacy word, for trusted runtimes from before SYS_FEATURE_EXTEND:
  // the bits both layouts share (a current trusted runtime masks the rest
  // off, the SDK's INCOMPAT_FEATURE_BIT), plus the legacy word's own.
  constexpr std::uint64_t kShared = ((1ull << 24) - 1) & ~((1ull << kMovbe) | (1ull << kPopcnt));
  out.cpu_features = ext & kShared;
  if (ext & (1ull << kRdseed)) out.cpu_features |= 1ull << kLegacyRdseed;
  if (ext & (1ull << kAdx)) out.cpu_features |= 1ull << kLegacyAdcox;
  const Leaves l = read_leaves(cpu);
  if (has(l.e1.ecx, 8)) out.cpu_features |= 1ull << kLegacyPrefetchw;

  out.version = NSGX_SDK_VERSION_3_0;
  out.system_feature_set[0] = (1ull << NSGX_SYS_FEATURE_MSB) | (1ull << NSGX_SYS_FEATURE_EXTEND);
  // Rows 0, 1, 4 and 7 (the SDK's init_cpuinfo; the trusted crypto
  // library reads them instead of executing CPUID).
  const auto row = [&](unsigned leaf) {
    if (leaf > l.l0.eax) return;
    const CpuidRegs r = cpu.cpuid(leaf, 0);
    out.cpuinfo_table[leaf][0] = r.eax, out.cpuinfo_table[leaf][1] = r.ebx;
    out.cpuinfo_table[leaf][2] = r.ecx, out.cpuinfo_table[leaf][3] = r.edx;
  };
  for (unsigned leaf : {0u, 1u, 4u, 7u}) row(leaf);
  out.sealed_key = 0;  // only for protected-code-loader enclaves, which this runtime does not load
  out.size = sizeof out;
  out.cpu_core_num = cpu.online_cpus;
}

}  // namespace nsgx::urts
