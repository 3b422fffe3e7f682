/* Trusted side of the load test: each answer depends on every OCALL's
 * result and on the enclave's own arithmetic, so a lost, repeated or
 * misrouted call shows as a wrong value in the application. */
#include <stdint.h>

#include "load_t.h"

static volatile uint64_t served;

/* Must match load_mix() in load_test.cc. */
static uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ull;
  return x ^ (x >> 29);
}

uint64_t ecall_chain(uint64_t seed, uint32_t rounds) {
  __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
  uint64_t x = seed;
  for (uint32_t i = 0; i < rounds; ++i) {
    uint64_t y = 0;
    if (ocall_step(&y, x) != SGX_SUCCESS) return 0;
    x = mix(y);
  }
  return x;
}

void ecall_hash(const uint8_t* buf, size_t len, uint64_t* out) {
  __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
  for (size_t i = 0; i < len; ++i) h = (h ^ buf[i]) * 0x100000001b3ull;
  *out = h;
}

uint64_t ecall_served(void) { return __atomic_load_n(&served, __ATOMIC_RELAXED); }
