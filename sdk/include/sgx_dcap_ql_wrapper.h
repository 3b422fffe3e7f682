/* Quotes: the SGX DCAP quote library's interface (sgx_qe_get_target_info,
 * sgx_qe_get_quote_size, sgx_qe_get_quote), served by the nestedsgx
 * monitor, whose attestation key signs in place of the Quoting Enclave's.
 * The quote is nestedsgx's format, not DCAP's (docs/attestation.md):
 * verify it with `nsgx verify quote` or attest/quote_verify.h.
 *
 *   sgx_target_info_t qe;  uint32_t size;
 *   sgx_qe_get_target_info(&qe);                // give it to the enclave
 *   ... the enclave: sgx_create_report(&qe, &data, &report) ...
 *   sgx_qe_get_quote_size(&size);
 *   uint8_t* quote = malloc(size);
 *   nsgx_qe_get_quote_with_nonce(&report, nonce, 32, size, quote);
 *
 * With a nonce, the enclave's REPORT_DATA[0..32) must be SHA-256(nonce) —
 * the monitor refuses the REPORT otherwise — and REPORT_DATA[32..64) is the
 * enclave's own (e.g. a digest of a key it generated). Without one
 * (sgx_qe_get_quote, as in DCAP), all of REPORT_DATA is the enclave's. */
#ifndef _SGX_DCAP_QL_WRAPPER_H_
#define _SGX_DCAP_QL_WRAPPER_H_

#include <stdint.h>

#include "sgx_defs.h"
#include "sgx_ql_lib_common.h"
#include "sgx_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The TARGETINFO of the monitor's quoting identity, for sgx_create_report. */
quote3_error_t SGX_CDECL sgx_qe_get_target_info(sgx_target_info_t* p_qe_target_info);

/* The size of every quote this monitor makes (the first call may create
 * the attestation key and its evidence). */
quote3_error_t SGX_CDECL sgx_qe_get_quote_size(uint32_t* p_quote_size);

/* Quotes `p_app_report` (made for sgx_qe_get_target_info's target) into
 * `p_quote`, whose size `quote_size` must be sgx_qe_get_quote_size's. */
quote3_error_t SGX_CDECL sgx_qe_get_quote(const sgx_report_t* p_app_report, uint32_t quote_size, uint8_t* p_quote);

/* nestedsgx extension: the same, with the verifier's nonce (at most 64
 * bytes) carried in the quote; the REPORT must bind it (see above). */
quote3_error_t SGX_CDECL nsgx_qe_get_quote_with_nonce(const sgx_report_t* p_app_report, const uint8_t* p_nonce,
                                                      uint32_t nonce_size, uint32_t quote_size, uint8_t* p_quote);

#ifdef __cplusplus
}
#endif

#endif
