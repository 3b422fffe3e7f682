/* Trusted cryptography (SGX SDK interface, sgx_tcrypto.h): hashes, AES-GCM,
 * AES-CMAC, AES-CTR, HMAC-SHA256, ECC P-256 (key pairs, ECDH, ECDSA) and
 * RSA-3072. Names, types, sizes and byte orders are the SDK's documented
 * ones (Intel SGX Developer Reference, "Trusted Cryptography Library");
 * the implementation (sdk/trts/tcrypto.c) is mbedTLS, linked into every
 * enclave.
 *
 * Byte order, as the SDK defines it: ECC private keys, public key
 * coordinates, signature halves and DH shared secrets are little-endian
 * (least significant byte first); RSA moduli and exponents in
 * sgx_rsa3072_*_key_t and the sgx_create_rsa_* functions are little-endian
 * too; hashes, MACs, ciphertexts and RSA signatures are byte strings.
 *
 * Example (SHA-256):
 *   sgx_sha256_hash_t h;
 *   if (sgx_sha256_msg(data, len, &h) != SGX_SUCCESS) ...
 */
#ifndef _SGX_TCRYPTO_H_
#define _SGX_TCRYPTO_H_

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h> /* the SDK's sgx_tcrypto.h includes it; samples rely on malloc/free from here */

#include "nsgx_layout_assert.h"
#include "sgx.h"
#include "sgx_defs.h"

#define SGX_SHA1_HASH_SIZE 20
#define SGX_SHA256_HASH_SIZE 32
#define SGX_SHA384_HASH_SIZE 48
#define SGX_ECP256_KEY_SIZE 32
#define SGX_NISTP_ECP256_KEY_SIZE (SGX_ECP256_KEY_SIZE / sizeof(uint32_t))
#define SGX_AESGCM_IV_SIZE 12
#define SGX_AESGCM_KEY_SIZE 16
#define SGX_AESGCM_MAC_SIZE 16
#define SGX_HMAC256_KEY_SIZE 32
#define SGX_HMAC256_MAC_SIZE 32
#define SGX_CMAC_KEY_SIZE 16
#define SGX_CMAC_MAC_SIZE 16
#define SGX_AESCTR_KEY_SIZE 16
#define SGX_RSA3072_KEY_SIZE 384
#define SGX_RSA3072_PRI_EXP_SIZE 384
#define SGX_RSA3072_PUB_EXP_SIZE 4

typedef struct _sgx_ec256_dh_shared_t {
  uint8_t s[SGX_ECP256_KEY_SIZE];
} sgx_ec256_dh_shared_t;

typedef struct _sgx_ec256_private_t {
  uint8_t r[SGX_ECP256_KEY_SIZE];
} sgx_ec256_private_t;

typedef struct _sgx_ec256_public_t {
  uint8_t gx[SGX_ECP256_KEY_SIZE];
  uint8_t gy[SGX_ECP256_KEY_SIZE];
} sgx_ec256_public_t;

/* r in x, s in y; each a little-endian 256-bit number in 32-bit words. */
typedef struct _sgx_ec256_signature_t {
  uint32_t x[SGX_NISTP_ECP256_KEY_SIZE];
  uint32_t y[SGX_NISTP_ECP256_KEY_SIZE];
} sgx_ec256_signature_t;

typedef struct _sgx_rsa3072_public_key_t {
  uint8_t mod[SGX_RSA3072_KEY_SIZE];
  uint8_t exp[SGX_RSA3072_PUB_EXP_SIZE];
} sgx_rsa3072_public_key_t;

typedef struct _sgx_rsa3072_key_t {
  uint8_t mod[SGX_RSA3072_KEY_SIZE];
  uint8_t d[SGX_RSA3072_PRI_EXP_SIZE];
  uint8_t e[SGX_RSA3072_PUB_EXP_SIZE];
} sgx_rsa3072_key_t;

typedef uint8_t sgx_rsa3072_signature_t[SGX_RSA3072_KEY_SIZE];

typedef void* sgx_sha_state_handle_t;
typedef void* sgx_hmac_state_handle_t;
typedef void* sgx_cmac_state_handle_t;
typedef void* sgx_ecc_state_handle_t;
typedef void* sgx_aes_state_handle_t;

typedef uint8_t sgx_sha1_hash_t[SGX_SHA1_HASH_SIZE];
typedef uint8_t sgx_sha256_hash_t[SGX_SHA256_HASH_SIZE];
typedef uint8_t sgx_sha384_hash_t[SGX_SHA384_HASH_SIZE];

typedef uint8_t sgx_aes_gcm_128bit_key_t[SGX_AESGCM_KEY_SIZE];
typedef uint8_t sgx_aes_gcm_128bit_tag_t[SGX_AESGCM_MAC_SIZE];
typedef uint8_t sgx_hmac_256bit_key_t[SGX_HMAC256_KEY_SIZE];
typedef uint8_t sgx_hmac_256bit_tag_t[SGX_HMAC256_MAC_SIZE];
typedef uint8_t sgx_cmac_128bit_key_t[SGX_CMAC_KEY_SIZE];
typedef uint8_t sgx_cmac_128bit_tag_t[SGX_CMAC_MAC_SIZE];
typedef uint8_t sgx_aes_ctr_128bit_key_t[SGX_AESCTR_KEY_SIZE];

typedef enum {
  SGX_EC_VALID,
  SGX_EC_COMPOSITE_BASE,
  SGX_EC_COMPLICATED_BASE,
  SGX_EC_IS_ZERO_DISCRIMINANT,
  SGX_EC_COMPOSITE_ORDER,
  SGX_EC_INVALID_ORDER,
  SGX_EC_IS_WEAK_MOV,
  SGX_EC_IS_WEAK_SSA,
  SGX_EC_IS_SUPER_SINGULAR,
  SGX_EC_INVALID_PRIVATE_KEY,
  SGX_EC_INVALID_PUBLIC_KEY,
  SGX_EC_INVALID_KEY_PAIR,
  SGX_EC_POINT_OUT_OF_GROUP,
  SGX_EC_POINT_IS_AT_INFINITY,
  SGX_EC_POINT_IS_NOT_VALID,
  SGX_EC_POINT_IS_EQUAL,
  SGX_EC_POINT_IS_NOT_EQUAL,
  SGX_EC_INVALID_SIGNATURE
} sgx_generic_ecresult_t;

typedef enum { SGX_RSA_VALID, SGX_RSA_INVALID_SIGNATURE } sgx_rsa_result_t;

typedef enum { SGX_RSA_PRIVATE_KEY, SGX_RSA_PUBLIC_KEY } sgx_rsa_key_type_t;

#define N_SIZE_IN_BYTES 384
#define E_SIZE_IN_BYTES 4
#define D_SIZE_IN_BYTES 384
#define P_SIZE_IN_BYTES 192
#define Q_SIZE_IN_BYTES 192
#define DMP1_SIZE_IN_BYTES 192
#define DMQ1_SIZE_IN_BYTES 192
#define IQMP_SIZE_IN_BYTES 192

#define N_SIZE_IN_UINT (N_SIZE_IN_BYTES / sizeof(unsigned int))
#define E_SIZE_IN_UINT (E_SIZE_IN_BYTES / sizeof(unsigned int))
#define D_SIZE_IN_UINT (D_SIZE_IN_BYTES / sizeof(unsigned int))
#define P_SIZE_IN_UINT (P_SIZE_IN_BYTES / sizeof(unsigned int))
#define Q_SIZE_IN_UINT (Q_SIZE_IN_BYTES / sizeof(unsigned int))
#define DMP1_SIZE_IN_UINT (DMP1_SIZE_IN_BYTES / sizeof(unsigned int))
#define DMQ1_SIZE_IN_UINT (DMQ1_SIZE_IN_BYTES / sizeof(unsigned int))
#define IQMP_SIZE_IN_UINT (IQMP_SIZE_IN_BYTES / sizeof(unsigned int))

typedef struct _rsa_params_t {
  unsigned int n[N_SIZE_IN_UINT];
  unsigned int e[E_SIZE_IN_UINT];
  unsigned int d[D_SIZE_IN_UINT];
  unsigned int p[P_SIZE_IN_UINT];
  unsigned int q[Q_SIZE_IN_UINT];
  unsigned int dmp1[DMP1_SIZE_IN_UINT];
  unsigned int dmq1[DMQ1_SIZE_IN_UINT];
  unsigned int iqmp[IQMP_SIZE_IN_UINT];
} rsa_params_t;

NSGX_LAYOUT_ASSERT(sizeof(sgx_ec256_public_t) == 64, "SDK sgx_tcrypto.h: gx, gy");
NSGX_LAYOUT_ASSERT(sizeof(sgx_ec256_signature_t) == 64, "SDK sgx_tcrypto.h: x (r), y (s)");
NSGX_LAYOUT_ASSERT(sizeof(sgx_rsa3072_key_t) == 772, "SDK sgx_tcrypto.h: mod, d, e");
NSGX_LAYOUT_ASSERT(sizeof(sgx_rsa3072_public_key_t) == 388, "SDK sgx_tcrypto.h: mod, exp");
NSGX_LAYOUT_ASSERT(sizeof(rsa_params_t) == 1732, "SDK sgx_tcrypto.h: n, e, d, p, q, dmp1, dmq1, iqmp");

#ifdef __cplusplus
extern "C" {
#endif

/* Hashes. One-shot: SGX_ERROR_INVALID_PARAMETER for a NULL output, or NULL
 * input with a length. Streaming: init allocates a state (close frees it);
 * get_hash may be called more than once and leaves the state usable. */
sgx_status_t SGXAPI sgx_sha1_msg(const uint8_t* p_src, uint32_t src_len, sgx_sha1_hash_t* p_hash);
sgx_status_t SGXAPI sgx_sha1_init(sgx_sha_state_handle_t* p_sha_handle);
sgx_status_t SGXAPI sgx_sha1_update(const uint8_t* p_src, uint32_t src_len, sgx_sha_state_handle_t sha_handle);
sgx_status_t SGXAPI sgx_sha1_get_hash(sgx_sha_state_handle_t sha_handle, sgx_sha1_hash_t* p_hash);
sgx_status_t SGXAPI sgx_sha1_close(sgx_sha_state_handle_t sha_handle);

sgx_status_t SGXAPI sgx_sha256_msg(const uint8_t* p_src, uint32_t src_len, sgx_sha256_hash_t* p_hash);
sgx_status_t SGXAPI sgx_sha256_init(sgx_sha_state_handle_t* p_sha_handle);
sgx_status_t SGXAPI sgx_sha256_update(const uint8_t* p_src, uint32_t src_len, sgx_sha_state_handle_t sha_handle);
sgx_status_t SGXAPI sgx_sha256_get_hash(sgx_sha_state_handle_t sha_handle, sgx_sha256_hash_t* p_hash);
sgx_status_t SGXAPI sgx_sha256_close(sgx_sha_state_handle_t sha_handle);

sgx_status_t SGXAPI sgx_sha384_msg(const uint8_t* p_src, uint32_t src_len, sgx_sha384_hash_t* p_hash);
sgx_status_t SGXAPI sgx_sha384_init(sgx_sha_state_handle_t* p_sha_handle);
sgx_status_t SGXAPI sgx_sha384_update(const uint8_t* p_src, uint32_t src_len, sgx_sha_state_handle_t sha_handle);
sgx_status_t SGXAPI sgx_sha384_get_hash(sgx_sha_state_handle_t sha_handle, sgx_sha384_hash_t* p_hash);
sgx_status_t SGXAPI sgx_sha384_close(sgx_sha_state_handle_t sha_handle);

/* AES-128-GCM (NIST SP 800-38D) with a 12-byte IV and a 16-byte tag.
 * src_len may be 0 only if aad_len is not (a GMAC). Decryption checks the
 * tag before writing any plaintext: SGX_ERROR_MAC_MISMATCH, p_dst zeroed. */
sgx_status_t SGXAPI sgx_rijndael128GCM_encrypt(const sgx_aes_gcm_128bit_key_t* p_key, const uint8_t* p_src,
                                               uint32_t src_len, uint8_t* p_dst, const uint8_t* p_iv, uint32_t iv_len,
                                               const uint8_t* p_aad, uint32_t aad_len,
                                               sgx_aes_gcm_128bit_tag_t* p_out_mac);
sgx_status_t SGXAPI sgx_rijndael128GCM_decrypt(const sgx_aes_gcm_128bit_key_t* p_key, const uint8_t* p_src,
                                               uint32_t src_len, uint8_t* p_dst, const uint8_t* p_iv, uint32_t iv_len,
                                               const uint8_t* p_aad, uint32_t aad_len,
                                               const sgx_aes_gcm_128bit_tag_t* p_in_mac);
/* Streaming GCM encryption: init (key, IV, the whole AAD), update any number
 * of times, get_mac once, close. */
sgx_status_t SGXAPI sgx_aes_gcm128_enc_init(const uint8_t* p_key, const uint8_t* p_iv, uint32_t iv_len,
                                            const uint8_t* p_aad, uint32_t aad_len,
                                            sgx_aes_state_handle_t* aes_gcm_state);
sgx_status_t SGXAPI sgx_aes_gcm128_enc_update(uint8_t* p_src, uint32_t src_len, uint8_t* p_dst,
                                              sgx_aes_state_handle_t aes_gcm_state);
sgx_status_t SGXAPI sgx_aes_gcm128_enc_get_mac(uint8_t* mac, sgx_aes_state_handle_t aes_gcm_state);
sgx_status_t SGXAPI sgx_aes_gcm_close(sgx_aes_state_handle_t aes_gcm_state);

/* AES-128-CMAC (NIST SP 800-38B, RFC 4493). */
sgx_status_t SGXAPI sgx_rijndael128_cmac_msg(const sgx_cmac_128bit_key_t* p_key, const uint8_t* p_src, uint32_t src_len,
                                             sgx_cmac_128bit_tag_t* p_mac);
sgx_status_t SGXAPI sgx_cmac128_init(const sgx_cmac_128bit_key_t* p_key, sgx_cmac_state_handle_t* p_cmac_handle);
sgx_status_t SGXAPI sgx_cmac128_update(const uint8_t* p_src, uint32_t src_len, sgx_cmac_state_handle_t cmac_handle);
sgx_status_t SGXAPI sgx_cmac128_final(sgx_cmac_state_handle_t cmac_handle, sgx_cmac_128bit_tag_t* p_hash);
sgx_status_t SGXAPI sgx_cmac128_close(sgx_cmac_state_handle_t cmac_handle);

/* HMAC-SHA256 (RFC 2104). mac_len/hash_len must be SGX_HMAC256_MAC_SIZE. */
sgx_status_t SGXAPI sgx_hmac_sha256_msg(const unsigned char* p_src, int src_len, const unsigned char* p_key,
                                        int key_len, unsigned char* p_mac, int mac_len);
sgx_status_t SGXAPI sgx_hmac256_init(const unsigned char* p_key, int key_len, sgx_hmac_state_handle_t* p_hmac_handle);
sgx_status_t SGXAPI sgx_hmac256_update(const uint8_t* p_src, int src_len, sgx_hmac_state_handle_t hmac_handle);
sgx_status_t SGXAPI sgx_hmac256_final(unsigned char* p_hash, int hash_len, sgx_hmac_state_handle_t hmac_handle);
sgx_status_t SGXAPI sgx_hmac256_close(sgx_hmac_state_handle_t hmac_handle);

/* AES-128-CTR (NIST SP 800-38A). The counter block p_ctr (16 bytes,
 * big-endian) has its low ctr_inc_bits bits incremented per block, modulo
 * 2^ctr_inc_bits (the bits above never change); on return it holds the
 * counter for the next block, so a stream can continue in another call. */
sgx_status_t SGXAPI sgx_aes_ctr_encrypt(const sgx_aes_ctr_128bit_key_t* p_key, const uint8_t* p_src,
                                        const uint32_t src_len, uint8_t* p_ctr, const uint32_t ctr_inc_bits,
                                        uint8_t* p_dst);
sgx_status_t SGXAPI sgx_aes_ctr_decrypt(const sgx_aes_ctr_128bit_key_t* p_key, const uint8_t* p_src,
                                        const uint32_t src_len, uint8_t* p_ctr, const uint32_t ctr_inc_bits,
                                        uint8_t* p_dst);

/* ECC over NIST P-256. */
sgx_status_t SGXAPI sgx_ecc256_open_context(sgx_ecc_state_handle_t* p_ecc_handle);
sgx_status_t SGXAPI sgx_ecc256_close_context(sgx_ecc_state_handle_t ecc_handle);
sgx_status_t SGXAPI sgx_ecc256_create_key_pair(sgx_ec256_private_t* p_private, sgx_ec256_public_t* p_public,
                                               sgx_ecc_state_handle_t ecc_handle);
/* *p_valid = 1 if the point lies on the curve (and is not the point at
 * infinity), else 0; SGX_SUCCESS either way. */
/* NOLINTNEXTLINE(misc-misplaced-const): the SGX SDK's prototype as it is (the handle itself const) */
sgx_status_t SGXAPI sgx_ecc256_check_point(const sgx_ec256_public_t* p_point, const sgx_ecc_state_handle_t ecc_handle,
                                           int* p_valid);
/* The x coordinate of private_b * public_ga; SGX_ERROR_INVALID_PARAMETER
 * for a public key that is not a valid point. */
sgx_status_t SGXAPI sgx_ecc256_compute_shared_dhkey(const sgx_ec256_private_t* p_private_b,
                                                    const sgx_ec256_public_t* p_public_ga,
                                                    sgx_ec256_dh_shared_t* p_shared_key,
                                                    sgx_ecc_state_handle_t ecc_handle);
sgx_status_t SGXAPI sgx_ecc256_calculate_pub_from_priv(const sgx_ec256_private_t* p_att_priv_key,
                                                       sgx_ec256_public_t* p_att_pub_key);
/* ECDSA over SHA-256 of the data. Verify: *p_result = SGX_EC_VALID or
 * SGX_EC_INVALID_SIGNATURE, SGX_SUCCESS either way. */
sgx_status_t SGXAPI sgx_ecdsa_sign(const uint8_t* p_data, uint32_t data_size, const sgx_ec256_private_t* p_private,
                                   sgx_ec256_signature_t* p_signature, sgx_ecc_state_handle_t ecc_handle);
sgx_status_t SGXAPI sgx_ecdsa_verify(const uint8_t* p_data, uint32_t data_size, const sgx_ec256_public_t* p_public,
                                     const sgx_ec256_signature_t* p_signature, uint8_t* p_result,
                                     sgx_ecc_state_handle_t ecc_handle);
/* As sgx_ecdsa_verify, over a SHA-256 digest (32 bytes) the caller made. */
sgx_status_t SGXAPI sgx_ecdsa_verify_hash(const uint8_t* hash, const sgx_ec256_public_t* p_public,
                                          const sgx_ec256_signature_t* p_signature, uint8_t* p_result,
                                          sgx_ecc_state_handle_t ecc_handle);

/* RSA-3072, RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017). */
sgx_status_t SGXAPI sgx_rsa3072_sign(const uint8_t* p_data, uint32_t data_size, const sgx_rsa3072_key_t* p_key,
                                     sgx_rsa3072_signature_t* p_signature);
sgx_status_t SGXAPI sgx_rsa3072_sign_ex(const uint8_t* p_data, uint32_t data_size, const sgx_rsa3072_key_t* p_key,
                                        const sgx_rsa3072_public_key_t* p_public, sgx_rsa3072_signature_t* p_signature);
sgx_status_t SGXAPI sgx_rsa3072_verify(const uint8_t* p_data, uint32_t data_size,
                                       const sgx_rsa3072_public_key_t* p_public,
                                       const sgx_rsa3072_signature_t* p_signature, sgx_rsa_result_t* p_result);

/* RSA keys as opaque handles, every number little-endian. */
sgx_status_t SGXAPI sgx_create_rsa_key_pair(int n_byte_size, int e_byte_size, unsigned char* p_n, unsigned char* p_d,
                                            unsigned char* p_e, unsigned char* p_p, unsigned char* p_q,
                                            unsigned char* p_dmp1, unsigned char* p_dmq1, unsigned char* p_iqmp);
sgx_status_t SGXAPI sgx_create_rsa_priv2_key(int mod_size, int exp_size, const unsigned char* p_rsa_key_e,
                                             const unsigned char* p_rsa_key_p, const unsigned char* p_rsa_key_q,
                                             const unsigned char* p_rsa_key_dmp1, const unsigned char* p_rsa_key_dmq1,
                                             const unsigned char* p_rsa_key_iqmp, void** new_pri_key2);
sgx_status_t SGXAPI sgx_create_rsa_priv1_key(int n_byte_size, int e_byte_size, int d_byte_size,
                                             const unsigned char* le_n, const unsigned char* le_e,
                                             const unsigned char* le_d, void** new_pri_key1);
sgx_status_t SGXAPI sgx_create_rsa_pub1_key(int mod_size, int exp_size, const unsigned char* le_n,
                                            const unsigned char* le_e, void** new_pub_key1);
sgx_status_t SGXAPI sgx_free_rsa_key(void* p_rsa_key, sgx_rsa_key_type_t key_type, int mod_size, int exp_size);
/* RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (RFC 8017 7.1).
 * pout_data NULL: *pout_len receives the size needed. */
sgx_status_t SGXAPI sgx_rsa_pub_encrypt_sha256(const void* rsa_key, unsigned char* pout_data, size_t* pout_len,
                                               const unsigned char* pin_data, const size_t pin_len);
sgx_status_t SGXAPI sgx_rsa_priv_decrypt_sha256(const void* rsa_key, unsigned char* pout_data, size_t* pout_len,
                                                const unsigned char* pin_data, const size_t pin_len);

#ifdef __cplusplus
}
#endif

#endif
