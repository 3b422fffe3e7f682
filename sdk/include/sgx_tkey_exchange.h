/* Remote-attestation key exchange, the enclave's side (SGX SDK interface,
 * sgx_tkey_exchange.h; libsgx_tkey_exchange in the SDK, part of the trusted
 * runtime here: sdk/trts/tkey_exchange.c). The enclave's EDL imports
 * sgx_tkey_exchange.edl, whose ECALLs the untrusted sgx_ra_get_msg1 and
 * sgx_ra_proc_msg2 (sgx_ukey_exchange.h) drive.
 *
 *   sgx_ra_context_t ctx;
 *   sgx_ra_init(&g_sp_pub_key, 0, &ctx);    // the SP's signing key, built in
 *   ... the application runs msg1..msg3 with the service provider ...
 *   sgx_ra_key_128_t sk;
 *   sgx_ra_get_keys(ctx, SGX_RA_KEY_SK, &sk);
 *   sgx_ra_close(ctx);
 *
 * Key derivation (kdf_id 1, as the SDK documents it): KDK = AES-CMAC(0^128,
 * x coordinate of the ECDH shared point, little-endian), and each key
 * AES-CMAC(KDK, 0x01 || label || 0x00 || 0x80 0x00) with the labels "SMK",
 * "SK", "MK", "VK". The REPORT in msg3's quote carries
 * REPORT_DATA = SHA-256(g_a || g_b || VK) || 0^32. */
#ifndef _SGX_TKEY_EXCHANGE_H_
#define _SGX_TKEY_EXCHANGE_H_

#include "sgx.h"
#include "sgx_defs.h"
#include "sgx_key_exchange.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts a session with the service provider whose ECDSA P-256 key is
 * p_pub_key. b_pse must be 0: there is no platform service
 * (SGX_ERROR_INVALID_PARAMETER otherwise, as the Linux SDK). At most 64
 * sessions are open at a time (SGX_ERROR_OUT_OF_MEMORY beyond). */
sgx_status_t SGXAPI sgx_ra_init(const sgx_ec256_public_t* p_pub_key, int b_pse, sgx_ra_context_t* p_context);

/* A key derivation of the enclave's own: called with the shared secret and
 * msg2's kdf_id, it fills SMK, SK, MK and VK (or returns an error, e.g.
 * SGX_ERROR_KDF_MISMATCH for a kdf_id it does not know). */
typedef sgx_status_t (*sgx_ra_derive_secret_keys_t)(const sgx_ec256_dh_shared_t* p_shared_key, uint16_t kdf_id,
                                                    sgx_ec_key_128bit_t* p_smk_key, sgx_ec_key_128bit_t* p_sk_key,
                                                    sgx_ec_key_128bit_t* p_mk_key, sgx_ec_key_128bit_t* p_vk_key);

/* As sgx_ra_init, with derive_key_cb in place of the default derivation
 * (which accepts only kdf_id 1). */
sgx_status_t SGXAPI sgx_ra_init_ex(const sgx_ec256_public_t* p_pub_key, int b_pse,
                                   sgx_ra_derive_secret_keys_t derive_key_cb, sgx_ra_context_t* p_context);

/* SK or MK of a session whose msg3 was made; SGX_ERROR_INVALID_STATE before. */
sgx_status_t SGXAPI sgx_ra_get_keys(sgx_ra_context_t context, sgx_ra_key_type_t type, sgx_ra_key_128_t* p_key);

/* Ends the session and wipes its keys. */
sgx_status_t SGXAPI sgx_ra_close(sgx_ra_context_t context);

#ifdef __cplusplus
}
#endif

#endif
