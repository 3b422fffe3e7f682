// Null ECALL round trip in TSC cycles (median, p99) on the backend the
// environment selects: the isolated backend by default, inproc under
// `nsgx exec`. `nsgx bench sdk` runs it on both. Not a test: timings are
// reported, never asserted.
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "exceptions_u.h"
#include "sgx_urts.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  sgx_launch_token_t token{};
  int updated = 0;
  sgx_enclave_id_t eid = 0;
  if (sgx_create_enclave(NSGX_EXCEPTIONS_ENCLAVE, 1, &token, &updated, &eid, nullptr) != SGX_SUCCESS) {
    std::fprintf(stderr, "ecall_bench: cannot load the enclave\n");
    return 1;
  }
  std::vector<unsigned long long> t(static_cast<std::size_t>(n));
  std::uint64_t count = 0;
  for (int i = 0; i < 1000; ++i) ecall_handled_count(eid, &count);  // warm up
  for (auto& x : t) {
    const unsigned long long a = __rdtsc();
    ecall_handled_count(eid, &count);
    x = __rdtsc() - a;
  }
  std::sort(t.begin(), t.end());
  const char* b = std::getenv("NSGX_BACKEND");
  std::printf("backend %-9s null ECALL round trip: median %llu cycles, p99 %llu cycles (%d calls)\n",
              b && *b ? b : "isolated", t[t.size() / 2], t[t.size() * 99 / 100], n);
  sgx_destroy_enclave(eid);
  return 0;
}
