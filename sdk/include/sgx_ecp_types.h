/* Elliptic-curve types of the SGX SDK's interface (sgx_ecp_types.h): the
 * P-256 domain parameters as 32-bit little-endian words, and the 128-bit
 * keys derived from an ECDH shared secret (sgx_dh.h, key exchange). */
#ifndef _SGX_ECP_TYPES_H_
#define _SGX_ECP_TYPES_H_

#include <stdint.h>

#include "nsgx_layout_assert.h"
#include "sgx_tcrypto.h"

#ifndef SGX_FEBITSIZE
#define SGX_FEBITSIZE 256
#endif

#pragma pack(push, 1)

typedef struct _ecc_param_t {
  uint32_t eccP[SGX_NISTP_ECP256_KEY_SIZE];    /* prime of the field */
  uint32_t eccA[SGX_NISTP_ECP256_KEY_SIZE];    /* coefficient a */
  uint32_t eccB[SGX_NISTP_ECP256_KEY_SIZE];    /* coefficient b */
  uint32_t eccG[2][SGX_NISTP_ECP256_KEY_SIZE]; /* base point */
  uint32_t eccR[SGX_NISTP_ECP256_KEY_SIZE];    /* order of the base point */
} sgx_ecc_param_t;

typedef uint8_t sgx_ec_key_128bit_t[SGX_CMAC_KEY_SIZE];

#pragma pack(pop)

NSGX_LAYOUT_ASSERT(sizeof(sgx_ecc_param_t) == 192, "SDK sgx_ecp_types.h: six 256-bit numbers");

#endif
