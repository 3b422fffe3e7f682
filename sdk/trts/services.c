/* Trusted services with the SGX SDK's names: randomness, reports and keys
 * (sgx_trts.h, sgx_utils.h). REPORT and KEYREQUEST operands are copied to
 * aligned buffers on the enclave stack, as EREPORT/EGETKEY require; the
 * CMAC that checks a report is mbedTLS's. */
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/platform_util.h>
#include <string.h>

#include "sgx_trts.h"
#include "sgx_utils.h"
#include "trts_internal.h"

#define ENCLU ".byte 0x0f, 0x01, 0xd7"

_Static_assert(sizeof(sgx_report_t) == 432, "SDM: REPORT is 432 bytes");
_Static_assert(sizeof(sgx_target_info_t) == 512, "SDM: TARGETINFO is 512 bytes");
_Static_assert(sizeof(sgx_key_request_t) == 512, "SDM: KEYREQUEST is 512 bytes");
_Static_assert(offsetof(sgx_report_body_t, report_data) == 320, "SDM: REPORTDATA at 320");

sgx_status_t sgx_read_rand(unsigned char* buf, size_t size) {
  if (buf == NULL || size == 0 || !sgx_is_within_enclave(buf, size)) return SGX_ERROR_INVALID_PARAMETER;
  while (size > 0) {
    uint64_t v = 0;
    unsigned char ok = 0;
    for (int tries = 0; tries < 32 && !ok; ++tries) __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
    if (!ok) return SGX_ERROR_UNEXPECTED;  /* the generator failed 32 times: do not hand out weak bytes */
    const size_t n = size < 8 ? size : 8;
    memcpy(buf, &v, n);
    buf += n;
    size -= n;
    mbedtls_platform_zeroize(&v, sizeof v);
  }
  return SGX_SUCCESS;
}

sgx_status_t sgx_create_report(const sgx_target_info_t* target_info, const sgx_report_data_t* report_data,
                               sgx_report_t* report) {
  if (report == NULL || !sgx_is_within_enclave(report, sizeof *report)) return SGX_ERROR_INVALID_PARAMETER;
  if ((target_info && !sgx_is_within_enclave(target_info, sizeof *target_info)) ||
      (report_data && !sgx_is_within_enclave(report_data, sizeof *report_data)))
    return SGX_ERROR_INVALID_PARAMETER;
  _Alignas(512) sgx_target_info_t ti;
  _Alignas(128) sgx_report_data_t rd;
  _Alignas(512) sgx_report_t out;
  memset(&out, 0, sizeof out);
  memset(&ti, 0, sizeof ti);
  memset(&rd, 0, sizeof rd);
  if (target_info) memcpy(&ti, target_info, sizeof ti);
  if (report_data) memcpy(&rd, report_data, sizeof rd);
  __asm__ volatile(ENCLU : : "a"(0 /* EREPORT */), "b"(&ti), "c"(&rd), "d"(&out) : "memory");
  memcpy(report, &out, sizeof out);
  return SGX_SUCCESS;
}

const sgx_report_t* sgx_self_report(void) {
  static sgx_report_t self;
  static volatile int made;
  if (!__atomic_load_n(&made, __ATOMIC_ACQUIRE)) {
    sgx_report_t r;
    memset(&r, 0, sizeof r);
    if (sgx_create_report(NULL, NULL, &r) != SGX_SUCCESS) return NULL;
    memcpy(&self, &r, sizeof r);
    __atomic_store_n(&made, 1, __ATOMIC_RELEASE);
  }
  return &self;
}

sgx_status_t sgx_self_target(sgx_target_info_t* target_info) {
  if (target_info == NULL || !sgx_is_within_enclave(target_info, sizeof *target_info))
    return SGX_ERROR_INVALID_PARAMETER;
  const sgx_report_t* r = sgx_self_report();
  if (r == NULL) return SGX_ERROR_UNEXPECTED;
  memset(target_info, 0, sizeof *target_info);
  target_info->mr_enclave = r->body.mr_enclave;
  target_info->attributes = r->body.attributes;
  target_info->config_svn = r->body.config_svn;
  target_info->misc_select = r->body.misc_select;
  memcpy(target_info->config_id, r->body.config_id, sizeof target_info->config_id);
  return SGX_SUCCESS;
}

sgx_status_t sgx_get_key(const sgx_key_request_t* key_request, sgx_key_128bit_t* key) {
  if (key_request == NULL || key == NULL || !sgx_is_within_enclave(key_request, sizeof *key_request) ||
      !sgx_is_within_enclave(key, sizeof *key))
    return SGX_ERROR_INVALID_PARAMETER;
  _Alignas(512) sgx_key_request_t req;
  _Alignas(16) sgx_key_128bit_t out;
  memcpy(&req, key_request, sizeof req);
  uint64_t status;
  __asm__ volatile(ENCLU : "=a"(status) : "a"(1 /* EGETKEY */), "b"(&req), "c"(&out) : "memory", "cc");
  sgx_status_t r = SGX_SUCCESS;
  switch (status) {
    case 0: memcpy(key, &out, sizeof out); break;
    case 2: r = SGX_ERROR_INVALID_ATTRIBUTE; break;
    case 32: r = SGX_ERROR_INVALID_CPUSVN; break;
    case 64: r = SGX_ERROR_INVALID_ISVSVN; break;
    case 256: r = SGX_ERROR_INVALID_KEYNAME; break;
    default: r = SGX_ERROR_UNEXPECTED; break;
  }
  mbedtls_platform_zeroize(&out, sizeof out);
  return r;
}

sgx_status_t sgx_verify_report(const sgx_report_t* report) {
  if (report == NULL || !sgx_is_within_enclave(report, sizeof *report)) return SGX_ERROR_INVALID_PARAMETER;
  sgx_key_request_t req;
  memset(&req, 0, sizeof req);
  req.key_name = SGX_KEYSELECT_REPORT;
  memcpy(&req.key_id, &report->key_id, sizeof req.key_id);
  sgx_key_128bit_t key;
  sgx_status_t r = sgx_get_key(&req, &key);
  if (r != SGX_SUCCESS) return r;
  unsigned char mac[16];
  const int rc = mbedtls_cipher_cmac(mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB), key, 128,
                                     (const unsigned char*)&report->body, sizeof report->body, mac);
  mbedtls_platform_zeroize(key, sizeof key);
  if (rc != 0) return SGX_ERROR_UNEXPECTED;
  unsigned char diff = 0;
  for (int i = 0; i < 16; ++i) diff |= (unsigned char)(mac[i] ^ report->mac[i]);  /* constant time */
  return diff == 0 ? SGX_SUCCESS : SGX_ERROR_MAC_MISMATCH;
}
