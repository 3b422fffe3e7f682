/* A hash join, the build/probe shape of the in-memory equi-joins NestedSGX
 * measured: build an open-addressing (linear probing) table over relation R
 * (a rows of 64-bit key and payload, keys unique), then probe it with every
 * row of relation S (b rows, half of whose keys occur in R); the result is
 * the number of matches and the sum of the matched payloads. */
#include "workloads.h"

typedef struct {
  uint64_t key, payload;
} row_t;

/* Distinct non-zero keys: an odd multiplier is a bijection of 2^64, and
 * i + 1 is never 0 (0 marks an empty slot). */
static uint64_t key_of(uint64_t i) { return (i + 1) * UINT64_C(0x9e3779b97f4a7c15); }

static uint64_t slots_for(uint64_t rows) {
  uint64_t n = 16;
  while (n < 2 * rows) n <<= 1;
  return n;
}

int hj_prepare(wl_state* st) {
  const uint64_t a = st->a, b = st->b;
  if (a == 0 || b == 0 || a > (UINT64_C(1) << 32) || b > (UINT64_C(1) << 34)) return WL_EINVAL;
  row_t* r = wl_alloc(st, 0, a * sizeof(row_t));
  row_t* s = r ? wl_alloc(st, 1, b * sizeof(row_t)) : 0;
  if (s == 0 || wl_alloc(st, 2, slots_for(a) * sizeof(row_t)) == 0) return WL_ENOMEM;
  uint64_t seed = a ^ (b << 20);
  for (uint64_t i = 0; i < a; ++i) {
    r[i].key = key_of(i);
    r[i].payload = wl_rng(&seed) >> 16;
  }
  for (uint64_t i = 0; i < b; ++i) {
    const uint64_t x = wl_rng(&seed);
    s[i].key = (x & 1) ? key_of((x >> 1) % a) : key_of(a + (x >> 1) % (a + b)); /* a hit, or a miss */
    s[i].payload = wl_rng(&seed) >> 16;
  }
  return WL_OK;
}

uint64_t hj_run(wl_state* st, uint64_t iters) {
  const row_t* r = st->buf[0];
  const row_t* s = st->buf[1];
  row_t* table = st->buf[2];
  const uint64_t slots = slots_for(st->a), mask = slots - 1;
  int shift = 64;
  for (uint64_t n = slots; n > 1; n >>= 1) --shift;
  uint64_t result = 0;
  for (uint64_t it = 0; it < iters; ++it) {
    for (uint64_t i = 0; i < slots; ++i) table[i].key = 0;
    for (uint64_t i = 0; i < st->a; ++i) { /* build */
      uint64_t h = (r[i].key * UINT64_C(0xff51afd7ed558ccd)) >> shift;
      while (table[h].key != 0) h = (h + 1) & mask;
      table[h] = r[i];
    }
    uint64_t matches = 0, sum = 0;
    for (uint64_t i = 0; i < st->b; ++i) { /* probe */
      const uint64_t k = s[i].key;
      for (uint64_t h = (k * UINT64_C(0xff51afd7ed558ccd)) >> shift; table[h].key != 0; h = (h + 1) & mask)
        if (table[h].key == k) {
          ++matches;
          sum += table[h].payload + s[i].payload;
          break;
        }
    }
    if (matches == 0 || matches == st->b) return WL_FAILED; /* half the probes should hit */
    result = wl_hash(wl_hash(result, matches), sum);
  }
  return result;
}
