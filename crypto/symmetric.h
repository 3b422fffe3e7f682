// Symmetric primitives SGX uses: AES-128-CMAC (EREPORT MAC, key derivation)
// and AES-GCM (paging with EWB/ELDU, sealing).
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "base/bytes.h"

namespace nsgx::crypto {

using Key128 = std::array<std::uint8_t, 16>;
using Mac128 = std::array<std::uint8_t, 16>;

// AES-128-CMAC (NIST SP 800-38B) of `data` under `key`.
Result<Mac128> aes128_cmac(const Key128& key, ByteSpan data);

// AES-GCM with a 12-byte IV and a 16-byte tag. The key is 16 or 32 bytes.
// Encrypts `plaintext` into `ciphertext` (same length) and returns the tag.
Result<Mac128> aes_gcm_encrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan plaintext,
                               MutableByteSpan ciphertext);
// Decrypts and authenticates; an error (and zeroed output) when the tag does not match.
Status aes_gcm_decrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan ciphertext, const Mac128& tag,
                       MutableByteSpan plaintext);

// Cryptographically secure random bytes (OpenSSL's DRBG, seeded by the kernel).
Status random_bytes(MutableByteSpan out);

// Constant-time comparison.
bool equal_ct(ByteSpan a, ByteSpan b);

// Zeroes secret bytes — keys, plaintext, key-derivation inputs — once they
// are used, with OPENSSL_cleanse, which the compiler cannot drop as a dead
// store the way it may drop a memset of an object about to die.
void cleanse(MutableByteSpan bytes);

// Cleanses an object when the scope ends, on every return path:
//   crypto::Key128 key = derive(...);
//   crypto::CleanseOnExit wipe(key);
template <typename T>
  requires std::is_trivially_copyable_v<T>
class CleanseOnExit {
 public:
  explicit CleanseOnExit(T& obj) : obj_(obj) {}
  ~CleanseOnExit() { cleanse(as_writable_bytes(obj_)); }
  CleanseOnExit(const CleanseOnExit&) = delete;
  CleanseOnExit& operator=(const CleanseOnExit&) = delete;

 private:
  T& obj_;
};

}  // namespace nsgx::crypto
