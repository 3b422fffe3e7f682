/* The SGX SDK's enclave metadata (the `.note.sgxmeta` block of a signed
 * image: docs/image-format.md), as sgx_get_metadata returns it. The layout
 * is the SDK's metadata_t and enclave_css_t (its internal metadata.h and
 * arch.h, which applications that call sgx_get_metadata include); here it
 * is public, with every offset checked.
 *
 * Example:
 *   metadata_t md;
 *   if (sgx_get_metadata("enclave.signed.so", &md) == SGX_SUCCESS)
 *     use(md.enclave_css.body.enclave_hash.m);  // MRENCLAVE */
#ifndef _SGX_METADATA_H_
#define _SGX_METADATA_H_

#include <stddef.h>
#include <stdint.h>

#include "nsgx_layout_assert.h"
#include "sgx_attributes.h"
#include "sgx_defs.h"
#include "sgx_error.h"
#include "sgx_report.h"

#define METADATA_MAGIC 0x86A80294635D0E4CULL
#define METADATA_SIZE 0x5000
#define SE_KEY_SIZE 384
#define SE_EXPONENT_SIZE 4

#pragma pack(push, 1)

/* SIGSTRUCT (SDM Table 34-15), as the SDK names its parts. */
typedef struct _css_header_t {
  uint8_t header[12];
  uint32_t type;
  uint32_t module_vendor;
  uint32_t date;
  uint8_t header2[16];
  uint32_t hw_version;
  uint8_t reserved[84];
} css_header_t;

typedef struct _css_key_t {
  uint8_t modulus[SE_KEY_SIZE];
  uint8_t exponent[SE_EXPONENT_SIZE];
  uint8_t signature[SE_KEY_SIZE];
} css_key_t;

typedef struct _css_body_t {
  sgx_misc_select_t misc_select;
  sgx_misc_select_t misc_mask;
  uint8_t reserved[4];
  sgx_isvfamily_id_t isv_family_id;
  sgx_attributes_t attributes;
  sgx_attributes_t attribute_mask;
  sgx_measurement_t enclave_hash;
  uint8_t reserved2[16];
  sgx_isvext_prod_id_t isvext_prod_id;
  uint16_t isv_prod_id;
  uint16_t isv_svn;
} css_body_t;

typedef struct _css_buffer_t {
  uint8_t reserved[12];
  uint8_t q1[SE_KEY_SIZE];
  uint8_t q2[SE_KEY_SIZE];
} css_buffer_t;

typedef struct _enclave_css_t {
  css_header_t header;
  css_key_t key;
  css_body_t body;
  css_buffer_t buffer;
} enclave_css_t;

typedef struct _data_directory_t {
  uint32_t offset; /* from the start of the metadata */
  uint32_t size;
} data_directory_t;

typedef enum { DIR_PATCH, DIR_LAYOUT, DIR_NUM } dir_index_t;

typedef struct _metadata_t {
  uint64_t magic_num;
  uint64_t version; /* major << 32 | minor */
  uint32_t size;    /* bytes used, from the start of the metadata */
  uint32_t tcs_policy;
  uint32_t ssa_frame_size; /* pages */
  uint32_t max_save_buffer_size;
  uint32_t desired_misc_select;
  uint32_t tcs_min_pool;
  uint64_t enclave_size;
  sgx_attributes_t attributes;
  enclave_css_t enclave_css;
  data_directory_t dirs[DIR_NUM];
  uint8_t data[18592];
} metadata_t;

#pragma pack(pop)

NSGX_LAYOUT_ASSERT(sizeof(enclave_css_t) == 1808, "SDM Table 34-15: SIGSTRUCT is 1808 bytes");
NSGX_LAYOUT_ASSERT(offsetof(enclave_css_t, body) == 900, "SDM Table 34-15: MISCSELECT at 900");
NSGX_LAYOUT_ASSERT(offsetof(enclave_css_t, body.enclave_hash) == 960, "SDM Table 34-15: ENCLAVEHASH at 960");
NSGX_LAYOUT_ASSERT(offsetof(enclave_css_t, body.isv_prod_id) == 1024, "SDM Table 34-15: ISVPRODID at 1024");
NSGX_LAYOUT_ASSERT(offsetof(enclave_css_t, buffer.q1) == 1040, "SDM Table 34-15: Q1 at 1040");
NSGX_LAYOUT_ASSERT(offsetof(metadata_t, enclave_css) == 64, "SDK metadata.h: enclave_css at 64");
NSGX_LAYOUT_ASSERT(offsetof(metadata_t, dirs) == 1872, "SDK metadata.h: dirs at 1872");
NSGX_LAYOUT_ASSERT(sizeof(metadata_t) == METADATA_SIZE, "SDK metadata.h: METADATA_SIZE");

#ifdef __cplusplus
extern "C" {
#endif

/* The metadata of the signed enclave image `enclave_file` (the block a
 * loader selects; bytes beyond its size are zero). SGX_ERROR_INVALID_PARAMETER
 * for NULL arguments, SGX_ERROR_ENCLAVE_FILE_ACCESS if the file cannot be
 * read, SGX_ERROR_INVALID_ENCLAVE if it is no valid signed image. */
sgx_status_t SGXAPI sgx_get_metadata(const char* enclave_file, metadata_t* metadata);

#ifdef __cplusplus
}
#endif

#endif
