// The SDK's quoting interface (sgx_dcap_ql_wrapper.h) against a real
// enclave, on whichever backend runs it (registered for both): the monitor
// quotes only REPORTs it made for its quoting identity, and only when
// REPORT_DATA binds the nonce; the quote verifies with the library.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "Enclave_u.h"
#include "attest/quote_verify.h"
#include "crypto/sha.h"
#include "ra_protocol.h"
#include "runtime/isolated/client.h"
#include "sgx_dcap_ql_wrapper.h"
#include "sgx_urts.h"

namespace {

class QuoteE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    sgx_launch_token_t token{};
    int updated = 0;
    ASSERT_EQ(sgx_create_enclave(NSGX_RA_ENCLAVE, 0, &token, &updated, &eid_, nullptr), SGX_SUCCESS);
    ASSERT_EQ(sgx_qe_get_target_info(&qe_), SGX_QL_SUCCESS);
    ASSERT_EQ(sgx_qe_get_quote_size(&size_), SGX_QL_SUCCESS);
  }
  void TearDown() override {
    if (eid_) sgx_destroy_enclave(eid_);
  }
  sgx_report_t report_for(const sgx_target_info_t& target, const std::vector<std::uint8_t>& nonce) {
    sgx_report_t r{};
    sgx_status_t st = SGX_ERROR_UNEXPECTED;
    EXPECT_EQ(ecall_attest(eid_, &st, &target, nonce.data(), static_cast<std::uint32_t>(nonce.size()), key_, &r),
              SGX_SUCCESS);
    EXPECT_EQ(st, SGX_SUCCESS);
    return r;
  }
  quote3_error_t quote(const sgx_report_t& r, const std::vector<std::uint8_t>& nonce, std::vector<std::uint8_t>& out) {
    out.assign(size_, 0);
    return nsgx_qe_get_quote_with_nonce(&r, nonce.data(), static_cast<std::uint32_t>(nonce.size()), size_, out.data());
  }

  sgx_enclave_id_t eid_ = 0;
  sgx_target_info_t qe_{};
  std::uint32_t size_ = 0;
  std::uint8_t key_[RA_PUBLIC_KEY_SIZE]{};
  const std::vector<std::uint8_t> n1_ = std::vector<std::uint8_t>(RA_NONCE_SIZE, 1);
  const std::vector<std::uint8_t> n2_ = std::vector<std::uint8_t>(RA_NONCE_SIZE, 2);
};

TEST_F(QuoteE2e, TheQuotingIdentityIsTheMonitors) {
  const char id[] = "NSGX-QUOTING-IDENTITY-v1";
  const auto mr = nsgx::crypto::sha256({reinterpret_cast<const std::uint8_t*>(id), sizeof id - 1});
  EXPECT_EQ(std::memcmp(qe_.mr_enclave.m, mr.data(), 32), 0);
  EXPECT_GT(size_, nsgx::attest::kQuoteMinSize);
}

TEST_F(QuoteE2e, AQuoteOfAFreshReportVerifies) {
  std::vector<std::uint8_t> q;
  ASSERT_EQ(quote(report_for(qe_, n1_), n1_, q), SGX_QL_SUCCESS);
  auto parsed = nsgx::attest::parse_quote(q);
  ASSERT_TRUE(parsed) << parsed.error().message();
  nsgx::attest::QuotePolicy policy;
  policy.mr_enclave.emplace_back();
  std::memcpy(policy.mr_enclave[0].data(), parsed->body.mr_enclave, 32);
  nsgx::attest::QuoteVerifyOptions options;
  options.nonce = n1_;
  options.allow_emulated = true;
  const auto v = nsgx::attest::verify_quote(*parsed, policy, options);
  EXPECT_TRUE(v.ok()) << (v.failures.empty() ? "" : v.failures[0]);
  // REPORT_DATA[32..64) is the enclave's: the digest of its key.
  const auto kd = nsgx::crypto::sha256({key_, sizeof key_});
  EXPECT_EQ(std::memcmp(parsed->body.report_data + 32, kd.data(), 32), 0);
  EXPECT_EQ(parsed->body.isv_prod_id, 42);
}

TEST_F(QuoteE2e, TheMonitorRefusesAReportItDidNotMakeForItself) {
  std::vector<std::uint8_t> q;
  sgx_report_t r = report_for(qe_, n1_);
  r.mac[0] ^= 1;
  EXPECT_EQ(quote(r, n1_, q), SGX_QL_INVALID_REPORT);
  r = report_for(qe_, n1_);
  r.body.isv_svn = 9;  // a forged identity
  EXPECT_EQ(quote(r, n1_, q), SGX_QL_INVALID_REPORT);
  // A REPORT for another target: its MAC is under another key.
  sgx_target_info_t other = qe_;
  other.mr_enclave.m[0] ^= 1;
  EXPECT_EQ(quote(report_for(other, n1_), n1_, q), SGX_QL_INVALID_REPORT);
}

TEST_F(QuoteE2e, TheReportMustBindTheNonce) {
  std::vector<std::uint8_t> q;
  EXPECT_EQ(quote(report_for(qe_, n1_), n2_, q), SGX_QL_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(quote(report_for(qe_, n1_), std::vector<std::uint8_t>(65, 1), q), SGX_QL_ERROR_INVALID_PARAMETER);
}

TEST_F(QuoteE2e, DcapCallsWithoutANonceAndBadArguments) {
  const sgx_report_t r = report_for(qe_, n1_);
  std::vector<std::uint8_t> q(size_);
  ASSERT_EQ(sgx_qe_get_quote(&r, size_, q.data()), SGX_QL_SUCCESS);
  auto parsed = nsgx::attest::parse_quote(q);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->nonce.empty());
  EXPECT_EQ(sgx_qe_get_quote(&r, size_ - 1, q.data()), SGX_QL_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_qe_get_quote(nullptr, size_, q.data()), SGX_QL_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_qe_get_quote(&r, size_, nullptr), SGX_QL_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_qe_get_target_info(nullptr), SGX_QL_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_qe_get_quote_size(nullptr), SGX_QL_ERROR_INVALID_PARAMETER);
}

// The isolated backend's wire: forged quote requests from the application
// get errors, and the monitor quotes on afterwards (run by
// quote_e2e_isolated only: the inproc backend has no wire).
using QuoteWire = QuoteE2e;

TEST_F(QuoteWire, ForgedRequestsAreRefusedAndTheMonitorQuotesOn) {
  using namespace nsgx::isolated;
  Client* c = Client::get();
  ASSERT_NE(c, nullptr);
  Reply r{};
  std::vector<std::uint8_t> junk(100, 0xa5);
  EXPECT_EQ(c->raw({Op::kQuote, 0, 0}, junk, r), -EINVAL);  // short
  QuoteReq q{};
  const sgx_report_t report = report_for(qe_, n1_);
  std::memcpy(q.report, &report, sizeof q.report);
  q.nonce_size = 65;
  EXPECT_EQ(c->raw({Op::kQuote, 0, 0}, {reinterpret_cast<const std::uint8_t*>(&q), sizeof q}, r), -EINVAL);
  q.nonce_size = RA_NONCE_SIZE;
  std::memcpy(q.nonce, n1_.data(), n1_.size());
  q.reserved = 1;
  EXPECT_EQ(c->raw({Op::kQuote, 0, 0}, {reinterpret_cast<const std::uint8_t*>(&q), sizeof q}, r), -EINVAL);
  q.reserved = 0;
  std::vector<std::uint8_t> longer(sizeof q + 1);
  std::memcpy(longer.data(), &q, sizeof q);
  EXPECT_EQ(c->raw({Op::kQuote, 0, 0}, longer, r), -EINVAL);
  QuoteReq zero = q;
  std::memset(zero.report, 0, sizeof zero.report);  // no REPORT of this monitor
  EXPECT_EQ(c->raw({Op::kQuote, 0, 0}, {reinterpret_cast<const std::uint8_t*>(&zero), sizeof zero}, r), -EBADMSG);
  std::vector<std::uint8_t> tail;
  ASSERT_EQ(c->raw({Op::kQuote, 0, 0}, {reinterpret_cast<const std::uint8_t*>(&q), sizeof q}, r, &tail), 0);
  EXPECT_EQ(tail.size(), size_);
  EXPECT_TRUE(nsgx::attest::parse_quote(tail));
}

}  // namespace
