/* Trusted side: sums the values copied in and says so through an OCALL.
 * Only tlibc headers (string.h, stdio.h) and SDK headers. */
#include <stdio.h>
#include <string.h>

#include "Enclave_t.h"
#include "sgx_trts.h"

int ecall_sum(const int* values, size_t n, long* total) {
  long sum = 0;
  /* [in, count=n] copied the values into the enclave. */
  if (n > 0 && !sgx_is_within_enclave(values, n * sizeof *values)) return -1;
  for (size_t i = 0; i < n; ++i) sum += values[i];
  *total = sum;
  char line[96];
  memset(line, 0, sizeof line);
  snprintf(line, sizeof line, "enclave: the sum of %d values is %ld", (int)n, sum);
  ocall_print(line);
  return 0;
}
