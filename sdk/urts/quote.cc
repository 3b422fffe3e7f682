// Quotes through the SDK's DCAP-style interface (sgx_dcap_ql_wrapper.h):
// the monitor of the backend this process uses — nsgx-monitor on the
// isolated backend, the in-process monitor of libnsgx_inproc.so under
// `nsgx exec` — checks the REPORT and signs the quote.
#include <dlfcn.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/inproc/quote_abi.h"
#include "runtime/isolated/client.h"
#include "sdk/urts/backend.h"
#include "sgx_dcap_ql_wrapper.h"

namespace {

using nsgx::urts::use_isolated;

quote3_error_t from_errno(int rc) {
  switch (rc) {
    case 0:
      return SGX_QL_SUCCESS;
    case -EBADMSG:
      return SGX_QL_INVALID_REPORT;
    case -EINVAL:
    case -ENOSPC:
      return SGX_QL_ERROR_INVALID_PARAMETER;
    case -EIO:
      return SGX_QL_ATT_KEY_NOT_INITIALIZED;
    case -ENOMEM:
      return SGX_QL_ERROR_OUT_OF_MEMORY;
    default:
      return SGX_QL_ERROR_UNEXPECTED;
  }
}

template <typename Fn>
Fn inproc_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// The quoting identity and the quote size, from whichever monitor serves us.
quote3_error_t quote_info(sgx_target_info_t* target, std::uint32_t* size) {
  static_assert(sizeof(sgx_target_info_t) == 512 && sizeof(sgx_report_t) == 432);
  sgx_target_info_t t{};
  std::uint32_t n = 0;
  if (use_isolated()) {
    nsgx::isolated::Client* c = nsgx::isolated::Client::get();
    if (c == nullptr) return SGX_QL_ERROR_UNEXPECTED;
    const int rc = c->quote_info(std::span<std::uint8_t, 512>(reinterpret_cast<std::uint8_t*>(&t), 512), n);
    if (rc != 0) return from_errno(rc);
  } else {
    auto fn = inproc_symbol<nsgx::inproc::QuoteInfoFn>(nsgx::inproc::kQuoteInfoSymbol);
    if (fn == nullptr) return SGX_QL_INTERFACE_UNAVAILABLE;
    if (const int rc = fn(&t, &n); rc != 0) return from_errno(rc);
  }
  if (target) *target = t;
  if (size) *size = n;
  return SGX_QL_SUCCESS;
}

}  // namespace

extern "C" quote3_error_t sgx_qe_get_target_info(sgx_target_info_t* p_qe_target_info) {
  if (p_qe_target_info == nullptr) return SGX_QL_ERROR_INVALID_PARAMETER;
  return quote_info(p_qe_target_info, nullptr);
}

extern "C" quote3_error_t sgx_qe_get_quote_size(uint32_t* p_quote_size) {
  if (p_quote_size == nullptr) return SGX_QL_ERROR_INVALID_PARAMETER;
  return quote_info(nullptr, p_quote_size);
}

extern "C" quote3_error_t nsgx_qe_get_quote_with_nonce(const sgx_report_t* p_app_report, const uint8_t* p_nonce,
                                                       uint32_t nonce_size, uint32_t quote_size, uint8_t* p_quote) {
  if (p_app_report == nullptr || p_quote == nullptr || (p_nonce == nullptr && nonce_size != 0) || nonce_size > 64)
    return SGX_QL_ERROR_INVALID_PARAMETER;
  const auto* report = reinterpret_cast<const std::uint8_t*>(p_app_report);
  if (use_isolated()) {
    nsgx::isolated::Client* c = nsgx::isolated::Client::get();
    if (c == nullptr) return SGX_QL_ERROR_UNEXPECTED;
    std::vector<std::uint8_t> out;
    const int rc = c->quote(std::span<const std::uint8_t, 432>(report, 432), {p_nonce, nonce_size}, out);
    if (rc != 0) return from_errno(rc);
    if (out.size() != quote_size) return SGX_QL_ERROR_INVALID_PARAMETER;
    std::memcpy(p_quote, out.data(), out.size());
    return SGX_QL_SUCCESS;
  }
  auto fn = inproc_symbol<nsgx::inproc::QuoteFn>(nsgx::inproc::kQuoteSymbol);
  if (fn == nullptr) return SGX_QL_INTERFACE_UNAVAILABLE;
  return from_errno(fn(p_app_report, p_nonce, nonce_size, p_quote, quote_size));
}

extern "C" quote3_error_t sgx_qe_get_quote(const sgx_report_t* p_app_report, uint32_t quote_size, uint8_t* p_quote) {
  return nsgx_qe_get_quote_with_nonce(p_app_report, nullptr, 0, quote_size, p_quote);
}
