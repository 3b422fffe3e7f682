/* Cryptographic types of the SGX SDK's interface that sealing uses. */
#ifndef _SGX_TCRYPTO_H_
#define _SGX_TCRYPTO_H_

#include <stdint.h>

#define SGX_AESGCM_IV_SIZE 12
#define SGX_AESGCM_KEY_SIZE 16
#define SGX_AESGCM_MAC_SIZE 16

typedef uint8_t sgx_aes_gcm_128bit_key_t[SGX_AESGCM_KEY_SIZE];
typedef uint8_t sgx_aes_gcm_128bit_tag_t[SGX_AESGCM_MAC_SIZE];

#endif
