/* Trusted side of the sample: the count is only ever in clear inside. */
#include <string.h>

#include "Enclave_t.h"
#include "sgx_tseal.h"
#include "sgx_utils.h"

static const char kLabel[] = "sealed-counter v1"; /* authenticated, not secret */

sgx_status_t ecall_increment(const uint8_t* blob, uint32_t blob_len, uint8_t* out, uint32_t out_cap,
                             uint32_t* out_len, uint64_t* count) {
  uint64_t value = 0;
  if (blob_len > 0) {
    if (blob_len < sizeof(sgx_sealed_data_t)) return SGX_ERROR_INVALID_PARAMETER;
    char label[sizeof kLabel];
    uint32_t label_len = sizeof label, value_len = sizeof value;
    const sgx_status_t st =
        sgx_unseal_data((const sgx_sealed_data_t*)blob, (uint8_t*)label, &label_len, (uint8_t*)&value, &value_len);
    if (st != SGX_SUCCESS) return st;
    if (label_len != sizeof kLabel || memcmp(label, kLabel, sizeof kLabel) != 0 || value_len != sizeof value)
      return SGX_ERROR_INVALID_PARAMETER;
    ocall_print("enclave: unsealed the previous count");
  } else {
    ocall_print("enclave: no sealed count yet, starting from 0");
  }
  ++value;
  const uint32_t need = sgx_calc_sealed_data_size(sizeof kLabel, sizeof value);
  if (need > out_cap) return SGX_ERROR_INVALID_PARAMETER;
  const sgx_status_t st =
      sgx_seal_data(sizeof kLabel, (const uint8_t*)kLabel, sizeof value, (const uint8_t*)&value, need, (sgx_sealed_data_t*)out);
  if (st != SGX_SUCCESS) return st;
  *out_len = need;
  *count = value;
  return SGX_SUCCESS;
}

sgx_status_t ecall_identity(sgx_report_t* report) {
  const sgx_report_t* r = sgx_self_report();
  if (r == NULL) return SGX_ERROR_UNEXPECTED;
  memcpy(report, r, sizeof *r);
  return SGX_SUCCESS;
}
