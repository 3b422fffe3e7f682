/* sgx_cpuid / sgx_cpuidex (sgx_cpuid.h): CPUID faults inside an enclave, so
 * the application answers through sgx_tstdc.edl's sgx_oc_cpuidex OCALL,
 * whose generated proxy exists only in enclaves that import that EDL
 * (hence the weak reference). The answer is untrusted.
 *
 * And the CPUID instruction itself, where nothing else answers it: the
 * rows the untrusted runtime passes at initialization (system_features_t's
 * cpuinfo_table, leaves 0, 1, 4 and 7 — what the SDK's trusted libraries
 * read instead of executing CPUID), copied in once. Libraries linked into
 * enclaves execute CPUID to choose code paths — Debian's mbedTLS does for
 * AES-NI — and on SGX hardware, or wherever CPUID is #UD inside (the inproc
 * backend with CPUID faulting), that crashed the enclave at its first AES.
 * The answer is as untrusted as sgx_cpuid's: a host that lies can make the
 * library take a slower path or one that faults, as it can make any
 * enclave's sgx_cpuid caller do. */
#include <string.h>

#include "sgx_cpuid.h"
#include "sgx_trts.h"
#include "trts_internal.h"

static uint32_t rows[4][4]; /* leaves 0, 1, 4, 7 */
static int have_rows;

HIDDEN void nsgx_cpuid_rows_init(const nsgx_system_features_t* outside) {
  uint32_t table[8][4];
  memcpy(table, (const void*)outside->cpuinfo_table, sizeof table); /* once: the host may change it after */
  static const unsigned kLeaves[4] = {0, 1, 4, 7};
  for (unsigned i = 0; i < 4; ++i) memcpy(rows[i], table[kLeaves[i]], sizeof rows[i]);
  have_rows = rows[0][0] != 0; /* leaf 0's EAX: the highest basic leaf */
}

HIDDEN int nsgx_cpuid_row(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  if (!have_rows || leaf > rows[0][0]) return 0;
  int i;
  switch (leaf) {
    case 0:
    case 1:
      i = (int)leaf; /* no sub-leaves: ECX is ignored (SDM CPUID) */
      break;
    case 4:
    case 7:
      if (subleaf != 0) return 0; /* only sub-leaf 0 was passed */
      i = leaf == 4 ? 2 : 3;
      break;
    default:
      return 0;
  }
  memcpy(out, rows[i], sizeof rows[i]);
  return 1;
}

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
