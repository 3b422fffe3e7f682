/* The SGX SDK's trusted cryptography API (sgx_tcrypto.h) over mbedTLS, the
 * library linked into every enclave. Each function checks its arguments as
 * the SDK documents, converts between the SDK's byte orders (little-endian
 * ECC and RSA numbers) and mbedTLS's, and wipes secrets it copied. States
 * behind the SDK's void* handles carry a tag, so that a handle of the wrong
 * kind (or a freed one, whose tag close() wiped) is refused rather than
 * misused. Randomness comes from sgx_read_rand (RDRAND). */
#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <stdarg.h>
#include <string.h>

#include "sgx_tcrypto.h"
#include "sgx_trts.h"
#include "trts_internal.h"

/* Tags of the states behind handles. */
enum {
  TAG_SHA1 = 0x53484131,
  TAG_SHA256 = 0x53323536,
  TAG_SHA384 = 0x53333834,
  TAG_GCM = 0x47434d45,
  TAG_CMAC = 0x434d4143,
  TAG_HMAC = 0x484d4143,
  TAG_ECC = 0x45433235,
  TAG_RSA = 0x52534133,
};

static int tcrypto_rng(void* unused, unsigned char* out, size_t len) {
  (void)unused;
  return sgx_read_rand(out, len) == SGX_SUCCESS ? 0 : MBEDTLS_ERR_ECP_RANDOM_FAILED;
}

/* A buffer argument: NULL is allowed only when it is empty. */
static int bad_buf(const void* p, size_t n) { return p == NULL && n != 0; }

/* ------------------------------------------------------------------ SHA */

typedef struct {
  uint32_t tag;
  union {
    mbedtls_sha1_context sha1;
    mbedtls_sha256_context sha256;
    mbedtls_sha512_context sha512;
  } u;
} sha_state_t;

static sgx_status_t sha_init(uint32_t tag, sgx_sha_state_handle_t* h) {
  if (h == NULL) return SGX_ERROR_INVALID_PARAMETER;
  sha_state_t* s = calloc(1, sizeof *s);
  if (s == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  int rc = 0;
  switch (tag) {
    case TAG_SHA1:
      mbedtls_sha1_init(&s->u.sha1);
      rc = mbedtls_sha1_starts_ret(&s->u.sha1);
      break;
    case TAG_SHA256:
      mbedtls_sha256_init(&s->u.sha256);
      rc = mbedtls_sha256_starts_ret(&s->u.sha256, 0);
      break;
    default:
      mbedtls_sha512_init(&s->u.sha512);
      rc = mbedtls_sha512_starts_ret(&s->u.sha512, 1 /* SHA-384 */);
      break;
  }
  if (rc != 0) {
    free(s);
    return SGX_ERROR_UNEXPECTED;
  }
  s->tag = tag;
  *h = s;
  return SGX_SUCCESS;
}

static sha_state_t* sha_of(sgx_sha_state_handle_t h, uint32_t tag) {
  sha_state_t* s = h;
  return (s != NULL && s->tag == tag) ? s : NULL;
}

static sgx_status_t sha_update(uint32_t tag, const uint8_t* src, uint32_t len, sgx_sha_state_handle_t h) {
  sha_state_t* s = sha_of(h, tag);
  if (s == NULL || bad_buf(src, len)) return SGX_ERROR_INVALID_PARAMETER;
  int rc;
  switch (tag) {
    case TAG_SHA1:
      rc = mbedtls_sha1_update_ret(&s->u.sha1, src, len);
      break;
    case TAG_SHA256:
      rc = mbedtls_sha256_update_ret(&s->u.sha256, src, len);
      break;
    default:
      rc = mbedtls_sha512_update_ret(&s->u.sha512, src, len);
      break;
  }
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* The hash so far; the state stays usable (a copy is finished), as with the
 * SDK, whose get_hash does not end the computation. */
static sgx_status_t sha_get(uint32_t tag, sgx_sha_state_handle_t h, uint8_t* out) {
  sha_state_t* s = sha_of(h, tag);
  if (s == NULL || out == NULL) return SGX_ERROR_INVALID_PARAMETER;
  sha_state_t copy;
  int rc;
  switch (tag) {
    case TAG_SHA1:
      mbedtls_sha1_init(&copy.u.sha1);
      mbedtls_sha1_clone(&copy.u.sha1, &s->u.sha1);
      rc = mbedtls_sha1_finish_ret(&copy.u.sha1, out);
      mbedtls_sha1_free(&copy.u.sha1);
      break;
    case TAG_SHA256:
      mbedtls_sha256_init(&copy.u.sha256);
      mbedtls_sha256_clone(&copy.u.sha256, &s->u.sha256);
      rc = mbedtls_sha256_finish_ret(&copy.u.sha256, out);
      mbedtls_sha256_free(&copy.u.sha256);
      break;
    default:
      mbedtls_sha512_init(&copy.u.sha512);
      mbedtls_sha512_clone(&copy.u.sha512, &s->u.sha512);
      rc = mbedtls_sha512_finish_ret(&copy.u.sha512, out);
      mbedtls_sha512_free(&copy.u.sha512);
      break;
  }
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

static sgx_status_t sha_close(uint32_t tag, sgx_sha_state_handle_t h) {
  sha_state_t* s = sha_of(h, tag);
  if (s == NULL) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_platform_zeroize(s, sizeof *s);
  free(s);
  return SGX_SUCCESS;
}

static sgx_status_t sha_msg(uint32_t tag, const uint8_t* src, uint32_t len, uint8_t* out) {
  if (out == NULL || bad_buf(src, len)) return SGX_ERROR_INVALID_PARAMETER;
  sgx_sha_state_handle_t h = NULL;
  sgx_status_t r = sha_init(tag, &h);
  if (r != SGX_SUCCESS) return r;
  r = sha_update(tag, src, len, h);
  if (r == SGX_SUCCESS) r = sha_get(tag, h, out);
  (void)sha_close(tag, h);
  return r;
}

sgx_status_t sgx_sha1_msg(const uint8_t* p_src, uint32_t src_len, sgx_sha1_hash_t* p_hash) {
  return sha_msg(TAG_SHA1, p_src, src_len, p_hash ? *p_hash : NULL);
}
sgx_status_t sgx_sha1_init(sgx_sha_state_handle_t* p_sha_handle) { return sha_init(TAG_SHA1, p_sha_handle); }
sgx_status_t sgx_sha1_update(const uint8_t* p_src, uint32_t src_len, sgx_sha_state_handle_t sha_handle) {
  return sha_update(TAG_SHA1, p_src, src_len, sha_handle);
}
sgx_status_t sgx_sha1_get_hash(sgx_sha_state_handle_t sha_handle, sgx_sha1_hash_t* p_hash) {
  return sha_get(TAG_SHA1, sha_handle, p_hash ? *p_hash : NULL);
}
sgx_status_t sgx_sha1_close(sgx_sha_state_handle_t sha_handle) { return sha_close(TAG_SHA1, sha_handle); }

sgx_status_t sgx_sha256_msg(const uint8_t* p_src, uint32_t src_len, sgx_sha256_hash_t* p_hash) {
  return sha_msg(TAG_SHA256, p_src, src_len, p_hash ? *p_hash : NULL);
}
sgx_status_t sgx_sha256_init(sgx_sha_state_handle_t* p_sha_handle) { return sha_init(TAG_SHA256, p_sha_handle); }
sgx_status_t sgx_sha256_update(const uint8_t* p_src, uint32_t src_len, sgx_sha_state_handle_t sha_handle) {
  return sha_update(TAG_SHA256, p_src, src_len, sha_handle);
}
sgx_status_t sgx_sha256_get_hash(sgx_sha_state_handle_t sha_handle, sgx_sha256_hash_t* p_hash) {
  return sha_get(TAG_SHA256, sha_handle, p_hash ? *p_hash : NULL);
}
sgx_status_t sgx_sha256_close(sgx_sha_state_handle_t sha_handle) { return sha_close(TAG_SHA256, sha_handle); }

sgx_status_t sgx_sha384_msg(const uint8_t* p_src, uint32_t src_len, sgx_sha384_hash_t* p_hash) {
  return sha_msg(TAG_SHA384, p_src, src_len, p_hash ? *p_hash : NULL);
}
sgx_status_t sgx_sha384_init(sgx_sha_state_handle_t* p_sha_handle) { return sha_init(TAG_SHA384, p_sha_handle); }
sgx_status_t sgx_sha384_update(const uint8_t* p_src, uint32_t src_len, sgx_sha_state_handle_t sha_handle) {
  return sha_update(TAG_SHA384, p_src, src_len, sha_handle);
}
sgx_status_t sgx_sha384_get_hash(sgx_sha_state_handle_t sha_handle, sgx_sha384_hash_t* p_hash) {
  return sha_get(TAG_SHA384, sha_handle, p_hash ? *p_hash : NULL);
}
sgx_status_t sgx_sha384_close(sgx_sha_state_handle_t sha_handle) { return sha_close(TAG_SHA384, sha_handle); }

/* -------------------------------------------------------------- AES-GCM */

static int gcm_args_bad(const void* key, const uint8_t* src, uint32_t src_len, const uint8_t* dst, const uint8_t* iv,
                        uint32_t iv_len, const uint8_t* aad, uint32_t aad_len, const void* mac) {
  return key == NULL || iv == NULL || mac == NULL || iv_len != SGX_AESGCM_IV_SIZE || bad_buf(src, src_len) ||
         bad_buf(dst, src_len) || bad_buf(aad, aad_len) || (src_len == 0 && aad_len == 0);
}

sgx_status_t sgx_rijndael128GCM_encrypt(const sgx_aes_gcm_128bit_key_t* p_key, const uint8_t* p_src, uint32_t src_len,
                                        uint8_t* p_dst, const uint8_t* p_iv, uint32_t iv_len, const uint8_t* p_aad,
                                        uint32_t aad_len, sgx_aes_gcm_128bit_tag_t* p_out_mac) {
  if (gcm_args_bad(p_key, p_src, src_len, p_dst, p_iv, iv_len, p_aad, aad_len, p_out_mac))
    return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, *p_key, 128);
  if (rc == 0)
    rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, src_len, p_iv, iv_len, p_aad, aad_len, p_src, p_dst,
                                   SGX_AESGCM_MAC_SIZE, *p_out_mac);
  mbedtls_gcm_free(&gcm);
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* Two passes: the tag is checked over the ciphertext before any plaintext
 * is written to p_dst (which may lie outside the enclave), then the
 * ciphertext is decrypted. */
sgx_status_t sgx_rijndael128GCM_decrypt(const sgx_aes_gcm_128bit_key_t* p_key, const uint8_t* p_src, uint32_t src_len,
                                        uint8_t* p_dst, const uint8_t* p_iv, uint32_t iv_len, const uint8_t* p_aad,
                                        uint32_t aad_len, const sgx_aes_gcm_128bit_tag_t* p_in_mac) {
  if (gcm_args_bad(p_key, p_src, src_len, p_dst, p_iv, iv_len, p_aad, aad_len, p_in_mac))
    return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  sgx_status_t r = SGX_ERROR_UNEXPECTED;
  unsigned char scratch[256]; /* a multiple of 16: mbedtls_gcm_update takes whole blocks until the last */
  unsigned char tag[SGX_AESGCM_MAC_SIZE];
  if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, *p_key, 128) != 0) goto out;
  if (mbedtls_gcm_starts(&gcm, MBEDTLS_GCM_DECRYPT, p_iv, iv_len, p_aad, aad_len) != 0) goto out;
  for (uint32_t done = 0; done < src_len;) {
    const uint32_t n = src_len - done < sizeof scratch ? src_len - done : (uint32_t)sizeof scratch;
    if (mbedtls_gcm_update(&gcm, n, p_src + done, scratch) != 0) goto out;
    done += n;
  }
  if (mbedtls_gcm_finish(&gcm, tag, sizeof tag) != 0) goto out;
  unsigned char diff = 0;
  for (size_t i = 0; i < sizeof tag; ++i) diff |= (unsigned char)(tag[i] ^ (*p_in_mac)[i]); /* constant time */
  if (diff != 0) {
    r = SGX_ERROR_MAC_MISMATCH;
    goto out;
  }
  if (mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_DECRYPT, src_len, p_iv, iv_len, p_aad, aad_len, p_src, p_dst,
                                sizeof tag, tag) != 0)
    goto out;
  r = SGX_SUCCESS;
out:
  mbedtls_platform_zeroize(scratch, sizeof scratch);
  mbedtls_gcm_free(&gcm);
  return r;
}

typedef struct {
  uint32_t tag;
  uint32_t pending; /* bytes of a partial block already encrypted (only the last update may be partial) */
  mbedtls_gcm_context gcm;
} gcm_state_t;

sgx_status_t sgx_aes_gcm128_enc_init(const uint8_t* p_key, const uint8_t* p_iv, uint32_t iv_len, const uint8_t* p_aad,
                                     uint32_t aad_len, sgx_aes_state_handle_t* aes_gcm_state) {
  if (p_key == NULL || p_iv == NULL || iv_len != SGX_AESGCM_IV_SIZE || bad_buf(p_aad, aad_len) || aes_gcm_state == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  gcm_state_t* s = calloc(1, sizeof *s);
  if (s == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  mbedtls_gcm_init(&s->gcm);
  if (mbedtls_gcm_setkey(&s->gcm, MBEDTLS_CIPHER_ID_AES, p_key, 128) != 0 ||
      mbedtls_gcm_starts(&s->gcm, MBEDTLS_GCM_ENCRYPT, p_iv, iv_len, p_aad, aad_len) != 0) {
    mbedtls_gcm_free(&s->gcm);
    free(s);
    return SGX_ERROR_UNEXPECTED;
  }
  s->tag = TAG_GCM;
  *aes_gcm_state = s;
  return SGX_SUCCESS;
}

/* mbedTLS 2.28 processes whole 16-byte blocks until the last update, so a
 * length that is not a multiple of 16 ends the stream: a later update is
 * SGX_ERROR_INVALID_STATE rather than a wrong ciphertext. */
sgx_status_t sgx_aes_gcm128_enc_update(uint8_t* p_src, uint32_t src_len, uint8_t* p_dst,
                                       sgx_aes_state_handle_t aes_gcm_state) {
  gcm_state_t* s = aes_gcm_state;
  if (s == NULL || s->tag != TAG_GCM || p_src == NULL || p_dst == NULL || src_len == 0)
    return SGX_ERROR_INVALID_PARAMETER;
  if (s->pending) return SGX_ERROR_INVALID_STATE;
  if (mbedtls_gcm_update(&s->gcm, src_len, p_src, p_dst) != 0) return SGX_ERROR_UNEXPECTED;
  s->pending = src_len % 16;
  return SGX_SUCCESS;
}

sgx_status_t sgx_aes_gcm128_enc_get_mac(uint8_t* mac, sgx_aes_state_handle_t aes_gcm_state) {
  gcm_state_t* s = aes_gcm_state;
  if (s == NULL || s->tag != TAG_GCM || mac == NULL) return SGX_ERROR_INVALID_PARAMETER;
  return mbedtls_gcm_finish(&s->gcm, mac, SGX_AESGCM_MAC_SIZE) == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

sgx_status_t sgx_aes_gcm_close(sgx_aes_state_handle_t aes_gcm_state) {
  gcm_state_t* s = aes_gcm_state;
  if (s == NULL || s->tag != TAG_GCM) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_gcm_free(&s->gcm);
  mbedtls_platform_zeroize(s, sizeof *s);
  free(s);
  return SGX_SUCCESS;
}

/* ------------------------------------------------------------- AES-CMAC */

typedef struct {
  uint32_t tag;
  mbedtls_cipher_context_t cipher;
} cmac_state_t;

sgx_status_t sgx_cmac128_init(const sgx_cmac_128bit_key_t* p_key, sgx_cmac_state_handle_t* p_cmac_handle) {
  if (p_key == NULL || p_cmac_handle == NULL) return SGX_ERROR_INVALID_PARAMETER;
  cmac_state_t* s = calloc(1, sizeof *s);
  if (s == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  mbedtls_cipher_init(&s->cipher);
  if (mbedtls_cipher_setup(&s->cipher, mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB)) != 0 ||
      mbedtls_cipher_cmac_starts(&s->cipher, *p_key, 128) != 0) {
    mbedtls_cipher_free(&s->cipher);
    free(s);
    return SGX_ERROR_UNEXPECTED;
  }
  s->tag = TAG_CMAC;
  *p_cmac_handle = s;
  return SGX_SUCCESS;
}

sgx_status_t sgx_cmac128_update(const uint8_t* p_src, uint32_t src_len, sgx_cmac_state_handle_t cmac_handle) {
  cmac_state_t* s = cmac_handle;
  if (s == NULL || s->tag != TAG_CMAC || bad_buf(p_src, src_len)) return SGX_ERROR_INVALID_PARAMETER;
  if (src_len == 0) return SGX_SUCCESS;
  return mbedtls_cipher_cmac_update(&s->cipher, p_src, src_len) == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* The MAC of everything since init (or the last final); the state then
 * starts a new message under the same key. */
sgx_status_t sgx_cmac128_final(sgx_cmac_state_handle_t cmac_handle, sgx_cmac_128bit_tag_t* p_hash) {
  cmac_state_t* s = cmac_handle;
  if (s == NULL || s->tag != TAG_CMAC || p_hash == NULL) return SGX_ERROR_INVALID_PARAMETER;
  if (mbedtls_cipher_cmac_finish(&s->cipher, *p_hash) != 0) return SGX_ERROR_UNEXPECTED;
  return mbedtls_cipher_cmac_reset(&s->cipher) == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

sgx_status_t sgx_cmac128_close(sgx_cmac_state_handle_t cmac_handle) {
  cmac_state_t* s = cmac_handle;
  if (s == NULL || s->tag != TAG_CMAC) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_cipher_free(&s->cipher);
  mbedtls_platform_zeroize(s, sizeof *s);
  free(s);
  return SGX_SUCCESS;
}

sgx_status_t sgx_rijndael128_cmac_msg(const sgx_cmac_128bit_key_t* p_key, const uint8_t* p_src, uint32_t src_len,
                                      sgx_cmac_128bit_tag_t* p_mac) {
  if (p_key == NULL || p_mac == NULL || bad_buf(p_src, src_len)) return SGX_ERROR_INVALID_PARAMETER;
  /* mbedTLS refuses a NULL input even when it is empty (RFC 4493 example 1). */
  static const uint8_t empty[1] = {0};
  const int rc = mbedtls_cipher_cmac(mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB), *p_key, 128,
                                     src_len ? p_src : empty, src_len, *p_mac);
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* ---------------------------------------------------------- HMAC-SHA256 */

typedef struct {
  uint32_t tag;
  mbedtls_md_context_t md;
} hmac_state_t;

sgx_status_t sgx_hmac256_init(const unsigned char* p_key, int key_len, sgx_hmac_state_handle_t* p_hmac_handle) {
  if (p_key == NULL || key_len <= 0 || p_hmac_handle == NULL) return SGX_ERROR_INVALID_PARAMETER;
  hmac_state_t* s = calloc(1, sizeof *s);
  if (s == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  mbedtls_md_init(&s->md);
  if (mbedtls_md_setup(&s->md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0 ||
      mbedtls_md_hmac_starts(&s->md, p_key, (size_t)key_len) != 0) {
    mbedtls_md_free(&s->md);
    free(s);
    return SGX_ERROR_UNEXPECTED;
  }
  s->tag = TAG_HMAC;
  *p_hmac_handle = s;
  return SGX_SUCCESS;
}

sgx_status_t sgx_hmac256_update(const uint8_t* p_src, int src_len, sgx_hmac_state_handle_t hmac_handle) {
  hmac_state_t* s = hmac_handle;
  if (s == NULL || s->tag != TAG_HMAC || p_src == NULL || src_len <= 0) return SGX_ERROR_INVALID_PARAMETER;
  return mbedtls_md_hmac_update(&s->md, p_src, (size_t)src_len) == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* The MAC; the state then starts a new message under the same key. */
sgx_status_t sgx_hmac256_final(unsigned char* p_hash, int hash_len, sgx_hmac_state_handle_t hmac_handle) {
  hmac_state_t* s = hmac_handle;
  if (s == NULL || s->tag != TAG_HMAC || p_hash == NULL || hash_len != SGX_HMAC256_MAC_SIZE)
    return SGX_ERROR_INVALID_PARAMETER;
  if (mbedtls_md_hmac_finish(&s->md, p_hash) != 0) return SGX_ERROR_UNEXPECTED;
  return mbedtls_md_hmac_reset(&s->md) == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

sgx_status_t sgx_hmac256_close(sgx_hmac_state_handle_t hmac_handle) {
  hmac_state_t* s = hmac_handle;
  if (s == NULL || s->tag != TAG_HMAC) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_md_free(&s->md);
  mbedtls_platform_zeroize(s, sizeof *s);
  free(s);
  return SGX_SUCCESS;
}

sgx_status_t sgx_hmac_sha256_msg(const unsigned char* p_src, int src_len, const unsigned char* p_key, int key_len,
                                 unsigned char* p_mac, int mac_len) {
  if (p_src == NULL || src_len <= 0 || p_key == NULL || key_len <= 0 || p_mac == NULL ||
      mac_len != SGX_HMAC256_MAC_SIZE)
    return SGX_ERROR_INVALID_PARAMETER;
  const int rc = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p_key, (size_t)key_len, p_src,
                                 (size_t)src_len, p_mac);
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* -------------------------------------------------------------- AES-CTR */

/* Adds 1 to the low `bits` bits of the big-endian counter block, modulo
 * 2^bits; the bits above are never touched (SP 800-38A B.1, the SDK's
 * ctr_inc_bits). */
static void ctr_increment(uint8_t ctr[16], uint32_t bits) {
  for (int i = 15; i >= 0 && bits > 0; --i) {
    const uint32_t take = bits >= 8 ? 8 : bits;
    const unsigned mask = (1u << take) - 1u;
    const unsigned low = (ctr[i] & mask) + 1u;
    ctr[i] = (uint8_t)((ctr[i] & ~mask) | (low & mask));
    bits -= take;
    if ((low & ~mask) == 0) return; /* no carry out of this byte's counter bits */
  }
}

static sgx_status_t aes_ctr(const sgx_aes_ctr_128bit_key_t* p_key, const uint8_t* p_src, uint32_t src_len,
                            uint8_t* p_ctr, uint32_t ctr_inc_bits, uint8_t* p_dst) {
  if (p_key == NULL || p_ctr == NULL || ctr_inc_bits == 0 || ctr_inc_bits > 128 || bad_buf(p_src, src_len) ||
      bad_buf(p_dst, src_len) || (src_len > 0 && (p_src == NULL || p_dst == NULL)))
    return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_aes_context aes;
  mbedtls_aes_init(&aes);
  sgx_status_t r = SGX_ERROR_UNEXPECTED;
  uint8_t ctr[16], stream[16];
  memcpy(ctr, p_ctr, sizeof ctr);
  if (mbedtls_aes_setkey_enc(&aes, *p_key, 128) != 0) goto out;
  for (uint32_t done = 0; done < src_len;) {
    if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, ctr, stream) != 0) goto out;
    ctr_increment(ctr, ctr_inc_bits);
    const uint32_t n = src_len - done < 16 ? src_len - done : 16;
    for (uint32_t i = 0; i < n; ++i) p_dst[done + i] = (uint8_t)(p_src[done + i] ^ stream[i]);
    done += n;
  }
  memcpy(p_ctr, ctr, sizeof ctr);
  r = SGX_SUCCESS;
out:
  mbedtls_platform_zeroize(stream, sizeof stream);
  mbedtls_aes_free(&aes);
  return r;
}

sgx_status_t sgx_aes_ctr_encrypt(const sgx_aes_ctr_128bit_key_t* p_key, const uint8_t* p_src, const uint32_t src_len,
                                 uint8_t* p_ctr, const uint32_t ctr_inc_bits, uint8_t* p_dst) {
  return aes_ctr(p_key, p_src, src_len, p_ctr, ctr_inc_bits, p_dst);
}

sgx_status_t sgx_aes_ctr_decrypt(const sgx_aes_ctr_128bit_key_t* p_key, const uint8_t* p_src, const uint32_t src_len,
                                 uint8_t* p_ctr, const uint32_t ctr_inc_bits, uint8_t* p_dst) {
  return aes_ctr(p_key, p_src, src_len, p_ctr, ctr_inc_bits, p_dst);
}

/* ------------------------------------------------------------ ECC P-256 */

typedef struct {
  uint32_t tag;
  mbedtls_ecp_group grp;
} ecc_state_t;

static ecc_state_t* ecc_of(sgx_ecc_state_handle_t h) {
  ecc_state_t* s = h;
  return (s != NULL && s->tag == TAG_ECC) ? s : NULL;
}

sgx_status_t sgx_ecc256_open_context(sgx_ecc_state_handle_t* p_ecc_handle) {
  if (p_ecc_handle == NULL) return SGX_ERROR_INVALID_PARAMETER;
  ecc_state_t* s = calloc(1, sizeof *s);
  if (s == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  mbedtls_ecp_group_init(&s->grp);
  if (mbedtls_ecp_group_load(&s->grp, MBEDTLS_ECP_DP_SECP256R1) != 0) {
    mbedtls_ecp_group_free(&s->grp);
    free(s);
    return SGX_ERROR_UNEXPECTED;
  }
  s->tag = TAG_ECC;
  *p_ecc_handle = s;
  return SGX_SUCCESS;
}

sgx_status_t sgx_ecc256_close_context(sgx_ecc_state_handle_t ecc_handle) {
  ecc_state_t* s = ecc_of(ecc_handle);
  if (s == NULL) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_ecp_group_free(&s->grp);
  mbedtls_platform_zeroize(s, sizeof *s);
  free(s);
  return SGX_SUCCESS;
}

/* The SDK's little-endian coordinates <-> an mbedTLS point (Z = 1). */
static int point_read(mbedtls_ecp_point* q, const sgx_ec256_public_t* p) {
  int rc = mbedtls_mpi_read_binary_le(&q->X, p->gx, sizeof p->gx);
  if (rc == 0) rc = mbedtls_mpi_read_binary_le(&q->Y, p->gy, sizeof p->gy);
  if (rc == 0) rc = mbedtls_mpi_lset(&q->Z, 1);
  return rc;
}

static int point_write(const mbedtls_ecp_point* q, sgx_ec256_public_t* p) {
  int rc = mbedtls_mpi_write_binary_le(&q->X, p->gx, sizeof p->gx);
  if (rc == 0) rc = mbedtls_mpi_write_binary_le(&q->Y, p->gy, sizeof p->gy);
  return rc;
}

sgx_status_t sgx_ecc256_create_key_pair(sgx_ec256_private_t* p_private, sgx_ec256_public_t* p_public,
                                        sgx_ecc_state_handle_t ecc_handle) {
  ecc_state_t* s = ecc_of(ecc_handle);
  if (s == NULL || p_private == NULL || p_public == NULL) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_mpi d;
  mbedtls_ecp_point q;
  mbedtls_mpi_init(&d);
  mbedtls_ecp_point_init(&q);
  int rc = mbedtls_ecp_gen_keypair(&s->grp, &d, &q, tcrypto_rng, NULL);
  if (rc == 0) rc = mbedtls_mpi_write_binary_le(&d, p_private->r, sizeof p_private->r);
  if (rc == 0) rc = point_write(&q, p_public);
  mbedtls_mpi_free(&d);
  mbedtls_ecp_point_free(&q);
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* NOLINTNEXTLINE(misc-misplaced-const): the SGX SDK's prototype as it is (the handle itself const) */
sgx_status_t sgx_ecc256_check_point(const sgx_ec256_public_t* p_point, const sgx_ecc_state_handle_t ecc_handle,
                                    int* p_valid) {
  ecc_state_t* s = ecc_of(ecc_handle);
  if (s == NULL || p_point == NULL || p_valid == NULL) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_ecp_point q;
  mbedtls_ecp_point_init(&q);
  /* On the curve, coordinates below p, not the point at infinity (SEC 1 3.2.2.1). */
  *p_valid = point_read(&q, p_point) == 0 && mbedtls_ecp_check_pubkey(&s->grp, &q) == 0;
  mbedtls_ecp_point_free(&q);
  return SGX_SUCCESS;
}

sgx_status_t sgx_ecc256_compute_shared_dhkey(const sgx_ec256_private_t* p_private_b,
                                             const sgx_ec256_public_t* p_public_ga, sgx_ec256_dh_shared_t* p_shared_key,
                                             sgx_ecc_state_handle_t ecc_handle) {
  ecc_state_t* s = ecc_of(ecc_handle);
  if (s == NULL || p_private_b == NULL || p_public_ga == NULL || p_shared_key == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_mpi d, z;
  mbedtls_ecp_point q;
  mbedtls_mpi_init(&d);
  mbedtls_mpi_init(&z);
  mbedtls_ecp_point_init(&q);
  sgx_status_t r = SGX_ERROR_INVALID_PARAMETER;
  /* An invalid peer key (off the curve: an invalid-curve attack) or private
   * key outside [1, n-1] is the caller's error. */
  if (point_read(&q, p_public_ga) != 0 || mbedtls_ecp_check_pubkey(&s->grp, &q) != 0) goto out;
  if (mbedtls_mpi_read_binary_le(&d, p_private_b->r, sizeof p_private_b->r) != 0 ||
      mbedtls_ecp_check_privkey(&s->grp, &d) != 0)
    goto out;
  r = SGX_ERROR_UNEXPECTED;
  if (mbedtls_ecdh_compute_shared(&s->grp, &z, &q, &d, tcrypto_rng, NULL) != 0) goto out;
  if (mbedtls_mpi_write_binary_le(&z, p_shared_key->s, sizeof p_shared_key->s) != 0) goto out;
  r = SGX_SUCCESS;
out:
  mbedtls_mpi_free(&d);
  mbedtls_mpi_free(&z);
  mbedtls_ecp_point_free(&q);
  return r;
}

sgx_status_t sgx_ecc256_calculate_pub_from_priv(const sgx_ec256_private_t* p_att_priv_key,
                                                sgx_ec256_public_t* p_att_pub_key) {
  if (p_att_priv_key == NULL || p_att_pub_key == NULL) return SGX_ERROR_INVALID_PARAMETER;
  sgx_ecc_state_handle_t h = NULL;
  sgx_status_t r = sgx_ecc256_open_context(&h);
  if (r != SGX_SUCCESS) return r;
  ecc_state_t* s = h;
  mbedtls_mpi d;
  mbedtls_ecp_point q;
  mbedtls_mpi_init(&d);
  mbedtls_ecp_point_init(&q);
  r = SGX_ERROR_INVALID_PARAMETER;
  if (mbedtls_mpi_read_binary_le(&d, p_att_priv_key->r, sizeof p_att_priv_key->r) != 0 ||
      mbedtls_ecp_check_privkey(&s->grp, &d) != 0)
    goto out;
  r = SGX_ERROR_UNEXPECTED;
  if (mbedtls_ecp_mul(&s->grp, &q, &d, &s->grp.G, tcrypto_rng, NULL) != 0 || point_write(&q, p_att_pub_key) != 0)
    goto out;
  r = SGX_SUCCESS;
out:
  mbedtls_mpi_free(&d);
  mbedtls_ecp_point_free(&q);
  (void)sgx_ecc256_close_context(h);
  return r;
}

sgx_status_t sgx_ecdsa_sign(const uint8_t* p_data, uint32_t data_size, const sgx_ec256_private_t* p_private,
                            sgx_ec256_signature_t* p_signature, sgx_ecc_state_handle_t ecc_handle) {
  ecc_state_t* s = ecc_of(ecc_handle);
  if (s == NULL || p_data == NULL || data_size == 0 || p_private == NULL || p_signature == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  sgx_sha256_hash_t hash;
  sgx_status_t r = sgx_sha256_msg(p_data, data_size, &hash);
  if (r != SGX_SUCCESS) return r;
  mbedtls_mpi d, sr, ss;
  mbedtls_mpi_init(&d);
  mbedtls_mpi_init(&sr);
  mbedtls_mpi_init(&ss);
  r = SGX_ERROR_INVALID_PARAMETER;
  if (mbedtls_mpi_read_binary_le(&d, p_private->r, sizeof p_private->r) != 0 ||
      mbedtls_ecp_check_privkey(&s->grp, &d) != 0)
    goto out;
  r = SGX_ERROR_UNEXPECTED;
  if (mbedtls_ecdsa_sign(&s->grp, &sr, &ss, &d, hash, sizeof hash, tcrypto_rng, NULL) != 0) goto out;
  /* x = r, y = s: little-endian words on a little-endian machine are the
   * little-endian byte string. */
  if (mbedtls_mpi_write_binary_le(&sr, (unsigned char*)p_signature->x, sizeof p_signature->x) != 0 ||
      mbedtls_mpi_write_binary_le(&ss, (unsigned char*)p_signature->y, sizeof p_signature->y) != 0)
    goto out;
  r = SGX_SUCCESS;
out:
  mbedtls_mpi_free(&d);
  mbedtls_mpi_free(&sr);
  mbedtls_mpi_free(&ss);
  return r;
}

sgx_status_t sgx_ecdsa_verify_hash(const uint8_t* hash, const sgx_ec256_public_t* p_public,
                                   const sgx_ec256_signature_t* p_signature, uint8_t* p_result,
                                   sgx_ecc_state_handle_t ecc_handle) {
  ecc_state_t* s = ecc_of(ecc_handle);
  if (s == NULL || hash == NULL || p_public == NULL || p_signature == NULL || p_result == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  *p_result = SGX_EC_INVALID_SIGNATURE;
  mbedtls_ecp_point q;
  mbedtls_mpi sr, ss;
  mbedtls_ecp_point_init(&q);
  mbedtls_mpi_init(&sr);
  mbedtls_mpi_init(&ss);
  sgx_status_t r = SGX_ERROR_UNEXPECTED;
  if (point_read(&q, p_public) != 0 ||
      mbedtls_mpi_read_binary_le(&sr, (const unsigned char*)p_signature->x, sizeof p_signature->x) != 0 ||
      mbedtls_mpi_read_binary_le(&ss, (const unsigned char*)p_signature->y, sizeof p_signature->y) != 0)
    goto out;
  /* mbedtls_ecdsa_verify checks the key, r and s in [1, n-1] and the
   * equation; any failure is an invalid signature. */
  if (mbedtls_ecdsa_verify(&s->grp, hash, SGX_SHA256_HASH_SIZE, &q, &sr, &ss) == 0) *p_result = SGX_EC_VALID;
  r = SGX_SUCCESS;
out:
  mbedtls_ecp_point_free(&q);
  mbedtls_mpi_free(&sr);
  mbedtls_mpi_free(&ss);
  return r;
}

sgx_status_t sgx_ecdsa_verify(const uint8_t* p_data, uint32_t data_size, const sgx_ec256_public_t* p_public,
                              const sgx_ec256_signature_t* p_signature, uint8_t* p_result,
                              sgx_ecc_state_handle_t ecc_handle) {
  if (p_data == NULL || data_size == 0) return SGX_ERROR_INVALID_PARAMETER;
  sgx_sha256_hash_t hash;
  const sgx_status_t r = sgx_sha256_msg(p_data, data_size, &hash);
  if (r != SGX_SUCCESS) return r;
  return sgx_ecdsa_verify_hash(hash, p_public, p_signature, p_result, ecc_handle);
}

/* ------------------------------------------------------------------ RSA */

typedef struct {
  uint32_t tag;
  mbedtls_rsa_context rsa;
} rsa_state_t;

/* A little-endian number of `n` bytes (NULL: none). */
static int mpi_le(mbedtls_mpi* x, const unsigned char* le, int n) {
  if (le == NULL) return 0;
  if (n <= 0) return MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
  return mbedtls_mpi_read_binary_le(x, le, (size_t)n);
}

/* An RSA key from its little-endian parts, completed (mbedtls_rsa_complete
 * derives what is missing, e.g. P and Q from N, E, D) and checked. */
static sgx_status_t rsa_make(const unsigned char* n, int n_len, const unsigned char* e, int e_len,
                             const unsigned char* d, int d_len, const unsigned char* p, const unsigned char* q,
                             int pq_len, int is_private, rsa_state_t** out) {
  rsa_state_t* s = calloc(1, sizeof *s);
  if (s == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  mbedtls_rsa_init(&s->rsa, MBEDTLS_RSA_PKCS_V15, 0);
  mbedtls_mpi N, E, D, P, Q;
  mbedtls_mpi_init(&N), mbedtls_mpi_init(&E), mbedtls_mpi_init(&D), mbedtls_mpi_init(&P), mbedtls_mpi_init(&Q);
  int rc = mpi_le(&N, n, n_len);
  if (rc == 0) rc = mpi_le(&E, e, e_len);
  if (rc == 0) rc = mpi_le(&D, d, d_len);
  if (rc == 0) rc = mpi_le(&P, p, pq_len);
  if (rc == 0) rc = mpi_le(&Q, q, pq_len);
  if (rc == 0)
    rc = mbedtls_rsa_import(&s->rsa, n ? &N : NULL, p ? &P : NULL, q ? &Q : NULL, d ? &D : NULL, e ? &E : NULL);
  if (rc == 0) rc = mbedtls_rsa_complete(&s->rsa);
  if (rc == 0) rc = is_private ? mbedtls_rsa_check_privkey(&s->rsa) : mbedtls_rsa_check_pubkey(&s->rsa);
  mbedtls_mpi_free(&N), mbedtls_mpi_free(&E), mbedtls_mpi_free(&D), mbedtls_mpi_free(&P), mbedtls_mpi_free(&Q);
  if (rc != 0) {
    mbedtls_rsa_free(&s->rsa);
    free(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  s->tag = TAG_RSA;
  *out = s;
  return SGX_SUCCESS;
}

static void rsa_drop(rsa_state_t* s) {
  mbedtls_rsa_free(&s->rsa);
  mbedtls_platform_zeroize(s, sizeof *s);
  free(s);
}

static rsa_state_t* rsa_of(const void* h) {
  rsa_state_t* s = (rsa_state_t*)(uintptr_t)h;
  return (s != NULL && s->tag == TAG_RSA) ? s : NULL;
}

sgx_status_t sgx_rsa3072_sign(const uint8_t* p_data, uint32_t data_size, const sgx_rsa3072_key_t* p_key,
                              sgx_rsa3072_signature_t* p_signature) {
  if (p_data == NULL || data_size == 0 || p_key == NULL || p_signature == NULL) return SGX_ERROR_INVALID_PARAMETER;
  rsa_state_t* s = NULL;
  sgx_status_t r = rsa_make(p_key->mod, SGX_RSA3072_KEY_SIZE, p_key->e, SGX_RSA3072_PUB_EXP_SIZE, p_key->d,
                            SGX_RSA3072_PRI_EXP_SIZE, NULL, NULL, 0, 1, &s);
  if (r != SGX_SUCCESS) return r;
  sgx_sha256_hash_t hash;
  r = sgx_sha256_msg(p_data, data_size, &hash);
  if (r == SGX_SUCCESS && mbedtls_rsa_get_len(&s->rsa) != SGX_RSA3072_KEY_SIZE) r = SGX_ERROR_INVALID_PARAMETER;
  if (r == SGX_SUCCESS && mbedtls_rsa_pkcs1_sign(&s->rsa, tcrypto_rng, NULL, MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_SHA256,
                                                 sizeof hash, hash, *p_signature) != 0)
    r = SGX_ERROR_UNEXPECTED;
  rsa_drop(s);
  return r;
}

/* The public key is not needed: N and E are in the private key. */
sgx_status_t sgx_rsa3072_sign_ex(const uint8_t* p_data, uint32_t data_size, const sgx_rsa3072_key_t* p_key,
                                 const sgx_rsa3072_public_key_t* p_public, sgx_rsa3072_signature_t* p_signature) {
  (void)p_public;
  return sgx_rsa3072_sign(p_data, data_size, p_key, p_signature);
}

sgx_status_t sgx_rsa3072_verify(const uint8_t* p_data, uint32_t data_size, const sgx_rsa3072_public_key_t* p_public,
                                const sgx_rsa3072_signature_t* p_signature, sgx_rsa_result_t* p_result) {
  if (p_data == NULL || data_size == 0 || p_public == NULL || p_signature == NULL || p_result == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  *p_result = SGX_RSA_INVALID_SIGNATURE;
  rsa_state_t* s = NULL;
  sgx_status_t r = rsa_make(p_public->mod, SGX_RSA3072_KEY_SIZE, p_public->exp, SGX_RSA3072_PUB_EXP_SIZE, NULL, 0, NULL,
                            NULL, 0, 0, &s);
  if (r != SGX_SUCCESS) return r;
  sgx_sha256_hash_t hash;
  r = sgx_sha256_msg(p_data, data_size, &hash);
  if (r == SGX_SUCCESS && mbedtls_rsa_get_len(&s->rsa) == SGX_RSA3072_KEY_SIZE &&
      mbedtls_rsa_pkcs1_verify(&s->rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, sizeof hash, hash,
                               *p_signature) == 0)
    *p_result = SGX_RSA_VALID;
  rsa_drop(s);
  return r;
}

static int mpi_out(const mbedtls_mpi* x, unsigned char* le, size_t n) {
  return le == NULL ? 0 : mbedtls_mpi_write_binary_le(x, le, n);
}

sgx_status_t sgx_create_rsa_key_pair(int n_byte_size, int e_byte_size, unsigned char* p_n, unsigned char* p_d,
                                     unsigned char* p_e, unsigned char* p_p, unsigned char* p_q, unsigned char* p_dmp1,
                                     unsigned char* p_dmq1, unsigned char* p_iqmp) {
  if (n_byte_size <= 0 || n_byte_size > 512 || n_byte_size % 2 != 0 || e_byte_size <= 0 || e_byte_size > 4 ||
      p_n == NULL || p_d == NULL || p_e == NULL || p_p == NULL || p_q == NULL || p_dmp1 == NULL || p_dmq1 == NULL ||
      p_iqmp == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  uint32_t e = 0; /* the caller's public exponent, little-endian */
  for (int i = e_byte_size; i-- > 0;) e = (e << 8) | p_e[i];
  if (e < 3 || (e & 1) == 0) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_rsa_context rsa;
  mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V15, 0);
  mbedtls_mpi N, P, Q, D, E, DP, DQ, QP;
  mbedtls_mpi_init(&N), mbedtls_mpi_init(&P), mbedtls_mpi_init(&Q), mbedtls_mpi_init(&D);
  mbedtls_mpi_init(&E), mbedtls_mpi_init(&DP), mbedtls_mpi_init(&DQ), mbedtls_mpi_init(&QP);
  const size_t nb = (size_t)n_byte_size, half = nb / 2;
  int rc = mbedtls_rsa_gen_key(&rsa, tcrypto_rng, NULL, (unsigned)(nb * 8), (int)e);
  if (rc == 0) rc = mbedtls_rsa_export(&rsa, &N, &P, &Q, &D, &E);
  if (rc == 0) rc = mbedtls_rsa_export_crt(&rsa, &DP, &DQ, &QP);
  if (rc == 0) rc = mpi_out(&N, p_n, nb);
  if (rc == 0) rc = mpi_out(&D, p_d, nb);
  if (rc == 0) rc = mpi_out(&E, p_e, (size_t)e_byte_size);
  if (rc == 0) rc = mpi_out(&P, p_p, half);
  if (rc == 0) rc = mpi_out(&Q, p_q, half);
  if (rc == 0) rc = mpi_out(&DP, p_dmp1, half);
  if (rc == 0) rc = mpi_out(&DQ, p_dmq1, half);
  if (rc == 0) rc = mpi_out(&QP, p_iqmp, half);
  mbedtls_mpi_free(&N), mbedtls_mpi_free(&P), mbedtls_mpi_free(&Q), mbedtls_mpi_free(&D);
  mbedtls_mpi_free(&E), mbedtls_mpi_free(&DP), mbedtls_mpi_free(&DQ), mbedtls_mpi_free(&QP);
  mbedtls_rsa_free(&rsa);
  return rc == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED;
}

/* DMP1, DMQ1 and IQMP follow from P, Q and E; mbedtls_rsa_complete derives
 * them, and a key whose given CRT values disagree would sign wrongly, so
 * they are checked against the derived ones. */
sgx_status_t sgx_create_rsa_priv2_key(int mod_size, int exp_size, const unsigned char* p_rsa_key_e,
                                      const unsigned char* p_rsa_key_p, const unsigned char* p_rsa_key_q,
                                      const unsigned char* p_rsa_key_dmp1, const unsigned char* p_rsa_key_dmq1,
                                      const unsigned char* p_rsa_key_iqmp, void** new_pri_key2) {
  if (mod_size <= 0 || mod_size % 2 != 0 || exp_size <= 0 || p_rsa_key_e == NULL || p_rsa_key_p == NULL ||
      p_rsa_key_q == NULL || p_rsa_key_dmp1 == NULL || p_rsa_key_dmq1 == NULL || p_rsa_key_iqmp == NULL ||
      new_pri_key2 == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  rsa_state_t* s = NULL;
  sgx_status_t r = rsa_make(NULL, 0, p_rsa_key_e, exp_size, NULL, 0, p_rsa_key_p, p_rsa_key_q, mod_size / 2, 1, &s);
  if (r != SGX_SUCCESS) return r;
  mbedtls_mpi DP, DQ, QP, x;
  mbedtls_mpi_init(&DP), mbedtls_mpi_init(&DQ), mbedtls_mpi_init(&QP), mbedtls_mpi_init(&x);
  const size_t half = (size_t)mod_size / 2;
  int ok = mbedtls_rsa_export_crt(&s->rsa, &DP, &DQ, &QP) == 0;
  ok = ok && mbedtls_mpi_read_binary_le(&x, p_rsa_key_dmp1, half) == 0 && mbedtls_mpi_cmp_mpi(&x, &DP) == 0;
  ok = ok && mbedtls_mpi_read_binary_le(&x, p_rsa_key_dmq1, half) == 0 && mbedtls_mpi_cmp_mpi(&x, &DQ) == 0;
  ok = ok && mbedtls_mpi_read_binary_le(&x, p_rsa_key_iqmp, half) == 0 && mbedtls_mpi_cmp_mpi(&x, &QP) == 0;
  ok = ok && mbedtls_rsa_get_len(&s->rsa) == (size_t)mod_size;
  mbedtls_mpi_free(&DP), mbedtls_mpi_free(&DQ), mbedtls_mpi_free(&QP), mbedtls_mpi_free(&x);
  if (!ok) {
    rsa_drop(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  *new_pri_key2 = s;
  return SGX_SUCCESS;
}

sgx_status_t sgx_create_rsa_priv1_key(int n_byte_size, int e_byte_size, int d_byte_size, const unsigned char* le_n,
                                      const unsigned char* le_e, const unsigned char* le_d, void** new_pri_key1) {
  if (n_byte_size <= 0 || e_byte_size <= 0 || d_byte_size <= 0 || le_n == NULL || le_e == NULL || le_d == NULL ||
      new_pri_key1 == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  rsa_state_t* s = NULL;
  const sgx_status_t r = rsa_make(le_n, n_byte_size, le_e, e_byte_size, le_d, d_byte_size, NULL, NULL, 0, 1, &s);
  if (r == SGX_SUCCESS) *new_pri_key1 = s;
  return r;
}

sgx_status_t sgx_create_rsa_pub1_key(int mod_size, int exp_size, const unsigned char* le_n, const unsigned char* le_e,
                                     void** new_pub_key1) {
  if (mod_size <= 0 || exp_size <= 0 || le_n == NULL || le_e == NULL || new_pub_key1 == NULL)
    return SGX_ERROR_INVALID_PARAMETER;
  rsa_state_t* s = NULL;
  const sgx_status_t r = rsa_make(le_n, mod_size, le_e, exp_size, NULL, 0, NULL, NULL, 0, 0, &s);
  if (r == SGX_SUCCESS) *new_pub_key1 = s;
  return r;
}

sgx_status_t sgx_free_rsa_key(void* p_rsa_key, sgx_rsa_key_type_t key_type, int mod_size, int exp_size) {
  (void)key_type, (void)mod_size, (void)exp_size; /* used only by the SDK's IPP implementation */
  rsa_state_t* s = rsa_of(p_rsa_key);
  if (s == NULL) return SGX_ERROR_INVALID_PARAMETER;
  rsa_drop(s);
  return SGX_SUCCESS;
}

sgx_status_t sgx_rsa_pub_encrypt_sha256(const void* rsa_key, unsigned char* pout_data, size_t* pout_len,
                                        const unsigned char* pin_data, const size_t pin_len) {
  rsa_state_t* s = rsa_of(rsa_key);
  if (s == NULL || pout_len == NULL || pin_data == NULL || pin_len == 0) return SGX_ERROR_INVALID_PARAMETER;
  const size_t k = mbedtls_rsa_get_len(&s->rsa);
  if (pout_data == NULL) {
    *pout_len = k;
    return SGX_SUCCESS;
  }
  /* RFC 8017 7.1.1: at most k - 2hLen - 2 bytes (none for a key shorter
   * than 2hLen + 2, where the subtraction would wrap). */
  const size_t overhead = (size_t)2 * SGX_SHA256_HASH_SIZE + 2;
  if (*pout_len < k || k < overhead || pin_len > k - overhead) return SGX_ERROR_INVALID_PARAMETER;
  mbedtls_rsa_set_padding(&s->rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
  const int rc = mbedtls_rsa_rsaes_oaep_encrypt(&s->rsa, tcrypto_rng, NULL, MBEDTLS_RSA_PUBLIC, NULL, 0, pin_len,
                                                pin_data, pout_data);
  if (rc != 0) return SGX_ERROR_UNEXPECTED;
  *pout_len = k;
  return SGX_SUCCESS;
}

sgx_status_t sgx_rsa_priv_decrypt_sha256(const void* rsa_key, unsigned char* pout_data, size_t* pout_len,
                                         const unsigned char* pin_data, const size_t pin_len) {
  rsa_state_t* s = rsa_of(rsa_key);
  if (s == NULL || pout_len == NULL || pin_data == NULL) return SGX_ERROR_INVALID_PARAMETER;
  const size_t k = mbedtls_rsa_get_len(&s->rsa);
  if (pin_len != k) return SGX_ERROR_INVALID_PARAMETER;
  if (pout_data == NULL) {
    *pout_len = k; /* an upper bound of the plaintext's size */
    return SGX_SUCCESS;
  }
  mbedtls_rsa_set_padding(&s->rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
  size_t olen = 0;
  const int rc = mbedtls_rsa_rsaes_oaep_decrypt(&s->rsa, tcrypto_rng, NULL, MBEDTLS_RSA_PRIVATE, NULL, 0, &olen,
                                                pin_data, pout_data, *pout_len);
  if (rc == MBEDTLS_ERR_RSA_OUTPUT_TOO_LARGE) return SGX_ERROR_INVALID_PARAMETER;
  if (rc != 0) return SGX_ERROR_UNEXPECTED; /* not a valid OAEP ciphertext for this key */
  *pout_len = olen;
  return SGX_SUCCESS;
}

/* rand() for code that wants the C library's: mbedTLS's RSA self-test
 * (linked in with rsa.c.o, never called) refers to it. Backed by the CPU's
 * generator rather than a seedable sequence; weak, so a fuller C library
 * in the trusted runtime may supply its own. */
__attribute__((weak)) int rand(void) {
  uint32_t v = 0;
  if (sgx_read_rand((unsigned char*)&v, sizeof v) != SGX_SUCCESS) nsgx_crash();
  return (int)(v & 0x7fffffff);
}

/* The fortified snprintf (glibc's ABI) that mbedTLS's OID code calls, as
 * Debian builds it with _FORTIFY_SOURCE: refuse a length beyond the
 * destination object, then format. Weak, like rand(). */
__attribute__((weak)) int __snprintf_chk(char* s, size_t maxlen, int flag, size_t slen, const char* fmt, ...) {
  (void)flag;
  if (maxlen > slen) nsgx_crash(); /* a buffer overflow, as glibc's __chk_fail */
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(s, maxlen, fmt, ap);
  va_end(ap);
  return n;
}
