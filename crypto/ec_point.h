// Internal to crypto/: an EC public key from an uncompressed point, for
// every curve the wrappers use (ECDSA P-384, ECDH P-256).
#pragma once

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace nsgx::crypto {

// `group` is an OpenSSL group name ("P-384", "P-256"); `point` is
// 04 || x || y. The point must lie on the curve (checked: OpenSSL's
// fromdata does not always check it).
Result<ossl::Pkey> ec_public_key_from_point(const char* group, ByteSpan point);

}  // namespace nsgx::crypto
