// SIGSTRUCT: build, sign, verify, and MRSIGNER.
// SDM Vol.3D 34.13 and EINIT (38.x): the signature is RSA-3072, exponent 3,
// PKCS#1 v1.5 with SHA-256 over HEADER (bytes 0-127) || BODY (bytes
// 900-1027); MODULUS, SIGNATURE, Q1 and Q2 are stored little-endian;
// MRSIGNER = SHA-256 of the 384-byte little-endian MODULUS.
//
//   SigstructFields f;  f.enclave_hash = mr;  f.date = 0x20240131;
//   sgx::Sigstruct ss = make_sigstruct(f);
//   NSGX_RETURN_IF_ERROR(sign_sigstruct(ss, key));
//   Status ok = verify_sigstruct(ss);   // error says which check failed
#pragma once

#include <array>
#include <cstdint>

#include "arch/sgx/sigstruct.h"
#include "base/bytes.h"
#include "crypto/rsa.h"
#include "crypto/sha.h"

namespace nsgx::identity {

using Mrsigner = crypto::Digest256;

// Everything a signer chooses. The defaults are those of common SGX signing
// tools: a 64-bit, non-debug enclave with x87+SSE, with every attribute but
// DEBUG and every XFRM bit but the optional AVX/AVX-512 ones enforced.
struct SigstructFields {
  std::uint32_t vendor = 0;
  std::uint32_t date = 0;  // BCD yyyymmdd, e.g. 0x20240131
  std::uint32_t swdefined = 0;
  std::uint32_t misc_select = 0;
  std::uint32_t misc_mask = 0xffffffff;
  sgx::Attributes attributes{sgx::attr::kMode64Bit, sgx::xfrm::kLegacy};
  sgx::Attributes attribute_mask{~sgx::attr::kDebug, 0xffffffffffffff1bull};
  std::array<std::uint8_t, 32> enclave_hash{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t isv_svn = 0;
  std::array<std::uint8_t, 16> isv_family_id{};    // KSS
  std::array<std::uint8_t, 16> isv_ext_prod_id{};  // KSS
};

// An unsigned SIGSTRUCT with the header constants and the given fields.
sgx::Sigstruct make_sigstruct(const SigstructFields& fields);

// Fills MODULUS, EXPONENT, SIGNATURE, Q1 and Q2. The key must be RSA-3072
// with public exponent 3 (EINIT rejects anything else).
Status sign_sigstruct(sgx::Sigstruct& ss, const crypto::RsaPrivateKey& key);

// The 256 signed bytes: HEADER || BODY.
std::array<std::uint8_t, 256> signed_message(const sgx::Sigstruct& ss);

// Which class of EINIT failure a SIGSTRUCT check maps to (SDM EINIT):
// malformed fields give SGX_INVALID_SIG_STRUCT, a wrong Q1/Q2 or RSA
// signature gives SGX_INVALID_SIGNATURE.
enum class SigstructFailure { kNone, kMalformed, kSignature };

// EINIT's checks on the SIGSTRUCT itself, in EINIT's order: header
// constants, exponent, reserved fields, Q1/Q2, and the RSA signature.
// The error names the first check that failed; `failure`, when given,
// receives its class.
Status verify_sigstruct(const sgx::Sigstruct& ss, SigstructFailure* failure = nullptr);

Mrsigner mrsigner(const sgx::Sigstruct& ss);
// MRSIGNER of a key (SHA-256 of its little-endian modulus).
Mrsigner mrsigner(const crypto::RsaPrivateKey& key);

// Exactly sizeof(Sigstruct) bytes; no other check (verify_sigstruct does those).
Result<sgx::Sigstruct> parse_sigstruct(ByteSpan bytes);

}  // namespace nsgx::identity
