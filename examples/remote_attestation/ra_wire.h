// Framing for the remote attestation example (ra_protocol.h): a 4-byte
// little-endian length, then the bytes; at most 1 MiB per message.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <vector>

namespace ra {

inline bool full_io(int fd, std::uint8_t* p, std::size_t n, bool writing) {
  while (n > 0) {
    const ssize_t r = writing ? write(fd, p, n) : read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

inline bool send_msg(int fd, const std::vector<std::uint8_t>& m) {
  std::uint8_t len[4];
  for (int i = 0; i < 4; ++i) len[i] = static_cast<std::uint8_t>(m.size() >> (8 * i));
  return full_io(fd, len, 4, true) && full_io(fd, const_cast<std::uint8_t*>(m.data()), m.size(), true);
}

inline bool recv_msg(int fd, std::vector<std::uint8_t>& m) {
  std::uint8_t len[4];
  if (!full_io(fd, len, 4, false)) return false;
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i) n |= std::size_t{len[i]} << (8 * i);
  if (n > (1u << 20)) return false;
  m.assign(n, 0);
  return full_io(fd, m.data(), n, false);
}

}  // namespace ra
