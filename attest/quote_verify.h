// Verifying a nestedsgx quote against a policy: the library behind
// `nsgx verify quote`.
//
//   auto quote = attest::parse_quote(bytes);                       // untrusted
//   auto policy = attest::parse_quote_policy(json_text);           // the verifier's
//   attest::QuoteVerifyOptions opts;  opts.nonce = my_nonce;
//   attest::QuoteVerdict v = attest::verify_quote(*quote, *policy, opts);
//   if (!v.ok()) for (auto& why : v.failures) std::puts(why.c_str());
//
// What is checked (docs/attestation.md, "What a verifier checks"); every
// check runs and each failure is reported with its reason:
//  1. the quote's signature, with the attestation key the quote names;
//  2. the evidence: the SNP report verifies with the VCEK (from the quote,
//     or supplied) under AMD's built-in ARK -> ASK chain, or — only with
//     allow_emulated — under the quote's own emulated chain
//     (snp_verify.h), and the quote's evidence kind says the same;
//  3. the key binding: the SNP report's REPORT_DATA is
//     key_commitment(attestation key), so the platform root vouches for the
//     key that signed the quote;
//  4. freshness: with an expected nonce, the quote carries exactly it; and
//     whenever the quote carries a nonce, REPORT_DATA[0..32) = SHA-256(nonce);
//  5. the policy: MRENCLAVE or MRSIGNER in its lists, ISVPRODID, minimum
//     ISVSVN, no DEBUG attribute unless allowed, the SNP MEASUREMENT (the
//     monitor's) among the accepted ones, the REPORTED_TCB at least the
//     minimum, no SNP guest policy that allows debugging the monitor, and
//     for emulated evidence its root among the pinned emulated_roots.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/quote.h"
#include "attest/snp_report.h"
#include "attest/snp_verify.h"
#include "crypto/x509.h"

namespace nsgx::attest {

struct MinimumTcb {
  std::uint8_t bootloader = 0, tee = 0, snp = 0, microcode = 0, fmc = 0;
};

struct QuotePolicy {
  // At least one of the two lists is non-empty; an enclave passes when its
  // MRENCLAVE is in the first, or its MRSIGNER in the second.
  std::vector<std::array<std::uint8_t, 32>> mr_enclave;
  std::vector<std::array<std::uint8_t, 32>> mr_signer;
  std::optional<std::uint16_t> isv_prod_id;
  std::uint16_t min_isv_svn = 0;
  bool allow_debug = false;  // enclaves with ATTRIBUTES.DEBUG
  // Accepted SNP MEASUREMENTs; empty accepts any (the verdict says so).
  std::vector<std::array<std::uint8_t, 48>> monitor_measurements;
  std::optional<MinimumTcb> min_tcb;
  bool allow_snp_debug = false;  // an SNP guest whose policy allows debugging
  bool allow_emulated = false;   // also settable by the caller (QuoteVerifyOptions)
  // SHA-256 of the DER ARK of each emulated root accepted. Anyone can make
  // an emulated root, so allowing emulated evidence without pinning one
  // accepts quotes anyone could forge (the verdict notes it); pinned, only
  // the machine holding that root's VCEK key can make them.
  std::vector<std::array<std::uint8_t, 32>> emulated_roots;
};

// The JSON policy file (docs/attestation.md, "Policy"): an object with keys
// mrenclave, mrsigner (hex strings or lists of them), isv_prod_id,
// min_isv_svn, allow_debug, monitor_measurements, min_tcb {bootloader, tee,
// snp, microcode, fmc}, allow_snp_debug, allow_emulated, emulated_roots
// (SHA-256 hex of emulated ARKs, one or a list). Unknown keys are
// errors: a misspelt key must not silently loosen the policy.
Result<QuotePolicy> parse_quote_policy(std::string_view json_text);

struct QuoteVerifyOptions {
  std::optional<Bytes> nonce;  // the nonce this verifier sent
  bool allow_emulated = false;
  std::optional<crypto::UnixTime> at;  // certificate validity time; default now
  // A VCEK from elsewhere (AMD's KDS), when the quote carries none.
  std::optional<crypto::Certificate> vcek;
};

struct QuoteVerdict {
  std::vector<std::string> failures;  // empty: verified
  std::vector<std::string> notes;     // what was not checked, and why
  bool emulated = false;
  std::string chain;                                          // the chain the evidence verified under
  std::optional<std::array<std::uint8_t, 32>> emulated_root;  // SHA-256 of the emulated ARK (DER)
  std::optional<ParsedReport> snp;
  bool ok() const { return failures.empty(); }
};

QuoteVerdict verify_quote(const Quote& quote, const QuotePolicy& policy, const QuoteVerifyOptions& options);

}  // namespace nsgx::attest
