#include "crypto/sha.h"

#include <cstdlib>

namespace nsgx::crypto {

namespace {
// Fetched once: EVP_MD_fetch per context would dominate small updates.
const EVP_MD* md_sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
const EVP_MD* md_sha384() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return md;
}

// Digest failures only happen when OpenSSL itself is broken (no provider,
// out of memory); there is no meaningful recovery, so stop loudly.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fatal: %s\n", ossl::error_text(what).c_str());
  std::abort();
}

ossl::MdCtx new_ctx(const EVP_MD* md) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || md == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) die("digest init");
  return ctx;
}
}  // namespace

Sha256::Sha256() : ctx_(new_ctx(md_sha256())) {}
Sha256::Sha256(const Sha256& other) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get()) != 1) die("digest copy");
}
Sha256& Sha256::operator=(const Sha256& other) {
  if (this != &other && EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get()) != 1) die("digest copy");
  return *this;
}
void Sha256::update(ByteSpan data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) die("digest update");
}
Digest256 Sha256::finish() {
  Digest256 out{};
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), nullptr) != 1 ||
      EVP_DigestInit_ex2(ctx_.get(), md_sha256(), nullptr) != 1)
    die("digest final");
  return out;
}

Sha384::Sha384() : ctx_(new_ctx(md_sha384())) {}
void Sha384::update(ByteSpan data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) die("digest update");
}
Digest384 Sha384::finish() {
  Digest384 out{};
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), nullptr) != 1 ||
      EVP_DigestInit_ex2(ctx_.get(), md_sha384(), nullptr) != 1)
    die("digest final");
  return out;
}

Digest256 sha256(ByteSpan data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}
Digest384 sha384(ByteSpan data) {
  Sha384 h;
  h.update(data);
  return h.finish();
}
Digest512 sha512(ByteSpan data) {
  Digest512 out{};
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha512(), nullptr) != 1 || len != out.size())
    die("sha512");
  return out;
}

}  // namespace nsgx::crypto
