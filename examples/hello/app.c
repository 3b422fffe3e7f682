/* hello: load the signed enclave, make one ECALL that prints through an
 * OCALL, unload it. Written only against SGX SDK names.
 *
 *   hello ENCLAVE.signed.so [NAME]
 */
#include <stdio.h>

#include "Enclave_u.h"
#include "sgx_urts.h"

void ocall_print(const char* line) { printf("enclave says: %s\n", line); }

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s ENCLAVE.signed.so [NAME]\n", argv[0]);
    return 2;
  }
  sgx_enclave_id_t eid = 0;
  sgx_launch_token_t token = {0};
  int updated = 0;
  sgx_status_t st = sgx_create_enclave(argv[1], SGX_DEBUG_FLAG, &token, &updated, &eid, NULL);
  if (st != SGX_SUCCESS) {
    fprintf(stderr, "sgx_create_enclave: 0x%04x\n", (unsigned)st);
    return 1;
  }
  int n = -1;
  st = ecall_hello(eid, &n, argc == 3 ? argv[2] : "world");
  sgx_destroy_enclave(eid);
  if (st != SGX_SUCCESS || n <= 0) {
    fprintf(stderr, "ecall_hello: 0x%04x, %d\n", (unsigned)st, n);
    return 1;
  }
  printf("ecall_hello returned %d\n", n);
  return 0;
}
