// RAII ownership of OpenSSL 3 objects and error text. Internal to crypto/.
#pragma once

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace nsgx::crypto::ossl {

struct Free {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_ALGOR* p) const { X509_ALGOR_free(p); }
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};

using MdCtx = std::unique_ptr<EVP_MD_CTX, Free>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Free>;
using Mac = std::unique_ptr<EVP_MAC, Free>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, Free>;
using Pkey = std::unique_ptr<EVP_PKEY, Free>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Free>;
using Bn = std::unique_ptr<BIGNUM, Free>;
using BnCtx = std::unique_ptr<BN_CTX, Free>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Free>;
using Params = std::unique_ptr<OSSL_PARAM, Free>;
using X509Ptr = std::unique_ptr<X509, Free>;
using X509Name = std::unique_ptr<X509_NAME, Free>;
using X509Extension = std::unique_ptr<X509_EXTENSION, Free>;
using X509Algor = std::unique_ptr<X509_ALGOR, Free>;
using Asn1Object = std::unique_ptr<ASN1_OBJECT, Free>;
using Asn1String = std::unique_ptr<ASN1_STRING, Free>;  // also ASN1_INTEGER, ASN1_IA5STRING, ASN1_OCTET_STRING
using Bio = std::unique_ptr<BIO, Free>;

// The most recent OpenSSL error as text, prefixed by what we were doing; clears the queue.
inline std::string error_text(const char* what) {
  unsigned long e = ERR_get_error();
  std::string out = what;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

}  // namespace nsgx::crypto::ossl
