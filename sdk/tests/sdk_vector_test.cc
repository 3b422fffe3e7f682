// Enclaves built by the Intel SGX SDK (../shared/vectors/sdk), loaded by
// our untrusted runtime through sgx_create_enclave on the inproc backend
// (run under `nsgx exec`): the image replayed into the driver (measured),
// EINIT, then the SDK trusted runtime's own initialisation
// (ECMD_INIT_ENCLAVE with the system_features_t we fill in).
#include <gtest/gtest.h>

#include <string>

#include "sgx_urts.h"

namespace {

const std::string kVectors = NSGX_VECTORS_DIR;

sgx_status_t create(const std::string& file, int debug, sgx_enclave_id_t& eid, sgx_misc_attribute_t& misc) {
  sgx_launch_token_t token{};
  int updated = 0;
  return sgx_create_enclave((kVectors + "/sdk/" + file).c_str(), debug, &token, &updated, &eid, &misc);
}

// Intel's Provisioning Certification Enclave: a production (non-debug)
// enclave of SDK 2.25's hardware-mode trusted runtime, which asks for the
// provisioning key. Its init_enclave accepts only a well-formed
// system_features_t (version 1.5 or >= 3.0, CPU feature words meeting its
// SSE hierarchy checks, cpuinfo rows), and refuses a zeroed one.
TEST(SdkBuiltEnclave, PceInitialises) {
  sgx_enclave_id_t eid = 0;
  sgx_misc_attribute_t misc{};
  ASSERT_EQ(create("intel_libsgx_pce.signed.so.1.25.100.1", 0, eid, misc), SGX_SUCCESS);
  EXPECT_TRUE(misc.secs_attr.flags & SGX_FLAGS_PROVISION_KEY);
  EXPECT_TRUE(misc.secs_attr.flags & SGX_FLAGS_MODE64BIT);
  EXPECT_FALSE(misc.secs_attr.flags & SGX_FLAGS_DEBUG);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_ERROR_INVALID_ENCLAVE_ID);
}

TEST(SdkBuiltEnclave, PceRefusesADebugLaunch) {
  sgx_enclave_id_t eid = 0;
  sgx_misc_attribute_t misc{};
  EXPECT_EQ(create("intel_libsgx_pce.signed.so.1.25.100.1", 1, eid, misc), SGX_ERROR_NDEBUG_ENCLAVE);
}

// The SampleEnclave vector was built in the SDK's *simulation* mode
// (libsgx_trts_sim: no ENCLU instruction anywhere in it). It measures and
// passes EINIT, but its trusted runtime's initialisation reads the SECS
// through g_global_data_sim, a pointer only the SDK's simulation loader
// writes into enclave memory, so it faults at address 0x38
// (SECS.ATTRIBUTES.XFRM), and then faults again in its exception path
// (docs/sdk-abi.md). The application must get SGX_ERROR_ENCLAVE_CRASHED
// and go on — not loop re-entering the enclave until its stack is gone.
TEST(SdkBuiltEnclave, SimulationModeSampleEnclaveFailsCleanly) {
  sgx_enclave_id_t eid = 0;
  sgx_misc_attribute_t misc{};
  EXPECT_EQ(create("sgxsdk_SampleEnclave.signed.so", 1, eid, misc), SGX_ERROR_ENCLAVE_CRASHED);
  // Another enclave loads and initialises afterwards.
  ASSERT_EQ(create("intel_libsgx_pce.signed.so.1.25.100.1", 0, eid, misc), SGX_SUCCESS);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
}

}  // namespace
