/* Trusted side of the application-memory test: every pointer here is the
 * application's own memory (malloc, its stack), never the window. */
#include <stdint.h>

#include "appmem_shared.h"
#include "appmem_t.h"
#include "sgx_trts.h"

uint64_t ecall_sum(const uint64_t* p, size_t n) {
  if (!sgx_is_outside_enclave(p, n * sizeof *p)) return 0;
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

void ecall_fill(uint64_t* p, size_t n, uint64_t v) {
  if (!sgx_is_outside_enclave(p, n * sizeof *p)) return;
  for (size_t i = 0; i < n; ++i) p[i] = v + i;
}

size_t ecall_holder(void* hv) {
  struct appmem_holder* h = (struct appmem_holder*)hv;
  if (!sgx_is_outside_enclave(h, sizeof *h)) return 0;
  /* Read the struct's fields once (the application may change them). */
  uint8_t* buf = h->buf;
  const size_t len = h->len;
  if (!sgx_is_outside_enclave(buf, len)) return 0;
  for (size_t i = 0; i < len; ++i) buf[i] ^= 0x5a;
  h->tag = APPMEM_TAG;
  return len;
}

uint64_t ecall_add(uint64_t a, uint64_t b) { return a + b; }

uint64_t ecall_read_word(const uint64_t* p) { return *(const volatile uint64_t*)p; }

/* p[1] = 1, 2, ..., rounds, with an OCALL (an exit) after each. */
uint64_t ecall_write_rounds(uint64_t* p, uint64_t rounds) {
  for (uint64_t i = 1; i <= rounds; ++i) {
    *(volatile uint64_t*)&p[1] = i;
    if (ocall_tick() != SGX_SUCCESS) return 0;
  }
  return rounds;
}

/* Spins, without leaving the enclave, until *p is not 0: the value, or 0
 * after `limit` reads. */
uint64_t ecall_wait_word(const uint64_t* p, uint64_t limit) {
  for (uint64_t i = 0; i < limit; ++i) {
    const uint64_t v = *(const volatile uint64_t*)p;
    if (v != 0) return v;
    __builtin_ia32_pause();
  }
  return 0;
}

/* Flips every even byte of a page (2048 separate runs of change), then
 * tells the application through *flag (window memory: shared as it is) and
 * waits until it has written some of the odd bytes. 1 when it answered. */
int ecall_stripes(uint8_t* page, uint32_t* flag) {
  if (!sgx_is_outside_enclave(page, 4096) || !sgx_is_outside_enclave(flag, sizeof *flag)) return 0;
  for (int i = 0; i < 4096; i += 2) page[i] ^= 0xff;
  __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
  for (uint64_t i = 0; i < (1ull << 34); ++i) {
    if (__atomic_load_n(flag, __ATOMIC_SEQ_CST) == 2) return 1;
    __builtin_ia32_pause();
  }
  return 0;
}
