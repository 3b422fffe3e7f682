/* Trusted side of the preemption stress test. SGX loads FS and GS from the
 * TCS on EENTER/ERESUME; our trusted runtime points both at the thread's
 * data, whose first word is its own address. A base lost while the thread
 * was preempted (WRFSBASE where the kernel does not preserve it) shows here
 * as a different %fs:0 — or as a crash. */
#include <stdint.h>

#include "preempt_t.h"

static uint64_t fs0(void) {
  uint64_t v;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
  return v;
}

static uint64_t gs0(void) {
  uint64_t v;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(v));
  return v;
}

/* Must match preempt_mix() in preempt_test.cc. */
static uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ull;
  return x ^ (x >> 29);
}

uint64_t ecall_spin(uint64_t seed, uint64_t rounds) {
  const uint64_t f = fs0(), g = gs0();
  if (f == 0 || f != g) return 0;
  uint64_t x = seed;
  for (uint64_t i = 0; i < rounds; ++i) {
    if (fs0() != f || gs0() != g) return 0;
    x = mix(x + i);
  }
  return x;
}

uint64_t ecall_chain(uint64_t seed, uint32_t rounds) {
  const uint64_t f = fs0(), g = gs0();
  uint64_t x = seed;
  for (uint32_t i = 0; i < rounds; ++i) {
    uint64_t y = 0;
    if (ocall_step(&y, x) != SGX_SUCCESS) return 0;
    if (fs0() != f || gs0() != g) return 0;
    x = mix(y);
  }
  return x;
}
