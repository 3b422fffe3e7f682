// Key derivation for EGETKEY and EREPORT.
//
// Which inputs enter each key is the SDM's (EGETKEY, "Key Derivation"
// table): a key changes whenever any of them changes, and an input a key
// name does not list is zero in its record. The SDM's derivation function
// itself is not public; ours is NIST SP 800-108 counter-mode KDF with
// AES-128-CMAC as the PRF, keyed by a 128-bit platform root
// (PlatformSecrets), over a fixed little-endian record of the inputs.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/secs.h"
#include "crypto/symmetric.h"

namespace nsgx::monitor {

// The inputs of one key, in a fixed layout (software-defined, not an SDM
// structure; static_asserted so the record — and every key — never
// changes by accident).
struct KeyDependencies {
  std::uint16_t key_name;
  std::uint16_t key_policy;
  std::uint16_t isv_prod_id;
  std::uint16_t isv_svn;
  std::uint16_t config_svn;
  std::uint8_t reserved0[6];
  std::uint8_t isv_family_id[16];
  std::uint8_t isv_ext_prod_id[16];
  std::uint8_t owner_epoch[16];
  sgx::Attributes attributes;
  sgx::Attributes attribute_mask;
  std::uint8_t mr_enclave[32];
  std::uint8_t mr_signer[32];
  std::uint8_t key_id[32];
  std::uint8_t cpu_svn[16];
  std::uint32_t misc_select;
  std::uint32_t misc_mask;
  std::uint8_t config_id[64];
};
static_assert(std::is_trivially_copyable_v<KeyDependencies>);
static_assert(sizeof(KeyDependencies) == 280, "the derivation record layout is part of every sealed blob");
static_assert(offsetof(KeyDependencies, attributes) == 64 && offsetof(KeyDependencies, config_id) == 216);

// K = CMAC(root, 0x01 || "NSGX-EGETKEY" || 0x00 || record || 0x0080), the
// single 128-bit block of the counter-mode KDF. Its own copies of the record
// and the key are wiped; the caller wipes `deps` (it holds OWNEREPOCH) and
// the key once used (crypto::CleanseOnExit).
crypto::Key128 derive_key(const crypto::Key128& root, const KeyDependencies& deps);

}  // namespace nsgx::monitor
