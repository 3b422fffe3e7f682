#include "monitor/keys.h"

#include <cstdlib>
#include <cstring>

namespace nsgx::monitor {

crypto::Key128 derive_key(const crypto::Key128& root, const KeyDependencies& deps) {
  static constexpr char kLabel[] = "NSGX-EGETKEY";
  std::uint8_t msg[1 + sizeof(kLabel) - 1 + 1 + sizeof(KeyDependencies) + 2];
  std::size_t n = 0;
  msg[n++] = 0x01;  // counter i = 1
  std::memcpy(msg + n, kLabel, sizeof(kLabel) - 1);
  n += sizeof(kLabel) - 1;
  msg[n++] = 0x00;  // separator
  std::memcpy(msg + n, &deps, sizeof deps);
  n += sizeof deps;
  msg[n++] = 0x00;  // L = 128 bits, big-endian
  msg[n++] = 0x80;
  auto mac = crypto::aes128_cmac(root, ByteSpan(msg, n));
  // The record holds OWNEREPOCH, a platform secret.
  crypto::cleanse(MutableByteSpan(msg, n));
  // CMAC over an in-memory buffer only fails if OpenSSL cannot run AES at
  // all; a monitor without AES cannot derive keys and must not go on.
  if (!mac) std::abort();
  // The caller owns (and wipes) the one copy that leaves: the return value.
  crypto::Key128 key = *mac;
  crypto::cleanse(*mac);
  return key;
}

}  // namespace nsgx::monitor
