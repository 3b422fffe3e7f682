/* Untrusted side, written against SGX SDK names only:
 *   app ENCLAVE.signed.so */
#include <stdio.h>

#include "Enclave_u.h"
#include "sgx_urts.h"

void ocall_print(const char* line) { printf("%s\n", line); }

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ENCLAVE.signed.so\n", argv[0]);
    return 2;
  }
  sgx_enclave_id_t eid = 0;
  sgx_status_t st = sgx_create_enclave(argv[1], SGX_DEBUG_FLAG, NULL, NULL, &eid, NULL);
  if (st != SGX_SUCCESS) {
    fprintf(stderr, "sgx_create_enclave: 0x%04x\n", (unsigned)st);
    return 1;
  }
  const int values[] = {3, 5, 7, 11, 13};
  long total = 0;
  int ret = -1;
  st = ecall_sum(eid, &ret, values, sizeof values / sizeof values[0], &total);
  sgx_destroy_enclave(eid);
  if (st != SGX_SUCCESS || ret != 0) {
    fprintf(stderr, "ecall_sum: 0x%04x, %d\n", (unsigned)st, ret);
    return 1;
  }
  printf("app: total %ld\n", total);
  return total == 39 ? 0 : 1;
}
