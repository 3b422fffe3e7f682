/* Reports and keys inside an enclave (SGX SDK interface). */
#ifndef _SGX_UTILS_H_
#define _SGX_UTILS_H_

#include "sgx_defs.h"
#include "sgx_error.h"
#include "sgx_key.h"
#include "sgx_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* EREPORT: a REPORT of this enclave for `target_info` (NULL: for itself)
 * carrying `report_data` (NULL: zeros). */
sgx_status_t sgx_create_report(const sgx_target_info_t* target_info, const sgx_report_data_t* report_data,
                               sgx_report_t* report);
/* This enclave's own REPORT (made once, targeted at itself, zero data). */
const sgx_report_t* sgx_self_report(void);
/* A TARGETINFO naming this enclave, for another enclave's sgx_create_report. */
sgx_status_t sgx_self_target(sgx_target_info_t* target_info);
/* SGX_SUCCESS if `report` was made by an enclave on this platform for this
 * enclave (its MAC verifies under this enclave's report key); else
 * SGX_ERROR_MAC_MISMATCH. */
sgx_status_t sgx_verify_report(const sgx_report_t* report);
/* EGETKEY. */
sgx_status_t sgx_get_key(const sgx_key_request_t* key_request, sgx_key_128bit_t* key);

#ifdef __cplusplus
}
#endif

#endif
