/* The debugger test's application:
 *
 *   debugger_app ENCLAVE.signed.so compute|crash|hold [nodebug]
 *
 * compute prints "result 1765" (seed 21); crash makes the enclave fault;
 * hold creates the enclave, prints "holding" and keeps it until its
 * standard input ends (boundary_test.sh attacks its enclave host then).
 * `nodebug` creates the enclave without the DEBUG attribute. */
#include <stdio.h>
#include <string.h>

#include "Enclave_u.h"
#include "sgx_urts.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s ENCLAVE.signed.so compute|crash|hold [nodebug]\n", argv[0]);
    return 2;
  }
  const int debug = !(argc == 4 && strcmp(argv[3], "nodebug") == 0);
  sgx_enclave_id_t eid = 0;
  sgx_status_t st = sgx_create_enclave(argv[1], debug, NULL, NULL, &eid, NULL);
  if (st != SGX_SUCCESS) {
    fprintf(stderr, "sgx_create_enclave: 0x%04x\n", (unsigned)st);
    return 1;
  }
  int r = 0;
  if (strcmp(argv[2], "hold") == 0) {
    printf("holding\n");
    fflush(stdout);
    while (getchar() != EOF) {
    }
  }
  if (strcmp(argv[2], "crash") == 0)
    st = ecall_crash(eid, &r, 0);
  else
    st = ecall_compute(eid, &r, 21);
  sgx_destroy_enclave(eid);
  if (st != SGX_SUCCESS) {
    fprintf(stderr, "ecall: 0x%04x\n", (unsigned)st);
    return 1;
  }
  printf("result %d\n", r);
  return 0;
}
