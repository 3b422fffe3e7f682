// A bit per index over a byte array (the user region's page maps, the
// system calls already traced).
#pragma once

#include <stdint.h>

namespace nsgx::libos {

inline bool bit(const uint8_t* m, uint64_t i) { return ((m[i / 8] >> (i % 8)) & 1) != 0; }

inline void set_bit(uint8_t* m, uint64_t i, bool v) {
  if (v)
    m[i / 8] = static_cast<uint8_t>(m[i / 8] | (1u << (i % 8)));
  else
    m[i / 8] = static_cast<uint8_t>(m[i / 8] & ~(1u << (i % 8)));
}

}  // namespace nsgx::libos
