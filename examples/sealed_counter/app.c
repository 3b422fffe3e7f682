/* The sample application: loads the enclave, shows its identity, and bumps
 * a counter that only the enclave (or another enclave of the same signer)
 * can read — kept on disk as a sealed blob. Then it shows that a modified
 * blob is refused.
 *
 *   app ENCLAVE.signed.so STATE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Enclave_u.h"
#include "sgx_tseal.h"
#include "sgx_urts.h"

void ocall_print(const char* line) { printf("  %s\n", line); }

static void hex(const char* label, const uint8_t* p, size_t n) {
  printf("  %s ", label);
  for (size_t i = 0; i < n; ++i) printf("%02x", p[i]);
  printf("\n");
}

static size_t read_all(const char* path, uint8_t* buf, size_t cap) {
  FILE* f = fopen(path, "rb");
  if (!f) return 0;
  const size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static int write_all(const char* path, const uint8_t* buf, size_t n) {
  FILE* f = fopen(path, "wb");
  if (!f) return -1;
  const int ok = fwrite(buf, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s ENCLAVE.signed.so STATE_DIR\n", argv[0]);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/counter.sealed", argv[2]);

  sgx_enclave_id_t eid = 0;
  sgx_launch_token_t token = {0};
  int updated = 0;
  sgx_status_t st = sgx_create_enclave(argv[1], SGX_DEBUG_FLAG, &token, &updated, &eid, NULL);
  if (st != SGX_SUCCESS) {
    fprintf(stderr, "sgx_create_enclave: 0x%04x\n", (unsigned)st);
    return 1;
  }
  printf("enclave loaded (id %llu)\n", (unsigned long long)eid);

  sgx_report_t report;
  sgx_status_t ret = SGX_ERROR_UNEXPECTED;
  if (ecall_identity(eid, &ret, &report) != SGX_SUCCESS || ret != SGX_SUCCESS) {
    fprintf(stderr, "ecall_identity failed\n");
    return 1;
  }
  printf("its identity, from a REPORT made by the monitor:\n");
  hex("MRENCLAVE", report.body.mr_enclave.m, 32);
  hex("MRSIGNER ", report.body.mr_signer.m, 32);
  printf("  ISVPRODID %u  ISVSVN %u  debug %s\n", report.body.isv_prod_id, report.body.isv_svn,
         (report.body.attributes.flags & SGX_FLAGS_DEBUG) ? "yes" : "no");

  static uint8_t blob[4096], next[4096];
  const size_t blob_len = read_all(path, blob, sizeof blob);
  uint32_t next_len = 0;
  uint64_t count = 0;
  printf("incrementing the sealed counter in %s:\n", path);
  if (ecall_increment(eid, &ret, blob, (uint32_t)blob_len, next, sizeof next, &next_len, &count) != SGX_SUCCESS ||
      ret != SGX_SUCCESS) {
    fprintf(stderr, "ecall_increment: 0x%04x (a sealed blob from another signer or a modified one?)\n", (unsigned)ret);
    return 1;
  }
  if (write_all(path, next, next_len) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  printf("  count is now %llu (run again: it keeps counting, even after the monitor restarts)\n",
         (unsigned long long)count);

  /* The blob on disk is authenticated: flip one byte of the ciphertext. */
  next[sizeof(sgx_sealed_data_t)] ^= 1;
  ret = SGX_SUCCESS;
  /* NOLINTNEXTLINE(readability-suspicious-call-argument): the modified blob in, `blob` for the output */
  (void)ecall_increment(eid, &ret, next, next_len, blob, sizeof blob, &next_len, &count);
  printf("a modified blob: %s\n", ret == SGX_ERROR_MAC_MISMATCH ? "refused (SGX_ERROR_MAC_MISMATCH)" : "ACCEPTED?!");

  sgx_destroy_enclave(eid);
  return ret == SGX_ERROR_MAC_MISMATCH ? 0 : 1;
}
