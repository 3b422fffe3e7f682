// The SDK's untrusted architectural-enclave services (sgx_uae_*.h). On SGX
// they are requests to the AESM daemon and its architectural enclaves (the
// EPID Quoting Enclave, the Launch Enclave, the platform-service enclave).
// nestedsgx has none of them: the monitor is the quoting identity and the
// launch authority. So:
//  - the quote-ex interface is served for real by the monitor's quotes
//    (quote.cc), for the one attestation key there is;
//  - everything EPID, launch white list or platform service returns, after
//    its argument checks, what the SDK returns on a machine where the AESM
//    service is not running: SGX_ERROR_SERVICE_UNAVAILABLE. The alternative,
//    SGX_ERROR_UNSUPPORTED_FUNCTION, would tell a caller the SDK lacks the
//    function; "no service" is the truth and what applications already
//    handle (they fall back, or report that attestation is unavailable).
#include <cstring>

#include "sdk/urts/quote_status.h"
#include "sgx_dcap_ql_wrapper.h"
#include "sgx_uae_service.h"

namespace {

constexpr sgx_status_t kNoService = SGX_ERROR_SERVICE_UNAVAILABLE;

// The monitor's attestation key, as sgx_ql_att_key_id_t describes keys.
sgx_att_key_id_ext_t monitor_key_id() {
  sgx_att_key_id_ext_t id{};
  id.base.algorithm_id = SGX_QL_ALG_ECDSA_P384;
  return id;
}

using nsgx::urts::check_att_key_id;
using nsgx::urts::status_from_quote_error;

}  // namespace

extern "C" {

// --- EPID (sgx_uae_epid.h) ------------------------------------------------

sgx_status_t sgx_init_quote(sgx_target_info_t* p_target_info, sgx_epid_group_id_t* p_gid) {
  if (p_target_info == nullptr || p_gid == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_calc_quote_size(const uint8_t* p_sig_rl, uint32_t sig_rl_size, uint32_t* p_quote_size) {
  if (p_quote_size == nullptr || (p_sig_rl == nullptr && sig_rl_size != 0)) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_get_quote_size(const uint8_t* p_sig_rl, uint32_t* p_quote_size) {
  (void)p_sig_rl;
  if (p_quote_size == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_get_quote(const sgx_report_t* p_report, sgx_quote_sign_type_t quote_type, const sgx_spid_t* p_spid,
                           const sgx_quote_nonce_t* p_nonce, const uint8_t* p_sig_rl, uint32_t sig_rl_size,
                           sgx_report_t* p_qe_report, sgx_quote_t* p_quote, uint32_t quote_size) {
  (void)p_nonce;
  (void)p_qe_report;
  if (p_report == nullptr || p_spid == nullptr || p_quote == nullptr || quote_size == 0 ||
      (quote_type != SGX_UNLINKABLE_SIGNATURE && quote_type != SGX_LINKABLE_SIGNATURE) ||
      (p_sig_rl == nullptr && sig_rl_size != 0))
    return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

// The extended EPID group id names the EPID attestation service a platform
// belongs to (0: Intel's IAS). A 0 here would send service providers to IAS,
// which cannot verify a nestedsgx quote; with no EPID membership there is no
// honest value, so the answer is that of a machine without the service.
sgx_status_t sgx_get_extended_epid_group_id(uint32_t* p_extended_epid_group_id) {
  if (p_extended_epid_group_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_report_attestation_status(const sgx_platform_info_t* p_platform_info, int attestation_status,
                                           sgx_update_info_bit_t* p_update_info) {
  (void)attestation_status;
  if (p_platform_info == nullptr || p_update_info == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_check_update_status(const sgx_platform_info_t* p_platform_info, sgx_update_info_bit_t* p_update_info,
                                     uint32_t config, uint32_t* p_status) {
  (void)p_platform_info;
  (void)p_update_info;
  (void)config;
  if (p_status == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

// --- launch white list (sgx_uae_launch.h) ---------------------------------

sgx_status_t sgx_get_whitelist_size(uint32_t* p_whitelist_size) {
  if (p_whitelist_size == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_get_whitelist(uint8_t* p_whitelist, uint32_t whitelist_size) {
  if (p_whitelist == nullptr || whitelist_size == 0) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

sgx_status_t sgx_register_wl_cert_chain(uint8_t* p_wl_cert_chain, uint32_t wl_cert_chain_size) {
  if (p_wl_cert_chain == nullptr || wl_cert_chain_size == 0) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

// --- platform services (sgx_uae_platform.h) -------------------------------

sgx_status_t sgx_get_ps_cap(sgx_ps_cap_t* p_sgx_ps_cap) {
  if (p_sgx_ps_cap == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  return kNoService;
}

// --- quotes with an attestation key id (sgx_uae_quote_ex.h) ----------------

sgx_status_t sgx_select_att_key_id(const uint8_t* p_att_key_id_list, uint32_t att_key_id_list_size,
                                   sgx_att_key_id_t* p_selected_key_id) {
  (void)att_key_id_list_size;
  if (p_selected_key_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  // A service provider's list names Intel's quoting enclaves; none of them
  // is the monitor's key.
  if (p_att_key_id_list != nullptr) return SGX_ERROR_UNSUPPORTED_ATT_KEY_ID;
  const sgx_att_key_id_ext_t id = monitor_key_id();
  static_assert(sizeof id == sizeof *p_selected_key_id);
  std::memcpy(p_selected_key_id, &id, sizeof id);
  return SGX_SUCCESS;
}

sgx_status_t sgx_init_quote_ex(const sgx_att_key_id_t* p_att_key_id, sgx_target_info_t* p_qe_target_info,
                               size_t* p_pub_key_id_size, uint8_t* p_pub_key_id) {
  (void)p_pub_key_id;
  if (p_qe_target_info == nullptr || p_pub_key_id_size == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  if (const sgx_status_t r = check_att_key_id(p_att_key_id); r != SGX_SUCCESS) return r;
  if (const sgx_status_t r = status_from_quote_error(sgx_qe_get_target_info(p_qe_target_info)); r != SGX_SUCCESS)
    return r;
  *p_pub_key_id_size = 0;
  return SGX_SUCCESS;
}

sgx_status_t sgx_get_quote_size_ex(const sgx_att_key_id_t* p_att_key_id, uint32_t* p_quote_size) {
  if (p_quote_size == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  if (const sgx_status_t r = check_att_key_id(p_att_key_id); r != SGX_SUCCESS) return r;
  return status_from_quote_error(sgx_qe_get_quote_size(p_quote_size));
}

sgx_status_t sgx_get_quote_ex(const sgx_report_t* p_app_report, const sgx_att_key_id_t* p_att_key_id,
                              sgx_qe_report_info_t* p_qe_report_info, uint8_t* p_quote, uint32_t quote_size) {
  if (p_app_report == nullptr || p_quote == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  if (const sgx_status_t r = check_att_key_id(p_att_key_id); r != SGX_SUCCESS) return r;
  if (p_qe_report_info != nullptr) return SGX_ERROR_UNSUPPORTED_FUNCTION;  // no Quoting Enclave REPORT
  return status_from_quote_error(sgx_qe_get_quote(p_app_report, quote_size, p_quote));
}

sgx_status_t sgx_get_supported_att_key_id_num(uint32_t* p_att_key_id_num) {
  if (p_att_key_id_num == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  *p_att_key_id_num = 1;
  return SGX_SUCCESS;
}

sgx_status_t sgx_get_supported_att_key_ids(sgx_att_key_id_ext_t* p_att_key_id_list, uint32_t att_key_id_num) {
  if (p_att_key_id_list == nullptr || att_key_id_num != 1) return SGX_ERROR_INVALID_PARAMETER;
  p_att_key_id_list[0] = monitor_key_id();
  return SGX_SUCCESS;
}

}  // extern "C"
