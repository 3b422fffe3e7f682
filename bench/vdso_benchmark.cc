// The inproc backend's entry and exit: a null EENTER→EEXIT round trip
// through __vdso_sgx_enter_enclave, and the traps it is made of, in TSC
// cycles (median and p99 per call, from per-call RDTSC samples). Run under
// `nsgx exec` (`nsgx bench` does). Reported, never asserted.
//
// On a CPU without SGX the enclave's EEXIT is an ENCLU that raises #UD; the
// kernel turns it into SIGILL and the backend emulates it. So the round trip
// is bounded below by one #UD trap — the trap benchmarks show how much of it
// is the trap itself (and, under KVM on AMD, the VM exit every #UD costs,
// as KVM intercepts #UD) and how much is the backend.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/install_layout.h"
#include "bench/cycles.h"
#include "crypto/rsa.h"
#include "runtime/common/fsgs.h"
#include "tests/inproc/test_enclave.h"

namespace {

using nsgx::testing::EnclOp;
using nsgx::testing::TestEnclave;

using nsgx::bench::tsc_begin;
using nsgx::bench::tsc_end;

TestEnclave* enclave(benchmark::State& state) {
  static const auto key = nsgx::crypto::RsaPrivateKey::generate(3072, 3);
  // Installed: the selftest's enclave beside this program (libexec/nestedsgx), never the build tree's.
  static TestEnclave e(nsgx::installed_or_build("test_encl.bin", NSGX_TEST_ENCL), *key);
  if (!e.error.empty()) {
    state.SkipWithError(("the test enclave did not load (run under `nsgx exec`?): " + e.error).c_str());
    return nullptr;
  }
  return &e;
}

// EENTER through the vDSO, a NOP inside, EEXIT: the null ECALL of the
// upstream interface.
void BM_NullEnterExit(benchmark::State& state) {
  TestEnclave* e = enclave(state);
  if (e == nullptr) return;
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    EnclOp op{0, 0, 0, 0};
    sgx_enclave_run run;
    const std::uint64_t t0 = tsc_begin();
    const int rc = e->call(op, run);
    const std::uint64_t t1 = tsc_end();
    if (rc != 0 || run.function != 4) {
      state.SkipWithError("the enclave did not EEXIT");
      return;
    }
    samples.push_back(t1 - t0);
  }
  nsgx::bench::report_cycles(state, samples);
}
BENCHMARK(BM_NullEnterExit);

// A trapping instruction skipped by a SIGILL/SIGSEGV/SIGTRAP handler: the
// kernel's signal delivery and sigreturn around one trap.
volatile std::uint8_t g_skip = 0;
void skip_handler(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  uc->uc_mcontext.gregs[REG_RIP] += g_skip;
}

template <typename Trap>
void trap_benchmark(benchmark::State& state, int sig, std::uint8_t skip, Trap trap) {
  struct sigaction sa {
  }, old{};
  sa.sa_sigaction = skip_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(sig, &sa, &old);
  g_skip = skip;
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    const std::uint64_t t0 = tsc_begin();
    trap();
    const std::uint64_t t1 = tsc_end();
    samples.push_back(t1 - t0);
  }
  sigaction(sig, &old, nullptr);
  nsgx::bench::report_cycles(state, samples);
}

// ENCLU outside an enclave with a leaf the backend does not take (EEXIT):
// #UD, decoded by the backend and passed on to the program's handler —
// what every ENCLU inside an enclave costs before any emulation.
void BM_EncluTrap(benchmark::State& state) {
  trap_benchmark(state, SIGILL, 3, [] { __asm__ volatile(".byte 0x0f, 0x01, 0xd7" ::"a"(4) : "memory"); });
}
BENCHMARK(BM_EncluTrap);

// UD2: the same #UD without ENCLU's decoding.
void BM_Ud2Trap(benchmark::State& state) {
  trap_benchmark(state, SIGILL, 2, [] { __asm__ volatile("ud2" ::: "memory"); });
}
BENCHMARK(BM_Ud2Trap);

// INT3: a trap the hypervisor does not intercept (#BP), for comparison.
void BM_Int3Trap(benchmark::State& state) {
  trap_benchmark(state, SIGTRAP, 0, [] { __asm__ volatile("int3" ::: "memory"); });
}
BENCHMARK(BM_Int3Trap);

// A system call, the cheapest way into the kernel and back.
void BM_Getppid(benchmark::State& state) {
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    const std::uint64_t t0 = tsc_begin();
    benchmark::DoNotOptimize(syscall(SYS_getppid));
    const std::uint64_t t1 = tsc_end();
    samples.push_back(t1 - t0);
  }
  nsgx::bench::report_cycles(state, samples);
}
BENCHMARK(BM_Getppid);

// The FS/GS switch an EENTER/EEXIT round trip costs on its own: the enclave's
// bases in, the application's back. Where AT_HWCAP2 lacks FSGSBASE the
// backend must use arch_prctl: FS in and out (two system calls) — GS too
// (four) only for a program that set a GS base of its own, since glibc never
// uses GS and a base of 0 is restored lazily. Where the kernel offers the
// instructions, WRFSBASE/WRGSBASE. (Each write here sets the base the thread
// already has: the same work, without losing TLS.)
void fs_gs_arch_prctl(benchmark::State& state, bool with_gs) {
  std::uint64_t fs = 0, gs = 0;
  nsgx::runtime::get_fs_base(fs);
  nsgx::runtime::get_gs_base(gs);
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    const std::uint64_t t0 = tsc_begin();
    nsgx::runtime::set_fs_base(fs);
    if (with_gs) nsgx::runtime::set_gs_base(gs);
    nsgx::runtime::set_fs_base(fs);
    if (with_gs) nsgx::runtime::set_gs_base(gs);
    const std::uint64_t t1 = tsc_end();
    samples.push_back(t1 - t0);
  }
  nsgx::bench::report_cycles(state, samples);
  state.SetLabel(std::string("this run's inproc path: ") +
                 nsgx::runtime::fsgs_mode_name(nsgx::runtime::choose_fsgs_mode(std::getenv("NSGX_FSGSBASE"))));
}
void BM_FsSwitchArchPrctl(benchmark::State& state) { fs_gs_arch_prctl(state, false); }
BENCHMARK(BM_FsSwitchArchPrctl);
void BM_FsGsSwitchArchPrctl(benchmark::State& state) { fs_gs_arch_prctl(state, true); }
BENCHMARK(BM_FsGsSwitchArchPrctl);

__attribute__((target("fsgsbase"))) void BM_FsGsSwitchInstructions(benchmark::State& state) {
  if (!nsgx::runtime::kernel_offers_fsgsbase()) {
    state.SkipWithError("the kernel does not offer FSGSBASE (AT_HWCAP2): the instructions are not usable here");
    return;
  }
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    const std::uint64_t fs = _readfsbase_u64(), gs = _readgsbase_u64();
    const std::uint64_t t0 = tsc_begin();
    _writefsbase_u64(fs);
    _writegsbase_u64(gs);
    _writefsbase_u64(fs);
    _writegsbase_u64(gs);
    const std::uint64_t t1 = tsc_end();
    samples.push_back(t1 - t0);
  }
  nsgx::bench::report_cycles(state, samples);
}
BENCHMARK(BM_FsGsSwitchInstructions);

}  // namespace

BENCHMARK_MAIN();
