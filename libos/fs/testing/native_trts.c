/* What the trusted runtime's sgx_tcrypto (sdk/trts/tcrypto.c) needs from
 * the rest of the runtime, when that same source is built natively for the
 * protected files' tests and fuzzer: randomness (the kernel's, for
 * RDRAND's) and the crash path. */
#include <stdlib.h>
#include <sys/random.h>

#include "sgx_error.h"

sgx_status_t sgx_read_rand(unsigned char* buf, size_t size);
void nsgx_crash(void) __attribute__((noreturn));

sgx_status_t sgx_read_rand(unsigned char* buf, size_t size) {
  if (buf == NULL || size == 0) return SGX_ERROR_INVALID_PARAMETER;
  for (size_t done = 0; done < size;) {
    const ssize_t n = getrandom(buf + done, size - done, 0);
    if (n <= 0) return SGX_ERROR_UNEXPECTED;
    done += (size_t)n;
  }
  return SGX_SUCCESS;
}

void nsgx_crash(void) { abort(); }
