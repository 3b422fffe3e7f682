/* The untrusted architectural-enclave services (SGX SDK interface,
 * sgx_uae_service.h): all of sgx_uae_epid.h, sgx_uae_launch.h,
 * sgx_uae_platform.h and sgx_uae_quote_ex.h. They live in libsgx_urts. */
#ifndef _SGX_UAE_SERVICE_H_
#define _SGX_UAE_SERVICE_H_

#include "sgx_uae_epid.h"
#include "sgx_uae_launch.h"
#include "sgx_uae_platform.h"
#include "sgx_uae_quote_ex.h"

#endif
