// Monitor leaf latencies (TSC cycles and ns per leaf or leaf pair),
// EGETKEY/EREPORT latency, and the build throughput of a 64 MiB enclave.
// Reported, never asserted.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <cstring>

#include "crypto/rsa.h"
#include "identity/enclave_builder.h"
#include "identity/sigstruct.h"
#include "monitor/monitor.h"
#include "monitor/testing/fake_platform.h"

namespace {

using namespace nsgx;
using namespace nsgx::monitor;

constexpr std::uint64_t kBase = 0x40000000;

sgx::Secinfo si(std::uint64_t flags) {
  sgx::Secinfo s{};
  s.flags = flags;
  return s;
}

sgx::Secs secs_of(std::uint64_t size) {
  sgx::Secs s{};
  s.size = size;
  s.base_addr = kBase;
  s.ssa_frame_size = 1;
  s.attributes = {sgx::attr::kMode64Bit, 3};
  return s;
}

const crypto::RsaPrivateKey& signing_key() {
  static const auto key = *crypto::RsaPrivateKey::generate(3072, 3);
  return key;
}

// A launched enclave: SECS at page 0, a TCS at kBase (OSSA 0x1000, NSSA 2),
// two SSA pages and `extra` REG pages, measured, signed and EINITed.
struct Launched {
  testing::FakePlatform platform;
  Monitor monitor;
  EnclaveId id{0};
  std::uint32_t next_page = 0;

  explicit Launched(std::uint32_t pages = 64, std::uint32_t extra = 4, std::uint64_t attrs = sgx::attr::kMode64Bit)
      : platform(pages), monitor(platform, {}) {
    identity::MeasuringBuilder mb;
    (void)mb.ecreate(1, 0x100000);
    auto secs = secs_of(0x100000);
    secs.attributes.flags = attrs;
    (void)monitor.ecreate(EpcIndex{next_page++}, secs, si(0));
    std::array<std::uint8_t, sgx::kPageSize> page{};
    for (std::uint32_t i = 0; i < 3 + extra; ++i) {
      page.fill(0);
      std::uint64_t flags = 0x203;
      if (i == 0) {
        sgx::Tcs t{};
        t.ossa = 0x1000;
        t.nssa = 2;
        std::memcpy(page.data(), &t, sizeof t);
        flags = 0x100;
      }
      (void)monitor.eadd(EpcIndex{next_page++}, id, LinearAddr{kBase + std::uint64_t{i} * 4096}, page, si(flags));
      (void)mb.add_page(std::uint64_t{i} * 4096, flags, page, 0);
    }
    identity::SigstructFields f;
    f.enclave_hash = mb.mrenclave();
    sgx::Sigstruct ss = identity::make_sigstruct(f);
    (void)identity::sign_sigstruct(ss, signing_key());
    if (!monitor.einit(id, ss, nullptr)) std::abort();
  }
};

void report_cycles(benchmark::State& state, std::uint64_t tsc) {
  state.counters["cycles"] = benchmark::Counter(static_cast<double>(tsc) / static_cast<double>(state.iterations()));
}

void BM_EcreateEremove(benchmark::State& state) {
  testing::FakePlatform p(16);
  Monitor m(p, {});
  const auto s = secs_of(0x10000);
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!m.ecreate(EpcIndex{0}, s, si(0)) || !m.eremove(EpcIndex{0})) state.SkipWithError("leaf failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_EcreateEremove);

void BM_EaddEremove(benchmark::State& state) {
  testing::FakePlatform p(16);
  Monitor m(p, {});
  (void)m.ecreate(EpcIndex{0}, secs_of(0x10000), si(0));
  std::array<std::uint8_t, sgx::kPageSize> page{};
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!m.eadd(EpcIndex{1}, EnclaveId{0}, LinearAddr{kBase}, page, si(0x203)) || !m.eremove(EpcIndex{1}))
      state.SkipWithError("leaf failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_EaddEremove);

void BM_Eextend(benchmark::State& state) {
  testing::FakePlatform p(16);
  Monitor m(p, {});
  std::array<std::uint8_t, sgx::kPageSize> page{};
  (void)m.ecreate(EpcIndex{0}, secs_of(0x10000), si(0));
  (void)m.eadd(EpcIndex{1}, EnclaveId{0}, LinearAddr{kBase}, page, si(0x203));
  std::uint64_t tsc = 0;
  std::uint32_t chunk = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!m.eextend(EpcIndex{1}, (chunk++ % 16) * 256)) state.SkipWithError("leaf failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_Eextend);

void BM_Einit(benchmark::State& state) {
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    state.PauseTiming();
    testing::FakePlatform p(16);
    Monitor m(p, {});
    identity::MeasuringBuilder mb;
    (void)mb.ecreate(1, 0x10000);
    (void)m.ecreate(EpcIndex{0}, secs_of(0x10000), si(0));
    identity::SigstructFields f;
    f.enclave_hash = mb.mrenclave();
    static sgx::Sigstruct ss = [&] {
      sgx::Sigstruct s = identity::make_sigstruct(f);
      (void)identity::sign_sigstruct(s, signing_key());
      return s;
    }();
    state.ResumeTiming();
    const auto t0 = __rdtsc();
    if (!m.einit(EnclaveId{0}, ss, nullptr)) state.SkipWithError("EINIT failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_Einit)->Unit(benchmark::kMicrosecond);

void BM_EenterEexit(benchmark::State& state) {
  Launched l;
  EnterState st;
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.eenter(l.id, LinearAddr{kBase}, 0, 0, 0, 0, st) || !l.monitor.eexit(l.id, LinearAddr{kBase}))
      state.SkipWithError("leaf failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_EenterEexit);

void BM_AexEresume(benchmark::State& state) {
  Launched l;
  EnterState st;
  (void)l.monitor.eenter(l.id, LinearAddr{kBase}, 0, 0, 0, 0, st);
  CpuState in{}, out{};
  const ExitEvent interrupt{.vector = 32, .report = false};
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.aex(l.id, LinearAddr{kBase}, in, interrupt, out) ||
        !l.monitor.eresume(l.id, LinearAddr{kBase}, 0, in))
      state.SkipWithError("leaf failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_AexEresume);

void BM_Egetkey(benchmark::State& state) {
  Launched l;
  sgx::KeyRequest req{};
  req.key_name = static_cast<std::uint16_t>(sgx::KeyName::kSeal);
  req.key_policy = sgx::key_policy::kMrSigner;
  crypto::Key128 key{};
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.egetkey(l.id, req, key)) state.SkipWithError("EGETKEY failed");
    benchmark::DoNotOptimize(key);
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_Egetkey);

void BM_Ereport(benchmark::State& state) {
  Launched l;
  sgx::TargetInfo target{};
  std::array<std::uint8_t, 64> data{};
  sgx::Report report{};
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.ereport(l.id, target, data, report)) state.SkipWithError("EREPORT failed");
    benchmark::DoNotOptimize(report);
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_Ereport);

// The monitor's check of a REPORT targeted at its quoting identity (KEYID,
// report key derivation, CMAC): its part of generating a quote.
void BM_VerifyQuotingReport(benchmark::State& state) {
  Launched l;
  const sgx::TargetInfo target = Monitor::quoting_target();
  std::array<std::uint8_t, 64> data{};
  sgx::Report report{};
  if (!l.monitor.ereport(l.id, target, data, report)) state.SkipWithError("EREPORT failed");
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.verify_report(report, target)) state.SkipWithError("the REPORT does not verify");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_VerifyQuotingReport);

void BM_EwbEldu(benchmark::State& state) {
  Launched l;
  const EpcIndex va{60}, spare{61};
  (void)l.monitor.epa(va);
  EpcIndex page{4};  // a REG page of the enclave
  Monitor::EvictedPage ev;
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const EpcIndex target = page == EpcIndex{4} ? spare : EpcIndex{4};
    const auto t0 = __rdtsc();
    if (!l.monitor.eblock(page) || !l.monitor.etrack(l.id) || !l.monitor.ewb(page, va, 0, ev) ||
        !l.monitor.eldu(target, l.id, va, 0, ev))
      state.SkipWithError("paging failed");
    tsc += __rdtsc() - t0;
    page = target;
  }
  report_cycles(state, tsc);
  state.SetLabel("EBLOCK+ETRACK+EWB+ELDU");
}
BENCHMARK(BM_EwbEldu);

void BM_EaugEaccept(benchmark::State& state) {
  Launched l;
  sgx::Secinfo pending = si(0x20b);
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.eaug(EpcIndex{40}, l.id, LinearAddr{kBase + 0x10000}) ||
        !l.monitor.eaccept(l.id, LinearAddr{kBase + 0x10000}, pending) || !l.monitor.eremove(EpcIndex{40}))
      state.SkipWithError("SGX2 failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
  state.SetLabel("EAUG+EACCEPT+EREMOVE");
}
BENCHMARK(BM_EaugEaccept);

void BM_EmodprEmodpe(benchmark::State& state) {
  Launched l;
  const EpcIndex page{4};
  const LinearAddr addr{kBase + std::uint64_t{3} * 4096};
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.emodpr(page, si(0x1)) || !l.monitor.emodpe(l.id, addr, si(0x3))) state.SkipWithError("failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
  state.SetLabel("EMODPR+EMODPE");
}
BENCHMARK(BM_EmodprEmodpe);

void BM_EmodtEaccept(benchmark::State& state) {
  Launched l;
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    state.PauseTiming();
    (void)l.monitor.eaug(EpcIndex{40}, l.id, LinearAddr{kBase + 0x10000});
    (void)l.monitor.eaccept(l.id, LinearAddr{kBase + 0x10000}, si(0x20b));
    state.ResumeTiming();
    const auto t0 = __rdtsc();
    if (!l.monitor.emodt(EpcIndex{40}, si(0x400)) || !l.monitor.etrack(l.id) ||
        !l.monitor.eaccept(l.id, LinearAddr{kBase + 0x10000}, si(0x410)) || !l.monitor.eremove(EpcIndex{40}))
      state.SkipWithError("failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
  state.SetLabel("EMODT+ETRACK+EACCEPT+EREMOVE");
}
BENCHMARK(BM_EmodtEaccept);

void BM_EpaEremove(benchmark::State& state) {
  testing::FakePlatform p(4);
  Monitor m(p, {});
  std::uint64_t tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!m.epa(EpcIndex{1}) || !m.eremove(EpcIndex{1})) state.SkipWithError("failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_EpaEremove);

void BM_EdbgrdEdbgwr(benchmark::State& state) {
  Launched l(64, 4, sgx::attr::kMode64Bit | sgx::attr::kDebug);
  std::uint64_t v = 0, tsc = 0;
  for (auto _ : state) {
    const auto t0 = __rdtsc();
    if (!l.monitor.edbgrd(EpcIndex{4}, 64, v) || !l.monitor.edbgwr(EpcIndex{4}, 64, v + 1))
      state.SkipWithError("failed");
    tsc += __rdtsc() - t0;
  }
  report_cycles(state, tsc);
}
BENCHMARK(BM_EdbgrdEdbgwr);

// ECREATE, then 16384 pages EADDed and fully EEXTENDed: a 64 MiB enclave.
void BM_Build64MiB(benchmark::State& state) {
  constexpr std::uint32_t kBuildPages = 16384;
  testing::FakePlatform p(kBuildPages + 1);
  Monitor m(p, {});
  std::vector<std::uint8_t> src(sgx::kPageSize, 0x5a);
  std::span<const std::uint8_t, sgx::kPageSize> page(src.data(), sgx::kPageSize);
  for (auto _ : state) {
    if (!m.ecreate(EpcIndex{0}, secs_of(std::uint64_t{kBuildPages} * sgx::kPageSize), si(0)))
      state.SkipWithError("ECREATE");
    for (std::uint32_t i = 0; i < kBuildPages; ++i) {
      (void)m.eadd(EpcIndex{1 + i}, EnclaveId{0}, LinearAddr{kBase + std::uint64_t{i} * sgx::kPageSize}, page,
                   si(0x203));
      for (std::uint32_t c = 0; c < 16; ++c) (void)m.eextend(EpcIndex{1 + i}, c * 256);
    }
    state.PauseTiming();
    for (std::uint32_t i = 0; i <= kBuildPages; ++i) (void)m.eremove(EpcIndex{kBuildPages - i});
    state.ResumeTiming();
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(static_cast<std::uint64_t>(state.iterations()) * kBuildPages * sgx::kPageSize));
}
BENCHMARK(BM_Build64MiB)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
