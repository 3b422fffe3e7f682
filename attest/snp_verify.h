// Verifying SEV-SNP evidence: an attestation report, the VCEK certificate
// of the chip that signed it, and the ARK -> ASK chain above the VCEK.
//
//   auto report = attest::parse_snp_report(report_bytes);   // untrusted
//   auto vcek = crypto::Certificate::parse(vcek_bytes);      // untrusted
//   auto verdict = attest::verify_snp_builtin(*report, *vcek, std::nullopt);
//   if (!verdict) std::puts(verdict.error().message().c_str());  // the specific reason
//
// What is checked, in this order; the first failure is the result:
//  1. emulation: a chain marked as nestedsgx's emulated root (emulation_mark.h)
//     is refused unless `allow_emulated`;
//  2. ARK self-signed, ASK signed by the ARK, VCEK signed by the ASK, each
//     with RSASSA-PSS / SHA-384 / MGF1-SHA-384 / salt 48 and nothing else
//     (VCEK spec pub. 57230 §2), each valid at the given time;
//  3. the VCEK's productName (when present) names the chain's product;
//  4. the VCEK key is EC P-384, and the report says it is VCEK-signed
//     (SIGNING_KEY = 0, MASK_CHIP_KEY = 0);
//  5. the VCEK's hwID equals the report's CHIP_ID (8 bytes on Turin);
//  6. the VCEK's blSPL, teeSPL, snpSPL, ucodeSPL (and fmcSPL on Turin)
//     equal REPORTED_TCB, which the ABI defines as the TCB version the
//     signing VCEK was derived from (ATTESTATION_REPORT table, 180h);
//  7. the report signature (ECDSA P-384 / SHA-384 over 0x000-0x29F).
// 5 and 6 come before 7 because a mismatch there explains a failing
// signature better than the signature does; every check must pass anyway.
//
// Not judged here: the guest's policy, measurement, REPORT_DATA or minimum
// TCB — that is the caller's policy over the verified report.
#pragma once

#include <optional>
#include <string>

#include "attest/snp_chain.h"
#include "attest/snp_report.h"
#include "attest/vcek.h"
#include "crypto/x509.h"

namespace nsgx::attest {

struct SnpVerifyOptions {
  std::optional<crypto::UnixTime> at;  // when the certificates must be valid; default: now
  bool allow_emulated = false;
};

struct SnpVerdict {
  std::string chain;  // the chain that verified
  bool emulated = false;
  crypto::UnixTime checked_at = 0;
  VcekExtensions vcek;
};

Result<SnpVerdict> verify_snp_evidence(const ParsedReport& parsed, const crypto::Certificate& vcek,
                                       const SnpChain& chain, const SnpVerifyOptions& options = {});

// Against AMD's built-in chains: `product` set uses that chain; otherwise
// the one the VCEK's productName names, else each built-in chain in turn
// (the error then gives each one's reason).
Result<SnpVerdict> verify_snp_builtin(const ParsedReport& report, const crypto::Certificate& vcek,
                                      std::optional<AmdProduct> product, const SnpVerifyOptions& options = {});

}  // namespace nsgx::attest
