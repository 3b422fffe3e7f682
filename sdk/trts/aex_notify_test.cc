// sgx_trts_aex.h's registration answers, per thread, natively (the same
// source as in the trusted runtime).
#include <gtest/gtest.h>

#include <thread>

#include "sgx_trts_aex.h"

namespace {

void first(const sgx_exception_info_t*, const void*) {}
void second(const sgx_exception_info_t*, const void*) {}
void never_registered(const sgx_exception_info_t*, const void*) {}

TEST(AexNotify, RegistrationAnswersAsTheSdkDocuments) {
  sgx_aex_mitigation_node_t a{}, b{};
  int arg = 0;
  EXPECT_EQ(sgx_unregister_aex_handler(first), SGX_ERROR_UNEXPECTED);  // nothing registered yet
  EXPECT_EQ(sgx_register_aex_handler(nullptr, first, &arg), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_register_aex_handler(&a, nullptr, &arg), SGX_ERROR_INVALID_PARAMETER);
  ASSERT_EQ(sgx_register_aex_handler(&a, first, &arg), SGX_SUCCESS);
  EXPECT_EQ(a.handler, first);
  EXPECT_EQ(a.args, &arg);
  ASSERT_EQ(sgx_register_aex_handler(&b, second, nullptr), SGX_SUCCESS);
  EXPECT_EQ(sgx_unregister_aex_handler(nullptr), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sgx_unregister_aex_handler(never_registered), SGX_ERROR_INVALID_PARAMETER);

  // Another thread has a list of its own.
  sgx_status_t other = SGX_SUCCESS;
  std::thread([&] { other = sgx_unregister_aex_handler(first); }).join();
  EXPECT_EQ(other, SGX_ERROR_UNEXPECTED);

  EXPECT_EQ(sgx_unregister_aex_handler(first), SGX_SUCCESS);
  EXPECT_EQ(sgx_unregister_aex_handler(first), SGX_ERROR_INVALID_PARAMETER);  // gone
  EXPECT_EQ(sgx_unregister_aex_handler(second), SGX_SUCCESS);
  EXPECT_EQ(sgx_unregister_aex_handler(second), SGX_ERROR_UNEXPECTED);
}

TEST(AexNotify, NotificationsCannotBeTurnedOn) {
  EXPECT_EQ(sgx_set_ssa_aexnotify(0), SGX_SUCCESS);
  EXPECT_EQ(sgx_set_ssa_aexnotify(1), SGX_ERROR_UNEXPECTED);
}

}  // namespace
