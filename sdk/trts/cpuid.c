/* sgx_cpuid / sgx_cpuidex (sgx_cpuid.h): CPUID faults inside an enclave, so
 * the application answers through sgx_tstdc.edl's sgx_oc_cpuidex OCALL,
 * whose generated proxy exists only in enclaves that import that EDL
 * (hence the weak reference). The answer is untrusted. */
#include <string.h>

#include "sgx_cpuid.h"
#include "sgx_trts.h"

extern sgx_status_t sgx_oc_cpuidex(int cpuinfo[4], int leaf, int subleaf) __attribute__((weak, visibility("hidden")));

sgx_status_t sgx_cpuidex(int cpuinfo[4], int leaf, int subleaf) {
  if (cpuinfo == NULL || !sgx_is_within_enclave(cpuinfo, 4 * sizeof(int))) return SGX_ERROR_INVALID_PARAMETER;
  if (!sgx_oc_cpuidex) return SGX_ERROR_UNEXPECTED;
  int out[4] = {0, 0, 0, 0};
  const sgx_status_t r = sgx_oc_cpuidex(out, leaf, subleaf);
  if (r != SGX_SUCCESS) return r;
  memcpy(cpuinfo, out, sizeof out);
  return SGX_SUCCESS;
}

sgx_status_t sgx_cpuid(int cpuinfo[4], int leaf) { return sgx_cpuidex(cpuinfo, leaf, 0); }
