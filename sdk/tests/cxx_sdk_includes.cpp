// Enclave code written for the SGX SDK's C++ library (libc++) gets <cstring>
// and <stdexcept> through <map>/<memory> (libc++'s <memory> includes them,
// its containers include <memory>); the LocalAttestation sample relies on it.
// This file includes nothing else: it compiles only if sdk/include/tlibc_ext
// gives the same (docs/sdk-abi.md, "C++ in enclaves").
#include <map>

extern "C" int nsgx_test_sdk_transitive_includes(const void* a, void* b, unsigned long n) {
  std::memset(b, 0, n);
  memcpy(b, a, n);
  if (memcmp(a, b, n) != 0) throw std::logic_error("memcpy");
  return 0;
}
