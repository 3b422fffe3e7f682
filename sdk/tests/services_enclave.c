/* Trusted side of the services test: thin ECALLs over the SDK's trusted
 * services, so the untrusted test can check their results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services_t.h"
#include "sgx_thread.h"
#include "sgx_trts.h"
#include "sgx_tseal.h"
#include "sgx_utils.h"

sgx_status_t ecall_self_report(sgx_report_t* report) {
  const sgx_report_t* r = sgx_self_report();
  if (r == NULL) return SGX_ERROR_UNEXPECTED;
  memcpy(report, r, sizeof *r);
  return SGX_SUCCESS;
}

sgx_status_t ecall_self_target(sgx_target_info_t* target) { return sgx_self_target(target); }

sgx_status_t ecall_report_for(const sgx_target_info_t* target, const sgx_report_data_t* data, sgx_report_t* report) {
  return sgx_create_report(target, data, report);
}

sgx_status_t ecall_verify(const sgx_report_t* report) { return sgx_verify_report(report); }

sgx_status_t ecall_get_key(const sgx_key_request_t* request, uint8_t* key) {
  return sgx_get_key(request, (sgx_key_128bit_t*)key);
}

sgx_status_t ecall_seal(uint16_t policy, const uint8_t* secret, uint32_t len, const uint8_t* aad, uint32_t aad_len,
                        uint8_t* blob, uint32_t cap, uint32_t* blob_len) {
  const uint32_t need = sgx_calc_sealed_data_size(aad_len, len);
  if (need == UINT32_MAX || need > cap) return SGX_ERROR_INVALID_PARAMETER;
  sgx_status_t st;
  if (policy == SGX_KEYPOLICY_MRSIGNER) {
    st = sgx_seal_data(aad_len, aad, len, secret, need, (sgx_sealed_data_t*)blob);
  } else {
    const sgx_attributes_t mask = {0xFF0000000000000BULL, 0};
    st = sgx_seal_data_ex(policy, mask, 0xF0000000u, aad_len, aad, len, secret, need, (sgx_sealed_data_t*)blob);
  }
  *blob_len = need;
  return st;
}

sgx_status_t ecall_unseal(const uint8_t* blob, uint32_t len, uint8_t* secret, uint32_t cap, uint32_t* secret_len,
                          uint8_t* aad, uint32_t aad_cap, uint32_t* aad_len) {
  if (len < sizeof(sgx_sealed_data_t)) return SGX_ERROR_INVALID_PARAMETER;
  *secret_len = cap;
  *aad_len = aad_cap;
  return sgx_unseal_data((const sgx_sealed_data_t*)blob, aad, aad_len, secret, secret_len);
}

sgx_status_t ecall_rand(uint8_t* buf, uint32_t len) { return sgx_read_rand(buf, len); }

sgx_status_t ecall_cpuid(int leaf, int regs[4]) { return sgx_oc_cpuidex(regs, leaf, 0); }

/* An event set for oneself and then waited on returns at once; a set of
 * several wakes each once. */
int ecall_events(void) {
  static int self_token, other_token;
  int r = -1;
  if (sgx_thread_set_untrusted_event_ocall(&r, &self_token) != SGX_SUCCESS || r != 0) return 1;
  if (sgx_thread_wait_untrusted_event_ocall(&r, &self_token) != SGX_SUCCESS || r != 0) return 2;
  if (sgx_thread_setwait_untrusted_events_ocall(&r, &other_token, &other_token) != SGX_SUCCESS || r != 0) return 3;
  const void** both = malloc(2 * sizeof(void*));
  both[0] = &self_token, both[1] = &other_token;
  if (sgx_thread_set_multiple_untrusted_events_ocall(&r, both, 2) != SGX_SUCCESS || r != 0) return 4;
  if (sgx_thread_wait_untrusted_event_ocall(&r, &self_token) != SGX_SUCCESS) return 5;
  if (sgx_thread_wait_untrusted_event_ocall(&r, &other_token) != SGX_SUCCESS) return 6;
  return 0;
}

int ecall_format(char* out, uint32_t cap) {
  return snprintf(out, cap, "[%d|%5d|%-5d|%05d|%+d|%x|%#X|%o|%lu|%lld|%zu|%c|%s|%.3s|%8.2f|%p|%%|%hhd]", -42, 42, 42, 42,
                  7, 255u, 255u, 8u, 123456789012ul, -9000000000ll, (size_t)77, 'z', "str", "truncate", 3.14159,
                  (void*)0x1234, (signed char)44);
}

int ecall_printf(int n) { return printf("hello from the enclave, %d\n", n); }

/* One floating conversion, for comparison with the host's C library. The
 * format is the test's own (one conversion taking a double). */
int ecall_format_double(const char* fmt, double v, char* out, uint32_t cap) { return snprintf(out, cap, fmt, v); }

static sgx_thread_mutex_t g_mutex = SGX_THREAD_MUTEX_INITIALIZER;
static sgx_thread_cond_t g_cond = SGX_THREAD_COND_INITIALIZER;
static volatile int g_shared, g_flag;

/* Read, dawdle, write: without the mutex, two threads lose updates. */
int ecall_mutex_add(int n) {
  for (int i = 0; i < n; ++i) {
    if (sgx_thread_mutex_lock(&g_mutex) != 0) return -1;
    const int v = g_shared;
    for (int k = 0; k < 20; ++k) __builtin_ia32_pause();
    g_shared = v + 1;
    if (sgx_thread_mutex_unlock(&g_mutex) != 0) return -2;
  }
  return 0;
}

int ecall_mutex_total(void) { return g_shared; }

int ecall_cond_wait_for(int value) {
  sgx_thread_mutex_lock(&g_mutex);
  while (g_flag < value) sgx_thread_cond_wait(&g_cond, &g_mutex);
  const int v = g_flag;
  sgx_thread_mutex_unlock(&g_mutex);
  return v;
}

int ecall_cond_set(int value) {
  sgx_thread_mutex_lock(&g_mutex);
  g_flag = value;
  sgx_thread_cond_broadcast(&g_cond);
  sgx_thread_mutex_unlock(&g_mutex);
  return 0;
}

int ecall_crash(void) {
  __asm__ volatile("ud2");
  return 0;
}

int ecall_mutex_errors(void) {
  sgx_thread_mutex_t m = SGX_THREAD_MUTEX_INITIALIZER, r = SGX_THREAD_RECURSIVE_MUTEX_INITIALIZER;
  if (sgx_thread_mutex_unlock(&m) != EPERM) return 1;
  if (sgx_thread_mutex_lock(&m) != 0 || sgx_thread_mutex_trylock(&m) != EDEADLK) return 2;
  if (sgx_thread_mutex_destroy(&m) != EBUSY || sgx_thread_mutex_unlock(&m) != 0 || sgx_thread_mutex_destroy(&m) != 0)
    return 3;
  /* NOLINTNEXTLINE(misc-redundant-expression): a recursive mutex taken twice, on purpose */
  if (sgx_thread_mutex_lock(&r) != 0 || sgx_thread_mutex_lock(&r) != 0 || sgx_thread_mutex_unlock(&r) != 0 ||
      sgx_thread_mutex_unlock(&r) != 0 || sgx_thread_mutex_unlock(&r) != EPERM)
    return 4;
  if (sgx_thread_mutex_lock(NULL) != EINVAL || !sgx_thread_equal(sgx_thread_self(), sgx_thread_self())) return 5;
  return 0;
}
