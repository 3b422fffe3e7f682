/* Trusted side of hello: formats a greeting inside the enclave and hands it
 * to the application through an OCALL (enclave code cannot write to a file
 * descriptor itself). */
#include <stdio.h>
#include <string.h>

#include "Enclave_t.h"
#include "sgx_trts.h"

int ecall_hello(const char* name) {
  char line[160];
  /* `name` is the bridge's copy, inside the enclave; the application's
   * buffer was never read in place. */
  const int n = snprintf(line, sizeof line, "Hello, %s, from inside the enclave (name copied in: %s).", name,
                         sgx_is_within_enclave(name, strlen(name) + 1) ? "yes" : "no");
  if (ocall_print(line) != SGX_SUCCESS) return -1;
  return n;
}
