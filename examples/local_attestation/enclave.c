/* Trusted side of local attestation, for both roles. */
#include <string.h>

#include "Enclave_t.h"
#include "sgx_trts.h"
#include "sgx_utils.h"

static sgx_report_data_t challenge;
static int challenge_outstanding;

sgx_status_t ecall_identity(sgx_report_t* report) {
  const sgx_report_t* r = sgx_self_report();
  if (r == NULL) return SGX_ERROR_UNEXPECTED;
  memcpy(report, r, sizeof *r);
  return SGX_SUCCESS;
}

sgx_status_t ecall_challenge(sgx_report_data_t* out, sgx_target_info_t* target) {
  sgx_status_t st = sgx_read_rand(challenge.d, sizeof challenge.d);
  if (st != SGX_SUCCESS) return st;
  if ((st = sgx_self_target(target)) != SGX_SUCCESS) return st;
  challenge_outstanding = 1;
  memcpy(out, &challenge, sizeof challenge);
  return SGX_SUCCESS;
}

sgx_status_t ecall_report_for(const sgx_target_info_t* target, const sgx_report_data_t* data, sgx_report_t* report) {
  return sgx_create_report(target, data, report);
}

sgx_status_t ecall_verify_peer(const sgx_report_t* report, sgx_measurement_t* peer) {
  /* The MAC: made by EREPORT on this platform for this enclave's identity. */
  const sgx_status_t st = sgx_verify_report(report);
  if (st != SGX_SUCCESS) return st;
  /* Fresh: it answers the challenge this enclave issued, once. */
  if (!challenge_outstanding || memcmp(report->body.report_data.d, challenge.d, sizeof challenge.d) != 0)
    return SGX_ERROR_INVALID_PARAMETER;
  challenge_outstanding = 0;
  /* Policy: only enclaves of this enclave's signer are peers. */
  const sgx_report_t* self = sgx_self_report();
  if (self == NULL) return SGX_ERROR_UNEXPECTED;
  if (memcmp(&report->body.mr_signer, &self->body.mr_signer, sizeof self->body.mr_signer) != 0)
    return SGX_ERROR_INVALID_SIGNATURE;
  memcpy(peer, &report->body.mr_enclave, sizeof *peer);
  return SGX_SUCCESS;
}
