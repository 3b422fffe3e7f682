/* Trusted side of the multi-threaded example. */
#include <stdint.h>

#include "Enclave_t.h"
#include "sgx_thread.h"

static sgx_thread_mutex_t mu = SGX_THREAD_MUTEX_INITIALIZER;
static uint64_t total;
static uint32_t inside, max_inside;

static int is_prime(uint64_t n) {
  if (n < 2) return 0;
  for (uint64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return 0;
  return 1;
}

uint64_t ecall_count_primes(uint64_t lo, uint64_t hi) {
  sgx_thread_mutex_lock(&mu);
  if (++inside > max_inside) max_inside = inside;
  sgx_thread_mutex_unlock(&mu);
  uint64_t n = 0;
  for (uint64_t i = lo; i < hi; ++i) n += (uint64_t)is_prime(i);
  sgx_thread_mutex_lock(&mu);
  total += n;
  --inside;
  sgx_thread_mutex_unlock(&mu);
  return n;
}

uint64_t ecall_total(uint32_t* most) {
  sgx_thread_mutex_lock(&mu);
  const uint64_t t = total;
  *most = max_inside;
  sgx_thread_mutex_unlock(&mu);
  return t;
}
