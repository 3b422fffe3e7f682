/* The enclave side of the workloads: the same code the benchmark runs
 * natively (workloads.h), behind the ECALLs of workloads.edl. */
#include "nsgx_tposix.h"
#include "workloads.h"
#include "workloads_t.h"

int ecall_wl_prepare(uint32_t kernel, uint64_t a, uint64_t b) { return wl_prepare(kernel, a, b); }
uint64_t ecall_wl_run(uint32_t kernel, uint64_t iters) { return wl_run(kernel, iters); }
uint64_t ecall_wl_digest(void) { return wl_digest(); }
void ecall_wl_release(void) { wl_release(); }
int ecall_wl_set_path(const char* path) { return wl_set_path(path); }
uint64_t ecall_wl_ocalls(void) { return nsgx_tposix_ocalls(); }
