// SEV-SNP attestation reports as evidence: parsing untrusted bytes (binary
// or hex text), decoding TCB_VERSION, and the report's own signature.
//
// AMD SEV-SNP ABI Specification (pub. 56860) §7.3, Table "ATTESTATION_REPORT
// Structure"; the layout is arch/snp/attestation_report.h.
//
//   auto r = attest::parse_snp_report(file_bytes);        // binary or hex
//   if (!r) return r.error();                             // names what was wrong
//   auto tcb = attest::decode_tcb(r->report.reported_tcb, *r->tcb_layout);
//   Status s = attest::verify_report_signature(*r, vcek_key);
//
// What the parser accepts, and why:
//  - exactly 0x4A0 bytes (after hex decoding): every version so far has this
//    size, and a longer buffer would leave bytes nobody signed;
//  - VERSION >= 2. Version 2 is the first SNP report the ABI publishes;
//    version 3 adds CPUID_FAM_ID/MOD_ID/STEP, version 5 the mitigation
//    vectors. Later versions are accepted: the ABI only ever gives reserved
//    bytes a meaning, so the fields we read keep their place;
//  - SIGNATURE_ALGO = 1 (ECDSA P-384 with SHA-384), the only one defined;
//  - reserved bytes are not required to be zero: a newer firmware may fill
//    them, and inside 0x000-0x29F they are covered by the signature anyway.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "arch/snp/attestation_report.h"
#include "arch/snp/tcb_version.h"
#include "base/bytes.h"
#include "crypto/ecdsa.h"

namespace nsgx::attest {

// CPUID family of Turin (Zen 5), whose TCB_VERSION carries an FMC SPL
// (SEV-SNP ABI, "TCB_VERSION Structure" for family 1Ah).
inline constexpr std::uint8_t kCpuidFamilyTurin = 0x1a;
inline constexpr std::uint8_t kCpuidFamilyMilanGenoa = 0x19;

// The SPLs of a TCB_VERSION, decoded for one layout.
struct TcbParts {
  std::uint8_t fmc = 0;  // Turin only
  std::uint8_t bootloader = 0;
  std::uint8_t tee = 0;
  std::uint8_t snp = 0;
  std::uint8_t microcode = 0;
  bool has_fmc = false;
};
TcbParts decode_tcb(snp::TcbVersion tcb, snp::TcbLayout layout);
// "bootloader 3, tee 0, snp 8, microcode 115 (0x7308000000000003)".
std::string describe_tcb(snp::TcbVersion tcb, std::optional<snp::TcbLayout> layout);

struct ParsedReport {
  // The fields, copied out after the checks above.
  snp::AttestationReport report{};
  // The bytes exactly as received; the signature covers [0, 0x2A0).
  std::array<std::uint8_t, snp::kReportSize> bytes{};
  // How to read the TCB_VERSION fields: from CPUID_FAM_ID when VERSION >= 3
  // (1Ah: Turin layout; 19h: Milan/Genoa); a version-2 report predates Turin
  // and uses the Milan/Genoa layout. Unset for a family we do not know.
  std::optional<snp::TcbLayout> tcb_layout;

  bool has_cpuid() const { return report.version >= 3; }
  bool has_mitigation_vectors() const { return report.version >= 5; }
  std::span<const std::uint8_t> signed_bytes() const { return {bytes.data(), snp::kReportSignedSize}; }
  // "Milan", "Genoa", "Turin" from CPUID (version >= 3), else "".
  std::string cpu_product() const;
};

// Binary (0x4A0 bytes) or hex text of it (whitespace tolerated).
Result<ParsedReport> parse_snp_report(ByteSpan binary_or_hex);

// R and S converted from the report's zero-extended little-endian 72-byte
// fields ("Signature Format" table); an error if either exceeds 48 bytes.
Result<crypto::EcdsaP384Signature> report_signature(const ParsedReport& report);

// ECDSA P-384 / SHA-384 over bytes 0x000-0x29F with the VCEK's key.
Status verify_report_signature(const ParsedReport& report, const crypto::EcdsaP384PublicKey& vcek_key);

// Fills SIGNATURE_ALGO and the signature of a report we build (the
// emulated platform root; tests). The bytes before 0x2A0 are final.
Status sign_snp_report(std::span<std::uint8_t, snp::kReportSize> report, const crypto::EcdsaP384PrivateKey& key);

}  // namespace nsgx::attest
