// Quote generation end to end, as an application sees it on the default
// (isolated) backend: one sgx_qe_get_quote-style request to nsgx-monitor —
// the SEQPACKET round trip, the monitor's REPORT check and the attestation
// key's signature — and a whole attestation of the remote attestation
// example's enclave: the ECALL (an ECDH key pair made inside, EREPORT
// through the monitor) and the quote. Reported, never asserted.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "Enclave_u.h"
#include "base/install_layout.h"
#include "ra_protocol.h"
#include "sgx_dcap_ql_wrapper.h"
#include "sgx_urts.h"

namespace {

struct Setup {
  sgx_enclave_id_t eid = 0;
  sgx_target_info_t qe{};
  std::uint32_t size = 0;
  std::vector<std::uint8_t> nonce = std::vector<std::uint8_t>(RA_NONCE_SIZE, 7);
};

const Setup& setup() {
  static const Setup* s = [] {
    auto* out = new Setup;
    sgx_launch_token_t token{};
    int updated = 0;
    // Installed: the example's enclave beside this program (libexec/nestedsgx), never the build tree's.
    const std::string enclave = nsgx::installed_or_build("ra_enclave.signed.so", NSGX_RA_ENCLAVE);
    if (sgx_create_enclave(enclave.c_str(), 0, &token, &updated, &out->eid, nullptr) != SGX_SUCCESS ||
        sgx_qe_get_target_info(&out->qe) != SGX_QL_SUCCESS || sgx_qe_get_quote_size(&out->size) != SGX_QL_SUCCESS)
      std::abort();
    return out;
  }();
  return *s;
}

bool attest(const Setup& s, sgx_report_t& report) {
  std::uint8_t key[RA_PUBLIC_KEY_SIZE];
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  return ecall_attest(s.eid, &st, &s.qe, s.nonce.data(), RA_NONCE_SIZE, key, &report) == SGX_SUCCESS &&
         st == SGX_SUCCESS;
}

void BM_QuoteRequest(benchmark::State& state) {
  const Setup& s = setup();
  sgx_report_t report{};
  if (!attest(s, report)) state.SkipWithError("ecall_attest failed");
  std::vector<std::uint8_t> quote(s.size);
  for (auto _ : state) {
    if (nsgx_qe_get_quote_with_nonce(&report, s.nonce.data(), RA_NONCE_SIZE, s.size, quote.data()) != SGX_QL_SUCCESS)
      state.SkipWithError("quoting failed");
    benchmark::DoNotOptimize(quote.data());
  }
}
BENCHMARK(BM_QuoteRequest)->Unit(benchmark::kMicrosecond);

void BM_AttestAndQuote(benchmark::State& state) {
  const Setup& s = setup();
  std::vector<std::uint8_t> quote(s.size);
  for (auto _ : state) {
    sgx_report_t report{};
    if (!attest(s, report) ||
        nsgx_qe_get_quote_with_nonce(&report, s.nonce.data(), RA_NONCE_SIZE, s.size, quote.data()) != SGX_QL_SUCCESS)
      state.SkipWithError("attestation failed");
    benchmark::DoNotOptimize(quote.data());
  }
}
BENCHMARK(BM_AttestAndQuote)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
