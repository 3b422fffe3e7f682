/* Trusted side of the round-trip benchmark (sdk_ecall_bench). */
#include <stdint.h>

#include "bench_t.h"

void ecall_null(void) {}
void ecall_null_sl(void) {}

/* Null OCALLs back to back: the application times the gap between one
 * OCALL's arrival and the next, i.e. one whole round trip out and back in. */
void ecall_ocalls(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (ocall_null() != SGX_SUCCESS) return;
}

/* The same through untrusted workers (switchless OCALLs). */
void ecall_ocalls_sl(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (ocall_null_sl() != SGX_SUCCESS) return;
}
