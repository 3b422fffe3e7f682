#include "crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <climits>

namespace nsgx::crypto {

namespace {

Result<ossl::Pkey> decode_pem(std::string_view pem, int selection) {
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* dctx =
      OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, "RSA", selection, nullptr, nullptr);
  if (dctx == nullptr) return Error(ossl::error_text("PEM decoder"));
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  int rc = OSSL_DECODER_from_data(dctx, &data, &len);
  OSSL_DECODER_CTX_free(dctx);
  if (rc != 1 || pkey == nullptr) return Error(ossl::error_text("not an RSA key in PEM form"));
  return ossl::Pkey(pkey);
}

Result<ossl::Pkey> pkey_from_params(EVP_PKEY_CTX* ctx, OSSL_PARAM* params, int selection) {
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
    return Error(ossl::error_text("RSA key from components"));
  return ossl::Pkey(pkey);
}

std::uint64_t bn_u64(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return 0;
  ossl::Bn owned(bn);
  return BN_num_bits(bn) > 64 ? UINT64_MAX : BN_get_word(bn);
}

Status verify_with(EVP_PKEY* pkey, ByteSpan message, ByteSpan sig, const char* md, int padding, int salt_len) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pctx, md, nullptr, nullptr, pkey, nullptr) != 1)
    return Error(ossl::error_text("RSA verify init"));
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, padding) != 1) return Error(ossl::error_text("RSA padding"));
  if (padding == RSA_PKCS1_PSS_PADDING &&
      (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, nullptr) != 1))
    return Error(ossl::error_text("RSA PSS parameters"));
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size());
  if (rc != 1) {
    ERR_clear_error();
    return Error("RSA signature does not verify");
  }
  return {};
}

}  // namespace

Result<Bytes> pkey_bn_param(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return Error(ossl::error_text("key parameter"));
  ossl::Bn owned(bn);
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

// ---- public key ----

Result<RsaPublicKey> RsaPublicKey::from_components(ByteSpan modulus_be, std::uint32_t exponent) {
  if (modulus_be.empty() || modulus_be.size() > 2048) return Error("RSA modulus size out of range");
  ossl::Bn n(BN_bin2bn(modulus_be.data(), static_cast<int>(modulus_be.size()), nullptr));
  ossl::Bn e(BN_new());
  if (!n || !e || BN_set_word(e.get(), exponent) != 1) return Error(ossl::error_text("bignum"));
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return Error(ossl::error_text("RSA parameters"));
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx) return Error(ossl::error_text("RSA context"));
  auto pkey = pkey_from_params(ctx.get(), params.get(), EVP_PKEY_PUBLIC_KEY);
  if (!pkey) return pkey.error();
  return RsaPublicKey(std::move(*pkey));
}

Result<RsaPublicKey> RsaPublicKey::from_pem(std::string_view pem) {
  auto pkey = decode_pem(pem, EVP_PKEY_PUBLIC_KEY);
  if (!pkey) return pkey.error();
  return RsaPublicKey(std::move(*pkey));
}

std::size_t RsaPublicKey::modulus_bytes() const { return static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get())); }
Bytes RsaPublicKey::modulus_be() const {
  auto n = pkey_bn_param(pkey_.get(), OSSL_PKEY_PARAM_RSA_N);
  return n ? *n : Bytes{};
}
std::uint64_t RsaPublicKey::exponent() const { return bn_u64(pkey_.get(), OSSL_PKEY_PARAM_RSA_E); }

Status RsaPublicKey::verify_pkcs1_sha256(ByteSpan message, ByteSpan signature_be) const {
  return verify_with(pkey_.get(), message, signature_be, "SHA256", RSA_PKCS1_PADDING, 0);
}
Status RsaPublicKey::verify_pss_sha384(ByteSpan message, ByteSpan signature_be, int salt_len) const {
  return verify_with(pkey_.get(), message, signature_be, "SHA384", RSA_PKCS1_PSS_PADDING, salt_len);
}

// ---- private key ----

Result<RsaPrivateKey> RsaPrivateKey::generate(unsigned bits, unsigned exponent) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  ossl::Bn e(BN_new());
  if (!ctx || !e || BN_set_word(e.get(), exponent) != 1 || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1)
    return Error(ossl::error_text("RSA keygen setup"));
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &pkey) != 1) return Error(ossl::error_text("RSA keygen"));
  return RsaPrivateKey(ossl::Pkey(pkey));
}

Result<RsaPrivateKey> RsaPrivateKey::from_pem(std::string_view pem) {
  auto pkey = decode_pem(pem, EVP_PKEY_KEYPAIR);
  if (!pkey) return pkey.error();
  return RsaPrivateKey(std::move(*pkey));
}

Result<std::string> RsaPrivateKey::to_pem() const {
  OSSL_ENCODER_CTX* ectx =
      OSSL_ENCODER_CTX_new_for_pkey(pkey_.get(), EVP_PKEY_KEYPAIR, "PEM", "type-specific", nullptr);
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

RsaPublicKey RsaPrivateKey::public_key() const {
  EVP_PKEY_up_ref(pkey_.get());
  return RsaPublicKey(ossl::Pkey(pkey_.get()));
}
std::size_t RsaPrivateKey::modulus_bytes() const { return static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get())); }
Bytes RsaPrivateKey::modulus_be() const {
  auto n = pkey_bn_param(pkey_.get(), OSSL_PKEY_PARAM_RSA_N);
  return n ? *n : Bytes{};
}
std::uint64_t RsaPrivateKey::exponent() const { return bn_u64(pkey_.get(), OSSL_PKEY_PARAM_RSA_E); }

Result<Bytes> RsaPrivateKey::sign_pkcs1_sha256(ByteSpan message) const {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, pkey_.get(), nullptr) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return Error(ossl::error_text("RSA sign init"));
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return Error(ossl::error_text("RSA sign size"));
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    return Error(ossl::error_text("RSA sign"));
  sig.resize(len);
  return sig;
}

Result<std::pair<Bytes, Bytes>> rsa_q1_q2(ByteSpan signature_be, ByteSpan modulus_be, std::size_t out_len) {
  if (signature_be.size() > INT_MAX || modulus_be.size() > INT_MAX) return Error("Q1/Q2: input too large");
  ossl::BnCtx bctx(BN_CTX_new());
  ossl::Bn s(BN_bin2bn(signature_be.data(), static_cast<int>(signature_be.size()), nullptr));
  ossl::Bn m(BN_bin2bn(modulus_be.data(), static_cast<int>(modulus_be.size()), nullptr));
  ossl::Bn q1(BN_new()), q2(BN_new()), t(BN_new()), r(BN_new());
  if (!bctx || !s || !m || !q1 || !q2 || !t || !r || BN_is_zero(m.get())) return Error("Q1/Q2: bignum setup");
  // Q1 = floor(S^2 / M); R = S^2 mod M.
  if (BN_sqr(t.get(), s.get(), bctx.get()) != 1 || BN_div(q1.get(), r.get(), t.get(), m.get(), bctx.get()) != 1)
    return Error(ossl::error_text("Q1"));
  // S^3 - Q1*S*M = S*(S^2 - Q1*M) = S*R, so Q2 = floor(S*R / M).
  if (BN_mul(t.get(), s.get(), r.get(), bctx.get()) != 1 || BN_div(q2.get(), nullptr, t.get(), m.get(), bctx.get()) != 1)
    return Error(ossl::error_text("Q2"));
  Bytes b1(out_len), b2(out_len);
  if (BN_bn2binpad(q1.get(), b1.data(), static_cast<int>(out_len)) < 0 ||
      BN_bn2binpad(q2.get(), b2.data(), static_cast<int>(out_len)) < 0)
    return Error("Q1/Q2 do not fit");
  return std::make_pair(std::move(b1), std::move(b2));
}

}  // namespace nsgx::crypto
