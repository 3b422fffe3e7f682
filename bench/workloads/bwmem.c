/* Memory bandwidth in the style of lmbench's bw_mem (its manual page: "rd"
 * sums the buffer, "wr" stores into it, "cp" copies one buffer into
 * another; loops unrolled so that the loop itself costs little). The loops
 * are written out rather than calling memcpy/memset so that the enclave and
 * the native run execute the same instructions (the C libraries differ). */
#include "workloads.h"

/* Keeps the compiler from merging or dropping the passes over the buffer. */
#define WL_BARRIER() __asm__ volatile("" ::: "memory")

int bw_prepare(wl_state* st) {
  const uint64_t n = st->a;
  if (n < 64 || n % 64 != 0) return WL_EINVAL;
  uint64_t* src = wl_alloc(st, 0, n);
  if (src == 0) return WL_ENOMEM;
  if (st->kernel == WL_BW_COPY && wl_alloc(st, 1, n) == 0) return WL_ENOMEM;
  uint64_t seed = n;
  for (uint64_t i = 0; i < n / 8; ++i) src[i] = wl_rng(&seed);
  return WL_OK;
}

static uint64_t bw_read(const uint64_t* p, uint64_t words) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (uint64_t i = 0; i < words; i += 8) {
    s0 += p[i] + p[i + 4];
    s1 += p[i + 1] + p[i + 5];
    s2 += p[i + 2] + p[i + 6];
    s3 += p[i + 3] + p[i + 7];
  }
  return s0 + s1 + s2 + s3;
}

static void bw_write(uint64_t* p, uint64_t words, uint64_t v) {
  for (uint64_t i = 0; i < words; i += 8) {
    p[i] = v;
    p[i + 1] = v;
    p[i + 2] = v;
    p[i + 3] = v;
    p[i + 4] = v;
    p[i + 5] = v;
    p[i + 6] = v;
    p[i + 7] = v;
  }
}

static void bw_copy(uint64_t* restrict d, const uint64_t* restrict s, uint64_t words) {
  for (uint64_t i = 0; i < words; i += 8) {
    d[i] = s[i];
    d[i + 1] = s[i + 1];
    d[i + 2] = s[i + 2];
    d[i + 3] = s[i + 3];
    d[i + 4] = s[i + 4];
    d[i + 5] = s[i + 5];
    d[i + 6] = s[i + 6];
    d[i + 7] = s[i + 7];
  }
}

uint64_t bw_run(wl_state* st, uint64_t iters) {
  const uint64_t words = st->a / 8;
  uint64_t* src = st->buf[0];
  uint64_t result = 0;
  for (uint64_t it = 0; it < iters; ++it) {
    switch (st->kernel) {
      case WL_BW_READ:
        result = wl_hash(result, bw_read(src, words));
        break;
      case WL_BW_WRITE:
        bw_write(src, words, it);
        break;
      default:
        bw_copy(st->buf[1], src, words);
        break;
    }
    WL_BARRIER();
  }
  /* What the last pass left (the digest hashes the whole buffer). */
  if (st->kernel == WL_BW_WRITE) result = src[words - 1] + iters;
  if (st->kernel == WL_BW_COPY) result = ((const uint64_t*)st->buf[1])[words - 1] + iters;
  return result;
}
