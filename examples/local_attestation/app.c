/* Local attestation between two enclaves: the initiator proves its identity
 * to the responder with a REPORT targeted at the responder and bound to the
 * responder's fresh challenge; then a tampered report, a report targeted at
 * another enclave and a replayed report are shown refused.
 *
 *   local_attestation INITIATOR.signed.so RESPONDER.signed.so
 *
 * Exit 0 only if every step came out as it must.
 */
#include <stdio.h>
#include <string.h>

#include "Enclave_u.h"
#include "sgx_urts.h"

static void hex(const char* label, const uint8_t* p, size_t n) {
  printf("  %s ", label);
  for (size_t i = 0; i < n; ++i) printf("%02x", p[i]);
  printf("\n");
}

static int load(const char* path, const char* role, sgx_enclave_id_t* eid, sgx_report_t* identity) {
  sgx_launch_token_t token = {0};
  int updated = 0;
  sgx_status_t st = sgx_create_enclave(path, SGX_DEBUG_FLAG, &token, &updated, eid, NULL);
  sgx_status_t ret = SGX_ERROR_UNEXPECTED;
  if (st == SGX_SUCCESS) st = ecall_identity(*eid, &ret, identity);
  if (st != SGX_SUCCESS || ret != SGX_SUCCESS) {
    fprintf(stderr, "%s: loading %s: 0x%04x/0x%04x\n", role, path, (unsigned)st, (unsigned)ret);
    return -1;
  }
  printf("%s enclave:\n", role);
  hex("MRENCLAVE", identity->body.mr_enclave.m, 32);
  hex("MRSIGNER ", identity->body.mr_signer.m, 32);
  return 0;
}

/* The responder's verdict on `report`, printed; its status. */
static sgx_status_t verify(sgx_enclave_id_t responder, const sgx_report_t* report, sgx_measurement_t* peer) {
  sgx_status_t ret = SGX_ERROR_UNEXPECTED;
  const sgx_status_t st = ecall_verify_peer(responder, &ret, report, peer);
  return st != SGX_SUCCESS ? st : ret;
}

static const char* name_of(sgx_status_t st) {
  switch (st) {
    case SGX_SUCCESS:
      return "SGX_SUCCESS";
    case SGX_ERROR_MAC_MISMATCH:
      return "SGX_ERROR_MAC_MISMATCH";
    case SGX_ERROR_INVALID_PARAMETER:
      return "SGX_ERROR_INVALID_PARAMETER";
    case SGX_ERROR_INVALID_SIGNATURE:
      return "SGX_ERROR_INVALID_SIGNATURE";
    default:
      return "another error";
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s INITIATOR.signed.so RESPONDER.signed.so\n", argv[0]);
    return 2;
  }
  sgx_enclave_id_t ini = 0, res = 0;
  sgx_report_t ini_id, res_id;
  if (load(argv[1], "initiator", &ini, &ini_id) != 0 || load(argv[2], "responder", &res, &res_id) != 0) return 1;
  int failures = 0;
  sgx_status_t ret = SGX_ERROR_UNEXPECTED;

  printf("1. the responder issues a fresh challenge (64 random bytes) and its TARGETINFO\n");
  sgx_report_data_t challenge;
  sgx_target_info_t res_target;
  if (ecall_challenge(res, &ret, &challenge, &res_target) != SGX_SUCCESS || ret != SGX_SUCCESS) return 1;

  printf("2. the initiator asks the monitor (EREPORT) for a REPORT targeted at the responder, carrying it\n");
  sgx_report_t report;
  if (ecall_report_for(ini, &ret, &res_target, &challenge, &report) != SGX_SUCCESS || ret != SGX_SUCCESS) return 1;

  sgx_measurement_t peer;
  sgx_status_t st = verify(res, &report, &peer);
  const int same = st == SGX_SUCCESS && memcmp(peer.m, ini_id.body.mr_enclave.m, sizeof peer.m) == 0;
  printf("3. the responder verifies it: %s\n", name_of(st));
  printf(
      "   MAC under its own report key: made on this platform for this responder; challenge: fresh;\n"
      "   signer: its own. The peer it now knows is\n");
  hex("MRENCLAVE", peer.m, 32);
  printf("   = the initiator's: %s\n", same ? "yes" : "NO");
  failures += !same;

  sgx_report_t tampered = report;
  tampered.body.report_data.d[0] ^= 1;
  st = verify(res, &tampered, &peer);
  printf("4. a tampered report (one REPORTDATA bit flipped): %s (%s)\n",
         st == SGX_ERROR_MAC_MISMATCH ? "refused" : "ACCEPTED", name_of(st));
  failures += st != SGX_ERROR_MAC_MISMATCH;

  sgx_target_info_t ini_target;
  sgx_report_data_t ini_challenge;
  sgx_report_t elsewhere;
  if (ecall_challenge(res, &ret, &challenge, &res_target) != SGX_SUCCESS || ret != SGX_SUCCESS ||
      ecall_challenge(ini, &ret, &ini_challenge, &ini_target) != SGX_SUCCESS || ret != SGX_SUCCESS ||
      ecall_report_for(ini, &ret, &ini_target, &challenge, &elsewhere) != SGX_SUCCESS || ret != SGX_SUCCESS)
    return 1;
  st = verify(res, &elsewhere, &peer);
  printf("5. a report targeted at another enclave (the initiator), with the right challenge: %s (%s)\n",
         st == SGX_ERROR_MAC_MISMATCH ? "refused" : "ACCEPTED", name_of(st));
  failures += st != SGX_ERROR_MAC_MISMATCH;

  st = verify(res, &report, &peer);
  printf("6. the first report replayed (its challenge was used up): %s (%s)\n",
         st == SGX_ERROR_INVALID_PARAMETER ? "refused" : "ACCEPTED", name_of(st));
  failures += st != SGX_ERROR_INVALID_PARAMETER;

  sgx_destroy_enclave(ini);
  sgx_destroy_enclave(res);
  printf(failures == 0 ? "local attestation: OK\n" : "local attestation: FAILED (%d)\n", failures);
  return failures == 0 ? 0 : 1;
}
