// Quote latency (attest/): generating one — the attestation key's ECDSA
// P-384 signature over the serialized quote, after the monitor has checked
// the REPORT (monitor_benchmark's BM_VerifyQuotingReport) — and verifying
// one as `nsgx verify quote` does: parsing, the quote signature, the
// emulated ARK -> ASK -> VCEK chain (two RSA-4096 PSS signatures), the SNP
// report signature, the key binding, nonce and policy. Reported, never asserted.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "attest/quote_verify.h"
#include "attest/quoter.h"

namespace {

using namespace nsgx;

const Bytes kNonce(32, 0x6e);

struct Fixture {
  std::unique_ptr<attest::Quoter> quoter;
  sgx::ReportBody body{};
  Bytes quote;
  attest::QuotePolicy policy;
};

// The quoter lives in a temporary state directory, with an emulated root
// of AMD's key sizes (RSA-4096), made once per run.
const Fixture& fixture() {
  static const Fixture* f = [] {
    auto* out = new Fixture;
    char tmpl[] = "/tmp/nsgx-quote-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    attest::QuoterOptions o;
    o.state_dir = tmpl;
    o.force_emulated = true;
    o.measurement.emplace().fill(0x5a);
    auto q = attest::Quoter::create(o);
    std::filesystem::remove_all(tmpl);
    if (!q) std::abort();
    out->quoter = std::make_unique<attest::Quoter>(std::move(*q));
    std::memset(out->body.mr_enclave, 0x11, 32);
    out->body.attributes.flags = sgx::attr::kInit | sgx::attr::kMode64Bit;
    const auto binding = attest::nonce_binding(kNonce);
    std::memcpy(out->body.report_data, binding.data(), 32);
    out->quote = *out->quoter->quote(out->body, kNonce);
    out->policy.mr_enclave.emplace_back().fill(0x11);
    out->policy.monitor_measurements.emplace_back().fill(0x5a);
    return out;
  }();
  return *f;
}

void BM_QuoteGenerate(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    auto q = f.quoter->quote(f.body, kNonce);
    if (!q) state.SkipWithError("quoting failed");
    benchmark::DoNotOptimize(q);
  }
  state.counters["bytes"] = static_cast<double>(f.quote.size());
}
BENCHMARK(BM_QuoteGenerate)->Unit(benchmark::kMicrosecond);

void BM_QuoteParse(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    auto q = attest::parse_quote(f.quote);
    if (!q) state.SkipWithError("the quote does not parse");
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QuoteParse)->Unit(benchmark::kMicrosecond);

void BM_QuoteVerify(benchmark::State& state) {
  const Fixture& f = fixture();
  attest::QuoteVerifyOptions options;
  options.nonce = kNonce;
  options.allow_emulated = true;
  for (auto _ : state) {
    auto q = attest::parse_quote(f.quote);
    if (!q) state.SkipWithError("the quote does not parse");
    const attest::QuoteVerdict v = attest::verify_quote(*q, f.policy, options);
    if (!v.ok()) state.SkipWithError(v.failures[0].c_str());
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_QuoteVerify)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
