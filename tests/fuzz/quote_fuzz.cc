// Fuzzes the quote parser and the verifier behind it: parsing, then the
// whole verification (signature, certificates, SNP report, key binding,
// nonce, policy) of whatever parses, as `nsgx verify quote` would with
// --allow-emulated. A parsed quote must serialize back to its exact bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/quote_verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nsgx::attest;
  auto q = parse_quote({data, size});
  if (!q) return 0;

  QuoteContents c;
  c.kind = q->kind;
  c.body = q->body;
  c.nonce = q->nonce;
  c.public_key = q->public_key;
  c.snp_report = q->snp_report;
  for (const auto& cert : q->certs) c.certs.emplace_back(cert);
  auto again = serialize_unsigned_quote(c);
  if (!again || *again != q->signed_bytes) std::abort();  // the parser accepted something the format does not say

  static const QuotePolicy policy = [] {
    QuotePolicy p;
    p.mr_enclave.emplace_back().fill(0x11);
    p.monitor_measurements.emplace_back().fill(0x5a);
    p.min_tcb = MinimumTcb{1, 0, 1, 1, 0};
    return p;
  }();
  QuoteVerifyOptions options;
  options.allow_emulated = true;
  options.nonce = q->nonce;
  (void)verify_quote(*q, policy, options);
  return 0;
}
