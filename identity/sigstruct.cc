#include "identity/sigstruct.h"

#include <algorithm>
#include <cstring>

namespace nsgx::identity {

namespace {

// Big-endian (OpenSSL) <-> little-endian (SIGSTRUCT) fixed-width conversion.
void be_to_le(ByteSpan be, std::uint8_t* le, std::size_t width) {
  std::memset(le, 0, width);
  const std::size_t n = std::min(be.size(), width);
  for (std::size_t i = 0; i < n; ++i) le[i] = be[be.size() - 1 - i];
}
Bytes le_to_be(const std::uint8_t* le, std::size_t width) {
  Bytes be(width);
  for (std::size_t i = 0; i < width; ++i) be[i] = le[width - 1 - i];
  return be;
}

}  // namespace

sgx::Sigstruct make_sigstruct(const SigstructFields& f) {
  sgx::Sigstruct ss{};
  std::memcpy(ss.header, sgx::kSigstructHeader.data(), sizeof ss.header);
  std::memcpy(ss.header2, sgx::kSigstructHeader2.data(), sizeof ss.header2);
  ss.vendor = f.vendor;
  ss.date = f.date;
  ss.swdefined = f.swdefined;
  ss.exponent = sgx::kSigstructExponent;
  ss.misc_select = f.misc_select;
  ss.misc_mask = f.misc_mask;
  ss.attributes = f.attributes;
  ss.attribute_mask = f.attribute_mask;
  std::memcpy(ss.enclave_hash, f.enclave_hash.data(), sizeof ss.enclave_hash);
  ss.isv_prod_id = f.isv_prod_id;
  ss.isv_svn = f.isv_svn;
  std::memcpy(ss.isv_family_id, f.isv_family_id.data(), sizeof ss.isv_family_id);
  std::memcpy(ss.isv_ext_prod_id, f.isv_ext_prod_id.data(), sizeof ss.isv_ext_prod_id);
  return ss;
}

std::array<std::uint8_t, 256> signed_message(const sgx::Sigstruct& ss) {
  std::array<std::uint8_t, 256> msg{};
  ByteSpan raw = as_bytes(ss);
  std::memcpy(msg.data(), raw.data() + sgx::kSigstructHeaderOffset, sgx::kSigstructHeaderSize);
  std::memcpy(msg.data() + 128, raw.data() + sgx::kSigstructBodyOffset, sgx::kSigstructBodySize);
  return msg;
}

Status sign_sigstruct(sgx::Sigstruct& ss, const crypto::RsaPrivateKey& key) {
  if (key.modulus_bytes() != sgx::kRsa3072Bytes) return Error("signing key is not RSA-3072");
  if (key.exponent() != sgx::kSigstructExponent) return Error("signing key's public exponent is not 3");
  const Bytes modulus = key.modulus_be();
  be_to_le(modulus, ss.modulus, sizeof ss.modulus);
  ss.exponent = sgx::kSigstructExponent;
  auto sig = key.sign_pkcs1_sha256(signed_message(ss));
  if (!sig) return sig.error();
  auto q = crypto::rsa_q1_q2(*sig, modulus, sgx::kRsa3072Bytes);
  if (!q) return q.error();
  be_to_le(*sig, ss.signature, sizeof ss.signature);
  be_to_le(q->first, ss.q1, sizeof ss.q1);
  be_to_le(q->second, ss.q2, sizeof ss.q2);
  return {};
}

Status verify_sigstruct(const sgx::Sigstruct& ss, SigstructFailure* failure) {
  auto fail = [failure](SigstructFailure kind, const char* why) {
    if (failure != nullptr) *failure = kind;
    return Error(why);
  };
  if (failure != nullptr) *failure = SigstructFailure::kNone;
  if (std::memcmp(ss.header, sgx::kSigstructHeader.data(), sizeof ss.header) != 0)
    return fail(SigstructFailure::kMalformed, "HEADER is not the SIGSTRUCT constant 06000000E10000000000010000000000");
  if (std::memcmp(ss.header2, sgx::kSigstructHeader2.data(), sizeof ss.header2) != 0)
    return fail(SigstructFailure::kMalformed, "HEADER2 is not the SIGSTRUCT constant 01010000600000006000000001000000");
  if (ss.vendor != 0 && ss.vendor != sgx::kVendorIntel) return fail(SigstructFailure::kMalformed, "VENDOR is neither 0 nor 0x8086");
  if (ss.exponent != sgx::kSigstructExponent) return fail(SigstructFailure::kMalformed, "EXPONENT is not 3");
  if (!all_zero(ByteSpan(ss.reserved1, sizeof ss.reserved1)) || !all_zero(ByteSpan(ss.reserved2, sizeof ss.reserved2)) ||
      !all_zero(ByteSpan(ss.reserved3, sizeof ss.reserved3)))
    return fail(SigstructFailure::kMalformed, "a reserved field of the signed HEADER/BODY is not zero");
  const Bytes modulus = le_to_be(ss.modulus, sizeof ss.modulus);
  const Bytes signature = le_to_be(ss.signature, sizeof ss.signature);
  if ((modulus[0] & 0x80) == 0) return fail(SigstructFailure::kMalformed, "MODULUS is not a 3072-bit number");
  if (std::lexicographical_compare(modulus.begin(), modulus.end(), signature.begin(), signature.end()) ||
      modulus == signature)
    return fail(SigstructFailure::kSignature, "SIGNATURE is not smaller than MODULUS");
  auto q = crypto::rsa_q1_q2(signature, modulus, sgx::kRsa3072Bytes);
  if (!q) return fail(SigstructFailure::kSignature, "Q1/Q2 cannot be computed");
  if (q->first != le_to_be(ss.q1, sizeof ss.q1)) return fail(SigstructFailure::kSignature, "Q1 does not match SIGNATURE and MODULUS");
  if (q->second != le_to_be(ss.q2, sizeof ss.q2)) return fail(SigstructFailure::kSignature, "Q2 does not match SIGNATURE and MODULUS");
  auto pub = crypto::RsaPublicKey::from_components(modulus, sgx::kSigstructExponent);
  if (!pub) return fail(SigstructFailure::kMalformed, "MODULUS is not a usable RSA key");
  if (!pub->verify_pkcs1_sha256(signed_message(ss), signature))
    return fail(SigstructFailure::kSignature, "SIGNATURE does not verify over HEADER||BODY with MODULUS");
  return {};
}

Mrsigner mrsigner(const sgx::Sigstruct& ss) { return crypto::sha256(ByteSpan(ss.modulus, sizeof ss.modulus)); }

Mrsigner mrsigner(const crypto::RsaPrivateKey& key) {
  std::uint8_t le[sgx::kRsa3072Bytes];
  be_to_le(key.modulus_be(), le, sizeof le);
  return crypto::sha256(ByteSpan(le, sizeof le));
}

Result<sgx::Sigstruct> parse_sigstruct(ByteSpan bytes) {
  if (bytes.size() != sizeof(sgx::Sigstruct))
    return Error("SIGSTRUCT must be " + std::to_string(sizeof(sgx::Sigstruct)) + " bytes, got " +
                 std::to_string(bytes.size()));
  return copy_struct<sgx::Sigstruct>(bytes);
}

}  // namespace nsgx::identity
