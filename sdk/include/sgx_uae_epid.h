/* EPID attestation through the platform's AESM service (SGX SDK interface,
 * sgx_uae_epid.h). nestedsgx has no EPID and no AESM: every function here
 * checks its arguments (SGX_ERROR_INVALID_PARAMETER) and then returns what
 * the SDK returns on a machine where the service is not running,
 * SGX_ERROR_SERVICE_UNAVAILABLE (sdk/urts/uae_service.cc says why for
 * each). Quotes come from the monitor: sgx_uae_quote_ex.h or
 * sgx_dcap_ql_wrapper.h. */
#ifndef _SGX_UAE_EPID_H_
#define _SGX_UAE_EPID_H_

#include <stdint.h>

#include "sgx_defs.h"
#include "sgx_error.h"
#include "sgx_quote.h"
#include "sgx_report.h"

#ifdef __cplusplus
extern "C" {
#endif

sgx_status_t SGXAPI sgx_init_quote(sgx_target_info_t* p_target_info, sgx_epid_group_id_t* p_gid);
sgx_status_t SGXAPI sgx_calc_quote_size(const uint8_t* p_sig_rl, uint32_t sig_rl_size, uint32_t* p_quote_size);
/* Deprecated in the SDK in favour of sgx_calc_quote_size. */
sgx_status_t SGXAPI sgx_get_quote_size(const uint8_t* p_sig_rl, uint32_t* p_quote_size);
sgx_status_t SGXAPI sgx_get_quote(const sgx_report_t* p_report, sgx_quote_sign_type_t quote_type,
                                  const sgx_spid_t* p_spid, const sgx_quote_nonce_t* p_nonce, const uint8_t* p_sig_rl,
                                  uint32_t sig_rl_size, sgx_report_t* p_qe_report, sgx_quote_t* p_quote,
                                  uint32_t quote_size);
sgx_status_t SGXAPI sgx_get_extended_epid_group_id(uint32_t* p_extended_epid_group_id);
sgx_status_t SGXAPI sgx_report_attestation_status(const sgx_platform_info_t* p_platform_info, int attestation_status,
                                                  sgx_update_info_bit_t* p_update_info);
sgx_status_t SGXAPI sgx_check_update_status(const sgx_platform_info_t* p_platform_info,
                                            sgx_update_info_bit_t* p_update_info, uint32_t config, uint32_t* p_status);

#ifdef __cplusplus
}
#endif

#endif
