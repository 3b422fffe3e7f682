// Preemption inside enclave code is normal life: with more runnable threads
// than cores, enclave threads are preempted mid-ECALL and mid-OCALL all the
// time. Three CPU hogs (processes) keep both cores busy while four threads
// run checked ECALL/OCALL loops for `NSGX_PREEMPT_SECONDS` (default 8):
// every answer is recomputed here, FS/GS are checked inside the enclave at
// every step, and no call may fail. Run on each backend (and on inproc with
// NSGX_FSGSBASE=off, the arch_prctl path, where the machine has both).
//
// The second test interrupts exits themselves: OCALL chains (every exit
// through the exit gate where the backend offers one: docs/inproc.md,
// docs/isolated.md) while another thread keeps sending the callers a
// signal whose handler reads thread-local storage through FS — so some
// land inside the gate, between the enclave's last instruction and the
// application's FS being back, and each must find the application's FS.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "loaded_enclave.h"
#include "preempt_u.h"
#include "sgx_urts.h"

namespace {

std::uint64_t preempt_mix(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ull;
  return x ^ (x >> 29);
}

std::uint64_t expected_spin(std::uint64_t seed, std::uint64_t rounds) {
  std::uint64_t x = seed;
  for (std::uint64_t i = 0; i < rounds; ++i) x = preempt_mix(x + i);
  return x;
}

std::uint64_t step(std::uint64_t x) { return x * 3 + 7; }

std::uint64_t expected_chain(std::uint64_t seed, std::uint32_t rounds) {
  std::uint64_t x = seed;
  for (std::uint32_t i = 0; i < rounds; ++i) x = preempt_mix(step(x));
  return x;
}

// CPU hogs: processes that spin until killed (or until this process dies).
class Hogs {
 public:
  explicit Hogs(int n) {
    for (int i = 0; i < n; ++i) {
      const pid_t p = fork();
      if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        volatile std::uint64_t x = 0;
        for (;;) x = x + 1;
      }
      if (p > 0) pids_.push_back(p);
    }
  }
  ~Hogs() {
    for (pid_t p : pids_) kill(p, SIGKILL);
    for (pid_t p : pids_) waitpid(p, nullptr, 0);
  }
  std::size_t count() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

// Read through FS by the signal handler and the OCALL: any other value means
// the code ran with a base that is not this thread's own.
constexpr std::uint64_t kCanary = 0x6e7367785f746c73ull;
thread_local volatile std::uint64_t t_canary = kCanary;
std::atomic<std::uint64_t> g_bad_tls{0}, g_handled{0};

void on_signal(int) {
  if (t_canary != kCanary) g_bad_tls.fetch_add(1, std::memory_order_relaxed);
  g_handled.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

extern "C" std::uint64_t ocall_step(std::uint64_t x) {
  if (t_canary != kCanary) g_bad_tls.fetch_add(1, std::memory_order_relaxed);
  return step(x);
}

TEST(Preempt, CheckedCallsUnderCpuContention) {
  nsgx::sdk_test::Loaded e(NSGX_PREEMPT_ENCLAVE);
  ASSERT_EQ(e.status, SGX_SUCCESS);
  const unsigned cores = std::thread::hardware_concurrency();
  const char* secs_env = std::getenv("NSGX_PREEMPT_SECONDS");
  const int seconds = secs_env ? std::atoi(secs_env) : 8;
  Hogs hogs(static_cast<int>(cores + 1));
  ASSERT_EQ(hogs.count(), cores + 1);
  std::atomic<std::uint64_t> calls{0}, wrong{0}, failed{0};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t seed = 0x1234567ull * (t + 1);
      while (std::chrono::steady_clock::now() < until) {
        // A spin long enough to be preempted (tens of microseconds to a
        // few milliseconds), then an OCALL chain.
        const std::uint64_t rounds = 20000 + (seed % 200000);
        std::uint64_t got = 0;
        sgx_status_t st = ecall_spin(e.eid, &got, seed, rounds);
        if (st != SGX_SUCCESS) ++failed;
        else if (got != expected_spin(seed, rounds)) ++wrong;
        const auto n = static_cast<std::uint32_t>(1 + seed % 16);
        st = ecall_chain(e.eid, &got, seed, n);
        if (st != SGX_SUCCESS) ++failed;
        else if (got != expected_chain(seed, n)) ++wrong;
        calls += 2;
        seed = preempt_mix(seed + 1);
        if (failed.load() != 0) return;  // a crashed enclave fails every later call
      }
    });
  }
  for (auto& th : threads) th.join();
  std::printf("%llu checked calls in %d s with %zu CPU hogs on %u cores\n",
              static_cast<unsigned long long>(calls.load()), seconds, hogs.count(), cores);
  EXPECT_EQ(failed.load(), 0u) << "calls failed (SGX_ERROR_ENCLAVE_CRASHED: FS/GS lost on preemption?)";
  EXPECT_EQ(wrong.load(), 0u) << "calls returned a wrong value (FS/GS changed inside the enclave?)";
  EXPECT_GE(calls.load(), 1000u) << "too few entries to say anything";
}

TEST(Preempt, ExitsInterruptedBySignalsUnderCpuContention) {
  nsgx::sdk_test::Loaded e(NSGX_PREEMPT_ENCLAVE);
  ASSERT_EQ(e.status, SGX_SUCCESS);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  // A real-time signal: queued, not merged with one already pending.
  ASSERT_EQ(sigaction(SIGRTMIN + 1, &sa, nullptr), 0);
  const unsigned cores = std::thread::hardware_concurrency();
  const char* secs_env = std::getenv("NSGX_PREEMPT_SECONDS");
  const int seconds = secs_env ? std::max(1, std::atoi(secs_env) / 2) : 4;
  Hogs hogs(static_cast<int>(cores + 1));
  std::uint64_t gate0 = 0, trap0 = 0;
  ASSERT_EQ(nsgx_enclave_exit_counts(e.eid, &gate0, &trap0), SGX_SUCCESS);
  std::atomic<std::uint64_t> calls{0}, wrong{0}, failed{0};
  std::atomic<bool> done{false};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t seed = 0x7654321ull * (t + 1);
      while (std::chrono::steady_clock::now() < until) {
        const auto n = static_cast<std::uint32_t>(8 + seed % 32);
        std::uint64_t got = 0;
        const sgx_status_t st = ecall_chain(e.eid, &got, seed, n);
        if (st != SGX_SUCCESS)
          ++failed;
        else if (got != expected_chain(seed, n))
          ++wrong;
        ++calls;
        seed = preempt_mix(seed + 1);
        if (failed.load() != 0) return;
      }
    });
  }
  // The storm: a signal to each caller in turn, as fast as this thread runs.
  std::thread storm([&] {
    std::vector<pthread_t> targets;
    targets.reserve(threads.size());
    for (auto& th : threads) targets.push_back(th.native_handle());
    for (std::uint64_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
      pthread_kill(targets[i % targets.size()], SIGRTMIN + 1);
      if (i % 16 == 15) std::this_thread::yield();
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  storm.join();
  std::uint64_t gate1 = 0, trap1 = 0;
  ASSERT_EQ(nsgx_enclave_exit_counts(e.eid, &gate1, &trap1), SGX_SUCCESS);
  std::printf("%llu checked OCALL chains, %llu signals handled, exits: %llu through the gate, %llu trapped\n",
              static_cast<unsigned long long>(calls.load()), static_cast<unsigned long long>(g_handled.load()),
              static_cast<unsigned long long>(gate1 - gate0), static_cast<unsigned long long>(trap1 - trap0));
  EXPECT_EQ(failed.load(), 0u);
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(g_bad_tls.load(), 0u) << "a signal handler or OCALL ran with a foreign FS base";
  EXPECT_GE(calls.load(), 100u) << "too few entries to say anything";
  EXPECT_GE(g_handled.load(), 200u) << "too few signals to say anything";
  // With NSGX_EXIT_GATE=off every exit traps; otherwise every exit of an
  // enclave of ours goes through the backend's gate.
  const char* gate = std::getenv("NSGX_EXIT_GATE");
  if (gate != nullptr && std::string(gate) == "off")
    EXPECT_EQ(gate1 - gate0, 0u);
  else
    EXPECT_EQ(trap1 - trap0, 0u);
}
