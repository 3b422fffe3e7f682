/* The launch-enclave white list held by the AESM service (SGX SDK
 * interface, sgx_uae_launch.h). nestedsgx's launch policy is the monitor's
 * (docs/threat-model.md); there is no AESM white list, so these return
 * SGX_ERROR_SERVICE_UNAVAILABLE after checking their arguments. */
#ifndef _SGX_UAE_LAUNCH_H_
#define _SGX_UAE_LAUNCH_H_

#include <stdint.h>

#include "sgx_defs.h"
#include "sgx_error.h"

#ifdef __cplusplus
extern "C" {
#endif

sgx_status_t SGXAPI sgx_get_whitelist_size(uint32_t* p_whitelist_size);
sgx_status_t SGXAPI sgx_get_whitelist(uint8_t* p_whitelist, uint32_t whitelist_size);
sgx_status_t SGXAPI sgx_register_wl_cert_chain(uint8_t* p_wl_cert_chain, uint32_t wl_cert_chain_size);

#ifdef __cplusplus
}
#endif

#endif
