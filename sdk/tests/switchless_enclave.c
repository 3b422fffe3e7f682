/* Trusted side of the switchless tests (switchless_test.cc). */
#include <stdint.h>

#include "switchless_t.h"

uint64_t ecall_sl_mix(uint64_t a, const uint8_t* in, uint8_t* out, size_t n) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    out[i] = (uint8_t)(in[i] ^ (uint8_t)a);
    sum += in[i];
  }
  return a * 3 + sum;
}

int ecall_sl_user(const int* p) { return *(const volatile int*)p; }

uint64_t ecall_plain(uint64_t a) { return a + 1; }

/* A flag in memory both sides see while the enclave runs
 * (nsgx_untrusted_alloc): flag[0] counts entries of ecall_sl_wait, which
 * spins until flag[1] is set. */
static volatile int* g_flag;
void ecall_set_flag(int* flag) { g_flag = flag; }

void ecall_sl_wait(void) {
  if (g_flag == 0) return;
  __atomic_fetch_add(&g_flag[0], 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&g_flag[1], __ATOMIC_ACQUIRE) == 0) __builtin_ia32_pause();
}

/* n switchless OCALLs, each checked: the number that came back right. */
uint64_t ecall_ocalls(uint64_t n, uint64_t tag) {
  uint64_t good = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t in[8], out[8];
    for (int j = 0; j < 8; ++j) in[j] = (uint8_t)((i + tag) >> (8 * j));
    uint64_t r = 0;
    if (ocall_sl_add(&r, i ^ tag, in, out, sizeof in) != SGX_SUCCESS) continue;
    int ok = r == (i ^ tag) * 7 + 1;
    for (int j = 0; j < 8; ++j) ok = ok && out[j] == (uint8_t)(in[j] + 1);
    good += ok ? 1 : 0;
  }
  return good;
}

/* Writes v where p points (application memory) and has the application
 * read it back through a switchless OCALL. */
int ecall_ocall_user(int* p, int v) {
  *(volatile int*)p = v;
  int r = -1;
  if (ocall_sl_read(&r, p) != SGX_SUCCESS) return -2;
  return r;
}

int ecall_ocall_block(void) {
  int r = -1;
  if (ocall_sl_block(&r) != SGX_SUCCESS) return -2;
  return r;
}
