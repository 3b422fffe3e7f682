/* Quotes with a chosen attestation key (SGX SDK interface,
 * sgx_uae_quote_ex.h). nestedsgx has one attestation key, the monitor's
 * ECDSA P-384 key: it is the one key sgx_get_supported_att_key_ids lists
 * (sgx_ql_att_key_id_t.algorithm_id SGX_QL_ALG_ECDSA_P384, the rest zero),
 * the default sgx_select_att_key_id picks, and the only one the other
 * functions accept (SGX_ERROR_UNSUPPORTED_ATT_KEY_ID otherwise). The quote
 * is a nestedsgx quote made by the monitor of the backend in use
 * (docs/attestation.md), as sgx_qe_get_quote makes it.
 *
 *   sgx_att_key_id_t id;  sgx_target_info_t qe;  size_t n = 0;  uint32_t size;
 *   sgx_select_att_key_id(NULL, 0, &id);
 *   sgx_init_quote_ex(&id, &qe, &n, NULL);          // n = 0: no key id needed
 *   ... the enclave: sgx_create_report(&qe, &data, &report) ...
 *   sgx_get_quote_size_ex(&id, &size);
 *   sgx_get_quote_ex(&report, &id, NULL, quote, size);
 */
#ifndef _SGX_UAE_QUOTE_EX_H_
#define _SGX_UAE_QUOTE_EX_H_

#include <stddef.h>
#include <stdint.h>

#include "sgx_defs.h"
#include "sgx_error.h"
#include "sgx_quote.h"
#include "sgx_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* With p_att_key_id_list NULL, the platform's default key (the monitor's).
 * A service provider's list is not supported: SGX_ERROR_UNSUPPORTED_ATT_KEY_ID. */
sgx_status_t SGXAPI sgx_select_att_key_id(const uint8_t* p_att_key_id_list, uint32_t att_key_id_list_size,
                                          sgx_att_key_id_t* p_selected_key_id);

/* The quoting identity's TARGETINFO. The public key id (DCAP's handle for
 * fetching the attestation key's certificates) is empty: a nestedsgx quote
 * carries its key and evidence itself. p_pub_key_id_size must not be NULL
 * and receives 0; p_pub_key_id is not written. */
sgx_status_t SGXAPI sgx_init_quote_ex(const sgx_att_key_id_t* p_att_key_id, sgx_target_info_t* p_qe_target_info,
                                      size_t* p_pub_key_id_size, uint8_t* p_pub_key_id);

sgx_status_t SGXAPI sgx_get_quote_size_ex(const sgx_att_key_id_t* p_att_key_id, uint32_t* p_quote_size);

/* p_qe_report_info must be NULL: the monitor makes no Quoting Enclave
 * REPORT (SGX_ERROR_UNSUPPORTED_FUNCTION otherwise). */
sgx_status_t SGXAPI sgx_get_quote_ex(const sgx_report_t* p_app_report, const sgx_att_key_id_t* p_att_key_id,
                                     sgx_qe_report_info_t* p_qe_report_info, uint8_t* p_quote, uint32_t quote_size);

sgx_status_t SGXAPI sgx_get_supported_att_key_id_num(uint32_t* p_att_key_id_num);
sgx_status_t SGXAPI sgx_get_supported_att_key_ids(sgx_att_key_id_ext_t* p_att_key_id_list, uint32_t att_key_id_num);

#ifdef __cplusplus
}
#endif

#endif
