// Key agreement for channels bound to a quote (examples/remote_attestation):
// ECDH on NIST P-256 and HKDF-SHA-256 (RFC 5869), over OpenSSL 3. The
// enclave side uses mbedTLS with the same parameters.
//
//   auto mine = crypto::EcdhP256::generate();
//   auto shared = mine->derive(peer_point);               // 32 bytes, x of the shared point
//   auto key = crypto::hkdf_sha256(*shared, salt, info, 32);
#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace nsgx::crypto {

class EcdhP256 {
 public:
  static Result<EcdhP256> generate();
  // 0x04 || x || y, 65 bytes.
  Bytes public_point() const;
  // The shared secret with the peer's uncompressed point, which must be
  // a valid point on P-256 (checked: an invalid-curve point is refused).
  Result<Bytes> derive(ByteSpan peer_point) const;

 private:
  explicit EcdhP256(ossl::Pkey pkey) : pkey_(std::move(pkey)) {}
  ossl::Pkey pkey_;
};

Result<Bytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length);

}  // namespace nsgx::crypto
