// ECDSA on NIST P-384 over OpenSSL 3: the SEV-SNP report signature
// (SEV-SNP ABI, "Signature Format": R and S zero-extended little-endian) and
// the monitor's attestation key.
//
// Byte order here is big-endian; SNP's little-endian fields are converted by
// the attestation code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "crypto/ossl.h"
#include "crypto/sha.h"

namespace nsgx::crypto {

struct EcdsaP384Signature {
  std::array<std::uint8_t, 48> r{};  // big-endian
  std::array<std::uint8_t, 48> s{};  // big-endian
};

class EcdsaP384PublicKey {
 public:
  // Uncompressed point: x and y, 48 bytes each, big-endian.
  static Result<EcdsaP384PublicKey> from_xy(ByteSpan x_be, ByteSpan y_be);
  static Result<EcdsaP384PublicKey> from_pem(std::string_view pem);
  // Takes ownership of an EC key known to be on P-384 (checked).
  static Result<EcdsaP384PublicKey> from_pkey(ossl::Pkey pkey);

  // 0x04 || x || y.
  Bytes uncompressed_point() const;
  Status verify_digest(const Digest384& digest, const EcdsaP384Signature& sig) const;
  Status verify_sha384(ByteSpan message, const EcdsaP384Signature& sig) const {
    return verify_digest(sha384(message), sig);
  }
  EVP_PKEY* raw() const { return pkey_.get(); }

 private:
  explicit EcdsaP384PublicKey(ossl::Pkey pkey) : pkey_(std::move(pkey)) {}
  ossl::Pkey pkey_;
};

class EcdsaP384PrivateKey {
 public:
  static Result<EcdsaP384PrivateKey> generate();
  static Result<EcdsaP384PrivateKey> from_pem(std::string_view pem);
  Result<std::string> to_pem() const;
  EcdsaP384PublicKey public_key() const;
  Result<EcdsaP384Signature> sign_digest(const Digest384& digest) const;
  Result<EcdsaP384Signature> sign_sha384(ByteSpan message) const { return sign_digest(sha384(message)); }
  EVP_PKEY* raw() const { return pkey_.get(); }

 private:
  explicit EcdsaP384PrivateKey(ossl::Pkey pkey) : pkey_(std::move(pkey)) {}
  ossl::Pkey pkey_;
};

}  // namespace nsgx::crypto
