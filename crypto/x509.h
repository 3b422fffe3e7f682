// X.509 certificates over OpenSSL 3: parsing (DER or PEM), names, validity,
// extensions by OID, the signature algorithm, and verification with the
// issuer's key. Just what the SEV-SNP evidence chain needs (AMD's "Versioned
// Chip Endorsement Key (VCEK) Certificate and KDS Interface Specification",
// pub. 57230: ARK -> ASK -> VCEK, all signed with RSASSA-PSS / SHA-384);
// certificates of that shape are issued by x509_builder.h.
//
//   auto vcek = crypto::Certificate::parse(bytes);            // DER or PEM
//   auto hwid = vcek->extension("1.3.6.1.4.1.3704.1.4");       // raw extnValue
//   auto ask_key = ask->rsa_public_key();
//   Status s = vcek->verify_signature(*ask_key);
//
// Certificates are immutable once parsed; copies share the OpenSSL object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "crypto/ecdsa.h"
#include "crypto/ossl.h"
#include "crypto/rsa.h"

namespace nsgx::crypto {

// Seconds since the Unix epoch, UTC — how certificate times are compared.
using UnixTime = std::int64_t;
UnixTime unix_now();
// "2030-04-03 19:23:43 UTC".
std::string format_utc(UnixTime t);

// RSASSA-PSS parameters of a signature (RFC 4055 §3.1), defaults applied.
struct PssParameters {
  std::string hash;       // "SHA384"
  std::string mgf1_hash;  // "SHA384"
  long salt_length = 0;
  long trailer_field = 0;
};

class Certificate {
 public:
  // One certificate: DER (which starts 0x30) or else PEM ("-----BEGIN
  // CERTIFICATE-----", text before it allowed). Trailing bytes after a DER
  // certificate, or a second PEM certificate, are errors.
  static Result<Certificate> parse(ByteSpan der_or_pem);
  static Result<Certificate> from_der(ByteSpan der);
  static Result<Certificate> from_pem(std::string_view pem);
  // Takes ownership (used by the builder).
  static Result<Certificate> from_x509(ossl::X509Ptr x509);

  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  ~Certificate() = default;

  const Bytes& der() const { return der_; }
  std::string pem() const;
  // One-line names, RFC 2253 order ("CN=SEV-VCEK,O=Advanced Micro Devices,...").
  std::string subject() const;
  std::string issuer() const;
  // The (last) commonName of the subject, or "" if none.
  std::string subject_common_name() const;
  UnixTime not_before() const { return not_before_; }
  UnixTime not_after() const { return not_after_; }

  // The contents of the extnValue OCTET STRING of the extension with this
  // dotted OID; nullopt if absent. An extension that appears twice is an
  // error (RFC 5280 §4.2: "A certificate MUST NOT include more than one
  // instance of a particular extension").
  Result<std::optional<Bytes>> extension(std::string_view dotted_oid) const;

  // The signatureAlgorithm's short name ("RSASSA-PSS", "ecdsa-with-SHA384", ...).
  std::string signature_algorithm() const;
  // Its RSASSA-PSS parameters; an error for any other algorithm.
  Result<PssParameters> pss_parameters() const;

  // Verifies this certificate's signature with the issuer's RSA key, under
  // the algorithm and parameters the certificate declares (which OpenSSL
  // also requires to equal the TBSCertificate's copy, RFC 5280 §4.1.1.2).
  // Callers that insist on one algorithm check pss_parameters() first.
  Status verify_signature(const RsaPublicKey& issuer_key) const;

  Result<RsaPublicKey> rsa_public_key() const;
  Result<EcdsaP384PublicKey> ec_p384_public_key() const;

  X509* raw() const { return x509_.get(); }
  friend bool operator==(const Certificate& a, const Certificate& b) { return a.der_ == b.der_; }

 private:
  Certificate(ossl::X509Ptr x509, Bytes der, UnixTime nb, UnixTime na)
      : x509_(std::move(x509)), der_(std::move(der)), not_before_(nb), not_after_(na) {}
  ossl::X509Ptr x509_;
  Bytes der_;
  UnixTime not_before_ = 0;
  UnixTime not_after_ = 0;
};

// DER values of certificate extensions (AMD encodes the SPLs as INTEGER and
// productName as IA5String inside extnValue). The whole input must be
// exactly one value of that type.
Result<std::int64_t> der_decode_integer(ByteSpan der);
Result<std::string> der_decode_ia5string(ByteSpan der);
Result<std::string> der_decode_utf8string(ByteSpan der);
Bytes der_encode_integer(std::int64_t value);
Bytes der_encode_ia5string(std::string_view value);
Bytes der_encode_utf8string(std::string_view value);

}  // namespace nsgx::crypto
