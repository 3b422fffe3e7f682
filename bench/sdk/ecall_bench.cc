// The SDK's round trips in TSC cycles (median, p99) on the backend the
// environment selects — the isolated backend by default, inproc under
// `nsgx exec`; `nsgx bench sdk` runs it on both:
//  - a null ECALL: EENTER, the trusted bridge, EEXIT, timed around the proxy;
//  - a null OCALL: from one OCALL's arrival in the application to the next,
//    i.e. the OCALL's return into the enclave (ECMD_ORET), the loop, and the
//    next OCALL's exit — one whole trip back in and out again;
//  - the same two through switchless calls (an enclave created with
//    SGX_CREATE_ENCLAVE_EX_SWITCHLESS, one trusted and one untrusted worker,
//    the SDK's default retries): a switchless ECALL timed around the proxy,
//    a switchless OCALL between arrivals — with how many the workers ran
//    and how many fell back to the ordinary transition.
//  - on the isolated and inproc backends, the null ECALL and OCALL twice in
//    the same run: through the backend's exit gate (the default: the enclave
//    host's, or the preload's under `nsgx exec`) and through the trap path
//    (NSGX_EXIT_GATE=off: every EEXIT is a trapping ENCLU), each with how
//    many exits took which path, and the load average around them;
//  - an ECALL whose one system call (SYSCALL, #UD in an enclave) is
//    answered by the enclave's exception handler: the cost of a library
//    OS that traps and emulates system calls, beside the null ECALL; on
//    the isolated backend on two enclaves in turn (blocks of 100 calls), one with
//    the enclave host's exception turnaround (the default), one with
//    NSGX_EXCEPTION_TURNAROUND=off (the application re-enters for each
//    exception and resumes);
//  - a plain function call (through a pointer the compiler cannot see
//    through), timed the same way, as the unit of the ratios printed.
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

#include "base/install_layout.h"
#include "bench_u.h"
#include "sgx_urts.h"
#include "sgx_uswitchless.h"

namespace {

// The enclave: beside this program in an installed prefix (libexec/nestedsgx,
// where `nsgx bench sdk` finds both), else the build tree's.
const char* bench_enclave() {
  static const std::string path = nsgx::installed_or_build("bench_enclave.signed.so", NSGX_BENCH_ENCLAVE);
  return path.c_str();
}

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
extern "C" void ocall_null_sl(void) { g_arrivals.push_back(__rdtsc()); }

namespace {

// A call the compiler must make: the baseline of every ratio.
__attribute__((noinline)) void plain_function() { __asm__ volatile("" ::: "memory"); }
void (*volatile g_plain)() = plain_function;

Stats measure_plain(int n) {
  std::vector<unsigned long long> t(static_cast<std::size_t>(n));
  for (int i = 0; i < 1000; ++i) g_plain();
  for (auto& x : t) {
    const unsigned long long a = __rdtsc();
    g_plain();
    x = __rdtsc() - a;
  }
  return stats(t);
}

struct Ordinary {
  Stats ecall, ocall;
  std::uint64_t gate_exits = 0, trap_exits = 0;
};

// The ordinary null ECALL and OCALL round trips of an enclave created with
// NSGX_EXIT_GATE=gate (unset if null); false if a call failed.
bool measure_ordinary(int n, const char* gate, Ordinary& out) {
  if (gate != nullptr) setenv("NSGX_EXIT_GATE", gate, 1);
  sgx_enclave_id_t eid = 0;
  const sgx_status_t st = sgx_create_enclave(bench_enclave(), 1, nullptr, nullptr, &eid, nullptr);
  unsetenv("NSGX_EXIT_GATE");
  if (st != SGX_SUCCESS) {
    std::fprintf(stderr, "sdk_ecall_bench: cannot load the enclave (0x%04x)\n", static_cast<unsigned>(st));
    return false;
  }
  for (int i = 0; i < 1000; ++i) ecall_null(eid);  // warm up
  std::vector<unsigned long long> t(static_cast<std::size_t>(n));
  for (auto& x : t) {
    const unsigned long long a = __rdtsc();
    if (ecall_null(eid) != SGX_SUCCESS) {
      std::fprintf(stderr, "sdk_ecall_bench: ecall_null failed\n");
      return false;
    }
    x = __rdtsc() - a;
  }
  out.ecall = stats(t);
  g_arrivals.reserve(static_cast<std::size_t>(n) + 1000);
  if (ecall_ocalls(eid, 1000) != SGX_SUCCESS) return false;  // warm up
  g_arrivals.clear();
  if (ecall_ocalls(eid, static_cast<std::uint32_t>(n) + 1) != SGX_SUCCESS ||
      g_arrivals.size() != static_cast<std::size_t>(n) + 1) {
    std::fprintf(stderr, "sdk_ecall_bench: ecall_ocalls failed\n");
    return false;
  }
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = g_arrivals[i + 1] - g_arrivals[i];
  out.ocall = stats(t);
  nsgx_enclave_exit_counts(eid, &out.gate_exits, &out.trap_exits);
  sgx_destroy_enclave(eid);
  return true;
}

struct Trapped {
  Stats s;
  std::uint64_t in_host = 0, in_application = 0;  // how the AEXs were turned around
};

// ECALLs that each make one trapped system call: on an enclave created as
// the environment says (the host's exception turnaround, by default) and,
// when `compare`, on a second one created with NSGX_EXCEPTION_TURNAROUND=off,
// the two taking turns so that both meet the same load; false
// if one was not trapped (it returned the real getppid) or failed.
bool measure_syscall_trap(int n, bool compare, Trapped& out, Trapped& off) {
  sgx_enclave_id_t eid[2] = {0, 0};
  if (sgx_create_enclave(bench_enclave(), 1, nullptr, nullptr, &eid[0], nullptr) != SGX_SUCCESS) return false;
  if (compare) {
    setenv("NSGX_EXCEPTION_TURNAROUND", "off", 1);
    const sgx_status_t st = sgx_create_enclave(bench_enclave(), 1, nullptr, nullptr, &eid[1], nullptr);
    unsetenv("NSGX_EXCEPTION_TURNAROUND");
    if (st != SGX_SUCCESS) return false;
  }
  const int kinds = compare ? 2 : 1;
  std::vector<unsigned long long> t[2];
  long r = 0;
  bool ok = true;
  for (int k = 0; k < kinds; ++k) {
    t[k].resize(static_cast<std::size_t>(n));
    for (int i = 0; i < 200 && ok; ++i) ok = ecall_syscall_trap(eid[k], &r) == SGX_SUCCESS && r == 0;  // warm up
  }
  // In blocks of 100 calls: call by call, the other enclave's host would
  // still be spinning for its last answer (docs/isolated.md, "The
  // hand-off") and take a CPU from this one's.
  constexpr std::size_t kBlock = 100;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) && ok; i += kBlock)
    for (int k = 0; k < kinds && ok; ++k)
      for (std::size_t j = i; j < std::min(i + kBlock, static_cast<std::size_t>(n)) && ok; ++j) {
        const unsigned long long a = __rdtsc();
        ok = ecall_syscall_trap(eid[k], &r) == SGX_SUCCESS && r == 0;
        t[k][j] = __rdtsc() - a;
      }
  Trapped* res[2] = {&out, &off};
  for (int k = 0; k < kinds; ++k) {
    nsgx_enclave_exception_counts(eid[k], &res[k]->in_host, &res[k]->in_application);
    sgx_destroy_enclave(eid[k]);
  }
  if (!ok) {
    std::fprintf(stderr, "sdk_ecall_bench: a system call in the enclave was not trapped as #UD (returned %ld)\n", r);
    return false;
  }
  for (int k = 0; k < kinds; ++k) res[k]->s = stats(t[k]);
  return true;
}

struct Switchless {
  Stats ecall, ocall;
  sgx_uswitchless_worker_stats_t trusted{}, untrusted{};
};

// The switchless round trips; false if a call failed.
bool measure_switchless(int n, Switchless& out) {
  sgx_uswitchless_config_t us = SGX_USWITCHLESS_CONFIG_INITIALIZER;
  const void* ex[32] = {};
  ex[SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX] = &us;
  sgx_enclave_id_t eid = 0;
  if (sgx_create_enclave_ex(bench_enclave(), 1, nullptr, nullptr, &eid, nullptr, SGX_CREATE_ENCLAVE_EX_SWITCHLESS,
                            ex) != SGX_SUCCESS)
    return false;
  for (int i = 0; i < 1000; ++i) ecall_null_sl(eid);  // warm up (and start the workers)
  sgx_uswitchless_worker_stats_t t0{}, u0{};
  nsgx_uswitchless_stats(eid, SGX_USWITCHLESS_WORKER_TYPE_TRUSTED, &t0);
  std::vector<unsigned long long> t(static_cast<std::size_t>(n));
  for (auto& x : t) {
    const unsigned long long a = __rdtsc();
    if (ecall_null_sl(eid) != SGX_SUCCESS) return false;
    x = __rdtsc() - a;
  }
  out.ecall = stats(t);
  nsgx_uswitchless_stats(eid, SGX_USWITCHLESS_WORKER_TYPE_TRUSTED, &out.trusted);
  out.trusted.processed -= t0.processed;
  out.trusted.missed -= t0.missed;

  if (ecall_ocalls_sl(eid, 1000) != SGX_SUCCESS) return false;  // warm up
  nsgx_uswitchless_stats(eid, SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED, &u0);
  g_arrivals.clear();
  if (ecall_ocalls_sl(eid, static_cast<std::uint32_t>(n) + 1) != SGX_SUCCESS ||
      g_arrivals.size() != static_cast<std::size_t>(n) + 1)
    return false;
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = g_arrivals[i + 1] - g_arrivals[i];
  out.ocall = stats(t);
  nsgx_uswitchless_stats(eid, SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED, &out.untrusted);
  out.untrusted.processed -= u0.processed;
  out.untrusted.missed -= u0.missed;
  sgx_destroy_enclave(eid);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000;
  const char* json = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json = argv[++i];
    } else if (const int v = std::atoi(argv[i]); v >= 10) {
      n = v;
    } else {
      std::fprintf(stderr, "usage: %s [CALLS >= 10] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  const char* b = std::getenv("NSGX_BACKEND");
  const std::string backend = b && *b ? b : "isolated";
  const bool isolated = backend == "isolated";
  // The backends that offer an exit gate (docs/isolated.md, docs/inproc.md);
  // on SGX hardware there is only the trap path.
  const bool gated = isolated || backend == "inproc";
  const Stats plain = measure_plain(n);
  Ordinary gate, trap;
  double load_before[3] = {0, 0, 0}, load_after[3] = {0, 0, 0};
  (void)getloadavg(load_before, 3);
  if (!measure_ordinary(n, nullptr, gate)) return 1;
  // The trap path in the same run (the gate off).
  if (gated && !measure_ordinary(n, "off", trap)) return 1;
  (void)getloadavg(load_after, 3);
  const Stats ecall = gate.ecall, ocall = gate.ocall;
  // The enclave host's exception turnaround (the default) and, on the
  // isolated backend, the application's round trips, call by call in turn.
  Trapped turned, round_trip;
  if (!measure_syscall_trap(std::max(100, n / 4), isolated, turned, round_trip)) return 1;
  const Stats trapped = turned.s;
  Switchless sl;
  if (!measure_switchless(n, sl)) {
    std::fprintf(stderr, "sdk_ecall_bench: the switchless calls failed\n");
    return 1;
  }

  const auto ull = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  const double unit = plain.median > 0 ? static_cast<double>(plain.median) : 1.0;
  std::printf("backend %-9s plain function call: median %llu cycles, p99 %llu cycles (%d calls)\n", backend.c_str(),
              plain.median, plain.p99, n);
  const auto row = [&](const char* what, const char* path, const Stats& s, const Ordinary& o) {
    std::printf(
        "backend %-9s null %s round trip%s: median %llu cycles, p99 %llu cycles (%d calls; %.0fx a plain call; exits: "
        "%llu through the gate, %llu trapped)\n",
        backend.c_str(), what, path, s.median, s.p99, n, static_cast<double>(s.median) / unit, ull(o.gate_exits),
        ull(o.trap_exits));
  };
  row("ECALL", gated ? " (exit gate)" : "", ecall, gate);
  row("OCALL", gated ? " (exit gate)" : "", ocall, gate);
  if (gated) {
    row("ECALL", " (trap path)", trap.ecall, trap);
    row("OCALL", " (trap path)", trap.ocall, trap);
    if (gate.ecall.median > 0 && gate.ocall.median > 0)
      std::printf("backend %-9s the trap path costs %.2fx the gate's for an ECALL, %.2fx for an OCALL (medians)\n",
                  backend.c_str(), static_cast<double>(trap.ecall.median) / static_cast<double>(gate.ecall.median),
                  static_cast<double>(trap.ocall.median) / static_cast<double>(gate.ocall.median));
    std::printf("backend %-9s load average (1 min) %.2f before the null calls, %.2f after\n", backend.c_str(),
                load_before[0], load_after[0]);
  }
  const auto trap_row = [&](const char* how, const Trapped& t) {
    std::printf(
        "backend %-9s ECALL with one system call trapped (#UD) and answered inside%s: median %llu cycles, p99 %llu "
        "cycles (%d calls; the trap adds %lld cycles to the null ECALL's median; exceptions turned around: %llu in "
        "the host, %llu through the application)\n",
        backend.c_str(), how, t.s.median, t.s.p99, std::max(100, n / 4),
        static_cast<long long>(t.s.median) - static_cast<long long>(ecall.median), ull(t.in_host),
        ull(t.in_application));
  };
  trap_row(isolated ? " (host turnaround)" : "", turned);
  if (isolated) trap_row(" (application round trips)", round_trip);
  std::printf(
      "backend %-9s switchless ECALL round trip: median %llu cycles, p99 %llu cycles (%d calls: %llu by the trusted "
      "worker, %llu fell back)\n",
      backend.c_str(), sl.ecall.median, sl.ecall.p99, n, ull(sl.trusted.processed), ull(sl.trusted.missed));
  std::printf(
      "backend %-9s switchless OCALL round trip: median %llu cycles, p99 %llu cycles (%d calls: %llu by the untrusted "
      "worker, %llu fell back)\n",
      backend.c_str(), sl.ocall.median, sl.ocall.p99, n, ull(sl.untrusted.processed), ull(sl.untrusted.missed));
  if (json != nullptr) {
    FILE* f = std::fopen(json, "w");
    if (f == nullptr) {
      std::fprintf(stderr, "sdk_ecall_bench: cannot write %s\n", json);
      return 1;
    }
    std::fprintf(
        f,
        "{\"backend\": \"%s\", \"calls\": %d, \"loadavg_before\": %.2f, \"loadavg_after\": %.2f,\n \"plain_call\": "
        "{\"median_cycles\": %llu, \"p99_cycles\": %llu},\n"
        " \"null_ecall\": {\"median_cycles\": %llu, \"p99_cycles\": %llu, \"gate_exits\": %llu, \"trap_exits\": "
        "%llu},\n"
        " \"null_ocall\": {\"median_cycles\": %llu, \"p99_cycles\": %llu},\n"
        " \"null_ecall_trap\": {\"median_cycles\": %llu, \"p99_cycles\": %llu, \"gate_exits\": %llu, \"trap_exits\": "
        "%llu},\n"
        " \"null_ocall_trap\": {\"median_cycles\": %llu, \"p99_cycles\": %llu},\n"
        " \"switchless_ecall\": {\"median_cycles\": %llu, \"p99_cycles\": %llu, \"by_workers\": %llu, \"fell_back\": "
        "%llu},\n"
        " \"switchless_ocall\": {\"median_cycles\": %llu, \"p99_cycles\": %llu, \"by_workers\": %llu, \"fell_back\": "
        "%llu},\n"
        " \"ecall_with_syscall_trap\": {\"median_cycles\": %llu, \"p99_cycles\": %llu},\n"
        " \"ecall_with_syscall_trap_app_round_trips\": {\"median_cycles\": %llu, \"p99_cycles\": %llu}}\n",
        backend.c_str(), n, load_before[0], load_after[0], plain.median, plain.p99, ecall.median, ecall.p99,
        ull(gate.gate_exits), ull(gate.trap_exits), ocall.median, ocall.p99, trap.ecall.median, trap.ecall.p99,
        ull(trap.gate_exits), ull(trap.trap_exits), trap.ocall.median, trap.ocall.p99, sl.ecall.median, sl.ecall.p99,
        ull(sl.trusted.processed), ull(sl.trusted.missed), sl.ocall.median, sl.ocall.p99, ull(sl.untrusted.processed),
        ull(sl.untrusted.missed), trapped.median, trapped.p99, round_trip.s.median, round_trip.s.p99);
    std::fclose(f);
  }
  return 0;
}
