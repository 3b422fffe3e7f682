// SHA-256 and SHA-384 over OpenSSL 3.
//
//   crypto::Sha256 h;  h.update(a);  h.update(b);  Digest256 d = h.finish();
//   Digest256 d = crypto::sha256(bytes);
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace nsgx::crypto {

using Digest256 = std::array<std::uint8_t, 32>;
using Digest384 = std::array<std::uint8_t, 48>;
using Digest512 = std::array<std::uint8_t, 64>;

// Incremental SHA-256. The context is copyable (clone) so that a measurement
// can be snapshotted, e.g. to print MRENCLAVE of a prefix.
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256& other);
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;

  void update(ByteSpan data);
  // Returns the digest and resets the context.
  Digest256 finish();

 private:
  ossl::MdCtx ctx_;
};

class Sha384 {
 public:
  Sha384();
  void update(ByteSpan data);
  Digest384 finish();

 private:
  ossl::MdCtx ctx_;
};

Digest256 sha256(ByteSpan data);
Digest384 sha384(ByteSpan data);
// One-shot SHA-512 (the attestation key's commitment fills a 64-byte REPORT_DATA).
Digest512 sha512(ByteSpan data);

}  // namespace nsgx::crypto
