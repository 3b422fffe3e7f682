/* The "enclave" side of the bridge tests: ECALL implementations that report
 * what they were given (inside or outside, zeroed or not), and ECALLs that
 * make OCALLs and check what comes back. Built twice: against the stand-in
 * trusted runtime (bridge_test) and as a real enclave (sdk/tests). Buffers
 * handed to OCALLs come from malloc: with the stand-in, trusted code's own
 * stack is not inside the "enclave". */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "marshal_t.h"
#include "sgx_trts.h"

static int naked_calls;

int ecall_sum_in(const int* values, size_t n) {
  if (values != NULL && !sgx_is_within_enclave(values, n * sizeof(int))) return -1000;
  int s = 0;
  for (size_t i = 0; values != NULL && i < n; ++i) s += values[i];
  return s;
}

void ecall_fill_out(uint8_t* buf, size_t len, uint8_t byte) {
  if (buf == NULL) return;
  int zero = sgx_is_within_enclave(buf, len);
  for (size_t i = 0; i < len; ++i) zero = zero && buf[i] == 0;
  memset(buf, zero ? byte : 0xEE, len);
}

int ecall_double_inout(int* values, size_t n) {
  for (size_t i = 0; i < n; ++i) values[i] *= 2;
  return values != NULL && sgx_is_within_enclave(values, n * sizeof(int));
}

size_t ecall_strlen(const char* s) { return s ? strlen(s) : (size_t)-1; }

void ecall_upper_inout(char* s) {
  for (; s && *s; ++s) *s = (char)toupper((unsigned char)*s);
}

size_t ecall_wcslen(const wchar_t* s) { return s ? wcslen(s) : (size_t)-1; }

uint64_t ecall_user_check(void* p) { return (uint64_t)(uintptr_t)p; }

int ecall_array(int a[4], int b[2][3]) {
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) b[i][j] = a[(i * 3 + j) % 4] * 10;
  return a[0] + a[1] + a[2] + a[3];
}

struct point ecall_struct(struct point p, enum color c, union word w) {
  struct point r = {p.x + (int)c, p.y + (int)w.u};
  return r;
}

int ecall_where(void* in_buf, size_t len, int* out_one) {
  *out_one = sgx_is_within_enclave(out_one, sizeof(int));
  return sgx_is_within_enclave(in_buf, len);
}

int ecall_isptr(blob_ptr p, quad4_t q) {
  int s = p ? (int)(p->a + p->b) : -1;
  for (int i = 0; i < 4; ++i) s += q[i]++;
  return s;
}

/* Each case returns 0 when the OCALL behaved, else a code naming the check. */
int ecall_ocalls(int which) {
  sgx_status_t st;
  int ret = -1;
  switch (which) {
    case 0: {
      int* v = malloc(3 * sizeof(int));
      int* twice = malloc(sizeof(int));
      v[0] = 1, v[1] = 2, v[2] = 3, *twice = 0;
      st = ocall_sum(&ret, v, 3, twice);
      return st != SGX_SUCCESS ? 1 : ret != 6 ? 2 : *twice != 12 ? 3 : 0;
    }
    case 1: {
      char* buf = malloc(8);
      memset(buf, 'z', 8);
      st = ocall_fill(buf, 8);
      if (st != SGX_SUCCESS) return 1;
      for (int i = 0; i < 8; ++i)
        if (buf[i] != 'a' + i) return 2;
      return 0;
    }
    case 2: {
      char* s = malloc(6);
      memcpy(s, "hello", 6);
      size_t n = 0;
      st = ocall_string(&n, s);
      return st != SGX_SUCCESS ? 1 : n != 5 ? 2 : strcmp(s, "HELLO") != 0 ? 3 : 0;
    }
    case 3:
      errno = 0;
      st = ocall_errno(&ret, 42);
      return st != SGX_SUCCESS ? 1 : errno != 42 ? 2 : 0;
    case 4:
      return ocall_naked() == SGX_SUCCESS ? 0 : 1;
    case 5:
      st = ocall_nested(&ret, 7);
      return st != SGX_SUCCESS ? 1 : ret != 8 ? 2 : 0;
    case 6: {
      /* A buffer that is not inside the enclave: refused before any OCALL
       * (the address is never dereferenced). */
      const int* outside = (const int*)(uintptr_t)0x10000;
      return ocall_sum(&ret, outside, 3, NULL) == SGX_ERROR_INVALID_PARAMETER ? 0 : 1;
    }
    case 7:
      st = ocall_imported(&ret, 3);
      return st != SGX_SUCCESS ? 1 : ret != 4 ? 2 : 0;
    case 8: {
      /* count * sizeof(int) wraps: refused. */
      int* v = malloc(sizeof(int));
      return ocall_sum(&ret, v, SIZE_MAX / 2, NULL) == SGX_ERROR_INVALID_PARAMETER ? 0 : 1;
    }
    case 9: {
      /* Many OCALLs in one ECALL: each frees its untrusted allocation, and
       * the untrusted stack seen after each return is consistent. */
      int* v = malloc(2 * sizeof(int));
      int* twice = malloc(sizeof(int));
      char* s = malloc(4);
      for (int i = 0; i < 200; ++i) {
        v[0] = i, v[1] = 1;
        if (ocall_sum(&ret, v, 2, twice) != SGX_SUCCESS || ret != i + 1 || *twice != 2 * (i + 1)) return 1;
        memcpy(s, "abc", 4);
        size_t n = 0;
        if (ocall_string(&n, s) != SGX_SUCCESS || n != 3 || strcmp(s, "ABC") != 0) return 2;
        if (ocall_nested(&ret, i) != SGX_SUCCESS || ret != i + 1) return 3;
      }
      return 0;
    }
    default:
      return -1;
  }
}

void ecall_naked(void) { ++naked_calls; }

int ecall_private(int x) { return x + 1; }

int ecall_not_allowed_nested(void) {
  int ret = -1;
  /* The untrusted side tries ecall_sum_in, which ocall_nested does not allow. */
  if (ocall_nested(&ret, -1) != SGX_SUCCESS) return -1;
  return ret;
}

int ecall_imported(int x) { return x * 2; }

/* An address inside the enclave, for tests that pass one from outside. */
static int inside_marker[16];
uint64_t ecall_enclave_address(void) { return (uint64_t)(uintptr_t)inside_marker; }
