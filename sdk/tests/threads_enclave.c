/* Trusted side of the threads test: every worker waits inside the enclave
 * until all have arrived (so they hold distinct TCSs at the same time),
 * computes on its own heap buffer and stack, and bumps a counter under an
 * sgx_thread mutex. */
#include <stdint.h>
#include <stdlib.h>

#include "sgx_thread.h"
#include "threads_t.h"

static int arrived;
static uint64_t counter;
static sgx_thread_mutex_t counter_mu = SGX_THREAD_MUTEX_INITIALIZER;

/* Keep in step with expected_result() in threads_test.cc. */
static uint64_t work(int id, uint64_t seed) {
  enum { kWords = 4096 };
  uint64_t* buf = (uint64_t*)malloc(kWords * sizeof *buf);
  if (buf == NULL) return 0;
  uint64_t x = seed ^ (uint64_t)id;
  for (int i = 0; i < kWords; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull; /* Knuth's MMIX LCG */
    buf[i] = x;
  }
  uint64_t h = 0;
  for (int i = 0; i < kWords; ++i) h ^= buf[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  free(buf);
  return h;
}

/* 1 on success; 2 if the application called the wait off; 0 if the
 * others never arrived (20000 pauses) or the thread data changed across
 * the OCALLs, i.e. the TCS was not kept. */
int ecall_worker(int id, int threads, uint64_t seed, uint64_t* td, uint64_t* result) {
  const sgx_thread_t self = sgx_thread_self();
  *td = (uint64_t)self;
  __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
  for (int waited = 0; __atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < threads; ++waited) {
    int stop = 0;
    if (waited > 20000 || ocall_pause(&stop, id) != SGX_SUCCESS) return 0;
    if (stop) return 2;
  }
  *result = work(id, seed);
  for (int i = 0; i < 1000; ++i) {
    sgx_thread_mutex_lock(&counter_mu);
    ++counter;
    sgx_thread_mutex_unlock(&counter_mu);
  }
  return sgx_thread_self() == self;
}

uint64_t ecall_counter(void) {
  sgx_thread_mutex_lock(&counter_mu);
  const uint64_t n = counter;
  sgx_thread_mutex_unlock(&counter_mu);
  return n;
}

/* Lock, pause outside (an OCALL while holding the mutex, so the others
 * queue and sleep), count, unlock: `iters` times. 1 on success. */
int ecall_contend(int id, int iters) {
  for (int i = 0; i < iters; ++i) {
    if (sgx_thread_mutex_lock(&counter_mu) != 0) return 0;
    int stop = 0;
    const sgx_status_t st = ocall_pause(&stop, id);
    ++counter;
    if (sgx_thread_mutex_unlock(&counter_mu) != 0 || st != SGX_SUCCESS) return 0;
  }
  return 1;
}
