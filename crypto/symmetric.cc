#include "crypto/symmetric.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

#include "crypto/ossl.h"

namespace nsgx::crypto {

namespace {
EVP_MAC* cmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  return mac;
}
const EVP_CIPHER* gcm_cipher(std::size_t key_len) {
  static EVP_CIPHER* gcm128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* gcm256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (key_len == 16) return gcm128;
  if (key_len == 32) return gcm256;
  return nullptr;
}
bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }
}  // namespace

Result<Mac128> aes128_cmac(const Key128& key, ByteSpan data) {
  if (cmac_algorithm() == nullptr) return Error(ossl::error_text("CMAC unavailable"));
  ossl::MacCtx ctx(EVP_MAC_CTX_new(cmac_algorithm()));
  if (!ctx) return Error(ossl::error_text("CMAC context"));
  char cipher[] = "AES-128-CBC";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0), OSSL_PARAM_END};
  Mac128 out{};
  std::size_t len = 0;
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size())
    return Error(ossl::error_text("AES-CMAC"));
  return out;
}

Result<Mac128> aes_gcm_encrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan plaintext,
                               MutableByteSpan ciphertext) {
  const EVP_CIPHER* cipher = gcm_cipher(key.size());
  if (cipher == nullptr) return Error("AES-GCM: key must be 16 or 32 bytes");
  if (iv.size() != 12) return Error("AES-GCM: IV must be 12 bytes");
  if (ciphertext.size() != plaintext.size()) return Error("AES-GCM: output size mismatch");
  if (!fits_int(aad.size()) || !fits_int(plaintext.size())) return Error("AES-GCM: input too large");
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  Mac128 tag{};
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), iv.data(), nullptr) != 1)
    return Error(ossl::error_text("AES-GCM init"));
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return Error(ossl::error_text("AES-GCM aad"));
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), ciphertext.data(), &len, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1)
    return Error(ossl::error_text("AES-GCM encrypt"));
  if (EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()), tag.data()) != 1)
    return Error(ossl::error_text("AES-GCM final"));
  return tag;
}

Status aes_gcm_decrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan ciphertext, const Mac128& tag,
                       MutableByteSpan plaintext) {
  const EVP_CIPHER* cipher = gcm_cipher(key.size());
  if (cipher == nullptr) return Error("AES-GCM: key must be 16 or 32 bytes");
  if (iv.size() != 12) return Error("AES-GCM: IV must be 12 bytes");
  if (ciphertext.size() != plaintext.size()) return Error("AES-GCM: output size mismatch");
  if (!fits_int(aad.size()) || !fits_int(ciphertext.size())) return Error("AES-GCM: input too large");
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  Mac128 tag_copy = tag;
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(), iv.data(), nullptr) != 1)
    return Error(ossl::error_text("AES-GCM init"));
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return Error(ossl::error_text("AES-GCM aad"));
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, ciphertext.data(),
                                               static_cast<int>(ciphertext.size())) != 1)
    return Error(ossl::error_text("AES-GCM decrypt"));
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_copy.size()), tag_copy.data()) != 1)
    return Error(ossl::error_text("AES-GCM tag"));
  if (EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return Error("AES-GCM: authentication failed (MAC mismatch)");
  }
  return {};
}

Status random_bytes(MutableByteSpan out) {
  if (!fits_int(out.size())) return Error("random_bytes: request too large");
  if (RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) return Error(ossl::error_text("RAND_priv_bytes"));
  return {};
}

void cleanse(MutableByteSpan bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

bool equal_ct(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace nsgx::crypto
