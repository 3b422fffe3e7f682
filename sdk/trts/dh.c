/* Local-attestation DH sessions (sgx_dh.h), the SGX SDK's protocol v1:
 *
 *   responder -> initiator  msg1 = g_a, TARGETINFO(responder)
 *   initiator -> responder  msg2 = g_b, REPORT(initiator -> responder,
 *                                  REPORTDATA = SHA-256(g_a || g_b) || KDF-ID 0x0001),
 *                                  CMAC_SMK(REPORT)
 *   responder -> initiator  msg3 = CMAC_SMK(body), body = REPORT(responder -> initiator,
 *                                  REPORTDATA = SHA-256(g_b || g_a)) || length || properties
 *
 * with the ECDH shared secret Z (P-256, x coordinate, little-endian) and
 * KDK = AES-CMAC(0^128, Z), key(label) = AES-CMAC(KDK, 0x01 || label ||
 * 0x00 || 0x0080 little-endian): SMK = key("SMK"), AEK = key("AEK"). Each
 * side's REPORT is checked with sgx_verify_report (EREPORT's MAC under this
 * enclave's report key), which proves the peer runs on this platform with
 * the identity in the REPORT, and the REPORTDATA binds both ephemeral keys.
 * Errors as the SDK returns them: tampering or a failed check is
 * SGX_ERROR_UNEXPECTED (a wrong KDF-ID SGX_ERROR_KDF_MISMATCH), and any
 * failure wipes the session and leaves it in an error state. */
#include <mbedtls/platform_util.h>
#include <string.h>

#include "sgx_dh.h"
#include "sgx_trts.h"
#include "sgx_utils.h"
#include "trts_internal.h"

enum {
  STATE_ERROR = 0, /* also a session never initialised */
  STATE_INITIATOR_WAIT_M1 = 0x4d314e49,
  STATE_INITIATOR_WAIT_M3 = 0x4d334e49,
  STATE_RESPONDER_RESET = 0x30505352,
  STATE_RESPONDER_WAIT_M2 = 0x4d325352,
  STATE_ACTIVE = 0x56544341,
};

#define KDF_ID 0x0001 /* AES-CMAC key derivation, little-endian in REPORTDATA[32..33] */

/* What sgx_dh_session_t holds. The initiator keeps the shared secret
 * between msg1 and msg3 (for AEK); the responder its private key between
 * msg1 and msg2. */
typedef struct {
  uint32_t role;
  uint32_t state;
  sgx_ec256_public_t own_pub;  /* responder g_a; initiator g_b */
  sgx_ec256_public_t peer_pub; /* initiator: g_a */
  union {
    sgx_ec256_private_t priv;     /* responder */
    sgx_ec256_dh_shared_t shared; /* initiator */
  } secret;
  sgx_key_128bit_t smk; /* initiator */
} dh_session_t;

_Static_assert(sizeof(dh_session_t) <= sizeof(sgx_dh_session_t), "the state fits the SDK's opaque session");

static void session_fail(dh_session_t* s) {
  mbedtls_platform_zeroize(s, sizeof *s);
  s->state = STATE_ERROR;
}

static int in_enclave(const void* p, size_t n) { return p != NULL && sgx_is_within_enclave(p, n); }

/* SDK error convention for a failed step (tdh): out of memory and a KDF
 * mismatch are passed on, everything else is SGX_ERROR_UNEXPECTED. */
static sgx_status_t converted(sgx_status_t r) {
  return (r == SGX_ERROR_OUT_OF_MEMORY || r == SGX_ERROR_KDF_MISMATCH) ? r : SGX_ERROR_UNEXPECTED;
}

/* The SDK's ECDH key derivation (kdf_id 1), shared with the
 * remote-attestation key exchange (tkey_exchange.c): KDK = AES-CMAC(0^128,
 * Z little-endian), key = AES-CMAC(KDK, 0x01 || label || 0x00 || 0x80 0x00)
 * (the last two bytes: the key length in bits, 128, little-endian). */
sgx_status_t nsgx_ecdh_derive_key(const sgx_ec256_dh_shared_t* z, const char* label, size_t label_len,
                                  sgx_key_128bit_t* out) {
  if (label_len > 3) return SGX_ERROR_INVALID_PARAMETER; /* "SMK", "AEK", "SK", "MK", "VK" */
  const sgx_cmac_128bit_key_t zero = {0};
  sgx_cmac_128bit_tag_t kdk;
  sgx_status_t r = sgx_rijndael128_cmac_msg(&zero, z->s, sizeof z->s, &kdk);
  if (r == SGX_SUCCESS) {
    uint8_t buf[7];
    buf[0] = 0x01;
    memcpy(buf + 1, label, label_len);
    buf[label_len + 1] = 0x00;
    buf[label_len + 2] = 0x80;
    buf[label_len + 3] = 0x00;
    r = sgx_rijndael128_cmac_msg((const sgx_cmac_128bit_key_t*)&kdk, buf, (uint32_t)(label_len + 4),
                                 (sgx_cmac_128bit_tag_t*)out);
  }
  mbedtls_platform_zeroize(kdk, sizeof kdk);
  return r;
}

static sgx_status_t derive_key(const sgx_ec256_dh_shared_t* z, const char label[3], sgx_key_128bit_t* out) {
  return nsgx_ecdh_derive_key(z, label, 3, out);
}

/* SHA-256(a || b) */
static sgx_status_t hash_pair(const sgx_ec256_public_t* a, const sgx_ec256_public_t* b, sgx_sha256_hash_t* out) {
  uint8_t buf[2 * sizeof(sgx_ec256_public_t)];
  memcpy(buf, a, sizeof *a);
  memcpy(buf + sizeof *a, b, sizeof *b);
  return sgx_sha256_msg(buf, sizeof buf, out);
}

static int mac_equal(const uint8_t* a, const uint8_t* b) {
  uint8_t d = 0;
  for (int i = 0; i < SGX_CMAC_MAC_SIZE; ++i) d |= (uint8_t)(a[i] ^ b[i]); /* constant time */
  return d == 0;
}

static sgx_status_t check_cmac(const sgx_key_128bit_t* key, const void* data, uint32_t n, const uint8_t* mac) {
  sgx_cmac_128bit_tag_t t;
  const sgx_status_t r = sgx_rijndael128_cmac_msg((const sgx_cmac_128bit_key_t*)key, data, n, &t);
  if (r != SGX_SUCCESS) return r;
  return mac_equal(t, mac) ? SGX_SUCCESS : SGX_ERROR_MAC_MISMATCH;
}

/* The TARGETINFO that names the enclave that made `body`. */
static void target_of(const sgx_report_body_t* body, sgx_target_info_t* ti) {
  memset(ti, 0, sizeof *ti);
  ti->mr_enclave = body->mr_enclave;
  ti->attributes = body->attributes;
  ti->misc_select = body->misc_select;
  ti->config_svn = body->config_svn;
  memcpy(ti->config_id, body->config_id, sizeof ti->config_id);
}

static void identity_of(const sgx_report_body_t* body, sgx_dh_session_enclave_identity_t* id) {
  memset(id, 0, sizeof *id);
  id->cpu_svn = body->cpu_svn;
  id->misc_select = body->misc_select;
  id->attributes = body->attributes;
  id->mr_enclave = body->mr_enclave;
  id->mr_signer = body->mr_signer;
  id->isv_prod_id = body->isv_prod_id;
  id->isv_svn = body->isv_svn;
}

sgx_status_t sgx_dh_init_session(sgx_dh_session_role_t role, sgx_dh_session_t* session) {
  if (!in_enclave(session, sizeof *session)) return SGX_ERROR_INVALID_PARAMETER;
  if (role != SGX_DH_SESSION_INITIATOR && role != SGX_DH_SESSION_RESPONDER) return SGX_ERROR_INVALID_PARAMETER;
  dh_session_t* s = (dh_session_t*)session;
  mbedtls_platform_zeroize(session, sizeof *session);
  s->role = (uint32_t)role;
  s->state = role == SGX_DH_SESSION_INITIATOR ? STATE_INITIATOR_WAIT_M1 : STATE_RESPONDER_RESET;
  return SGX_SUCCESS;
}

sgx_status_t sgx_dh_responder_gen_msg1(sgx_dh_msg1_t* msg1, sgx_dh_session_t* dh_session) {
  if (!in_enclave(dh_session, sizeof *dh_session)) return SGX_ERROR_INVALID_PARAMETER;
  dh_session_t* s = (dh_session_t*)dh_session;
  if (!in_enclave(msg1, sizeof *msg1) || s->role != SGX_DH_SESSION_RESPONDER) {
    session_fail(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  if (s->state != STATE_RESPONDER_RESET) {
    session_fail(s);
    return SGX_ERROR_INVALID_STATE;
  }
  memset(msg1, 0, sizeof *msg1);
  sgx_status_t r = sgx_self_target(&msg1->target);
  sgx_ecc_state_handle_t ecc = NULL;
  if (r == SGX_SUCCESS) r = sgx_ecc256_open_context(&ecc);
  if (r == SGX_SUCCESS) r = sgx_ecc256_create_key_pair(&s->secret.priv, &s->own_pub, ecc);
  if (ecc) (void)sgx_ecc256_close_context(ecc);
  if (r != SGX_SUCCESS) {
    session_fail(s);
    return converted(r);
  }
  msg1->g_a = s->own_pub;
  s->state = STATE_RESPONDER_WAIT_M2;
  return SGX_SUCCESS;
}

sgx_status_t sgx_LAv1_initiator_proc_msg1(const sgx_dh_msg1_t* msg1, sgx_dh_msg2_t* msg2,
                                          sgx_dh_session_t* dh_session) {
  if (!in_enclave(dh_session, sizeof *dh_session)) return SGX_ERROR_INVALID_PARAMETER;
  dh_session_t* s = (dh_session_t*)dh_session;
  if (!in_enclave(msg1, sizeof *msg1) || !in_enclave(msg2, sizeof *msg2) || s->role != SGX_DH_SESSION_INITIATOR) {
    session_fail(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  if (s->state != STATE_INITIATOR_WAIT_M1) {
    session_fail(s);
    return SGX_ERROR_INVALID_STATE;
  }
  /* msg1 lies in the enclave but may be the caller's copy of untrusted
   * bytes: take what is used once. */
  const sgx_ec256_public_t g_a = msg1->g_a;
  sgx_target_info_t target;
  memcpy(&target, &msg1->target, sizeof target);

  sgx_ec256_private_t priv;
  sgx_ec256_public_t g_b;
  sgx_ec256_dh_shared_t z;
  sgx_key_128bit_t smk;
  sgx_ecc_state_handle_t ecc = NULL;
  sgx_status_t r = sgx_ecc256_open_context(&ecc);
  if (r == SGX_SUCCESS) r = sgx_ecc256_create_key_pair(&priv, &g_b, ecc);
  /* A g_a off the curve fails here (invalid-curve attacks). */
  if (r == SGX_SUCCESS) r = sgx_ecc256_compute_shared_dhkey(&priv, &g_a, &z, ecc);
  mbedtls_platform_zeroize(&priv, sizeof priv);
  if (ecc) (void)sgx_ecc256_close_context(ecc);
  if (r == SGX_SUCCESS) r = derive_key(&z, "SMK", &smk);

  sgx_report_data_t rd;
  memset(&rd, 0, sizeof rd);
  if (r == SGX_SUCCESS) r = hash_pair(&g_a, &g_b, (sgx_sha256_hash_t*)rd.d);
  rd.d[SGX_SHA256_HASH_SIZE] = (uint8_t)(KDF_ID & 0xff);
  rd.d[SGX_SHA256_HASH_SIZE + 1] = (uint8_t)(KDF_ID >> 8);
  sgx_report_t report;
  if (r == SGX_SUCCESS) r = sgx_create_report(&target, &rd, &report);
  if (r == SGX_SUCCESS) {
    memset(msg2, 0, sizeof *msg2);
    msg2->g_b = g_b;
    msg2->report = report;
    r = sgx_rijndael128_cmac_msg((const sgx_cmac_128bit_key_t*)&smk, (const uint8_t*)&msg2->report, sizeof msg2->report,
                                 (sgx_cmac_128bit_tag_t*)msg2->cmac);
  }
  if (r == SGX_SUCCESS) {
    s->own_pub = g_b;
    s->peer_pub = g_a;
    s->secret.shared = z;
    memcpy(s->smk, smk, sizeof smk);
    s->state = STATE_INITIATOR_WAIT_M3;
  } else {
    session_fail(s);
  }
  mbedtls_platform_zeroize(&z, sizeof z);
  mbedtls_platform_zeroize(smk, sizeof smk);
  return r == SGX_SUCCESS ? r : converted(r);
}

sgx_status_t sgx_dh_responder_proc_msg2(const sgx_dh_msg2_t* msg2, sgx_dh_msg3_t* msg3, sgx_dh_session_t* dh_session,
                                        sgx_key_128bit_t* aek, sgx_dh_session_enclave_identity_t* initiator_identity) {
  if (!in_enclave(dh_session, sizeof *dh_session)) return SGX_ERROR_INVALID_PARAMETER;
  dh_session_t* s = (dh_session_t*)dh_session;
  if (!in_enclave(msg2, sizeof *msg2) || !in_enclave(msg3, sizeof *msg3) || !in_enclave(aek, sizeof *aek) ||
      !in_enclave(initiator_identity, sizeof *initiator_identity) || s->role != SGX_DH_SESSION_RESPONDER) {
    session_fail(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  if (s->state != STATE_RESPONDER_WAIT_M2) {
    session_fail(s);
    return SGX_ERROR_INVALID_STATE;
  }
  /* Work on a private copy of msg2: what is checked is what is used. */
  sgx_dh_msg2_t m2;
  memcpy(&m2, msg2, sizeof m2);

  sgx_ec256_dh_shared_t z;
  sgx_key_128bit_t smk;
  sgx_ecc_state_handle_t ecc = NULL;
  sgx_status_t r = sgx_ecc256_open_context(&ecc);
  if (r == SGX_SUCCESS) r = sgx_ecc256_compute_shared_dhkey(&s->secret.priv, &m2.g_b, &z, ecc);
  mbedtls_platform_zeroize(&s->secret.priv, sizeof s->secret.priv);
  if (ecc) (void)sgx_ecc256_close_context(ecc);
  if (r == SGX_SUCCESS) r = derive_key(&z, "SMK", &smk);

  /* msg2: the KDF, the MAC under SMK, the REPORT (made on this platform
   * for this enclave), and its binding of g_a and g_b. */
  const uint16_t kdf = (uint16_t)(m2.report.body.report_data.d[SGX_SHA256_HASH_SIZE] |
                                  (m2.report.body.report_data.d[SGX_SHA256_HASH_SIZE + 1] << 8));
  if (r == SGX_SUCCESS && kdf != KDF_ID) r = SGX_ERROR_KDF_MISMATCH;
  if (r == SGX_SUCCESS) r = check_cmac(&smk, &m2.report, sizeof m2.report, m2.cmac);
  if (r == SGX_SUCCESS) r = sgx_verify_report(&m2.report);
  sgx_sha256_hash_t h;
  if (r == SGX_SUCCESS) r = hash_pair(&s->own_pub, &m2.g_b, &h);
  if (r == SGX_SUCCESS && memcmp(h, m2.report.body.report_data.d, sizeof h) != 0) r = SGX_ERROR_MAC_MISMATCH;

  /* msg3: this enclave's REPORT for the initiator, binding g_b || g_a. */
  sgx_target_info_t target;
  sgx_report_data_t rd;
  memset(&rd, 0, sizeof rd);
  if (r == SGX_SUCCESS) {
    target_of(&m2.report.body, &target);
    r = hash_pair(&m2.g_b, &s->own_pub, (sgx_sha256_hash_t*)rd.d);
  }
  sgx_report_t report;
  if (r == SGX_SUCCESS) r = sgx_create_report(&target, &rd, &report);
  if (r == SGX_SUCCESS) {
    memset(msg3, 0, sizeof *msg3);
    msg3->msg3_body.report = report;
    msg3->msg3_body.additional_prop_length = 0;
    r = sgx_rijndael128_cmac_msg((const sgx_cmac_128bit_key_t*)&smk, (const uint8_t*)&msg3->msg3_body,
                                 (uint32_t)sizeof msg3->msg3_body, (sgx_cmac_128bit_tag_t*)msg3->cmac);
  }
  if (r == SGX_SUCCESS) r = derive_key(&z, "AEK", aek);
  if (r == SGX_SUCCESS) identity_of(&m2.report.body, initiator_identity);
  mbedtls_platform_zeroize(&z, sizeof z);
  mbedtls_platform_zeroize(smk, sizeof smk);
  session_fail(s); /* the session's secrets are no longer needed either way */
  if (r != SGX_SUCCESS) return converted(r);
  s->state = STATE_ACTIVE;
  return SGX_SUCCESS;
}

sgx_status_t sgx_LAv1_initiator_proc_msg3(const sgx_dh_msg3_t* msg3, sgx_dh_session_t* dh_session,
                                          sgx_key_128bit_t* aek,
                                          sgx_dh_session_enclave_identity_t* responder_identity) {
  if (!in_enclave(dh_session, sizeof *dh_session)) return SGX_ERROR_INVALID_PARAMETER;
  dh_session_t* s = (dh_session_t*)dh_session;
  if (!in_enclave(msg3, sizeof *msg3) || !in_enclave(aek, sizeof *aek) ||
      !in_enclave(responder_identity, sizeof *responder_identity) || s->role != SGX_DH_SESSION_INITIATOR) {
    session_fail(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  /* The additional properties follow msg3 and are covered by its MAC. */
  const uint32_t extra = msg3->msg3_body.additional_prop_length;
  if (extra > UINT32_MAX - sizeof(sgx_dh_msg3_t) || !in_enclave(msg3, sizeof *msg3 + extra)) {
    session_fail(s);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  if (s->state != STATE_INITIATOR_WAIT_M3) {
    session_fail(s);
    return SGX_ERROR_INVALID_STATE;
  }
  sgx_report_t report;
  memcpy(&report, &msg3->msg3_body.report, sizeof report);
  sgx_status_t r = check_cmac(&s->smk, &msg3->msg3_body, (uint32_t)sizeof(sgx_dh_msg3_body_t) + extra, msg3->cmac);
  /* The MAC covered the REPORT; the copy is what was covered unless the
   * caller changes msg3 concurrently, so check the copy's MAC again. */
  if (r == SGX_SUCCESS && memcmp(&report, &msg3->msg3_body.report, sizeof report) != 0) r = SGX_ERROR_MAC_MISMATCH;
  if (r == SGX_SUCCESS) r = sgx_verify_report(&report);
  sgx_sha256_hash_t h;
  if (r == SGX_SUCCESS) r = hash_pair(&s->own_pub, &s->peer_pub, &h);
  if (r == SGX_SUCCESS && memcmp(h, report.body.report_data.d, sizeof h) != 0) r = SGX_ERROR_MAC_MISMATCH;
  if (r == SGX_SUCCESS) r = derive_key(&s->secret.shared, "AEK", aek);
  if (r == SGX_SUCCESS) identity_of(&report.body, responder_identity);
  session_fail(s);
  if (r != SGX_SUCCESS) return converted(r);
  s->state = STATE_ACTIVE;
  return SGX_SUCCESS;
}
