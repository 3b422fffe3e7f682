/* Platform-service (PSE: trusted time, monotonic counters) capabilities
 * (SGX SDK interface, sgx_uae_platform.h). There is no platform service
 * here, as on Linux SGX since the PSE was withdrawn: sgx_get_ps_cap returns
 * SGX_ERROR_SERVICE_UNAVAILABLE after checking its argument. */
#ifndef _SGX_UAE_PLATFORM_H_
#define _SGX_UAE_PLATFORM_H_

#include <stdint.h>

#include "nsgx_layout_assert.h"
#include "sgx_defs.h"
#include "sgx_error.h"

#define PS_CAP_TRUSTED_TIME 0x1
#define PS_CAP_MONOTONIC_COUNTER 0x2

/* ps_cap0 bit 0: trusted time; bit 1: monotonic counters; the rest reserved. */
typedef struct _sgx_ps_cap_t {
  uint32_t ps_cap0;
  uint32_t ps_cap1;
} sgx_ps_cap_t;

NSGX_LAYOUT_ASSERT(sizeof(sgx_ps_cap_t) == 8, "SDK sgx_uae_platform.h: ps_cap0, ps_cap1");

#define SGX_IS_TRUSTED_TIME_AVAILABLE(cap) ((((uint32_t)PS_CAP_TRUSTED_TIME) & ((cap).ps_cap0)) != 0)
#define SGX_IS_MONOTONIC_COUNTER_AVAILABLE(cap) ((((uint32_t)PS_CAP_MONOTONIC_COUNTER) & ((cap).ps_cap0)) != 0)

#ifdef __cplusplus
extern "C" {
#endif

sgx_status_t SGXAPI sgx_get_ps_cap(sgx_ps_cap_t* p_sgx_ps_cap);

#ifdef __cplusplus
}
#endif

#endif
