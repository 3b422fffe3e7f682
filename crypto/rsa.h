// RSA over OpenSSL 3, in the shape SGX uses it: RSA-3072 with public exponent
// 3, PKCS#1 v1.5 signatures over SHA-256 (SDM Vol.3D 37.14 SIGSTRUCT), plus
// the Q1/Q2 helper values the SIGSTRUCT carries so that hardware can verify
// with multiplications only.
//
// Byte order: everything here is big-endian (OpenSSL's and PKCS#1's order);
// the SIGSTRUCT code converts to and from the little-endian fields.
//
//   auto key = crypto::RsaPrivateKey::generate(3072, 3);
//   auto sig = key->sign_pkcs1_sha256(message);
//   key->public_key().verify_pkcs1_sha256(message, *sig);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace nsgx::crypto {

class RsaPublicKey {
 public:
  // From a big-endian modulus and a small public exponent.
  static Result<RsaPublicKey> from_components(ByteSpan modulus_be, std::uint32_t exponent);
  static Result<RsaPublicKey> from_pem(std::string_view pem);

  std::size_t modulus_bytes() const;
  Bytes modulus_be() const;
  std::uint64_t exponent() const;

  // PKCS#1 v1.5 with SHA-256 DigestInfo.
  Status verify_pkcs1_sha256(ByteSpan message, ByteSpan signature_be) const;
  // RSASSA-PSS with SHA-384, MGF1-SHA-384, the given salt length (AMD's certificates use 48).
  Status verify_pss_sha384(ByteSpan message, ByteSpan signature_be, int salt_len) const;

  EVP_PKEY* raw() const { return pkey_.get(); }
  explicit RsaPublicKey(ossl::Pkey pkey) : pkey_(std::move(pkey)) {}

 private:
  ossl::Pkey pkey_;
};

class RsaPrivateKey {
 public:
  static Result<RsaPrivateKey> generate(unsigned bits, unsigned exponent);
  // PKCS#1 ("BEGIN RSA PRIVATE KEY") or PKCS#8 PEM.
  static Result<RsaPrivateKey> from_pem(std::string_view pem);
  // PKCS#1 PEM, the form the SGX SDK's signing tool reads.
  Result<std::string> to_pem() const;

  RsaPublicKey public_key() const;
  std::size_t modulus_bytes() const;
  Bytes modulus_be() const;
  std::uint64_t exponent() const;

  // Deterministic PKCS#1 v1.5 signature over SHA-256(message), big-endian.
  Result<Bytes> sign_pkcs1_sha256(ByteSpan message) const;

  EVP_PKEY* raw() const { return pkey_.get(); }

 private:
  explicit RsaPrivateKey(ossl::Pkey pkey) : pkey_(std::move(pkey)) {}
  ossl::Pkey pkey_;
};

// Q1 = floor(S^2 / M), Q2 = floor((S^3 - Q1*S*M) / M), each big-endian and
// `out_len` bytes long (SDM Vol.3D 37.14: the verifier checks them).
Result<std::pair<Bytes, Bytes>> rsa_q1_q2(ByteSpan signature_be, ByteSpan modulus_be, std::size_t out_len);

// Big-endian unsigned integer of a key parameter (e.g. "n", "e").
Result<Bytes> pkey_bn_param(EVP_PKEY* pkey, const char* name);

}  // namespace nsgx::crypto
