// Remote-attestation key exchange, the application's side
// (sgx_ukey_exchange.h): drives the enclave's ECALLs of
// sgx_tkey_exchange.edl and has its REPORT quoted by the monitor of the
// backend in use through the DCAP-style quote interface (quote.cc). The
// messages are the service provider's; nothing here is trusted by the
// enclave, which checks msg2 itself and MACs msg3 (sdk/trts/tkey_exchange.c).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "sdk/urts/quote_status.h"
#include "sgx_dcap_ql_wrapper.h"
#include "sgx_ukey_exchange.h"

using nsgx::urts::check_att_key_id;
using nsgx::urts::status_from_quote_error;

extern "C" sgx_status_t sgx_ra_get_msg1(sgx_ra_context_t context, sgx_enclave_id_t eid,
                                        sgx_ecall_get_ga_trusted_t p_get_ga, sgx_ra_msg1_t* p_msg1) {
  if (p_get_ga == nullptr || p_msg1 == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  sgx_ra_msg1_t msg1{};
  sgx_status_t in_enclave = SGX_ERROR_UNEXPECTED;
  const sgx_status_t r = p_get_ga(eid, &in_enclave, context, &msg1.g_a);
  if (r != SGX_SUCCESS) return r;
  if (in_enclave != SGX_SUCCESS) return in_enclave;
  // gid stays zero: there is no EPID group (sgx_key_exchange.h).
  *p_msg1 = msg1;
  return SGX_SUCCESS;
}

extern "C" sgx_status_t sgx_ra_proc_msg2(sgx_ra_context_t context, sgx_enclave_id_t eid,
                                         sgx_ecall_proc_msg2_trusted_t p_proc_msg2,
                                         sgx_ecall_get_msg3_trusted_t p_get_msg3, const sgx_ra_msg2_t* p_msg2,
                                         uint32_t msg2_size, sgx_ra_msg3_t** pp_msg3, uint32_t* p_msg3_size) {
  if (p_proc_msg2 == nullptr || p_get_msg3 == nullptr || p_msg2 == nullptr || pp_msg3 == nullptr ||
      p_msg3_size == nullptr || msg2_size < sizeof(sgx_ra_msg2_t))
    return SGX_ERROR_INVALID_PARAMETER;
  // The size must be the header's plus the SigRL's it announces. A SigRL
  // is EPID revocation; without EPID a service provider has none to send.
  if (p_msg2->sig_rl_size != 0 || msg2_size != sizeof(sgx_ra_msg2_t)) return SGX_ERROR_INVALID_PARAMETER;

  sgx_target_info_t qe_target{};
  if (const quote3_error_t e = sgx_qe_get_target_info(&qe_target); e != SGX_QL_SUCCESS)
    return status_from_quote_error(e);

  sgx_report_t report{};
  sgx_quote_nonce_t nonce{};
  sgx_status_t in_enclave = SGX_ERROR_UNEXPECTED;
  sgx_status_t r = p_proc_msg2(eid, &in_enclave, context, p_msg2, &qe_target, &report, &nonce);
  if (r != SGX_SUCCESS) return r;
  if (in_enclave != SGX_SUCCESS) return in_enclave;

  std::uint32_t quote_size = 0;
  if (const quote3_error_t e = sgx_qe_get_quote_size(&quote_size); e != SGX_QL_SUCCESS)
    return status_from_quote_error(e);
  const std::uint64_t msg3_size = sizeof(sgx_ra_msg3_t) + std::uint64_t{quote_size};
  if (msg3_size > UINT32_MAX) return SGX_ERROR_UNEXPECTED;
  auto* msg3 = static_cast<sgx_ra_msg3_t*>(std::calloc(1, msg3_size));
  if (msg3 == nullptr) return SGX_ERROR_OUT_OF_MEMORY;
  // The REPORT_DATA is the enclave's (SHA-256(g_a || g_b || VK) || 0): a
  // quote without a nonce, as DCAP makes it.
  if (const quote3_error_t e = sgx_qe_get_quote(&report, quote_size, msg3->quote); e != SGX_QL_SUCCESS) {
    std::free(msg3);
    return status_from_quote_error(e);
  }
  // qe_report: the Quoting Enclave's REPORT on SGX; the monitor makes none
  // and the enclave does not read it (sdk/trts/tkey_exchange.c).
  sgx_report_t qe_report{};
  r = p_get_msg3(eid, &in_enclave, context, quote_size, &qe_report, msg3, static_cast<std::uint32_t>(msg3_size));
  if (r == SGX_SUCCESS) r = in_enclave;
  if (r != SGX_SUCCESS) {
    std::free(msg3);
    return r;
  }
  *pp_msg3 = msg3;
  *p_msg3_size = static_cast<std::uint32_t>(msg3_size);
  return SGX_SUCCESS;
}

extern "C" sgx_status_t sgx_ra_get_msg1_ex(const sgx_att_key_id_t* p_att_key_id, sgx_ra_context_t context,
                                           sgx_enclave_id_t eid, sgx_ecall_get_ga_trusted_t p_get_ga,
                                           sgx_ra_msg1_t* p_msg1) {
  if (const sgx_status_t r = check_att_key_id(p_att_key_id); r != SGX_SUCCESS) return r;
  return sgx_ra_get_msg1(context, eid, p_get_ga, p_msg1);
}

extern "C" sgx_status_t sgx_ra_proc_msg2_ex(const sgx_att_key_id_t* p_att_key_id, sgx_ra_context_t context,
                                            sgx_enclave_id_t eid, sgx_ecall_proc_msg2_trusted_t p_proc_msg2,
                                            sgx_ecall_get_msg3_trusted_t p_get_msg3, const sgx_ra_msg2_t* p_msg2,
                                            uint32_t msg2_size, sgx_ra_msg3_t** pp_msg3, uint32_t* p_msg3_size) {
  if (const sgx_status_t r = check_att_key_id(p_att_key_id); r != SGX_SUCCESS) return r;
  return sgx_ra_proc_msg2(context, eid, p_proc_msg2, p_get_msg3, p_msg2, msg2_size, pp_msg3, p_msg3_size);
}
