/* The enclave of keyexchange_test.cc: sgx_ra_init with the test service
 * provider's key, and the keys the session derived. */
#include <string.h>

#include "keyexchange_t.h"
#include "sgx_tkey_exchange.h"

/* A derivation of the enclave's own (sgx_ra_init_ex): it knows kdf_id
 * 0x4e53 only and derives every key as the SHA-256 of the shared secret
 * and a label, so the test can tell it was the one used. */
static sgx_status_t custom_derive(const sgx_ec256_dh_shared_t* z, uint16_t kdf_id, sgx_ec_key_128bit_t* smk,
                                  sgx_ec_key_128bit_t* sk, sgx_ec_key_128bit_t* mk, sgx_ec_key_128bit_t* vk) {
  if (kdf_id != 0x4e53) return SGX_ERROR_KDF_MISMATCH;
  sgx_ec_key_128bit_t* out[4] = {smk, sk, mk, vk};
  for (uint8_t i = 0; i < 4; ++i) {
    uint8_t buf[sizeof z->s + 1];
    memcpy(buf, z->s, sizeof z->s);
    buf[sizeof z->s] = i;
    sgx_sha256_hash_t h;
    const sgx_status_t r = sgx_sha256_msg(buf, sizeof buf, &h);
    if (r != SGX_SUCCESS) return r;
    memcpy(*out[i], h, sizeof *out[i]);
  }
  return SGX_SUCCESS;
}

sgx_status_t kx_init(const sgx_ec256_public_t* sp_key, int b_pse, int custom_kdf, sgx_ra_context_t* ctx) {
  return custom_kdf ? sgx_ra_init_ex(sp_key, b_pse, custom_derive, ctx) : sgx_ra_init(sp_key, b_pse, ctx);
}

sgx_status_t kx_keys(sgx_ra_context_t ctx, sgx_ra_key_128_t* sk, sgx_ra_key_128_t* mk) {
  sgx_status_t r = sgx_ra_get_keys(ctx, SGX_RA_KEY_SK, sk);
  if (r == SGX_SUCCESS) r = sgx_ra_get_keys(ctx, SGX_RA_KEY_MK, mk);
  return r;
}

sgx_status_t kx_close(sgx_ra_context_t ctx) { return sgx_ra_close(ctx); }
