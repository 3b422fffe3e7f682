// nestedsgx quotes: an enclave's REPORT body and a verifier's nonce, signed
// by the monitor's attestation key, with the evidence that binds that key to
// the platform root (an SEV-SNP report whose REPORT_DATA commits to it, and
// the VCEK/ASK/ARK certificates). docs/attestation.md, "Quotes", is the
// format's specification; this header is its one implementation.
//
//   auto q = attest::parse_quote(bytes);             // untrusted bytes
//   if (!q) return q.error();                        // names what was wrong
//   q->body.mr_enclave ...  q->nonce ...  q->snp_report ...
//
// Layout, version 1 (all integers little-endian):
//   0x000  magic "NSGXQUOT" (8 bytes)
//   0x008  u16 version = 1
//   0x00A  u16 evidence kind: 1 SEV-SNP firmware, 2 nestedsgx emulated root
//   0x00C  u32 total size of the quote, signature included
//   0x010  REPORT body, 384 bytes (SDM Table 34-17, bytes 0-383 of REPORT)
//   0x190  u16 nonce size (0..64), u16 reserved = 0
//   0x194  nonce, 64 bytes (bytes past the nonce size are zero)
//   0x1D4  attestation public key: P-384 point 04||X||Y (97 bytes), 3 zero bytes
//   0x238  SEV-SNP attestation report, 0x4A0 bytes
//   0x6D8  u16 certificate count (0..3), u16 reserved = 0
//   0x6DC  certificates, each u32 size (1..16384) + DER: VCEK, then ASK, then ARK
//   ...    signature: ECDSA P-384 / SHA-384 over every byte before it, R then S,
//          48 bytes each, big-endian
//
// The parser accepts exactly this: the buffer's size must equal the total
// size (a truncated or oversized quote is an error saying which), reserved
// bytes must be zero, every length must stay inside the quote. It checks
// no signature and trusts nothing; verify_quote (quote_verify.h) does.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "arch/sgx/report.h"
#include "arch/snp/attestation_report.h"
#include "base/bytes.h"
#include "crypto/ecdsa.h"

namespace nsgx::attest {

inline constexpr std::array<std::uint8_t, 8> kQuoteMagic = {'N', 'S', 'G', 'X', 'Q', 'U', 'O', 'T'};
inline constexpr std::uint16_t kQuoteVersion = 1;
inline constexpr std::size_t kQuoteMaxNonce = 64;
inline constexpr std::size_t kQuotePublicKeySize = 97;
inline constexpr std::size_t kQuoteMaxCerts = 3;
inline constexpr std::size_t kQuoteMaxCertSize = 16384;
inline constexpr std::size_t kQuoteSignatureSize = 96;
// Offsets of the fixed part (docs/attestation.md, "Quotes").
inline constexpr std::size_t kQuoteBodyOffset = 0x10;
inline constexpr std::size_t kQuoteNonceOffset = 0x190;
inline constexpr std::size_t kQuoteKeyOffset = 0x1D4;
inline constexpr std::size_t kQuoteSnpOffset = 0x238;
inline constexpr std::size_t kQuoteCertsOffset = 0x6D8;
static_assert(kQuoteNonceOffset == kQuoteBodyOffset + sizeof(sgx::ReportBody));
static_assert(kQuoteKeyOffset == kQuoteNonceOffset + 4 + kQuoteMaxNonce);
static_assert(kQuoteSnpOffset == kQuoteKeyOffset + kQuotePublicKeySize + 3);
static_assert(kQuoteCertsOffset == kQuoteSnpOffset + snp::kReportSize);
inline constexpr std::size_t kQuoteMinSize = kQuoteCertsOffset + 4 + kQuoteSignatureSize;
inline constexpr std::size_t kQuoteMaxSize = kQuoteMinSize + kQuoteMaxCerts * (4 + kQuoteMaxCertSize);

enum class EvidenceKind : std::uint16_t {
  kSnpFirmware = 1,  // the report came from the SEV-SNP firmware (/dev/sev-guest)
  kEmulated = 2,     // from the nestedsgx emulated platform root: proves nothing about hardware
};
const char* evidence_kind_name(EvidenceKind k);

// What a quote says, copied out of the bytes.
struct Quote {
  EvidenceKind kind = EvidenceKind::kEmulated;
  sgx::ReportBody body{};
  Bytes nonce;                                                 // 0..64 bytes
  std::array<std::uint8_t, kQuotePublicKeySize> public_key{};  // 04 || X || Y
  std::array<std::uint8_t, snp::kReportSize> snp_report{};
  std::vector<Bytes> certs;  // DER: VCEK, ASK, ARK (a prefix of them)
  crypto::EcdsaP384Signature signature;
  Bytes signed_bytes;  // every byte before the signature
};

Result<Quote> parse_quote(ByteSpan bytes);

// The unsigned part of a quote (all but the signature), for the quoter to
// sign; sizes are checked as the parser checks them.
struct QuoteContents {
  EvidenceKind kind = EvidenceKind::kEmulated;
  sgx::ReportBody body{};
  ByteSpan nonce;
  ByteSpan public_key;  // 97 bytes
  ByteSpan snp_report;  // 0x4A0 bytes
  std::vector<ByteSpan> certs;
};
// The quote's total size for these contents (signature included).
std::size_t quote_size(const QuoteContents& c);
Result<Bytes> serialize_unsigned_quote(const QuoteContents& c);
// Appends R || S to the unsigned bytes.
void append_signature(Bytes& unsigned_quote, const crypto::EcdsaP384Signature& sig);

// The binding rules a quote's REPORT_DATA and SNP REPORT_DATA obey.
// REPORT_DATA[0..32) = SHA-256(nonce) when the quote carries a nonce;
// REPORT_DATA[32..64) is the enclave's own (e.g. a digest of its key).
std::array<std::uint8_t, 32> nonce_binding(ByteSpan nonce);
// The SNP REPORT_DATA committing to the attestation key:
// SHA-512("NSGX-ATTESTATION-KEY-v1" || 0x00 || 04||X||Y).
std::array<std::uint8_t, 64> key_commitment(ByteSpan public_key_point);

}  // namespace nsgx::attest
