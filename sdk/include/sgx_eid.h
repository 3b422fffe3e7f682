/* The enclave id handed out by sgx_create_enclave (SGX SDK interface). */
#ifndef _SGX_EID_H_
#define _SGX_EID_H_

#include <stdint.h>

typedef uint64_t sgx_enclave_id_t;

#endif
