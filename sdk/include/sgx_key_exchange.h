/* Remote-attestation key exchange messages (SGX SDK interface,
 * sgx_key_exchange.h; Intel SGX Developer Reference, "Remote Attestation"
 * and sgx_ra_msg1_t/sgx_ra_msg2_t/sgx_ra_msg3_t). The flow:
 *
 *   enclave            application (sgx_ukey_exchange.h)        service provider
 *   sgx_ra_init ->     sgx_ra_get_msg1 ---------- msg1 = g_a, gid ----------->
 *                      <------ msg2 = g_b, SPID, quote type, KDF id,
 *                              SIG_SP(g_b || g_a), CMAC_SMK(g_b .. sig), SigRL
 *                      sgx_ra_proc_msg2 --------- msg3 = CMAC_SMK(g_a || ps || quote),
 *                                                 g_a, ps_sec_prop, quote ------>
 *   sgx_ra_get_keys(SK / MK)                                         same SK / MK
 *
 * Public keys and signature halves are little-endian, as everywhere in the
 * SDK's ECC (sgx_tcrypto.h). On nestedsgx the quote in msg3 is a nestedsgx
 * quote (docs/attestation.md, docs/sdk-abi.md "Remote attestation"), and
 * gid is zero (there is no EPID group). */
#ifndef _SGX_KEY_EXCHANGE_H_
#define _SGX_KEY_EXCHANGE_H_

#include <stdint.h>

#include "nsgx_layout_assert.h"
#include "sgx_ecp_types.h"
#include "sgx_quote.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Platform-service security properties in msg3; there is no platform
 * service (PSE) on Linux SGX nor here, so they are zero. */
typedef struct _ps_sec_prop_desc {
  uint8_t sgx_ps_sec_prop_desc[256];
} sgx_ps_sec_prop_desc_t;

typedef uint32_t sgx_ra_context_t;

typedef sgx_key_128bit_t sgx_ra_key_128_t;

/* The keys sgx_ra_get_keys returns: SK (session key) and MK (MAC key). */
typedef enum _ra_key_type_t {
  SGX_RA_KEY_SK = 1,
  SGX_RA_KEY_MK,
} sgx_ra_key_type_t;

typedef struct _ra_msg1_t {
  sgx_ec256_public_t g_a;  /* the enclave's ephemeral key */
  sgx_epid_group_id_t gid; /* little-endian */
} sgx_ra_msg1_t;

typedef struct _ra_msg2_t {
  sgx_ec256_public_t g_b; /* the service provider's ephemeral key */
  sgx_spid_t spid;
  uint16_t quote_type;              /* SGX_UNLINKABLE_SIGNATURE or SGX_LINKABLE_SIGNATURE */
  uint16_t kdf_id;                  /* 1: the SDK's AES-CMAC key derivation */
  sgx_ec256_signature_t sign_gb_ga; /* ECDSA-SHA256 over g_b || g_a by the key given to sgx_ra_init */
  sgx_mac_t mac;                    /* AES-CMAC under SMK of g_b .. sign_gb_ga */
  uint32_t sig_rl_size;
  uint8_t sig_rl[];
} sgx_ra_msg2_t;

typedef struct _ra_msg3_t {
  sgx_mac_t mac; /* AES-CMAC under SMK of g_a || ps_sec_prop || quote */
  sgx_ec256_public_t g_a;
  sgx_ps_sec_prop_desc_t ps_sec_prop;
  uint8_t quote[];
} sgx_ra_msg3_t;

NSGX_LAYOUT_ASSERT(sizeof(sgx_ra_msg1_t) == 68, "SDK sgx_key_exchange.h: g_a, gid");
NSGX_LAYOUT_ASSERT(sizeof(sgx_ra_msg2_t) == 168, "SDK sgx_key_exchange.h: g_b .. sig_rl_size, no padding");
NSGX_LAYOUT_ASSERT(__builtin_offsetof(sgx_ra_msg2_t, mac) == 148, "SDK: the MAC covers the 148 bytes before it");
NSGX_LAYOUT_ASSERT(sizeof(sgx_ra_msg3_t) == 336, "SDK sgx_key_exchange.h: mac, g_a, ps_sec_prop");

#ifdef __cplusplus
}
#endif

#endif
