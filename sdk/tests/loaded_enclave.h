// A test enclave loaded for the length of a scope (debug launch), shared by
// the SDK tests.
#pragma once

#include "sgx_urts.h"

namespace nsgx::sdk_test {

struct Loaded {
  sgx_enclave_id_t eid = 0;
  sgx_status_t status = SGX_ERROR_UNEXPECTED;
  explicit Loaded(const char* path) {
    sgx_launch_token_t token{};
    int updated = 0;
    status = sgx_create_enclave(path, 1, &token, &updated, &eid, nullptr);
  }
  ~Loaded() {
    if (status == SGX_SUCCESS) sgx_destroy_enclave(eid);
  }
  Loaded(const Loaded&) = delete;
  Loaded& operator=(const Loaded&) = delete;
};

}  // namespace nsgx::sdk_test
