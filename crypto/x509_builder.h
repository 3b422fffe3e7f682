// Issuing X.509 certificates in the shape of AMD's SEV-SNP chain: v3
// certificates signed with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt length
// 48 (as AMD signs ARK, ASK and VCEK; VCEK spec pub. 57230 §2), for an RSA
// or EC P-384 subject key, with arbitrary extra extensions. Used by the
// emulated platform root and by tests that need a chain of their own.
//
//   CertificateSpec spec;
//   spec.subject = {{"O", "Example"}, {"CN", "ARK-Example"}};
//   spec.not_before = unix_now();  spec.not_after = spec.not_before + 86400;
//   spec.ca = true;
//   auto ark = issue_certificate(spec, key.public_key(), key, nullptr);  // self-signed
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "crypto/ecdsa.h"
#include "crypto/rsa.h"
#include "crypto/x509.h"

namespace nsgx::crypto {

struct CertificateExtension {
  std::string oid;  // dotted
  bool critical = false;
  Bytes value;  // the DER that goes inside extnValue
};

struct CertificateSpec {
  // Relative distinguished names in order, e.g. {"OU", "Engineering"}, {"CN", "SEV-VCEK"}.
  std::vector<std::pair<std::string, std::string>> subject;
  std::uint64_t serial = 1;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  // basicConstraints (critical) cA=TRUE and keyUsage (critical)
  // keyCertSign|cRLSign; otherwise keyUsage digitalSignature. path_len < 0: none.
  bool ca = false;
  int path_len = -1;
  std::vector<CertificateExtension> extensions;
};

// Signs with `issuer_key`; `issuer` == nullptr makes the certificate
// self-signed (its issuer name is its subject).
Result<Certificate> issue_certificate(const CertificateSpec& spec, const RsaPublicKey& subject_key,
                                      const RsaPrivateKey& issuer_key, const Certificate* issuer);
Result<Certificate> issue_certificate(const CertificateSpec& spec, const EcdsaP384PublicKey& subject_key,
                                      const RsaPrivateKey& issuer_key, const Certificate* issuer);

}  // namespace nsgx::crypto
