#include "crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <climits>
#include <ctime>

namespace nsgx::crypto {

namespace {

struct PssFree {
  void operator()(RSA_PSS_PARAMS* p) const { RSA_PSS_PARAMS_free(p); }
};

Result<UnixTime> to_unix(const ASN1_TIME* t, const char* which) {
  // ASN1_TIME_to_tm(nullptr, ...) would mean "now": never let a missing field pass.
  if (t == nullptr) return Error(std::string("certificate has no ") + which);
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return Error(ossl::error_text(which));
  return static_cast<UnixTime>(timegm(&tm));
}

std::string name_text(const X509_NAME* name) {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string object_name(const ASN1_OBJECT* obj) {
  const int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 ? std::string(buf) : std::string("unknown algorithm");
}

Result<ossl::Asn1Object> parse_oid(std::string_view dotted) {
  const std::string s(dotted);
  ossl::Asn1Object obj(OBJ_txt2obj(s.c_str(), 1));  // 1: numeric form only, never a name
  if (!obj) {
    ERR_clear_error();
    return Error("not an OID: " + s);
  }
  return obj;
}

// The digest algorithm an AlgorithmIdentifier names; `absent` when it is omitted (RFC 4055 defaults).
int digest_nid(const X509_ALGOR* alg, int absent) {
  if (alg == nullptr) return absent;
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return OBJ_obj2nid(obj);
}

template <typename T, typename F>
Result<T> decode_whole(ByteSpan der, F d2i, const char* what) {
  if (der.size() > LONG_MAX) return Error(std::string(what) + ": too long");
  const unsigned char* p = der.data();
  ossl::Asn1String s(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (!s || p != der.data() + der.size()) {
    ERR_clear_error();
    return Error(std::string("not a DER ") + what);
  }
  return T(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s.get())),
           static_cast<std::size_t>(ASN1_STRING_length(s.get())));
}

template <typename F>
Bytes encode(const ASN1_STRING* s, F i2d) {
  unsigned char* out = nullptr;
  const int len = i2d(s, &out);
  if (len <= 0) return {};
  Bytes b(out, out + len);
  OPENSSL_free(out);
  return b;
}

Bytes encode_string(int type, std::string_view value) {
  ossl::Asn1String s(ASN1_STRING_type_new(type));
  if (!s || value.size() > INT_MAX || ASN1_STRING_set(s.get(), value.data(), static_cast<int>(value.size())) != 1)
    return {};
  if (type == V_ASN1_IA5STRING)
    return encode(s.get(), [](const ASN1_STRING* v, unsigned char** o) { return i2d_ASN1_IA5STRING(v, o); });
  return encode(s.get(), [](const ASN1_STRING* v, unsigned char** o) { return i2d_ASN1_UTF8STRING(v, o); });
}

}  // namespace

UnixTime unix_now() { return static_cast<UnixTime>(std::time(nullptr)); }

std::string format_utc(UnixTime t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t) + " (seconds since 1970)";
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// ---- parsing ----

Result<Certificate> Certificate::from_x509(ossl::X509Ptr x509) {
  if (!x509) return Error("no certificate");
  unsigned char* der = nullptr;
  const int len = i2d_X509(x509.get(), &der);
  if (len <= 0) return Error(ossl::error_text("certificate encoding"));
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  NSGX_ASSIGN_OR_RETURN(const UnixTime nb, to_unix(X509_get0_notBefore(x509.get()), "notBefore"));
  NSGX_ASSIGN_OR_RETURN(const UnixTime na, to_unix(X509_get0_notAfter(x509.get()), "notAfter"));
  return Certificate(std::move(x509), std::move(bytes), nb, na);
}

Result<Certificate> Certificate::from_der(ByteSpan der) {
  if (der.empty() || der.size() > LONG_MAX) return Error("empty or oversized certificate");
  const unsigned char* p = der.data();
  ossl::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return Error(ossl::error_text("not a DER X.509 certificate"));
  if (p != der.data() + der.size())
    return Error(std::to_string(der.data() + der.size() - p) + " bytes after the DER certificate");
  return from_x509(std::move(x));
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  if (pem.size() > INT_MAX) return Error("oversized PEM");
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error(ossl::error_text("BIO"));
  ossl::X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) return Error(ossl::error_text("not a PEM X.509 certificate"));
  ossl::X509Ptr second(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();  // the expected "no start line" after the last one
  if (second) return Error("more than one certificate in the PEM input (expected exactly one)");
  return from_x509(std::move(x));
}

Result<Certificate> Certificate::parse(ByteSpan der_or_pem) {
  // A DER certificate is a SEQUENCE, so it starts with 0x30; PEM may start
  // with explanatory text before "-----BEGIN CERTIFICATE-----".
  if (der_or_pem.empty() || der_or_pem[0] == 0x30) return from_der(der_or_pem);
  return from_pem(std::string_view(reinterpret_cast<const char*>(der_or_pem.data()), der_or_pem.size()));
}

namespace {
// Another owner of the same (immutable) certificate object.
ossl::X509Ptr share(X509* x) {
  if (x != nullptr) X509_up_ref(x);
  return ossl::X509Ptr(x);
}
}  // namespace

Certificate::Certificate(const Certificate& other)
    : x509_(share(other.x509_.get())), der_(other.der_), not_before_(other.not_before_), not_after_(other.not_after_) {}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) *this = Certificate(other);
  return *this;
}

// ---- fields ----

std::string Certificate::pem() const {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x509_.get()) != 1) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string Certificate::subject() const { return name_text(X509_get_subject_name(x509_.get())); }
std::string Certificate::issuer() const { return name_text(X509_get_issuer_name(x509_.get())); }

std::string Certificate::subject_common_name() const {
  const X509_NAME* name = X509_get_subject_name(x509_.get());
  int idx = -1;
  int last = -1;
  while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0) last = idx;
  if (last < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

Result<std::optional<Bytes>> Certificate::extension(std::string_view dotted_oid) const {
  NSGX_ASSIGN_OR_RETURN(auto obj, parse_oid(dotted_oid));
  const int idx = X509_get_ext_by_OBJ(x509_.get(), obj.get(), -1);
  if (idx < 0) return std::optional<Bytes>();
  if (X509_get_ext_by_OBJ(x509_.get(), obj.get(), idx) >= 0)
    return Error("extension " + std::string(dotted_oid) + " appears more than once");
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(x509_.get(), idx));
  if (data == nullptr) return Error("extension " + std::string(dotted_oid) + " has no value");
  const unsigned char* p = ASN1_STRING_get0_data(data);
  return std::optional<Bytes>(Bytes(p, p + ASN1_STRING_length(data)));
}

std::string Certificate::signature_algorithm() const {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, x509_.get());
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return object_name(obj);
}

Result<PssParameters> Certificate::pss_parameters() const {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, x509_.get());
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  if (OBJ_obj2nid(obj) != NID_rsassaPss)
    return Error("signature algorithm is " + object_name(obj) + ", not RSASSA-PSS");
  // RFC 4055 §3.1: RSASSA-PSS-params is a SEQUENCE whose every field has a
  // default (SHA-1, MGF1 with SHA-1, salt 20, trailer 1).
  if (ptype != V_ASN1_SEQUENCE) return Error("RSASSA-PSS without parameters");
  // For a SEQUENCE parameter X509_ALGOR_get0 yields the ASN1_STRING of its encoding.
  std::unique_ptr<RSA_PSS_PARAMS, PssFree> pss(static_cast<RSA_PSS_PARAMS*>(
      ASN1_item_unpack(static_cast<const ASN1_STRING*>(pval), ASN1_ITEM_rptr(RSA_PSS_PARAMS))));
  if (!pss) return Error(ossl::error_text("malformed RSASSA-PSS parameters"));
  PssParameters out;
  out.hash = OBJ_nid2sn(digest_nid(pss->hashAlgorithm, NID_sha1));
  int mgf1_nid = NID_sha1;
  if (pss->maskGenAlgorithm != nullptr) {
    const ASN1_OBJECT* mgf = nullptr;
    int mgf_ptype = 0;
    const void* mgf_val = nullptr;
    X509_ALGOR_get0(&mgf, &mgf_ptype, &mgf_val, pss->maskGenAlgorithm);
    if (OBJ_obj2nid(mgf) != NID_mgf1) return Error("RSASSA-PSS mask generation is " + object_name(mgf) + ", not MGF1");
    if (mgf_ptype != V_ASN1_SEQUENCE) return Error("MGF1 without a hash algorithm");
    ossl::X509Algor mgf_hash(static_cast<X509_ALGOR*>(
        ASN1_item_unpack(static_cast<const ASN1_STRING*>(mgf_val), ASN1_ITEM_rptr(X509_ALGOR))));
    if (!mgf_hash) return Error(ossl::error_text("malformed MGF1 parameters"));
    mgf1_nid = digest_nid(mgf_hash.get(), NID_sha1);
  }
  out.mgf1_hash = OBJ_nid2sn(mgf1_nid);
  out.salt_length = pss->saltLength != nullptr ? ASN1_INTEGER_get(pss->saltLength) : 20;
  out.trailer_field = pss->trailerField != nullptr ? ASN1_INTEGER_get(pss->trailerField) : 1;
  return out;
}

Status Certificate::verify_signature(const RsaPublicKey& issuer_key) const {
  if (X509_verify(x509_.get(), issuer_key.raw()) != 1) {
    ERR_clear_error();
    return Error("certificate signature does not verify");
  }
  return {};
}

Result<RsaPublicKey> Certificate::rsa_public_key() const {
  ossl::Pkey key(X509_get_pubkey(x509_.get()));
  if (!key) return Error(ossl::error_text("certificate public key"));
  if (EVP_PKEY_is_a(key.get(), "RSA") != 1) return Error("certificate key is not an RSA key");
  return RsaPublicKey(std::move(key));
}

Result<EcdsaP384PublicKey> Certificate::ec_p384_public_key() const {
  ossl::Pkey key(X509_get_pubkey(x509_.get()));
  if (!key) return Error(ossl::error_text("certificate public key"));
  return EcdsaP384PublicKey::from_pkey(std::move(key));
}

// ---- DER values ----

Result<std::int64_t> der_decode_integer(ByteSpan der) {
  if (der.size() > LONG_MAX) return Error("INTEGER: too long");
  const unsigned char* p = der.data();
  ossl::Asn1String i(d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(der.size())));
  std::int64_t v = 0;
  if (!i || p != der.data() + der.size() || ASN1_INTEGER_get_int64(&v, i.get()) != 1) {
    ERR_clear_error();
    return Error("not a DER INTEGER that fits 64 bits");
  }
  return v;
}

Result<std::string> der_decode_ia5string(ByteSpan der) {
  return decode_whole<std::string>(der, d2i_ASN1_IA5STRING, "IA5String");
}

Result<std::string> der_decode_utf8string(ByteSpan der) {
  return decode_whole<std::string>(der, d2i_ASN1_UTF8STRING, "UTF8String");
}

Bytes der_encode_integer(std::int64_t value) {
  ossl::Asn1String i(ASN1_INTEGER_new());
  if (!i || ASN1_INTEGER_set_int64(i.get(), value) != 1) return {};
  return encode(i.get(), [](const ASN1_STRING* v, unsigned char** o) { return i2d_ASN1_INTEGER(v, o); });
}

Bytes der_encode_ia5string(std::string_view value) { return encode_string(V_ASN1_IA5STRING, value); }
Bytes der_encode_utf8string(std::string_view value) { return encode_string(V_ASN1_UTF8STRING, value); }

}  // namespace nsgx::crypto
