/* Whether this machine can run enclaves (SGX SDK interface, sgx_capable.h).
 * nestedsgx runs enclaves on every x86-64 Linux machine (its monitor
 * provides the SGX leaf functions), so a machine is capable and enabled
 * whenever the untrusted runtime's backend is usable. */
#ifndef _SGX_CAPABLE_H_
#define _SGX_CAPABLE_H_

#include "sgx_defs.h"
#include "sgx_error.h"

typedef enum _sgx_device_status_t {
  SGX_ENABLED,
  SGX_DISABLED_REBOOT_REQUIRED,
  SGX_DISABLED_LEGACY_OS,
  SGX_DISABLED,
  SGX_DISABLED_SCI_AVAILABLE,
  SGX_DISABLED_MANUAL_ENABLE,
  SGX_DISABLED_HYPERV_ENABLED,
  SGX_DISABLED_UNSUPPORTED_CPU,
} sgx_device_status_t;

#ifdef __cplusplus
extern "C" {
#endif

/* *sgx_capable = 1 if this process can create enclaves, else 0 (SGX_SUCCESS);
 * SGX_ERROR_INVALID_PARAMETER for NULL. */
sgx_status_t SGXAPI sgx_is_capable(int* sgx_capable);
/* Whether this process can create enclaves (the backend in use can run:
 * the isolated backend's executables, or /dev/sgx_enclave): SGX_ENABLED,
 * else SGX_DISABLED; there is nothing to enable, so enable_device only
 * reports the status. */
sgx_status_t SGXAPI sgx_cap_enable_device(sgx_device_status_t* sgx_device_status);
sgx_status_t SGXAPI sgx_cap_get_status(sgx_device_status_t* sgx_device_status);

#ifdef __cplusplus
}
#endif

#endif
