// Eight application threads in one enclave at the same time, each on its
// own TCS (TCSNum 8): distinct thread data, OCALLs that come back to the
// same TCS, correct per-thread results, a mutex-protected counter; and a
// ninth concurrent call refused with SGX_ERROR_OUT_OF_TCS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "loaded_enclave.h"
#include "sgx_urts.h"
#include "threads_u.h"

namespace {

std::atomic<unsigned> g_paused_ids{0};  // bit i: worker i has paused inside the enclave
std::atomic<bool> g_release{false};     // tells waiting workers to give up

}  // namespace

extern "C" int ocall_pause(int id) {
  if (id >= 0 && id < 32) g_paused_ids.fetch_or(1u << id);
  usleep(1000);
  return g_release.load() ? 1 : 0;
}

namespace {

// The enclave's work(), recomputed here.
std::uint64_t expected_result(int id, std::uint64_t seed) {
  std::vector<std::uint64_t> buf(4096);
  std::uint64_t x = seed ^ static_cast<std::uint64_t>(id);
  for (auto& w : buf) w = x = x * 6364136223846793005ull + 1442695040888963407ull;
  std::uint64_t h = 0;
  for (std::uint64_t w : buf) h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

struct Loaded : nsgx::sdk_test::Loaded {
  Loaded() : nsgx::sdk_test::Loaded(NSGX_THREADS_ENCLAVE) {}
};

constexpr int kThreads = 8;

struct Worker {
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  int ok = -1;
  std::uint64_t td = 0, result = 0;
};

// kThreads workers that wait inside for `arrivals` arrivals.
std::vector<std::thread> start(sgx_enclave_id_t eid, std::vector<Worker>& w, int arrivals, std::uint64_t seed) {
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&w, eid, i, arrivals, seed] {
      Worker& o = w[static_cast<std::size_t>(i)];
      o.st = ecall_worker(eid, &o.ok, i, arrivals, seed, &o.td, &o.result);
    });
  return threads;
}

TEST(Threads, EightThreadsOnEightTcs) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  g_release = false;
  constexpr std::uint64_t kSeed = 0x5eed'1234'abcdull;
  std::vector<Worker> w(kThreads);
  for (auto& t : start(e.eid, w, kThreads, kSeed)) t.join();
  std::set<std::uint64_t> tds;
  for (int i = 0; i < kThreads; ++i) {
    const Worker& o = w[static_cast<std::size_t>(i)];
    ASSERT_EQ(o.st, SGX_SUCCESS) << "thread " << i;
    EXPECT_EQ(o.ok, 1) << "thread " << i << " did not meet the others inside, or lost its TCS";
    EXPECT_EQ(o.result, expected_result(i, kSeed)) << "thread " << i;
    EXPECT_NE(o.td, 0u);
    tds.insert(o.td);
  }
  EXPECT_EQ(tds.size(), static_cast<std::size_t>(kThreads)) << "two threads shared thread data (a TCS)";
  std::uint64_t n = 0;
  ASSERT_EQ(ecall_counter(e.eid, &n), SGX_SUCCESS);
  EXPECT_EQ(n, 1000u * kThreads);
}

// With all eight TCSs held by workers waiting inside, one more call finds
// none: SGX_ERROR_OUT_OF_TCS; once they leave, the enclave works on.
TEST(Threads, NinthConcurrentCallIsOutOfTcs) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  g_release = false;
  g_paused_ids = 0;
  std::vector<Worker> w(kThreads);
  auto threads = start(e.eid, w, kThreads + 1, 1);  // a ninth arrival never comes
  for (int i = 0; i < 30000 && g_paused_ids.load() != (1u << kThreads) - 1; ++i) usleep(1000);
  EXPECT_EQ(g_paused_ids.load(), (1u << kThreads) - 1) << "not all workers got inside";
  int ok = 0;
  std::uint64_t td = 0, res = 0, n = 0;
  EXPECT_EQ(ecall_worker(e.eid, &ok, 9, kThreads + 1, 1, &td, &res), SGX_ERROR_OUT_OF_TCS);
  EXPECT_EQ(ecall_counter(e.eid, &n), SGX_ERROR_OUT_OF_TCS);
  g_release = true;
  for (auto& t : threads) t.join();
  for (const Worker& o : w) {
    EXPECT_EQ(o.st, SGX_SUCCESS);
    EXPECT_EQ(o.ok, 2) << "released by the application";
  }
  ASSERT_EQ(ecall_counter(e.eid, &n), SGX_SUCCESS);
  EXPECT_EQ(n, 0u);
}

}  // namespace
