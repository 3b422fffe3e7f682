/* Quote-related types of the SGX SDK's interface (sgx_quote.h): the EPID
 * quote structure and its inputs (SPID, basename, nonce, group id), the
 * attestation key identifiers of the quote-ex interface
 * (sgx_uae_quote_ex.h) and the remote-attestation key exchange
 * (sgx_key_exchange.h). Layouts are the SDK's documented ones (Intel SGX
 * Developer Reference, "sgx_quote_t", "sgx_att_key_id_t",
 * "sgx_ql_att_key_id_t").
 *
 * nestedsgx has no EPID and no Quoting Enclave: quotes are nestedsgx quotes
 * signed by the monitor's ECDSA P-384 attestation key (docs/attestation.md);
 * sgx_quote_t is here for code that names it, no function of ours makes one.
 * The one attestation key id nestedsgx accepts is the monitor's:
 * algorithm_id SGX_QL_ALG_ECDSA_P384 (docs/sdk-abi.md, "Remote attestation"). */
#ifndef _SGX_QUOTE_H_
#define _SGX_QUOTE_H_

#include <stdint.h>

#include "nsgx_layout_assert.h"
#include "sgx_key.h"
#include "sgx_report.h"

#pragma pack(push, 1)

typedef uint8_t sgx_epid_group_id_t[4];

typedef struct _spid_t {
  uint8_t id[16];
} sgx_spid_t;

typedef struct _basename_t {
  uint8_t name[32];
} sgx_basename_t;

typedef struct _quote_nonce {
  uint8_t rand[16];
} sgx_quote_nonce_t;

typedef enum { SGX_UNLINKABLE_SIGNATURE, SGX_LINKABLE_SIGNATURE } sgx_quote_sign_type_t;

typedef struct _quote_t {
  uint16_t version;
  uint16_t sign_type;
  sgx_epid_group_id_t epid_group_id;
  sgx_isv_svn_t qe_svn;
  sgx_isv_svn_t pce_svn;
  uint32_t xeid;
  sgx_basename_t basename;
  sgx_report_body_t report_body;
  uint32_t signature_len;
  uint8_t signature[];
} sgx_quote_t;

#define SGX_PLATFORM_INFO_SIZE 101
typedef struct _platform_info {
  uint8_t platform_info[SGX_PLATFORM_INFO_SIZE];
} sgx_platform_info_t;

typedef struct _update_info_bit {
  int ucodeUpdate;
  int csmeFwUpdate;
  int pswUpdate;
} sgx_update_info_bit_t;

typedef struct _att_key_id_t {
  uint8_t att_key_id[256];
} sgx_att_key_id_t;

typedef struct _qe_report_info_t {
  sgx_quote_nonce_t nonce;
  sgx_target_info_t app_enclave_target_info;
  sgx_report_t qe_report;
} sgx_qe_report_info_t;

/* Attestation algorithms of sgx_ql_att_key_id_t.algorithm_id. */
typedef enum {
  SGX_QL_ALG_EPID = 0,
  SGX_QL_ALG_RESERVED_1 = 1,
  SGX_QL_ALG_ECDSA_P256 = 2,
  SGX_QL_ALG_ECDSA_P384 = 3,
  SGX_QL_ALG_MAX = 4
} sgx_ql_attestation_algorithm_id_t;

typedef enum { SGX_UNLINKABLE_SIGNATURE_TYPE = 0, SGX_LINKABLE_SIGNATURE_TYPE = 1 } sgx_quote_sign_type_ex_t;

/* Attestation key types of sgx_att_key_id_ext_t.att_key_type. */
typedef enum { SGX_QL_ATT_KEY_TYPE_EPID_UNLINKABLE = 0, SGX_QL_ATT_KEY_TYPE_EPID_LINKABLE = 1 } sgx_quote_key_type_t;

#define MAX_CERT_DATA_SIZE (4098 * 3)
#define MAX_ATT_KEY_ID_LIST_SIZE 5

typedef struct _sgx_ql_att_key_id_t {
  uint16_t id;              /* structure id */
  uint16_t version;         /* structure version */
  uint16_t mrsigner_length; /* bytes of mrsigner used (32 or 48) */
  uint8_t mrsigner[48];     /* the quoting enclave's signer */
  uint32_t prod_id;         /* the quoting enclave's product id */
  uint8_t extended_prod_id[16];
  uint8_t config_id[64];
  uint8_t family_id[16];
  uint32_t algorithm_id; /* sgx_ql_attestation_algorithm_id_t */
} sgx_ql_att_key_id_t;

typedef struct _sgx_att_key_id_ext_t {
  sgx_ql_att_key_id_t base;
  uint8_t spid[16];
  uint16_t att_key_type; /* sgx_quote_key_type_t, for EPID */
  uint8_t reserved[80];
} sgx_att_key_id_ext_t;

#pragma pack(pop)

NSGX_LAYOUT_ASSERT(sizeof(sgx_quote_t) == 436, "SDK sgx_quote.h: 48-byte header, REPORT body, signature_len");
NSGX_LAYOUT_ASSERT(sizeof(sgx_qe_report_info_t) == 16 + 512 + 432, "SDK sgx_quote.h: nonce, TARGETINFO, REPORT");
NSGX_LAYOUT_ASSERT(sizeof(sgx_ql_att_key_id_t) == 158, "SDK sgx_quote.h: sgx_ql_att_key_id_t");
NSGX_LAYOUT_ASSERT(sizeof(sgx_att_key_id_ext_t) == 256, "SDK sgx_quote.h: fills sgx_att_key_id_t");

#endif
