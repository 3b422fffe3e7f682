// What the untrusted runtime's SDK-named services (sgx_uae_*, the
// remote-attestation key exchange) answer for the quote service's results
// (quote.cc), and the one attestation key they accept: shared so that both
// say the same thing for the same failure.
#pragma once

#include <cstring>

#include "sgx_dcap_ql_wrapper.h"
#include "sgx_error.h"
#include "sgx_quote.h"

namespace nsgx::urts {

inline sgx_status_t status_from_quote_error(quote3_error_t e) {
  switch (e) {
    case SGX_QL_SUCCESS:
      return SGX_SUCCESS;
    case SGX_QL_ERROR_OUT_OF_MEMORY:
      return SGX_ERROR_OUT_OF_MEMORY;
    case SGX_QL_ERROR_INVALID_PARAMETER:
    case SGX_QL_INVALID_REPORT:
      return SGX_ERROR_INVALID_PARAMETER;
    case SGX_QL_INTERFACE_UNAVAILABLE:
    case SGX_QL_ATT_KEY_NOT_INITIALIZED:
    case SGX_QL_ERROR_UNEXPECTED:
      // No monitor to quote with (SGX hardware without nestedsgx, or the
      // monitor is unreachable): the SDK's code for a missing AESM.
      return SGX_ERROR_SERVICE_UNAVAILABLE;
    default:
      return SGX_ERROR_UNEXPECTED;
  }
}

// The one attestation key there is: the monitor's ECDSA P-384 key.
inline sgx_status_t check_att_key_id(const sgx_att_key_id_t* id) {
  if (id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  sgx_ql_att_key_id_t base;
  std::memcpy(&base, id->att_key_id, sizeof base);
  return base.algorithm_id == SGX_QL_ALG_ECDSA_P384 ? SGX_SUCCESS : SGX_ERROR_UNSUPPORTED_ATT_KEY_ID;
}

}  // namespace nsgx::urts
