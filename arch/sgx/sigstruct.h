// SIGSTRUCT (enclave signature structure) and EINITTOKEN.
// SDM Vol.3D 34.13 "Enclave Signature Structure (SIGSTRUCT)", Table 34-15,
// and 34.14 "EINIT Token Structure (EINITTOKEN)", Table 34-16.
//
// Multi-byte integers (MODULUS, SIGNATURE, Q1, Q2) are little-endian. The RSA
// signature covers HEADER (bytes 0-127) followed by BODY (bytes 900-1027).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/secs.h"

namespace nsgx::sgx {

inline constexpr std::size_t kRsa3072Bytes = 384;

// HEADER: 06000000E10000000000010000000000h; bytes 12-15 are the "type"
// word whose bit 31 may mark a debug signer in Intel's tooling — the SDM
// requires the fixed constant, so we compare the first 12 bytes and the
// type word separately.
inline constexpr std::array<std::uint8_t, 16> kSigstructHeader = {
    0x06, 0x00, 0x00, 0x00, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
// HEADER2: 01010000600000006000000001000000h.
inline constexpr std::array<std::uint8_t, 16> kSigstructHeader2 = {
    0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
inline constexpr std::uint32_t kSigstructExponent = 3;
inline constexpr std::uint32_t kVendorIntel = 0x8086;

struct Sigstruct {
  // --- HEADER (signed) ---
  std::uint8_t header[16];
  std::uint32_t vendor;        // 0x8086 for Intel, 0 otherwise
  std::uint32_t date;          // BCD yyyymmdd
  std::uint8_t header2[16];
  std::uint32_t swdefined;     // available for software
  std::uint8_t reserved1[84];  // must be zero
  // --- key and signature (not signed) ---
  std::uint8_t modulus[384];
  std::uint32_t exponent;
  std::uint8_t signature[384];
  // --- BODY (signed) ---
  std::uint32_t misc_select;
  std::uint32_t misc_mask;
  std::uint8_t cet_attributes;
  std::uint8_t cet_attributes_mask;
  std::uint8_t reserved2[2];
  std::uint8_t isv_family_id[16];  // KSS
  Attributes attributes;
  Attributes attribute_mask;
  std::uint8_t enclave_hash[32];
  std::uint8_t reserved3[16];
  std::uint8_t isv_ext_prod_id[16];  // KSS
  std::uint16_t isv_prod_id;
  std::uint16_t isv_svn;
  // --- buffer (not signed) ---
  std::uint8_t reserved4[12];
  std::uint8_t q1[384];
  std::uint8_t q2[384];
};
static_assert(std::is_trivially_copyable_v<Sigstruct>);
static_assert(sizeof(Sigstruct) == 1808, "SDM Table 34-15: SIGSTRUCT is 1808 bytes");
static_assert(offsetof(Sigstruct, header) == 0, "SDM Table 34-15 HEADER");
static_assert(offsetof(Sigstruct, vendor) == 16, "SDM Table 34-15 VENDOR");
static_assert(offsetof(Sigstruct, date) == 20, "SDM Table 34-15 DATE");
static_assert(offsetof(Sigstruct, header2) == 24, "SDM Table 34-15 HEADER2");
static_assert(offsetof(Sigstruct, swdefined) == 40, "SDM Table 34-15 SWDEFINED");
static_assert(offsetof(Sigstruct, reserved1) == 44, "SDM Table 34-15 RESERVED");
static_assert(offsetof(Sigstruct, modulus) == 128, "SDM Table 34-15 MODULUS");
static_assert(offsetof(Sigstruct, exponent) == 512, "SDM Table 34-15 EXPONENT");
static_assert(offsetof(Sigstruct, signature) == 516, "SDM Table 34-15 SIGNATURE");
static_assert(offsetof(Sigstruct, misc_select) == 900, "SDM Table 34-15 MISCSELECT");
static_assert(offsetof(Sigstruct, misc_mask) == 904, "SDM Table 34-15 MISCMASK");
static_assert(offsetof(Sigstruct, cet_attributes) == 908, "SDM Table 34-15 CET_ATTRIBUTES");
static_assert(offsetof(Sigstruct, cet_attributes_mask) == 909, "SDM Table 34-15 CET_ATTRIBUTES_MASK");
static_assert(offsetof(Sigstruct, isv_family_id) == 912, "SDM Table 34-15 ISVFAMILYID");
static_assert(offsetof(Sigstruct, attributes) == 928, "SDM Table 34-15 ATTRIBUTES");
static_assert(offsetof(Sigstruct, attribute_mask) == 944, "SDM Table 34-15 ATTRIBUTEMASK");
static_assert(offsetof(Sigstruct, enclave_hash) == 960, "SDM Table 34-15 ENCLAVEHASH");
static_assert(offsetof(Sigstruct, reserved3) == 992, "SDM Table 34-15 RESERVED");
static_assert(offsetof(Sigstruct, isv_ext_prod_id) == 1008, "SDM Table 34-15 ISVEXTPRODID");
static_assert(offsetof(Sigstruct, isv_prod_id) == 1024, "SDM Table 34-15 ISVPRODID");
static_assert(offsetof(Sigstruct, isv_svn) == 1026, "SDM Table 34-15 ISVSVN");
static_assert(offsetof(Sigstruct, reserved4) == 1028, "SDM Table 34-15 RESERVED");
static_assert(offsetof(Sigstruct, q1) == 1040, "SDM Table 34-15 Q1");
static_assert(offsetof(Sigstruct, q2) == 1424, "SDM Table 34-15 Q2");

// The two signed regions.
inline constexpr std::size_t kSigstructHeaderOffset = 0;
inline constexpr std::size_t kSigstructHeaderSize = 128;
inline constexpr std::size_t kSigstructBodyOffset = 900;
inline constexpr std::size_t kSigstructBodySize = 128;

struct EinitToken {
  std::uint32_t valid;  // bit 0: 1 = valid token
  std::uint8_t reserved1[44];
  Attributes attributes;
  std::uint8_t mr_enclave[32];
  std::uint8_t reserved2[32];
  std::uint8_t mr_signer[32];
  std::uint8_t reserved3[32];
  // --- not MACed below this line except as listed in SDM 34.14 ---
  std::uint8_t cpusvn_le[16];
  std::uint16_t isv_prod_id_le;
  std::uint16_t isv_svn_le;
  std::uint8_t reserved4[24];
  std::uint32_t masked_misc_select_le;
  Attributes masked_attributes_le;
  std::uint8_t key_id[32];
  std::uint8_t mac[16];
};
static_assert(std::is_trivially_copyable_v<EinitToken>);
static_assert(sizeof(EinitToken) == 304, "SDM Table 34-16: EINITTOKEN is 304 bytes");
static_assert(offsetof(EinitToken, valid) == 0, "SDM Table 34-16 VALID");
static_assert(offsetof(EinitToken, attributes) == 48, "SDM Table 34-16 ATTRIBUTES");
static_assert(offsetof(EinitToken, mr_enclave) == 64, "SDM Table 34-16 MRENCLAVE");
static_assert(offsetof(EinitToken, mr_signer) == 128, "SDM Table 34-16 MRSIGNER");
static_assert(offsetof(EinitToken, cpusvn_le) == 192, "SDM Table 34-16 CPUSVNLE");
static_assert(offsetof(EinitToken, isv_prod_id_le) == 208, "SDM Table 34-16 ISVPRODIDLE");
static_assert(offsetof(EinitToken, isv_svn_le) == 210, "SDM Table 34-16 ISVSVNLE");
static_assert(offsetof(EinitToken, masked_misc_select_le) == 236, "SDM Table 34-16 MASKEDMISCSELECTLE");
static_assert(offsetof(EinitToken, masked_attributes_le) == 240, "SDM Table 34-16 MASKEDATTRIBUTESLE");
static_assert(offsetof(EinitToken, key_id) == 256, "SDM Table 34-16 KEYID");
static_assert(offsetof(EinitToken, mac) == 288, "SDM Table 34-16 MAC");
// The MAC (AES-128-CMAC under the EINITTOKEN key) covers bytes 0-191.
inline constexpr std::size_t kEinitTokenMacedSize = 192;

}  // namespace nsgx::sgx
