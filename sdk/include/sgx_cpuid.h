/* CPUID inside an enclave (SGX SDK interface, sgx_cpuid.h). An enclave
 * cannot execute CPUID, so these ask the application through sgx_tstdc.edl's
 * sgx_oc_cpuidex OCALL (the enclave's EDL must import it; without it they
 * return SGX_ERROR_UNEXPECTED). The answer comes from outside the enclave
 * and is therefore untrusted, as on the SDK: never base a security decision
 * on it. SGX_ERROR_INVALID_PARAMETER for a cpuinfo outside the enclave. */
#ifndef _SGX_CPUID_H_
#define _SGX_CPUID_H_

#include "sgx_defs.h"
#include "sgx_error.h"

#ifdef __cplusplus
extern "C" {
#endif

sgx_status_t SGXAPI sgx_cpuid(int cpuinfo[4], int leaf);
sgx_status_t SGXAPI sgx_cpuidex(int cpuinfo[4], int leaf, int subleaf);

#ifdef __cplusplus
}
#endif

#endif
