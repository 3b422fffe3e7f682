// Exception handling in real enclaves under `nsgx exec`: the SDK's
// two-phase flow (AEX, ECMD_EXCEPT, ERESUME into the handlers) for #DE,
// #UD, #BP and an EPCM #PF, handlers that change the state and continue;
// an unhandled exception crashes that enclave only.
#include <gtest/gtest.h>

#include "exceptions_u.h"
#include "loaded_enclave.h"
#include "sgx_urts.h"

namespace {

// The exceptions enclave, loaded for a scope.
struct Loaded : nsgx::sdk_test::Loaded {
  Loaded() : nsgx::sdk_test::Loaded(NSGX_EXCEPTIONS_ENCLAVE) {}
};

TEST(Exceptions, HandlersRepairAndContinue) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ok, 1);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 0), SGX_SUCCESS);  // #DE, handled: -1
  EXPECT_EQ(r, -1);
  ASSERT_EQ(ecall_ud2(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42 + 6 * 1000);  // the handler's value, vector 6
  ASSERT_EQ(ecall_int3(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 7 + 3 * 1000 + 6 * 100000);  // vector 3, SGX_EXCEPTION_SOFTWARE
  ASSERT_EQ(ecall_write_code(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42 + 14 * 1000);  // #PF on the read-only code page
  // Many in a row: each exception uses the second SSA frame and gives it back.
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(ecall_divide(e.eid, &r, i, 0), SGX_SUCCESS);
    ASSERT_EQ(r, -1);
  }
  std::uint64_t n = 0;
  ASSERT_EQ(ecall_handled_count(e.eid, &n), SGX_SUCCESS);
  EXPECT_EQ(n, 4u + 50u);
  ASSERT_EQ(ecall_handler_api(e.eid, &ok), SGX_SUCCESS);
  EXPECT_EQ(ok, 1);
}

TEST(Exceptions, UnhandledCrashesThatEnclaveOnly) {
  Loaded victim, other;
  ASSERT_EQ(victim.status, SGX_SUCCESS);
  ASSERT_EQ(other.status, SGX_SUCCESS);
  int r = 0;
  EXPECT_EQ(ecall_divide(victim.eid, &r, 1, 0), SGX_ERROR_ENCLAVE_CRASHED);  // no handler installed
  EXPECT_EQ(ecall_divide(victim.eid, &r, 4, 2), SGX_ERROR_ENCLAVE_CRASHED);  // and it stays crashed
  ASSERT_EQ(ecall_divide(other.eid, &r, 4, 2), SGX_SUCCESS);                 // the other one is fine
  EXPECT_EQ(r, 2);
  int ok = 0;
  ASSERT_EQ(ecall_install(other.eid, &ok), SGX_SUCCESS);
  ecall_uninstall(other.eid);
  EXPECT_EQ(ecall_ud2(other.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);  // handlers removed again
}

TEST(Cxx, ClassesNewDeleteAndStatics) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  ASSERT_EQ(ecall_cxx(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 101);
  ASSERT_EQ(ecall_cxx(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 102);  // the local static was initialized once
}

// SGX2 from inside the enclave, as the SDK's EMM does it: the first touch
// of an unused ELRANGE page (EACCEPT) is EAUGed by the driver, EACCEPT makes
// it usable, EMODPE makes it executable, and the page tables follow the
// EPCM each time (inproc: the VMA; isolated: the enclave host's mapping).
TEST(Sgx2, DynamicPageAcceptedExtendedAndRun) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  ASSERT_EQ(ecall_dynamic_page(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
}

}  // namespace
