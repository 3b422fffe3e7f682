#include "attest/quote.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "crypto/sha.h"

namespace nsgx::attest {

namespace {

constexpr char kKeyCommitmentDomain[] = "NSGX-ATTESTATION-KEY-v1";  // with its terminating 0x00

template <typename T>
void put_le(Bytes& out, T v) {
  std::uint8_t b[sizeof(T)];
  store_le<T>(b, v);
  out.insert(out.end(), b, b + sizeof(T));
}

Error bad(const std::string& why) { return Error("quote: " + why); }

}  // namespace

const char* evidence_kind_name(EvidenceKind k) {
  switch (k) {
    case EvidenceKind::kSnpFirmware:
      return "SEV-SNP firmware";
    case EvidenceKind::kEmulated:
      return "nestedsgx emulated platform root";
  }
  return "unknown";
}

Result<Quote> parse_quote(ByteSpan bytes) {
  if (bytes.size() < 16) return bad("truncated: " + std::to_string(bytes.size()) + " bytes, not even a header");
  if (!std::equal(kQuoteMagic.begin(), kQuoteMagic.end(), bytes.begin()))
    return bad("not a nestedsgx quote (magic is not \"NSGXQUOT\")");
  const auto version = load_le<std::uint16_t>(bytes.data() + 8);
  if (version != kQuoteVersion)
    return bad("version " + std::to_string(version) + " is not supported (this verifier reads version " +
               std::to_string(kQuoteVersion) + ")");
  Quote q;
  const auto kind = load_le<std::uint16_t>(bytes.data() + 10);
  if (kind != static_cast<std::uint16_t>(EvidenceKind::kSnpFirmware) &&
      kind != static_cast<std::uint16_t>(EvidenceKind::kEmulated))
    return bad("unknown evidence kind " + std::to_string(kind));
  q.kind = static_cast<EvidenceKind>(kind);
  const auto total = load_le<std::uint32_t>(bytes.data() + 12);
  if (total < kQuoteMinSize || total > kQuoteMaxSize)
    return bad("total size " + std::to_string(total) + " is outside " + std::to_string(kQuoteMinSize) + ".." +
               std::to_string(kQuoteMaxSize));
  if (bytes.size() < total)
    return bad("truncated: the header says " + std::to_string(total) + " bytes, have " + std::to_string(bytes.size()));
  if (bytes.size() > total)
    return bad("oversized: " + std::to_string(bytes.size() - total) + " bytes after the " + std::to_string(total) +
               "-byte quote");

  ByteReader r(bytes.first(total - kQuoteSignatureSize));
  (void)r.take(kQuoteBodyOffset);
  q.body = copy_struct<sgx::ReportBody>(*r.take(sizeof(sgx::ReportBody)));
  const auto nonce_size = *r.read_le<std::uint16_t>();
  if (*r.read_le<std::uint16_t>() != 0) return bad("reserved bytes after the nonce size are not zero");
  if (nonce_size > kQuoteMaxNonce)
    return bad("nonce size " + std::to_string(nonce_size) + " exceeds " + std::to_string(kQuoteMaxNonce));
  const ByteSpan nonce_area = *r.take(kQuoteMaxNonce);
  if (!all_zero(nonce_area.subspan(nonce_size))) return bad("bytes past the nonce are not zero");
  q.nonce.assign(nonce_area.begin(), nonce_area.begin() + nonce_size);
  const ByteSpan key = *r.take(kQuotePublicKeySize);
  if (key[0] != 0x04) return bad("the attestation key is not an uncompressed point (04 || X || Y)");
  std::copy(key.begin(), key.end(), q.public_key.begin());
  if (!all_zero(*r.take(3))) return bad("reserved bytes after the attestation key are not zero");
  const ByteSpan snp = *r.take(snp::kReportSize);
  std::copy(snp.begin(), snp.end(), q.snp_report.begin());
  // The fixed part fits (total >= kQuoteMinSize); the certificates are read
  // with every length checked against what is left before the signature.
  const auto count = *r.read_le<std::uint16_t>();
  if (*r.read_le<std::uint16_t>() != 0) return bad("reserved bytes after the certificate count are not zero");
  if (count > kQuoteMaxCerts)
    return bad(std::to_string(count) + " certificates, at most " + std::to_string(kQuoteMaxCerts));
  static constexpr const char* kCertNames[] = {"VCEK", "ASK", "ARK"};
  for (std::size_t i = 0; i < count; ++i) {
    auto size = r.read_le<std::uint32_t>();
    if (!size) return bad(std::string(kCertNames[i]) + " certificate: " + size.error().message());
    if (*size == 0 || *size > kQuoteMaxCertSize)
      return bad(std::string(kCertNames[i]) + " certificate size " + std::to_string(*size) + " is outside 1.." +
                 std::to_string(kQuoteMaxCertSize));
    auto der = r.take(*size);
    if (!der) return bad(std::string(kCertNames[i]) + " certificate: " + der.error().message());
    q.certs.emplace_back(der->begin(), der->end());
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " bytes between the certificates and the signature");
  const ByteSpan signed_part = bytes.first(total - kQuoteSignatureSize);
  q.signed_bytes.assign(signed_part.begin(), signed_part.end());
  const ByteSpan sig = bytes.subspan(total - kQuoteSignatureSize, kQuoteSignatureSize);
  std::copy(sig.begin(), sig.begin() + 48, q.signature.r.begin());
  std::copy(sig.begin() + 48, sig.end(), q.signature.s.begin());
  return q;
}

std::size_t quote_size(const QuoteContents& c) {
  std::size_t n = kQuoteMinSize;
  for (const ByteSpan& cert : c.certs) n += 4 + cert.size();
  return n;
}

Result<Bytes> serialize_unsigned_quote(const QuoteContents& c) {
  if (c.nonce.size() > kQuoteMaxNonce) return bad("nonce longer than " + std::to_string(kQuoteMaxNonce) + " bytes");
  if (c.public_key.size() != kQuotePublicKeySize || c.public_key[0] != 0x04)
    return bad("the attestation key must be a 97-byte uncompressed P-384 point");
  if (c.snp_report.size() != snp::kReportSize) return bad("the SNP report must be 0x4A0 bytes");
  if (c.certs.size() > kQuoteMaxCerts) return bad("at most 3 certificates");
  for (const ByteSpan& cert : c.certs)
    if (cert.empty() || cert.size() > kQuoteMaxCertSize) return bad("a certificate is empty or too large");
  const std::size_t total = quote_size(c);
  Bytes out;
  out.reserve(total);
  out.insert(out.end(), kQuoteMagic.begin(), kQuoteMagic.end());
  put_le<std::uint16_t>(out, kQuoteVersion);
  put_le<std::uint16_t>(out, static_cast<std::uint16_t>(c.kind));
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(total));
  const ByteSpan body = as_bytes(c.body);
  out.insert(out.end(), body.begin(), body.end());
  put_le<std::uint16_t>(out, static_cast<std::uint16_t>(c.nonce.size()));
  put_le<std::uint16_t>(out, 0);
  out.insert(out.end(), c.nonce.begin(), c.nonce.end());
  out.resize(out.size() + (kQuoteMaxNonce - c.nonce.size()), 0);
  out.insert(out.end(), c.public_key.begin(), c.public_key.end());
  out.resize(out.size() + 3, 0);
  out.insert(out.end(), c.snp_report.begin(), c.snp_report.end());
  put_le<std::uint16_t>(out, static_cast<std::uint16_t>(c.certs.size()));
  put_le<std::uint16_t>(out, 0);
  for (const ByteSpan& cert : c.certs) {
    put_le<std::uint32_t>(out, static_cast<std::uint32_t>(cert.size()));
    out.insert(out.end(), cert.begin(), cert.end());
  }
  return out;
}

void append_signature(Bytes& unsigned_quote, const crypto::EcdsaP384Signature& sig) {
  unsigned_quote.insert(unsigned_quote.end(), sig.r.begin(), sig.r.end());
  unsigned_quote.insert(unsigned_quote.end(), sig.s.begin(), sig.s.end());
}

std::array<std::uint8_t, 32> nonce_binding(ByteSpan nonce) { return crypto::sha256(nonce); }

std::array<std::uint8_t, 64> key_commitment(ByteSpan public_key_point) {
  Bytes m(reinterpret_cast<const std::uint8_t*>(kKeyCommitmentDomain),
          reinterpret_cast<const std::uint8_t*>(kKeyCommitmentDomain) + sizeof kKeyCommitmentDomain);
  m.insert(m.end(), public_key_point.begin(), public_key_point.end());
  return crypto::sha512(m);
}

}  // namespace nsgx::attest
