/* Sealing with the SGX SDK's interface and blob layout (sgx_tseal.h):
 * AES-GCM-128 (mbedTLS) under an EGETKEY seal key derived for a random
 * KEYID, a zero IV (the key is unique per blob), the additional MAC text as
 * GCM's AAD and stored in clear after the ciphertext. MRSIGNER policy and
 * the SDK's attribute/misc masks by default. */
#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>
#include <string.h>

#include "sgx_trts.h"
#include "sgx_tseal.h"
#include "sgx_utils.h"
#include "trts_internal.h"

_Static_assert(sizeof(sgx_sealed_data_t) == 560, "SDK: sgx_sealed_data_t is 560 bytes");
_Static_assert(offsetof(sgx_sealed_data_t, aes_data) == 528, "SDK: aes_data at 528");

#define TSEAL_DEFAULT_FLAGSMASK 0xFF0000000000000BULL /* INITTED, DEBUG, bit 3, bits 63:56 */
#define TSEAL_DEFAULT_MISCMASK 0xF0000000u

uint32_t sgx_calc_sealed_data_size(const uint32_t add_mac_txt_size, const uint32_t txt_encrypt_size) {
  const uint64_t n = (uint64_t)sizeof(sgx_sealed_data_t) + add_mac_txt_size + txt_encrypt_size;
  return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t sgx_get_encrypt_txt_len(const sgx_sealed_data_t* p) { return p ? p->plain_text_offset : UINT32_MAX; }

uint32_t sgx_get_add_mac_txt_len(const sgx_sealed_data_t* p) {
  if (p == NULL || p->plain_text_offset > p->aes_data.payload_size) return UINT32_MAX;
  return p->aes_data.payload_size - p->plain_text_offset;
}

/* Wholly inside or wholly outside the enclave (the SDK allows both for the AAD). */
static int one_side(const void* p, size_t n) { return sgx_is_within_enclave(p, n) || sgx_is_outside_enclave(p, n); }

sgx_status_t sgx_seal_data_ex(const uint16_t key_policy, const sgx_attributes_t attribute_mask,
                              const sgx_misc_select_t misc_mask, const uint32_t add_len, const uint8_t* add,
                              const uint32_t enc_len, const uint8_t* text, const uint32_t sealed_size,
                              sgx_sealed_data_t* sealed) {
  const uint32_t need = sgx_calc_sealed_data_size(add_len, enc_len);
  if (need == UINT32_MAX) return SGX_ERROR_INVALID_PARAMETER;
  if ((key_policy & ~(SGX_KEYPOLICY_MRENCLAVE | SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_NOISVPRODID)) != 0 ||
      (key_policy & (SGX_KEYPOLICY_MRENCLAVE | SGX_KEYPOLICY_MRSIGNER)) == 0)
    return SGX_ERROR_INVALID_PARAMETER;
  if ((attribute_mask.flags & (SGX_FLAGS_INITTED | SGX_FLAGS_DEBUG)) != (SGX_FLAGS_INITTED | SGX_FLAGS_DEBUG))
    return SGX_ERROR_INVALID_PARAMETER;
  if (add_len > 0 && add == NULL) return SGX_ERROR_INVALID_PARAMETER;
  if (enc_len == 0 || text == NULL || !sgx_is_within_enclave(text, enc_len)) return SGX_ERROR_INVALID_PARAMETER;
  if (sealed == NULL || !sgx_is_within_enclave(sealed, sealed_size)) return SGX_ERROR_INVALID_PARAMETER;
  if (add_len > 0 && !one_side(add, add_len)) return SGX_ERROR_INVALID_PARAMETER;
  if (need != sealed_size) return SGX_ERROR_INVALID_PARAMETER;

  memset(sealed, 0, sealed_size);
  const sgx_report_t* self = sgx_self_report();
  if (self == NULL) return SGX_ERROR_UNEXPECTED;
  sgx_key_request_t req;
  memset(&req, 0, sizeof req);
  req.key_name = SGX_KEYSELECT_SEAL;
  req.key_policy = key_policy;
  req.isv_svn = self->body.isv_svn;
  req.cpu_svn = self->body.cpu_svn;
  req.config_svn = self->body.config_svn;
  req.attribute_mask = attribute_mask;
  req.misc_mask = misc_mask;
  sgx_status_t st = sgx_read_rand(req.key_id.id, sizeof req.key_id.id);
  if (st != SGX_SUCCESS) return st;
  sgx_key_128bit_t key;
  st = sgx_get_key(&req, &key);
  if (st != SGX_SUCCESS) return st == SGX_ERROR_OUT_OF_MEMORY ? st : SGX_ERROR_UNEXPECTED;

  static const unsigned char iv[SGX_SEAL_IV_SIZE] = {0};
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 128);
  if (rc == 0)
    rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, enc_len, iv, sizeof iv, add, add_len, text,
                                   sealed->aes_data.payload, SGX_SEAL_TAG_SIZE, sealed->aes_data.payload_tag);
  mbedtls_gcm_free(&gcm);
  mbedtls_platform_zeroize(key, sizeof key);
  if (rc != 0) {
    memset(sealed, 0, sealed_size);
    return rc == MBEDTLS_ERR_GCM_BAD_INPUT ? SGX_ERROR_INVALID_PARAMETER : SGX_ERROR_UNEXPECTED;
  }
  if (add_len) memcpy(sealed->aes_data.payload + enc_len, add, add_len);
  sealed->plain_text_offset = enc_len;
  sealed->aes_data.payload_size = enc_len + add_len;
  memcpy(&sealed->key_request, &req, sizeof req);
  return SGX_SUCCESS;
}

sgx_status_t sgx_seal_data(const uint32_t add_len, const uint8_t* add, const uint32_t enc_len, const uint8_t* text,
                           const uint32_t sealed_size, sgx_sealed_data_t* sealed) {
  const sgx_attributes_t mask = {TSEAL_DEFAULT_FLAGSMASK, 0};
  return sgx_seal_data_ex(SGX_KEYPOLICY_MRSIGNER, mask, TSEAL_DEFAULT_MISCMASK, add_len, add, enc_len, text,
                          sealed_size, sealed);
}

sgx_status_t sgx_unseal_data(const sgx_sealed_data_t* sealed, uint8_t* add, uint32_t* add_len_out, uint8_t* text,
                             uint32_t* text_len_out) {
  if (sealed == NULL || !sgx_is_within_enclave(sealed, sizeof *sealed)) return SGX_ERROR_INVALID_PARAMETER;
  const uint32_t enc_len = sgx_get_encrypt_txt_len(sealed), add_len = sgx_get_add_mac_txt_len(sealed);
  if (enc_len == UINT32_MAX || add_len == UINT32_MAX) return SGX_ERROR_MAC_MISMATCH;
  const uint32_t total = sgx_calc_sealed_data_size(add_len, enc_len);
  if (total == UINT32_MAX) return SGX_ERROR_MAC_MISMATCH;
  if (!sgx_is_within_enclave(sealed, total)) return SGX_ERROR_INVALID_PARAMETER;
  if (add_len > 0 && (add == NULL || add_len_out == NULL)) return SGX_ERROR_INVALID_PARAMETER;
  if (enc_len < 1 || text == NULL || text_len_out == NULL) return SGX_ERROR_INVALID_PARAMETER;
  if (!sgx_is_within_enclave(text_len_out, sizeof *text_len_out) || *text_len_out < enc_len ||
      !sgx_is_within_enclave(text, enc_len))
    return SGX_ERROR_INVALID_PARAMETER;
  if (add_len > 0 && (!one_side(add_len_out, sizeof *add_len_out) || *add_len_out < add_len || !one_side(add, add_len)))
    return SGX_ERROR_INVALID_PARAMETER;

  memset(text, 0, enc_len);
  sgx_key_128bit_t key;
  sgx_status_t st = sgx_get_key(&sealed->key_request, &key);
  if (st != SGX_SUCCESS)
    return (st == SGX_ERROR_INVALID_CPUSVN || st == SGX_ERROR_INVALID_ISVSVN || st == SGX_ERROR_OUT_OF_MEMORY)
               ? st
               : SGX_ERROR_MAC_MISMATCH;
  __asm__ volatile("lfence" ::: "memory");
  static const unsigned char iv[SGX_SEAL_IV_SIZE] = {0};
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 128);
  if (rc == 0)
    rc = mbedtls_gcm_auth_decrypt(&gcm, enc_len, iv, sizeof iv, sealed->aes_data.payload + enc_len, add_len,
                                  sealed->aes_data.payload_tag, SGX_SEAL_TAG_SIZE, sealed->aes_data.payload, text);
  mbedtls_gcm_free(&gcm);
  mbedtls_platform_zeroize(key, sizeof key);
  if (rc != 0) {
    memset(text, 0, enc_len);
    return rc == MBEDTLS_ERR_GCM_AUTH_FAILED ? SGX_ERROR_MAC_MISMATCH : SGX_ERROR_UNEXPECTED;
  }
  if (add_len) memcpy(add, sealed->aes_data.payload + enc_len, add_len);
  if (add_len_out) *add_len_out = add_len;
  *text_len_out = enc_len;
  return SGX_SUCCESS;
}
