// Intel-built enclaves (../shared/vectors/sdk-samples/SampleEnclave/
// intel-built) entered through untrusted bridges written by hand the way
// the SGX SDK's edger8r writes them: the marshalling struct on the
// application's stack and pointers to the application's memory handed to
// sgx_ecall as they are, with no staging in the untrusted window. The
// enclave reads the struct and writes through the pointer in application
// memory (issue 16, "bridges that follow the SDK edger8r's convention").
#include <gtest/gtest.h>

#include "sgx_edger8r.h"
#include "sgx_urts.h"

namespace {

// The SampleEnclave's trusted functions, numbered as its Enclave.edl
// declares them (the SDK numbers the root EDL's functions first, in order).
constexpr int kEcallTypeInt = 1;      // void ecall_type_int(int val): assert(val == 1234)
constexpr int kEcallPointerOut = 10;  // void ecall_pointer_out([out] int* val): *val = 1234

// No OCALL is made by these two: an empty table, as a bridge of an EDL
// without untrusted functions passes.
const struct {
  size_t nr_ocall;
  void* table[1];
} kNoOcalls{0, {nullptr}};

struct Enclave {
  sgx_enclave_id_t eid = 0;
  sgx_status_t status;
  Enclave() { status = sgx_create_enclave(NSGX_INTEL_SAMPLE_ENCLAVE, 1, nullptr, nullptr, &eid, nullptr); }
  ~Enclave() {
    if (status == SGX_SUCCESS) sgx_destroy_enclave(eid);
  }
};

TEST(IntelBuiltEnclave, ValueFromTheMarshallingStructOnTheStack) {
  Enclave e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  struct {
    int ms_val;
  } ms{1234};
  EXPECT_EQ(sgx_ecall(e.eid, kEcallTypeInt, &kNoOcalls, &ms), SGX_SUCCESS);
}

TEST(IntelBuiltEnclave, AWrongValueReachesTheEnclavesAssert) {
  // The same call with a value the enclave's assert refuses: the enclave
  // aborts, which shows that it read the struct (and not something else).
  Enclave e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  struct {
    int ms_val;
  } ms{4321};
  EXPECT_EQ(sgx_ecall(e.eid, kEcallTypeInt, &kNoOcalls, &ms), SGX_ERROR_ENCLAVE_CRASHED);
}

TEST(IntelBuiltEnclave, OutPointerIntoTheApplicationsStack) {
  Enclave e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int val = 0;
  struct {
    int* ms_val;
  } ms{&val};
  ASSERT_EQ(sgx_ecall(e.eid, kEcallPointerOut, &kNoOcalls, &ms), SGX_SUCCESS);
  EXPECT_EQ(val, 1234);
}

}  // namespace
