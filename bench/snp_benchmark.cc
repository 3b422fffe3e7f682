// SEV-SNP evidence verification latency, on the Milan vector (a real report,
// its VCEK, AMD's built-in chain): the report signature alone (one ECDSA
// P-384 verification), the whole check with the chain already parsed, and
// the whole check from bytes as `nsgx verify snp` does it. Reported, never
// asserted.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "attest/snp_verify.h"

namespace {

using namespace nsgx;

constexpr crypto::UnixTime kJune2024 = 1717200000;  // inside the vector certificates' validity

struct Vector {
  Bytes report_hex, vcek_der;
  std::unique_ptr<attest::ParsedReport> report;
  std::unique_ptr<crypto::Certificate> vcek;
};

const Vector& vector() {
  static const Vector* v = [] {
    auto* out = new Vector;
    const std::string dir = std::string(NSGX_VECTORS_DIR) + "/snp/";
    auto hex = read_file(dir + "virtee_report_milan.hex");
    auto der = read_file(dir + "virtee_vcek_milan.der");
    if (!hex || !der) std::abort();
    out->report_hex = *hex;
    out->vcek_der = *der;
    out->report = std::make_unique<attest::ParsedReport>(*attest::parse_snp_report(*hex));
    out->vcek = std::make_unique<crypto::Certificate>(*crypto::Certificate::parse(*der));
    return out;
  }();
  return *v;
}

attest::SnpVerifyOptions options() {
  attest::SnpVerifyOptions o;
  o.at = kJune2024;
  return o;
}

void BM_SnpReportSignature(benchmark::State& state) {
  const Vector& v = vector();
  auto key = v.vcek->ec_p384_public_key();
  for (auto _ : state) {
    auto st = attest::verify_report_signature(*v.report, *key);
    if (!st) state.SkipWithError("report signature does not verify");
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_SnpReportSignature)->Unit(benchmark::kMicrosecond);

void BM_SnpFullChainParsed(benchmark::State& state) {
  const Vector& v = vector();
  auto chain = attest::builtin_chain(attest::AmdProduct::kMilan);
  for (auto _ : state) {
    auto verdict = attest::verify_snp_evidence(*v.report, *v.vcek, *chain, options());
    if (!verdict) state.SkipWithError(verdict.error().message().c_str());
    benchmark::DoNotOptimize(verdict);
  }
}
BENCHMARK(BM_SnpFullChainParsed)->Unit(benchmark::kMicrosecond);

void BM_SnpFullChainFromBytes(benchmark::State& state) {
  const Vector& v = vector();
  for (auto _ : state) {
    auto report = attest::parse_snp_report(v.report_hex);
    auto vcek = crypto::Certificate::parse(v.vcek_der);
    auto verdict = attest::verify_snp_builtin(*report, *vcek, std::nullopt, options());
    if (!verdict) state.SkipWithError(verdict.error().message().c_str());
    benchmark::DoNotOptimize(verdict);
  }
}
BENCHMARK(BM_SnpFullChainFromBytes)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
