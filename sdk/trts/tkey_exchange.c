/* Remote-attestation key exchange, the enclave's side (sgx_tkey_exchange.h,
 * sgx_tkey_exchange.edl): the SGX SDK's SIGMA-style protocol with a service
 * provider (SP) whose ECDSA P-256 key the enclave holds.
 *
 *   sgx_ra_init             a session: the SP's key, the key derivation
 *   sgx_ra_get_ga           (ECALL) an ephemeral key pair a, g_a -> msg1
 *   sgx_ra_proc_msg2_trusted (ECALL) msg2: Z = a * g_b; SMK, SK, MK, VK
 *                           from Z; the SP's signature over g_b || g_a; the
 *                           CMAC under SMK of msg2's first 148 bytes; then a
 *                           REPORT for the quoting identity with
 *                           REPORT_DATA = SHA-256(g_a || g_b || VK) || 0^32
 *   sgx_ra_get_msg3_trusted (ECALL) msg3 = CMAC_SMK(g_a || ps || quote),
 *                           g_a, ps (zero), quote
 *   sgx_ra_get_keys         SK, MK
 *
 * On SGX the untrusted side also hands over the Quoting Enclave's REPORT to
 * this enclave (qe_report), which the SDK checks before it MACs the quote.
 * nestedsgx's quoting identity is the monitor, which makes no such REPORT:
 * instead the enclave checks that the quote is a nestedsgx quote of exactly
 * the REPORT body it made for this session (so the untrusted side cannot
 * substitute another enclave's or another session's quote), and the SP
 * verifies the quote's signature chain (docs/sdk-abi.md, "Remote
 * attestation"). qe_report is accepted and not read.
 *
 * Sessions live in a fixed table under one lock; a context names a slot and
 * the slot's generation, so a closed context cannot reach a newer session.
 * Errors as the SDK returns them: SGX_ERROR_INVALID_PARAMETER (bad
 * argument, unknown context, g_b off the curve), SGX_ERROR_INVALID_STATE
 * (a step out of order), SGX_ERROR_INVALID_SIGNATURE (msg2 not signed by the
 * SP), SGX_ERROR_MAC_MISMATCH (msg2's MAC), SGX_ERROR_KDF_MISMATCH (a
 * kdf_id the default derivation does not know). */
#include <mbedtls/platform_util.h>
#include <string.h>

#include "sgx_spinlock.h"
#include "sgx_tkey_exchange.h"
#include "sgx_trts.h"
#include "sgx_utils.h"
#include "trts_internal.h"

/* The ECALLs of sgx_tkey_exchange.edl: the generated trusted bridge
 * declares them too, in enclaves that import the EDL. */
sgx_status_t sgx_ra_get_ga(sgx_ra_context_t context, sgx_ec256_public_t* g_a);
sgx_status_t sgx_ra_proc_msg2_trusted(sgx_ra_context_t context, const sgx_ra_msg2_t* p_msg2,
                                      const sgx_target_info_t* p_qe_target, sgx_report_t* p_report,
                                      sgx_quote_nonce_t* p_nonce);
sgx_status_t sgx_ra_get_msg3_trusted(sgx_ra_context_t context, uint32_t quote_size, sgx_report_t* qe_report,
                                     sgx_ra_msg3_t* p_msg3, uint32_t msg3_size);

#define RA_SESSIONS 64
#define RA_SLOT_BITS 6
_Static_assert((1u << RA_SLOT_BITS) == RA_SESSIONS, "a context's low bits name its slot");

#define RA_KDF_ID 1 /* the SDK's AES-CMAC derivation (the only one it defines) */

/* The nestedsgx quote (docs/attestation.md, "The quote format, version 1"):
 * magic at 0, the REPORT body at 0x10; a quote is at least this long. */
#define QUOTE_BODY_OFFSET 0x10
#define QUOTE_MIN_SIZE 0x6D8

enum ra_state {
  RA_FREE = 0,
  RA_INITED, /* sgx_ra_init */
  RA_GA,     /* sgx_ra_get_ga: a, g_a */
  RA_MSG2,   /* msg2 verified: keys derived, REPORT made */
  RA_MSG3,   /* msg3 made */
};

typedef struct {
  enum ra_state state;
  uint32_t generation;
  sgx_ec256_public_t sp_key;
  sgx_ra_derive_secret_keys_t derive; /* NULL: the default derivation */
  sgx_ec256_private_t a;
  sgx_ec256_public_t g_a;
  sgx_ec256_public_t g_b;
  sgx_ec_key_128bit_t smk, sk, mk, vk;
  sgx_report_body_t report_body; /* the body the quote must carry */
} ra_session_t;

static ra_session_t sessions[RA_SESSIONS];
static sgx_spinlock_t sessions_lock = SGX_SPINLOCK_INITIALIZER;

static sgx_ra_context_t context_of(uint32_t slot) { return (sessions[slot].generation << RA_SLOT_BITS) | slot; }

/* The session `context` names, if it is open; called with sessions_lock. */
static ra_session_t* lookup(sgx_ra_context_t context) {
  ra_session_t* s = &sessions[context & (RA_SESSIONS - 1)];
  if (s->state == RA_FREE || (context >> RA_SLOT_BITS) != (s->generation & (UINT32_MAX >> RA_SLOT_BITS))) return NULL;
  return s;
}

static void wipe_secrets(ra_session_t* s) {
  mbedtls_platform_zeroize(&s->a, sizeof s->a);
  mbedtls_platform_zeroize(s->smk, sizeof s->smk);
  mbedtls_platform_zeroize(s->sk, sizeof s->sk);
  mbedtls_platform_zeroize(s->mk, sizeof s->mk);
  mbedtls_platform_zeroize(s->vk, sizeof s->vk);
}

static int in_enclave(const void* p, size_t n) { return p != NULL && sgx_is_within_enclave(p, n); }

sgx_status_t sgx_ra_init_ex(const sgx_ec256_public_t* p_pub_key, int b_pse, sgx_ra_derive_secret_keys_t derive_key_cb,
                            sgx_ra_context_t* p_context) {
  if (!in_enclave(p_pub_key, sizeof *p_pub_key) || !in_enclave(p_context, sizeof *p_context))
    return SGX_ERROR_INVALID_PARAMETER;
  /* No platform service (PSE) exists: its security properties cannot go
   * into msg3. The Linux SDK refuses b_pse the same way. */
  if (b_pse != 0) return SGX_ERROR_INVALID_PARAMETER;
  if (derive_key_cb != NULL && !sgx_is_within_enclave((const void*)(uintptr_t)derive_key_cb, 1))
    return SGX_ERROR_INVALID_PARAMETER;
  /* Refuse an SP key that is not a point of P-256 now rather than at msg2. */
  sgx_ecc_state_handle_t ecc = NULL;
  int valid = 0;
  sgx_status_t r = sgx_ecc256_open_context(&ecc);
  if (r == SGX_SUCCESS) r = sgx_ecc256_check_point(p_pub_key, ecc, &valid);
  if (ecc) (void)sgx_ecc256_close_context(ecc);
  if (r != SGX_SUCCESS) return r;
  if (!valid) return SGX_ERROR_INVALID_PARAMETER;

  sgx_spin_lock(&sessions_lock);
  uint32_t slot = 0;
  while (slot < RA_SESSIONS && sessions[slot].state != RA_FREE) ++slot;
  if (slot == RA_SESSIONS) {
    sgx_spin_unlock(&sessions_lock);
    return SGX_ERROR_OUT_OF_MEMORY;
  }
  ra_session_t* s = &sessions[slot];
  const uint32_t generation = (s->generation + 1) & (UINT32_MAX >> RA_SLOT_BITS);
  memset(s, 0, sizeof *s);
  s->generation = generation;
  s->state = RA_INITED;
  s->sp_key = *p_pub_key;
  s->derive = derive_key_cb;
  *p_context = context_of(slot);
  sgx_spin_unlock(&sessions_lock);
  return SGX_SUCCESS;
}

sgx_status_t sgx_ra_init(const sgx_ec256_public_t* p_pub_key, int b_pse, sgx_ra_context_t* p_context) {
  return sgx_ra_init_ex(p_pub_key, b_pse, NULL, p_context);
}

sgx_status_t sgx_ra_close(sgx_ra_context_t context) {
  sgx_spin_lock(&sessions_lock);
  ra_session_t* s = lookup(context);
  if (s == NULL) {
    sgx_spin_unlock(&sessions_lock);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  const uint32_t generation = s->generation;
  mbedtls_platform_zeroize(s, sizeof *s);
  s->generation = generation;
  s->state = RA_FREE;
  sgx_spin_unlock(&sessions_lock);
  return SGX_SUCCESS;
}

sgx_status_t sgx_ra_get_keys(sgx_ra_context_t context, sgx_ra_key_type_t type, sgx_ra_key_128_t* p_key) {
  if (!in_enclave(p_key, sizeof *p_key)) return SGX_ERROR_INVALID_PARAMETER;
  if (type != SGX_RA_KEY_SK && type != SGX_RA_KEY_MK) return SGX_ERROR_INVALID_PARAMETER;
  sgx_spin_lock(&sessions_lock);
  ra_session_t* s = lookup(context);
  sgx_status_t r = SGX_SUCCESS;
  if (s == NULL)
    r = SGX_ERROR_INVALID_PARAMETER;
  else if (s->state != RA_MSG2 && s->state != RA_MSG3)
    r = SGX_ERROR_INVALID_STATE; /* no verified msg2: no keys */
  else
    memcpy(*p_key, type == SGX_RA_KEY_SK ? s->sk : s->mk, sizeof *p_key);
  sgx_spin_unlock(&sessions_lock);
  return r;
}

sgx_status_t sgx_ra_get_ga(sgx_ra_context_t context, sgx_ec256_public_t* g_a) {
  if (!in_enclave(g_a, sizeof *g_a)) return SGX_ERROR_INVALID_PARAMETER;
  sgx_spin_lock(&sessions_lock);
  ra_session_t* s = lookup(context);
  sgx_status_t r = SGX_SUCCESS;
  if (s == NULL) {
    r = SGX_ERROR_INVALID_PARAMETER;
  } else if (s->state != RA_INITED) {
    r = SGX_ERROR_INVALID_STATE; /* one g_a per session: msg2 is signed over it */
  } else {
    sgx_ecc_state_handle_t ecc = NULL;
    r = sgx_ecc256_open_context(&ecc);
    if (r == SGX_SUCCESS) r = sgx_ecc256_create_key_pair(&s->a, &s->g_a, ecc);
    if (ecc) (void)sgx_ecc256_close_context(ecc);
    if (r == SGX_SUCCESS) {
      s->state = RA_GA;
      *g_a = s->g_a;
    } else {
      wipe_secrets(s);
    }
  }
  sgx_spin_unlock(&sessions_lock);
  return r;
}

static sgx_status_t default_derive(const sgx_ec256_dh_shared_t* z, uint16_t kdf_id, sgx_ec_key_128bit_t* smk,
                                   sgx_ec_key_128bit_t* sk, sgx_ec_key_128bit_t* mk, sgx_ec_key_128bit_t* vk) {
  if (kdf_id != RA_KDF_ID) return SGX_ERROR_KDF_MISMATCH;
  sgx_status_t r = nsgx_ecdh_derive_key(z, "SMK", 3, smk);
  if (r == SGX_SUCCESS) r = nsgx_ecdh_derive_key(z, "SK", 2, sk);
  if (r == SGX_SUCCESS) r = nsgx_ecdh_derive_key(z, "MK", 2, mk);
  if (r == SGX_SUCCESS) r = nsgx_ecdh_derive_key(z, "VK", 2, vk);
  return r;
}

static int mac_equal(const uint8_t* a, const uint8_t* b) {
  uint8_t d = 0;
  for (int i = 0; i < SGX_CMAC_MAC_SIZE; ++i) d |= (uint8_t)(a[i] ^ b[i]); /* constant time */
  return d == 0;
}

/* msg2's checks and the session's keys; called with sessions_lock. */
static sgx_status_t process_msg2(ra_session_t* s, const sgx_ra_msg2_t* msg2, const sgx_target_info_t* qe_target,
                                 sgx_report_t* report) {
  if (msg2->quote_type > SGX_LINKABLE_SIGNATURE) return SGX_ERROR_INVALID_PARAMETER;
  sgx_ec256_dh_shared_t z;
  sgx_ecc_state_handle_t ecc = NULL;
  sgx_status_t r = sgx_ecc256_open_context(&ecc);
  /* A g_b off the curve fails here (invalid-curve attacks). */
  if (r == SGX_SUCCESS) r = sgx_ecc256_compute_shared_dhkey(&s->a, &msg2->g_b, &z, ecc);
  if (r == SGX_SUCCESS) {
    r = s->derive ? s->derive(&z, msg2->kdf_id, &s->smk, &s->sk, &s->mk, &s->vk)
                  : default_derive(&z, msg2->kdf_id, &s->smk, &s->sk, &s->mk, &s->vk);
  }
  mbedtls_platform_zeroize(&z, sizeof z);
  /* The SP's signature over g_b || g_a: only the SP chose this g_b. */
  if (r == SGX_SUCCESS) {
    sgx_ec256_public_t gb_ga[2] = {msg2->g_b, s->g_a};
    uint8_t result = SGX_EC_INVALID_SIGNATURE;
    r = sgx_ecdsa_verify((const uint8_t*)gb_ga, sizeof gb_ga, &s->sp_key, &msg2->sign_gb_ga, &result, ecc);
    if (r == SGX_SUCCESS && result != SGX_EC_VALID) r = SGX_ERROR_INVALID_SIGNATURE;
  }
  if (ecc) (void)sgx_ecc256_close_context(ecc);
  /* The MAC under SMK of g_b, SPID, quote type, KDF id and the signature. */
  if (r == SGX_SUCCESS) {
    sgx_cmac_128bit_tag_t mac;
    r = sgx_rijndael128_cmac_msg((const sgx_cmac_128bit_key_t*)&s->smk, (const uint8_t*)msg2,
                                 (uint32_t)offsetof(sgx_ra_msg2_t, mac), &mac);
    if (r == SGX_SUCCESS && !mac_equal(mac, msg2->mac)) r = SGX_ERROR_MAC_MISMATCH;
  }
  /* REPORT_DATA = SHA-256(g_a || g_b || VK) || 0^32, as the SDK makes it:
   * the quote then vouches for this session's keys. */
  sgx_report_data_t rd;
  memset(&rd, 0, sizeof rd);
  if (r == SGX_SUCCESS) {
    uint8_t buf[2 * sizeof(sgx_ec256_public_t) + sizeof(sgx_ec_key_128bit_t)];
    memcpy(buf, &s->g_a, sizeof s->g_a);
    memcpy(buf + sizeof s->g_a, &msg2->g_b, sizeof msg2->g_b);
    memcpy(buf + 2 * sizeof s->g_a, s->vk, sizeof s->vk);
    r = sgx_sha256_msg(buf, sizeof buf, (sgx_sha256_hash_t*)rd.d);
    mbedtls_platform_zeroize(buf, sizeof buf);
  }
  if (r == SGX_SUCCESS) r = sgx_create_report(qe_target, &rd, report);
  if (r == SGX_SUCCESS) {
    s->g_b = msg2->g_b;
    s->report_body = report->body;
  }
  return r;
}

sgx_status_t sgx_ra_proc_msg2_trusted(sgx_ra_context_t context, const sgx_ra_msg2_t* p_msg2,
                                      const sgx_target_info_t* p_qe_target, sgx_report_t* p_report,
                                      sgx_quote_nonce_t* p_nonce) {
  if (!in_enclave(p_msg2, sizeof *p_msg2) || !in_enclave(p_qe_target, sizeof *p_qe_target) ||
      !in_enclave(p_report, sizeof *p_report) || !in_enclave(p_nonce, sizeof *p_nonce))
    return SGX_ERROR_INVALID_PARAMETER;
  /* p_msg2 lies in the enclave (the bridge's copy): read once into ours. */
  sgx_ra_msg2_t msg2;
  memcpy(&msg2, p_msg2, sizeof msg2);
  sgx_target_info_t qe_target;
  memcpy(&qe_target, p_qe_target, sizeof qe_target);

  sgx_spin_lock(&sessions_lock);
  ra_session_t* s = lookup(context);
  sgx_status_t r = SGX_SUCCESS;
  sgx_report_t report;
  if (s == NULL) {
    r = SGX_ERROR_INVALID_PARAMETER;
  } else if (s->state != RA_GA) {
    r = SGX_ERROR_INVALID_STATE;
  } else {
    r = process_msg2(s, &msg2, &qe_target, &report);
    if (r == SGX_SUCCESS) {
      /* The interface's quote nonce, for a Quoting Enclave's REPORT; the
       * monitor makes none (see the top of this file), so it is only
       * random bytes the untrusted side may use as it likes. */
      r = sgx_read_rand(p_nonce->rand, sizeof p_nonce->rand);
    }
    if (r == SGX_SUCCESS) {
      s->state = RA_MSG2;
      *p_report = report;
    } else {
      /* Keys from a msg2 that failed a check must not survive; the
       * session keeps a and g_a, so a genuine msg2 may still come. */
      mbedtls_platform_zeroize(s->smk, sizeof s->smk);
      mbedtls_platform_zeroize(s->sk, sizeof s->sk);
      mbedtls_platform_zeroize(s->mk, sizeof s->mk);
      mbedtls_platform_zeroize(s->vk, sizeof s->vk);
    }
  }
  sgx_spin_unlock(&sessions_lock);
  return r;
}

sgx_status_t sgx_ra_get_msg3_trusted(sgx_ra_context_t context, uint32_t quote_size, sgx_report_t* qe_report,
                                     sgx_ra_msg3_t* p_msg3, uint32_t msg3_size) {
  (void)qe_report; /* see the top of this file */
  if (quote_size < QUOTE_MIN_SIZE || (uint64_t)msg3_size != sizeof(sgx_ra_msg3_t) + (uint64_t)quote_size)
    return SGX_ERROR_INVALID_PARAMETER;
  /* msg3 is [user_check]: it must lie wholly outside the enclave. */
  if (p_msg3 == NULL || !sgx_is_outside_enclave(p_msg3, msg3_size)) return SGX_ERROR_INVALID_PARAMETER;

  /* One private copy of the quote: what is checked is what is MACed and
   * what is written out, whatever the application does meanwhile. */
  uint8_t* quote = malloc(quote_size);
  if (quote == NULL) return SGX_ERROR_OUT_OF_MEMORY;
  memcpy(quote, p_msg3->quote, quote_size);

  sgx_spin_lock(&sessions_lock);
  ra_session_t* s = lookup(context);
  sgx_status_t r = SGX_SUCCESS;
  sgx_ra_msg3_t head;
  memset(&head, 0, sizeof head);
  /* An unknown session and a foreign quote are both invalid arguments, checked
   * in this order because the quote's check reads the session. */
  if (s == NULL) { /* NOLINT(bugprone-branch-clone) */
    r = SGX_ERROR_INVALID_PARAMETER;
  } else if (s->state != RA_MSG2 && s->state != RA_MSG3) {
    r = SGX_ERROR_INVALID_STATE;
  } else if (memcmp(quote, "NSGXQUOT", 8) != 0 ||
             memcmp(quote + QUOTE_BODY_OFFSET, &s->report_body, sizeof s->report_body) != 0) {
    /* Not a quote of the REPORT this session made. */
    r = SGX_ERROR_INVALID_PARAMETER;
  } else {
    head.g_a = s->g_a;
    sgx_cmac_state_handle_t cmac = NULL;
    r = sgx_cmac128_init((const sgx_cmac_128bit_key_t*)&s->smk, &cmac);
    if (r == SGX_SUCCESS) r = sgx_cmac128_update((const uint8_t*)&head.g_a, sizeof head.g_a, cmac);
    if (r == SGX_SUCCESS) r = sgx_cmac128_update((const uint8_t*)&head.ps_sec_prop, sizeof head.ps_sec_prop, cmac);
    if (r == SGX_SUCCESS) r = sgx_cmac128_update(quote, quote_size, cmac);
    if (r == SGX_SUCCESS) r = sgx_cmac128_final(cmac, (sgx_cmac_128bit_tag_t*)&head.mac);
    if (cmac) (void)sgx_cmac128_close(cmac);
    if (r == SGX_SUCCESS) s->state = RA_MSG3;
  }
  sgx_spin_unlock(&sessions_lock);
  if (r == SGX_SUCCESS) {
    memcpy(p_msg3, &head, sizeof head);
    memcpy(p_msg3->quote, quote, quote_size);
  }
  free(quote);
  return r;
}
