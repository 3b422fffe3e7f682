// The SDK's AESM-service headers (sgx_uae_*.h) from C++ and C
// (uae_headers.c), and what their functions answer on nestedsgx: no EPID,
// launch white list or platform service (SGX_ERROR_SERVICE_UNAVAILABLE, as
// on a machine without AESM), and the quote-ex interface over the monitor
// for its one attestation key (ECDSA P-384).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "sgx_dcap_ql_wrapper.h"
#include "sgx_key_exchange.h"
#include "sgx_quote.h"
#include "sgx_uae_epid.h"
#include "sgx_uae_launch.h"
#include "sgx_uae_platform.h"
#include "sgx_uae_quote_ex.h"
#include "sgx_uae_service.h"
#include "sgx_ukey_exchange.h"

extern "C" int nsgx_uae_headers_from_c(void);

namespace {

TEST(UaeService, TheHeadersWorkFromC) { EXPECT_EQ(nsgx_uae_headers_from_c(), 8); }

TEST(UaeService, EpidLaunchAndPlatformServicesAreUnavailable) {
  sgx_target_info_t ti{};
  sgx_epid_group_id_t gid{};
  std::uint32_t n = 0;
  EXPECT_EQ(sgx_init_quote(&ti, &gid), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_init_quote(nullptr, &gid), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_calc_quote_size(nullptr, 0, &n), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_calc_quote_size(nullptr, 4, &n), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_get_quote_size(nullptr, &n), SGX_ERROR_SERVICE_UNAVAILABLE);
  sgx_report_t report{};
  sgx_spid_t spid{};
  std::vector<std::uint8_t> q(4096);
  EXPECT_EQ(sgx_get_quote(&report, SGX_LINKABLE_SIGNATURE, &spid, nullptr, nullptr, 0, nullptr,
                          reinterpret_cast<sgx_quote_t*>(q.data()), 4096),
            SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_get_quote(&report, SGX_LINKABLE_SIGNATURE, nullptr, nullptr, nullptr, 0, nullptr,
                          reinterpret_cast<sgx_quote_t*>(q.data()), 4096),
            SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_get_extended_epid_group_id(&n), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_get_extended_epid_group_id(nullptr), SGX_ERROR_INVALID_PARAMETER);
  sgx_platform_info_t pi{};
  sgx_update_info_bit_t ui{};
  EXPECT_EQ(sgx_report_attestation_status(&pi, 0, &ui), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_check_update_status(&pi, &ui, 0, &n), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_get_whitelist_size(&n), SGX_ERROR_SERVICE_UNAVAILABLE);
  std::uint8_t wl[16]{};
  EXPECT_EQ(sgx_get_whitelist(wl, sizeof wl), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_register_wl_cert_chain(wl, sizeof wl), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_register_wl_cert_chain(nullptr, 0), SGX_ERROR_INVALID_PARAMETER);
  sgx_ps_cap_t cap{};
  EXPECT_EQ(sgx_get_ps_cap(&cap), SGX_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(sgx_get_ps_cap(nullptr), SGX_ERROR_INVALID_PARAMETER);
}

TEST(UaeService, TheMonitorsKeyIsTheOneAttestationKey) {
  std::uint32_t n = 0;
  ASSERT_EQ(sgx_get_supported_att_key_id_num(&n), SGX_SUCCESS);
  ASSERT_EQ(n, 1u);
  sgx_att_key_id_ext_t ids[1]{};
  ASSERT_EQ(sgx_get_supported_att_key_ids(ids, 1), SGX_SUCCESS);
  EXPECT_EQ(ids[0].base.algorithm_id, SGX_QL_ALG_ECDSA_P384);
  EXPECT_EQ(sgx_get_supported_att_key_ids(ids, 2), SGX_ERROR_INVALID_PARAMETER);

  sgx_att_key_id_t id{};
  ASSERT_EQ(sgx_select_att_key_id(nullptr, 0, &id), SGX_SUCCESS);
  EXPECT_EQ(std::memcmp(&id, &ids[0], sizeof id), 0);
  const std::uint8_t list[8]{};
  EXPECT_EQ(sgx_select_att_key_id(list, sizeof list, &id), SGX_ERROR_UNSUPPORTED_ATT_KEY_ID);

  // The quote-ex calls reach the monitor: its quoting identity and size.
  sgx_target_info_t ti{}, qe{};
  std::size_t key_id_size = 99;
  ASSERT_EQ(sgx_init_quote_ex(&id, &ti, &key_id_size, nullptr), SGX_SUCCESS);
  EXPECT_EQ(key_id_size, 0u);
  ASSERT_EQ(sgx_qe_get_target_info(&qe), SGX_QL_SUCCESS);
  EXPECT_EQ(std::memcmp(&ti, &qe, sizeof ti), 0);
  std::uint32_t size = 0, qsize = 0;
  ASSERT_EQ(sgx_get_quote_size_ex(&id, &size), SGX_SUCCESS);
  ASSERT_EQ(sgx_qe_get_quote_size(&qsize), SGX_QL_SUCCESS);
  EXPECT_EQ(size, qsize);
  // A REPORT the monitor did not make is refused, as by sgx_qe_get_quote.
  sgx_report_t report{};
  std::vector<std::uint8_t> q(size);
  EXPECT_EQ(sgx_get_quote_ex(&report, &id, nullptr, q.data(), size), SGX_ERROR_INVALID_PARAMETER);
  sgx_qe_report_info_t info{};
  EXPECT_EQ(sgx_get_quote_ex(&report, &id, &info, q.data(), size), SGX_ERROR_UNSUPPORTED_FUNCTION);

  // Another key (EPID) is refused everywhere.
  sgx_att_key_id_t epid{};
  EXPECT_EQ(sgx_init_quote_ex(&epid, &ti, &key_id_size, nullptr), SGX_ERROR_UNSUPPORTED_ATT_KEY_ID);
  EXPECT_EQ(sgx_get_quote_size_ex(&epid, &size), SGX_ERROR_UNSUPPORTED_ATT_KEY_ID);
  EXPECT_EQ(sgx_get_quote_ex(&report, &epid, nullptr, q.data(), size), SGX_ERROR_UNSUPPORTED_ATT_KEY_ID);
  EXPECT_EQ(sgx_get_quote_size_ex(nullptr, &size), SGX_ERROR_INVALID_PARAMETER);
}

}  // namespace
