/* Local-attestation Diffie-Hellman sessions between two enclaves of one
 * platform (SGX SDK interface, sgx_dh.h; Intel SGX Developer Reference,
 * "sgx_dh_*"). The responder sends msg1 (its ephemeral P-256 key and a
 * TARGETINFO naming it); the initiator answers msg2 (its key and a REPORT
 * for the responder that binds both keys, CMACed under the session MAC
 * key); the responder checks it and answers msg3 (its own REPORT for the
 * initiator, CMACed likewise); both end with the same 128-bit AEK and the
 * other enclave's identity, vouched for by EREPORT. Implemented in
 * sdk/trts/dh.c; the protocol is described in docs/sdk-abi.md.
 *
 * Order of calls (anything else is SGX_ERROR_INVALID_STATE):
 *   initiator: sgx_dh_init_session -> sgx_dh_initiator_proc_msg1 -> sgx_dh_initiator_proc_msg3
 *   responder: sgx_dh_init_session -> sgx_dh_responder_gen_msg1 -> sgx_dh_responder_proc_msg2
 * Every buffer must lie inside the enclave. */
#ifndef _SGX_DH_H_
#define _SGX_DH_H_

#include "nsgx_layout_assert.h"
#include "sgx.h"
#include "sgx_defs.h"
#include "sgx_ecp_types.h"

#pragma pack(push, 1)

#define SGX_DH_MAC_SIZE 16
#define SGX_DH_SESSION_DATA_SIZE 200

typedef struct _sgx_dh_msg1_t {
  sgx_ec256_public_t g_a; /* little-endian */
  sgx_target_info_t target;
} sgx_dh_msg1_t;

typedef struct _sgx_dh_msg2_t {
  sgx_ec256_public_t g_b; /* little-endian */
  sgx_report_t report;
  uint8_t cmac[SGX_DH_MAC_SIZE];
} sgx_dh_msg2_t;

typedef struct _sgx_dh_msg3_body_t {
  sgx_report_t report;
  uint32_t additional_prop_length;
  uint8_t additional_prop[0];
} sgx_dh_msg3_body_t;

typedef struct _sgx_dh_msg3_t {
  uint8_t cmac[SGX_DH_MAC_SIZE];
  sgx_dh_msg3_body_t msg3_body;
} sgx_dh_msg3_t;

/* The first 260 bytes of the peer's REPORT body, reserved bytes zeroed. */
typedef struct _sgx_dh_session_enclave_identity_t {
  sgx_cpu_svn_t cpu_svn;
  sgx_misc_select_t misc_select;
  uint8_t reserved_1[28];
  sgx_attributes_t attributes;
  sgx_measurement_t mr_enclave;
  uint8_t reserved_2[32];
  sgx_measurement_t mr_signer;
  uint8_t reserved_3[96];
  sgx_prod_id_t isv_prod_id;
  sgx_isv_svn_t isv_svn;
} sgx_dh_session_enclave_identity_t;

typedef enum _sgx_dh_session_role_t { SGX_DH_SESSION_INITIATOR, SGX_DH_SESSION_RESPONDER } sgx_dh_session_role_t;

/* Opaque session state (keys and the protocol step); wiped when a session
 * ends, successfully or not. */
typedef struct _sgx_dh_session_t {
  uint8_t sgx_dh_session[SGX_DH_SESSION_DATA_SIZE];
} sgx_dh_session_t;

#pragma pack(pop)

NSGX_LAYOUT_ASSERT(sizeof(sgx_dh_msg1_t) == 576, "SDK sgx_dh.h: g_a (64) + TARGETINFO (512)");
NSGX_LAYOUT_ASSERT(sizeof(sgx_dh_msg2_t) == 512, "SDK sgx_dh.h: g_b (64) + REPORT (432) + cmac (16)");
NSGX_LAYOUT_ASSERT(sizeof(sgx_dh_msg3_t) == 452, "SDK sgx_dh.h: cmac (16) + REPORT (432) + length (4)");
NSGX_LAYOUT_ASSERT(sizeof(sgx_dh_session_enclave_identity_t) == 260, "SDK sgx_dh.h: REPORT body up to ISVSVN");
NSGX_LAYOUT_ASSERT(sizeof(sgx_dh_session_t) == SGX_DH_SESSION_DATA_SIZE, "SDK sgx_dh.h");

#ifdef __cplusplus
extern "C" {
#endif

sgx_status_t SGXAPI sgx_dh_init_session(sgx_dh_session_role_t role, sgx_dh_session_t* session);
sgx_status_t SGXAPI sgx_dh_responder_gen_msg1(sgx_dh_msg1_t* msg1, sgx_dh_session_t* dh_session);
sgx_status_t SGXAPI sgx_LAv1_initiator_proc_msg1(const sgx_dh_msg1_t* msg1, sgx_dh_msg2_t* msg2,
                                                 sgx_dh_session_t* dh_session);
/* msg3 must have room for sizeof(sgx_dh_msg3_t) bytes (no additional
 * properties are sent). */
sgx_status_t SGXAPI sgx_dh_responder_proc_msg2(const sgx_dh_msg2_t* msg2, sgx_dh_msg3_t* msg3,
                                               sgx_dh_session_t* dh_session, sgx_key_128bit_t* aek,
                                               sgx_dh_session_enclave_identity_t* initiator_identity);
sgx_status_t SGXAPI sgx_LAv1_initiator_proc_msg3(const sgx_dh_msg3_t* msg3, sgx_dh_session_t* dh_session,
                                                 sgx_key_128bit_t* aek,
                                                 sgx_dh_session_enclave_identity_t* responder_identity);

#ifdef __cplusplus
}
#endif

/* The SDK's LAv2 protocol (SGX_USE_LAv2_INITIATOR) is not implemented:
 * building with it fails here rather than at link time. */
#ifdef SGX_USE_LAv2_INITIATOR
#error "nestedsgx implements local attestation v1 only (sgx_LAv1_*); build without SGX_USE_LAv2_INITIATOR"
#endif
#define sgx_dh_initiator_proc_msg1 sgx_LAv1_initiator_proc_msg1
#define sgx_dh_initiator_proc_msg3 sgx_LAv1_initiator_proc_msg3

#endif
