/* A multi-threaded enclave: THREADS application threads count the primes
 * of one range each inside one enclave (TCSNum 4), the enclave adds them
 * up under a mutex; the application checks the sum against its own count.
 *
 *   multithread ENCLAVE.signed.so
 */
#include <pthread.h>
#include <stdio.h>

#include "Enclave_u.h"
#include "sgx_urts.h"

enum { THREADS = 4, LIMIT = 200000 };

static sgx_enclave_id_t eid;

struct job {
  uint64_t lo, hi, count;
  sgx_status_t st;
};

static void* run(void* arg) {
  struct job* j = (struct job*)arg;
  j->st = ecall_count_primes(eid, &j->count, j->lo, j->hi);
  return NULL;
}

static int is_prime(uint64_t n) {
  if (n < 2) return 0;
  for (uint64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return 0;
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ENCLAVE.signed.so\n", argv[0]);
    return 2;
  }
  sgx_launch_token_t token = {0};
  int updated = 0;
  sgx_status_t st = sgx_create_enclave(argv[1], SGX_DEBUG_FLAG, &token, &updated, &eid, NULL);
  if (st != SGX_SUCCESS) {
    fprintf(stderr, "sgx_create_enclave: 0x%04x\n", (unsigned)st);
    return 1;
  }
  pthread_t t[THREADS];
  struct job jobs[THREADS];
  for (int i = 0; i < THREADS; ++i) {
    const uint64_t k = (uint64_t)i;
    jobs[i] = (struct job){LIMIT * k / THREADS, LIMIT * (k + 1) / THREADS, 0, SGX_ERROR_UNEXPECTED};
    if (pthread_create(&t[i], NULL, run, &jobs[i]) != 0) return 1;
  }
  int failed = 0;
  for (int i = 0; i < THREADS; ++i) {
    pthread_join(t[i], NULL);
    printf("thread %d: primes in [%llu, %llu): %llu (0x%04x)\n", i, (unsigned long long)jobs[i].lo,
           (unsigned long long)jobs[i].hi, (unsigned long long)jobs[i].count, (unsigned)jobs[i].st);
    failed |= jobs[i].st != SGX_SUCCESS;
  }
  uint32_t most = 0;
  uint64_t total = 0;
  failed |= ecall_total(eid, &total, &most) != SGX_SUCCESS;
  sgx_destroy_enclave(eid);
  uint64_t expect = 0;
  for (uint64_t n = 0; n < LIMIT; ++n) expect += (uint64_t)is_prime(n);
  printf("the enclave's total: %llu, the application's own count: %llu; at most %u threads were inside at once\n",
         (unsigned long long)total, (unsigned long long)expect, most);
  if (failed || total != expect) {
    printf("multithread: FAILED\n");
    return 1;
  }
  printf("multithread: OK\n");
  return 0;
}
