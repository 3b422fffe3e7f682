/* The enclave of the remote attestation example. Its ECDH private key is
 * made here and never leaves; the verifier learns the public key from the
 * quote's REPORT_DATA, so a secret encrypted to it can only be read here.
 * Cryptography: mbedTLS (P-256 ECDH, SHA-256, HKDF-SHA-256, AES-256-GCM),
 * with the same parameters as the verifier's OpenSSL (crypto/ecdh.h). */
#include <mbedtls/ecdh.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <string.h>

#include "Enclave_t.h"
#include "ra_protocol.h"
#include "sgx_trts.h"
#include "sgx_utils.h"

static mbedtls_ecp_group g_group;
static mbedtls_mpi g_private;
static mbedtls_ecp_point g_public;
static int g_have_key;
static uint8_t g_nonce[RA_NONCE_SIZE];
static uint8_t g_secret[RA_MAX_SECRET];
static size_t g_secret_size;

static int rng(void* ctx, unsigned char* out, size_t n) {
  (void)ctx;
  return sgx_read_rand(out, n) == SGX_SUCCESS ? 0 : -1;
}

static void forget_key(void) {
  if (!g_have_key) return;
  mbedtls_mpi_free(&g_private);
  mbedtls_ecp_point_free(&g_public);
  mbedtls_ecp_group_free(&g_group);
  g_have_key = 0;
}

sgx_status_t ecall_attest(const sgx_target_info_t* target, const uint8_t* nonce, uint32_t nonce_size,
                          uint8_t* public_key, sgx_report_t* report) {
  if (target == NULL || nonce == NULL || nonce_size != RA_NONCE_SIZE || public_key == NULL || report == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  forget_key();
  mbedtls_ecp_group_init(&g_group);
  mbedtls_mpi_init(&g_private);
  mbedtls_ecp_point_init(&g_public);
  g_have_key = 1;
  size_t len = 0;
  if (mbedtls_ecp_group_load(&g_group, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
      mbedtls_ecdh_gen_public(&g_group, &g_private, &g_public, rng, NULL) != 0 ||
      mbedtls_ecp_point_write_binary(&g_group, &g_public, MBEDTLS_ECP_PF_UNCOMPRESSED, &len, public_key,
                                     RA_PUBLIC_KEY_SIZE) != 0 ||
      len != RA_PUBLIC_KEY_SIZE) {
    forget_key();
    return SGX_ERROR_UNEXPECTED;
  }
  memcpy(g_nonce, nonce, RA_NONCE_SIZE);
  /* REPORT_DATA: the monitor's rule for the nonce, then our key's digest. */
  sgx_report_data_t data;
  memset(&data, 0, sizeof data);
  if (mbedtls_sha256_ret(nonce, nonce_size, data.d, 0) != 0 ||
      mbedtls_sha256_ret(public_key, RA_PUBLIC_KEY_SIZE, data.d + 32, 0) != 0)
    return SGX_ERROR_UNEXPECTED;
  return sgx_create_report(target, &data, report);
}

sgx_status_t ecall_receive_secret(const uint8_t* box, uint32_t box_size, uint8_t* secret_digest) {
  if (!g_have_key) return SGX_ERROR_INVALID_STATE;
  if (box == NULL || secret_digest == NULL || box_size < RA_BOX_OVERHEAD || box_size - RA_BOX_OVERHEAD > RA_MAX_SECRET)
    return SGX_ERROR_INVALID_PARAMETER;
  const uint8_t* peer = box;
  const uint8_t* iv = box + RA_PUBLIC_KEY_SIZE;
  const uint8_t* ct = iv + RA_IV_SIZE;
  const size_t ct_size = box_size - RA_BOX_OVERHEAD;
  const uint8_t* tag = ct + ct_size;

  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  mbedtls_ecp_point q;
  mbedtls_mpi z;
  mbedtls_ecp_point_init(&q);
  mbedtls_mpi_init(&z);
  uint8_t shared[32], key[32];
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  /* The verifier's point must lie on the curve (no invalid-curve attack). */
  if (mbedtls_ecp_point_read_binary(&g_group, &q, peer, RA_PUBLIC_KEY_SIZE) != 0 ||
      mbedtls_ecp_check_pubkey(&g_group, &q) != 0 ||
      mbedtls_ecdh_compute_shared(&g_group, &z, &q, &g_private, rng, NULL) != 0 ||
      mbedtls_mpi_write_binary(&z, shared, sizeof shared) != 0)
    goto out;
  /* The channel key: HKDF-SHA-256(shared, salt = nonce, info = RA_KDF_INFO). */
  if (mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), g_nonce, RA_NONCE_SIZE, shared, sizeof shared,
                   (const unsigned char*)RA_KDF_INFO, sizeof RA_KDF_INFO - 1, key, sizeof key) != 0)
    goto out;
  if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) != 0) goto out;
  if (mbedtls_gcm_auth_decrypt(&gcm, ct_size, iv, RA_IV_SIZE, NULL, 0, tag, RA_TAG_SIZE, ct, g_secret) != 0) {
    st = SGX_ERROR_MAC_MISMATCH;
    goto out;
  }
  g_secret_size = ct_size;
  if (mbedtls_sha256_ret(g_secret, g_secret_size, secret_digest, 0) != 0) goto out;
  st = SGX_SUCCESS;
  /* One secret per key: the next attestation makes a new pair. */
  forget_key();
out:
  mbedtls_gcm_free(&gcm);
  mbedtls_platform_zeroize(shared, sizeof shared);
  mbedtls_platform_zeroize(key, sizeof key);
  mbedtls_mpi_free(&z);
  mbedtls_ecp_point_free(&q);
  return st;
}
