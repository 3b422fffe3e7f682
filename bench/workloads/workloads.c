/* The workloads' common part: one prepared workload at a time, its buffers,
 * the random numbers and the hash every kernel uses. */
#include "workloads.h"

#include <stdlib.h>

static wl_state g_state;
static int g_prepared;

uint64_t wl_rng(uint64_t* s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

uint64_t wl_hash(uint64_t h, uint64_t v) { return (h ^ v) * UINT64_C(0x100000001b3) + (h >> 29); }

void* wl_alloc(wl_state* st, int i, uint64_t n) {
  if (n == 0 || n > (UINT64_C(1) << 40)) return 0;
  /* Zeroed here, word by word, so that every page is touched (a native
   * calloc of fresh pages would leave the first touch to the timed run;
   * enclave heap pages are there from the start) and the digest never reads
   * what the allocator left. */
  uint8_t* p = malloc((size_t)n);
  if (p == 0) return 0;
  for (uint64_t j = 0; j < n; ++j) p[j] = 0;
  st->buf[i] = p;
  st->len[i] = n;
  return p;
}

void wl_release(void) {
  sq_release();
  for (int i = 0; i < 4; ++i) {
    free(g_state.buf[i]);
    g_state.buf[i] = 0;
    g_state.len[i] = 0;
  }
  g_prepared = 0;
}

int wl_prepare(uint32_t kernel, uint64_t a, uint64_t b) {
  wl_release();
  if (kernel >= WL_COUNT) return WL_EINVAL;
  g_state.kernel = kernel;
  g_state.a = a;
  g_state.b = b;
  int rc;
  if (kernel <= WL_LU)
    rc = nb_prepare(&g_state);
  else if (kernel <= WL_BW_COPY)
    rc = bw_prepare(&g_state);
  else if (kernel == WL_HASHJOIN)
    rc = hj_prepare(&g_state);
  else
    rc = sq_prepare(&g_state);
  if (rc != WL_OK) {
    wl_release();
    return rc;
  }
  g_prepared = 1;
  return WL_OK;
}

uint64_t wl_run(uint32_t kernel, uint64_t iters) {
  if (!g_prepared || kernel != g_state.kernel || iters == 0) return WL_FAILED;
  if (kernel <= WL_LU) return nb_run(&g_state, iters);
  if (kernel <= WL_BW_COPY) return bw_run(&g_state, iters);
  if (kernel == WL_HASHJOIN) return hj_run(&g_state, iters);
  return sq_run(&g_state, iters);
}

uint64_t wl_digest(void) {
  if (!g_prepared) return WL_FAILED;
  if (g_state.kernel == WL_SQLITE) return sq_digest(); /* its output is the database's table */
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (int i = 0; i < 4; ++i) {
    const uint8_t* p = g_state.buf[i];
    const uint64_t n = g_state.len[i];
    for (uint64_t j = 0; j + 8 <= n; j += 8) {
      uint64_t w = 0;
      for (int k = 7; k >= 0; --k) w = (w << 8) | p[j + (uint64_t)k];
      h = wl_hash(h, w);
    }
    for (uint64_t j = n & ~UINT64_C(7); j < n; ++j) h = wl_hash(h, p[j]);
  }
  return h;
}
