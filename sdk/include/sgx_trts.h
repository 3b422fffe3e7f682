/* Trusted runtime services (SGX SDK interface). */
#ifndef _SGX_TRTS_H_
#define _SGX_TRTS_H_

#include <stddef.h>

#include "sgx_defs.h"
#include "sgx_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if [addr, addr+size) lies wholly inside this enclave's range, else 0
 * (also for a range that wraps). A size of 0 checks the address alone. */
int SGX_CDECL sgx_is_within_enclave(const void* addr, size_t size);
/* 1 if [addr, addr+size) lies wholly outside this enclave's range, else 0. */
int SGX_CDECL sgx_is_outside_enclave(const void* addr, size_t size);
/* Fills `buf` with random bytes from the CPU's (or the monitor's) generator. */
sgx_status_t SGX_CDECL sgx_read_rand(unsigned char* buf, size_t size);
/* 1 once the enclave has crashed (an unrecoverable error inside it). */
int SGX_CDECL sgx_is_enclave_crashed(void);

#ifdef __cplusplus
}
#endif

#endif
