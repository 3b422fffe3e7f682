#include "crypto/ecdh.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "crypto/ec_point.h"

namespace nsgx::crypto {

namespace {

constexpr char kGroup[] = "P-256";

Result<ossl::Pkey> public_from_point(ByteSpan point) {
  if (point.size() != 65 || point[0] != 0x04) return Error("a P-256 public key is 65 bytes, 04 || x || y");
  return ec_public_key_from_point(kGroup, point);
}

}  // namespace

Result<EcdhP256> EcdhP256::generate() {
  EVP_PKEY* pkey = EVP_EC_gen(kGroup);
  if (pkey == nullptr) return Error(ossl::error_text("P-256 key generation"));
  return EcdhP256(ossl::Pkey(pkey));
}

Bytes EcdhP256::public_point() const {
  Bytes out(65);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len) != 1 ||
      len != out.size())
    return {};
  return out;
}

Result<Bytes> EcdhP256::derive(ByteSpan peer_point) const {
  NSGX_ASSIGN_OR_RETURN(auto peer, public_from_point(peer_point));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    return Error(ossl::error_text("ECDH"));
  Bytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) return Error(ossl::error_text("ECDH"));
  out.resize(len);
  return out;
}

Result<Bytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  Bytes out(length);
  std::size_t len = length;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt.data(), static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.data(), static_cast<int>(ikm.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info.data(), static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != length)
    return Error(ossl::error_text("HKDF-SHA-256"));
  return out;
}

}  // namespace nsgx::crypto
