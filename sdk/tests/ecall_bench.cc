// The SDK's round trips in TSC cycles (median, p99) on the backend the
// environment selects — the isolated backend by default, inproc under
// `nsgx exec`; `nsgx bench sdk` runs it on both:
//  - a null ECALL: EENTER, the trusted bridge, EEXIT, timed around the proxy;
//  - a null OCALL: from one OCALL's arrival in the application to the next,
//    i.e. the OCALL's return into the enclave (ECMD_ORET), the loop, and the
//    next OCALL's exit — one whole trip back in and out again.
// Not a test: timings are reported, never asserted.
//
//   sdk_ecall_bench [CALLS] [--json FILE]
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_u.h"
#include "sgx_urts.h"

namespace {

std::vector<unsigned long long> g_arrivals;

struct Stats {
  unsigned long long median = 0, p99 = 0;
};

Stats stats(std::vector<unsigned long long> t) {
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t[t.size() * 99 / 100]};
}

}  // namespace

extern "C" void ocall_null(void) { g_arrivals.push_back(__rdtsc()); }

int main(int argc, char** argv) {
  int n = 20000;
  const char* json = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json = argv[++i];
    } else if (const int v = std::atoi(argv[i]); v >= 100) {
      n = v;
    } else {
      std::fprintf(stderr, "usage: %s [CALLS >= 100] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  sgx_launch_token_t token{};
  int updated = 0;
  sgx_enclave_id_t eid = 0;
  if (const sgx_status_t st = sgx_create_enclave(NSGX_BENCH_ENCLAVE, 1, &token, &updated, &eid, nullptr);
      st != SGX_SUCCESS) {
    std::fprintf(stderr, "sdk_ecall_bench: cannot load the enclave (0x%04x)\n", static_cast<unsigned>(st));
    return 1;
  }
  for (int i = 0; i < 1000; ++i) ecall_null(eid);  // warm up
  std::vector<unsigned long long> t(static_cast<std::size_t>(n));
  for (auto& x : t) {
    const unsigned long long a = __rdtsc();
    if (ecall_null(eid) != SGX_SUCCESS) {
      std::fprintf(stderr, "sdk_ecall_bench: ecall_null failed\n");
      return 1;
    }
    x = __rdtsc() - a;
  }
  const Stats ecall = stats(t);

  g_arrivals.reserve(static_cast<std::size_t>(n) + 1000);
  if (ecall_ocalls(eid, 1000) != SGX_SUCCESS) return 1;  // warm up
  g_arrivals.clear();
  if (ecall_ocalls(eid, static_cast<std::uint32_t>(n) + 1) != SGX_SUCCESS ||
      g_arrivals.size() != static_cast<std::size_t>(n) + 1) {
    std::fprintf(stderr, "sdk_ecall_bench: ecall_ocalls failed\n");
    return 1;
  }
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = g_arrivals[i + 1] - g_arrivals[i];
  const Stats ocall = stats(t);
  sgx_destroy_enclave(eid);

  const char* b = std::getenv("NSGX_BACKEND");
  const std::string backend = b && *b ? b : "isolated";
  std::printf("backend %-9s null ECALL round trip: median %llu cycles, p99 %llu cycles (%d calls)\n", backend.c_str(),
              ecall.median, ecall.p99, n);
  std::printf("backend %-9s null OCALL round trip: median %llu cycles, p99 %llu cycles (%d calls)\n", backend.c_str(),
              ocall.median, ocall.p99, n);
  if (json != nullptr) {
    FILE* f = std::fopen(json, "w");
    if (f == nullptr) {
      std::fprintf(stderr, "sdk_ecall_bench: cannot write %s\n", json);
      return 1;
    }
    std::fprintf(
        f,
        "{\"backend\": \"%s\", \"calls\": %d,\n \"null_ecall\": {\"median_cycles\": %llu, \"p99_cycles\": %llu},\n"
        " \"null_ocall\": {\"median_cycles\": %llu, \"p99_cycles\": %llu}}\n",
        backend.c_str(), n, ecall.median, ecall.p99, ocall.median, ocall.p99);
    std::fclose(f);
  }
  return 0;
}
