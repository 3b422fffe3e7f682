/* Remote-attestation key exchange, the application's side (SGX SDK
 * interface, sgx_ukey_exchange.h; libsgx_ukey_exchange in the SDK, part of
 * libsgx_urts here: sdk/urts/ukey_exchange.cc). The p_get_ga, p_proc_msg2
 * and p_get_msg3 arguments are the untrusted proxies the EDL compiler
 * generates for the ECALLs of sgx_tkey_exchange.edl (sgx_ra_get_ga,
 * sgx_ra_proc_msg2_trusted, sgx_ra_get_msg3_trusted).
 *
 *   sgx_ra_msg1_t msg1;
 *   sgx_ra_get_msg1(ctx, eid, sgx_ra_get_ga, &msg1);        // -> SP
 *   ... msg2 (msg2_size bytes) from the SP ...
 *   sgx_ra_msg3_t* msg3;  uint32_t msg3_size;
 *   sgx_ra_proc_msg2(ctx, eid, sgx_ra_proc_msg2_trusted, sgx_ra_get_msg3_trusted,
 *                    msg2, msg2_size, &msg3, &msg3_size);     // -> SP
 *   free(msg3);
 *
 * The quote in msg3 is a nestedsgx quote from the monitor of the backend in
 * use (sgx_dcap_ql_wrapper.h; docs/sdk-abi.md, "Remote attestation"). */
#ifndef _SGX_UKEY_EXCHANGE_H_
#define _SGX_UKEY_EXCHANGE_H_

#include <stdint.h>

#include "sgx.h"
#include "sgx_defs.h"
#include "sgx_eid.h"
#include "sgx_key_exchange.h"
#include "sgx_quote.h"
#include "sgx_report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef sgx_status_t (*sgx_ecall_get_ga_trusted_t)(sgx_enclave_id_t eid, sgx_status_t* retval, sgx_ra_context_t context,
                                                   sgx_ec256_public_t* g_a);

typedef sgx_status_t (*sgx_ecall_proc_msg2_trusted_t)(sgx_enclave_id_t eid, sgx_status_t* retval,
                                                      sgx_ra_context_t context, const sgx_ra_msg2_t* p_msg2,
                                                      const sgx_target_info_t* p_qe_target, sgx_report_t* p_report,
                                                      sgx_quote_nonce_t* p_nonce);

typedef sgx_status_t (*sgx_ecall_get_msg3_trusted_t)(sgx_enclave_id_t eid, sgx_status_t* retval,
                                                     sgx_ra_context_t context, uint32_t quote_size,
                                                     sgx_report_t* qe_report, sgx_ra_msg3_t* p_msg3,
                                                     uint32_t msg3_size);

/* msg1: the enclave's g_a (p_get_ga) and the EPID group id, which is zero
 * here (no EPID). An ECALL's failure is returned as is; the enclave's
 * own error (the ECALL's return value) likewise. */
sgx_status_t SGXAPI sgx_ra_get_msg1(sgx_ra_context_t context, sgx_enclave_id_t eid, sgx_ecall_get_ga_trusted_t p_get_ga,
                                    sgx_ra_msg1_t* p_msg1);

/* Processes msg2 (msg2_size must be sizeof(sgx_ra_msg2_t) + its
 * sig_rl_size: SGX_ERROR_INVALID_PARAMETER otherwise) in the enclave, has
 * the enclave's REPORT quoted and returns msg3 in *pp_msg3 (malloc'd; the
 * caller frees it) and its size. The enclave's errors: SGX_ERROR_INVALID_SIGNATURE
 * (msg2 not signed by the SP the enclave trusts), SGX_ERROR_MAC_MISMATCH,
 * SGX_ERROR_KDF_MISMATCH, SGX_ERROR_INVALID_STATE; no quote service:
 * SGX_ERROR_SERVICE_UNAVAILABLE. */
sgx_status_t SGXAPI sgx_ra_proc_msg2(sgx_ra_context_t context, sgx_enclave_id_t eid,
                                     sgx_ecall_proc_msg2_trusted_t p_proc_msg2, sgx_ecall_get_msg3_trusted_t p_get_msg3,
                                     const sgx_ra_msg2_t* p_msg2, uint32_t msg2_size, sgx_ra_msg3_t** pp_msg3,
                                     uint32_t* p_msg3_size);

/* The same with an attestation key id (sgx_uae_quote_ex.h): only the
 * monitor's key exists, so p_att_key_id must name an ECDSA P-384 key
 * (sgx_ql_att_key_id_t.algorithm_id SGX_QL_ALG_ECDSA_P384), as
 * sgx_get_supported_att_key_ids returns it; SGX_ERROR_UNSUPPORTED_ATT_KEY_ID
 * otherwise, SGX_ERROR_INVALID_PARAMETER for NULL. */
sgx_status_t SGXAPI sgx_ra_get_msg1_ex(const sgx_att_key_id_t* p_att_key_id, sgx_ra_context_t context,
                                       sgx_enclave_id_t eid, sgx_ecall_get_ga_trusted_t p_get_ga,
                                       sgx_ra_msg1_t* p_msg1);

sgx_status_t SGXAPI sgx_ra_proc_msg2_ex(const sgx_att_key_id_t* p_att_key_id, sgx_ra_context_t context,
                                        sgx_enclave_id_t eid, sgx_ecall_proc_msg2_trusted_t p_proc_msg2,
                                        sgx_ecall_get_msg3_trusted_t p_get_msg3, const sgx_ra_msg2_t* p_msg2,
                                        uint32_t msg2_size, sgx_ra_msg3_t** pp_msg3, uint32_t* p_msg3_size);

#ifdef __cplusplus
}
#endif

#endif
