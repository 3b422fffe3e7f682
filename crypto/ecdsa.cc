#include "crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>

#include <cstring>

#include "crypto/ec_point.h"

namespace nsgx::crypto {

namespace {

constexpr char kGroup[] = "P-384";

bool is_p384(EVP_PKEY* pkey) {
  char name[64] = {};
  std::size_t len = 0;
  return EVP_PKEY_is_a(pkey, "EC") == 1 &&
         EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) == 1 &&
         (std::strcmp(name, "secp384r1") == 0 || std::strcmp(name, "P-384") == 0);
}

Result<ossl::Pkey> decode(std::string_view pem, int selection) {
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, "EC", selection, nullptr, nullptr);
  if (dctx == nullptr) return Error(ossl::error_text("PEM decoder"));
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  int rc = OSSL_DECODER_from_data(dctx, &data, &len);
  OSSL_DECODER_CTX_free(dctx);
  if (rc != 1 || pkey == nullptr) return Error(ossl::error_text("not an EC key in PEM form"));
  ossl::Pkey owned(pkey);
  if (!is_p384(pkey)) return Error("EC key is not on P-384");
  return owned;
}

}  // namespace

Result<EcdsaP384PublicKey> EcdsaP384PublicKey::from_xy(ByteSpan x_be, ByteSpan y_be) {
  if (x_be.size() != 48 || y_be.size() != 48) return Error("P-384 coordinates must be 48 bytes each");
  std::uint8_t point[97];
  point[0] = 0x04;
  std::memcpy(point + 1, x_be.data(), 48);
  std::memcpy(point + 49, y_be.data(), 48);
  NSGX_ASSIGN_OR_RETURN(auto owned, ec_public_key_from_point(kGroup, point));
  return EcdsaP384PublicKey(std::move(owned));
}

Result<EcdsaP384PublicKey> EcdsaP384PublicKey::from_pem(std::string_view pem) {
  auto k = decode(pem, EVP_PKEY_PUBLIC_KEY);
  if (!k) return k.error();
  return EcdsaP384PublicKey(std::move(*k));
}

Result<EcdsaP384PublicKey> EcdsaP384PublicKey::from_pkey(ossl::Pkey pkey) {
  if (!pkey || !is_p384(pkey.get())) return Error("key is not an EC P-384 key");
  return EcdsaP384PublicKey(std::move(pkey));
}

Bytes EcdsaP384PublicKey::uncompressed_point() const {
  Bytes out(97);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len) != 1)
    return {};
  out.resize(len);
  return out;
}

Status EcdsaP384PublicKey::verify_digest(const Digest384& digest, const EcdsaP384Signature& sig) const {
  ECDSA_SIG* es = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(sig.r.data(), 48, nullptr);
  BIGNUM* s = BN_bin2bn(sig.s.data(), 48, nullptr);
  if (es == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(es, r, s) != 1) {
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    return Error(ossl::error_text("ECDSA signature"));
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(es, &der);
  ECDSA_SIG_free(es);
  if (der_len <= 0) return Error(ossl::error_text("ECDSA signature encoding"));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  int rc = 0;
  if (ctx && EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha384()) == 1)
    rc = EVP_PKEY_verify(ctx.get(), der, static_cast<std::size_t>(der_len), digest.data(), digest.size());
  OPENSSL_free(der);
  if (rc != 1) {
    ERR_clear_error();
    return Error("ECDSA P-384 signature does not verify");
  }
  return {};
}

Result<EcdsaP384PrivateKey> EcdsaP384PrivateKey::generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kGroup);
  if (pkey == nullptr) return Error(ossl::error_text("EC keygen"));
  return EcdsaP384PrivateKey(ossl::Pkey(pkey));
}

Result<EcdsaP384PrivateKey> EcdsaP384PrivateKey::from_pem(std::string_view pem) {
  auto k = decode(pem, EVP_PKEY_KEYPAIR);
  if (!k) return k.error();
  return EcdsaP384PrivateKey(std::move(*k));
}

Result<std::string> EcdsaP384PrivateKey::to_pem() const {
  OSSL_ENCODER_CTX* ectx =
      OSSL_ENCODER_CTX_new_for_pkey(pkey_.get(), EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo", nullptr);
  if (ectx == nullptr) return Error(ossl::error_text("PEM encoder"));
  unsigned char* data = nullptr;
  std::size_t len = 0;
  int rc = OSSL_ENCODER_to_data(ectx, &data, &len);
  OSSL_ENCODER_CTX_free(ectx);
  if (rc != 1) return Error(ossl::error_text("PEM encode"));
  std::string out(reinterpret_cast<char*>(data), len);
  OPENSSL_clear_free(data, len);
  return out;
}

EcdsaP384PublicKey EcdsaP384PrivateKey::public_key() const {
  // Re-import only the public half so the result never carries the secret.
  Bytes point(97);
  std::size_t len = 0;
  EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &len);
  auto pub = EcdsaP384PublicKey::from_xy(ByteSpan(point).subspan(1, 48), ByteSpan(point).subspan(49, 48));
  return std::move(*pub);
}

Result<EcdsaP384Signature> EcdsaP384PrivateKey::sign_digest(const Digest384& digest) const {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha384()) != 1)
    return Error(ossl::error_text("ECDSA sign init"));
  std::size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1)
    return Error(ossl::error_text("ECDSA sign size"));
  Bytes der(len);
  if (EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size()) != 1)
    return Error(ossl::error_text("ECDSA sign"));
  const unsigned char* p = der.data();
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (es == nullptr) return Error(ossl::error_text("ECDSA signature decode"));
  EcdsaP384Signature out;
  BN_bn2binpad(ECDSA_SIG_get0_r(es), out.r.data(), 48);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), out.s.data(), 48);
  ECDSA_SIG_free(es);
  return out;
}

}  // namespace nsgx::crypto
