#include "crypto/x509_builder.h"

#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <climits>

namespace nsgx::crypto {

namespace {

// A standard extension from OpenSSL's configuration syntax (basicConstraints,
// keyUsage, key identifiers), with `issuer` as the signing certificate.
Status add_conf_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ossl::X509Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return Error(ossl::error_text(OBJ_nid2sn(nid)));
  return {};
}

Status add_raw_ext(X509* cert, const CertificateExtension& e) {
  ossl::Asn1Object obj(OBJ_txt2obj(e.oid.c_str(), 1));
  ossl::Asn1String value(ASN1_OCTET_STRING_new());
  if (!obj || !value || e.value.size() > INT_MAX ||
      ASN1_OCTET_STRING_set(value.get(), e.value.data(), static_cast<int>(e.value.size())) != 1)
    return Error(ossl::error_text(("extension " + e.oid).c_str()));
  ossl::X509Extension ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), e.critical ? 1 : 0, value.get()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return Error(ossl::error_text(("extension " + e.oid).c_str()));
  return {};
}

// RSASSA-PSS, SHA-384, MGF1 with SHA-384, salt = digest length (48): the
// parameters of every signature in AMD's ARK/ASK/VCEK chain.
Status sign_rsa_pss_sha384(X509* cert, const RsaPrivateKey& key) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA384", nullptr, nullptr, key.raw(), nullptr) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", nullptr) != 1)
    return Error(ossl::error_text("RSA-PSS signing setup"));
  if (X509_sign_ctx(cert, ctx.get()) <= 0) return Error(ossl::error_text("certificate signing"));
  return {};
}

Result<Certificate> issue(const CertificateSpec& spec, EVP_PKEY* subject_key, const RsaPrivateKey& issuer_key,
                          const Certificate* issuer) {
  if (spec.not_after < spec.not_before) return Error("certificate notAfter precedes notBefore");
  ossl::X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), spec.serial) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(spec.not_after)) == nullptr ||
      X509_set_pubkey(x.get(), subject_key) != 1)
    return Error(ossl::error_text("certificate fields"));
  X509_NAME* name = X509_get_subject_name(x.get());
  for (const auto& [field, value] : spec.subject)
    if (X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1)
      return Error(ossl::error_text(("subject " + field).c_str()));
  if (X509_set_issuer_name(x.get(), issuer != nullptr ? X509_get_subject_name(issuer->raw()) : name) != 1)
    return Error(ossl::error_text("issuer name"));

  X509* signer = issuer != nullptr ? issuer->raw() : x.get();
  if (spec.ca) {
    const std::string bc = "critical,CA:TRUE" + (spec.path_len >= 0 ? ",pathlen:" + std::to_string(spec.path_len) : "");
    NSGX_RETURN_IF_ERROR(add_conf_ext(x.get(), signer, NID_basic_constraints, bc.c_str()));
    NSGX_RETURN_IF_ERROR(add_conf_ext(x.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    NSGX_RETURN_IF_ERROR(add_conf_ext(x.get(), signer, NID_key_usage, "critical,digitalSignature"));
  }
  NSGX_RETURN_IF_ERROR(add_conf_ext(x.get(), signer, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) NSGX_RETURN_IF_ERROR(add_conf_ext(x.get(), signer, NID_authority_key_identifier, "keyid"));
  for (const auto& e : spec.extensions) NSGX_RETURN_IF_ERROR(add_raw_ext(x.get(), e));

  NSGX_RETURN_IF_ERROR(sign_rsa_pss_sha384(x.get(), issuer_key));
  return Certificate::from_x509(std::move(x));
}

}  // namespace

Result<Certificate> issue_certificate(const CertificateSpec& spec, const RsaPublicKey& subject_key,
                                      const RsaPrivateKey& issuer_key, const Certificate* issuer) {
  return issue(spec, subject_key.raw(), issuer_key, issuer);
}

Result<Certificate> issue_certificate(const CertificateSpec& spec, const EcdsaP384PublicKey& subject_key,
                                      const RsaPrivateKey& issuer_key, const Certificate* issuer) {
  return issue(spec, subject_key.raw(), issuer_key, issuer);
}

}  // namespace nsgx::crypto
