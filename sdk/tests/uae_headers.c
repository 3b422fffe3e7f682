/* Every header of the AESM services, the quote types and the key exchange's
 * untrusted side, included from C (uae_test.cc does the same from C++), and
 * each function called once so that a missing definition fails the link. */
#include "sgx_key_exchange.h"
#include "sgx_quote.h"
#include "sgx_uae_epid.h"
#include "sgx_uae_launch.h"
#include "sgx_uae_platform.h"
#include "sgx_uae_quote_ex.h"
#include "sgx_uae_service.h"
#include "sgx_ukey_exchange.h"

int nsgx_uae_headers_from_c(void);

/* The number of functions that answered as documented (uae_test.cc). */
int nsgx_uae_headers_from_c(void) {
  int ok = 0;
  sgx_target_info_t ti;
  sgx_epid_group_id_t gid;
  uint32_t n = 0;
  sgx_ps_cap_t cap = {0, 0};
  sgx_att_key_id_t id;
  ok += sgx_init_quote(&ti, &gid) == SGX_ERROR_SERVICE_UNAVAILABLE;
  ok += sgx_calc_quote_size(NULL, 0, &n) == SGX_ERROR_SERVICE_UNAVAILABLE;
  ok += sgx_get_extended_epid_group_id(&n) == SGX_ERROR_SERVICE_UNAVAILABLE;
  ok += sgx_get_whitelist_size(&n) == SGX_ERROR_SERVICE_UNAVAILABLE;
  ok += sgx_get_ps_cap(&cap) == SGX_ERROR_SERVICE_UNAVAILABLE && !SGX_IS_TRUSTED_TIME_AVAILABLE(cap);
  ok += sgx_get_supported_att_key_id_num(&n) == SGX_SUCCESS && n == 1;
  ok += sgx_select_att_key_id(NULL, 0, &id) == SGX_SUCCESS;
  ok += sgx_ra_get_msg1(0, 0, NULL, NULL) == SGX_ERROR_INVALID_PARAMETER;
  return ok;
}
