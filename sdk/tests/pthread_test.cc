// Threads created inside an enclave (pthread_enclave.cpp), on both backends:
// more threads than this machine has cores, results through pthread_join,
// pthread_exit, std::thread with a mutex and condition variable, the TCS
// limit as EAGAIN (and TCSs given back after join), bad handles refused,
// and the application forging or replaying the thread-start entry.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "loaded_enclave.h"
#include "pthread_u.h"
#include "sgx_edger8r.h"
#include "sgx_urts.h"

namespace {

struct Loaded : nsgx::sdk_test::Loaded {
  Loaded() : nsgx::sdk_test::Loaded(NSGX_PTHREAD_ENCLAVE) {}
};

constexpr std::int64_t triangle(std::int64_t n) { return n * (n + 1) / 2; }

TEST(EnclavePthread, CreateJoinExitMoreThreadsThanCores) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  // TCSNum 6: the ECALL's TCS and 5 for its threads (more than the 2 cores
  // of the machines this runs on in CI).
  const int threads = 5;
  std::int64_t sum = 0;
  ASSERT_EQ(ecall_pthread_sum(e.eid, &sum, threads, 1000000), SGX_SUCCESS);
  EXPECT_EQ(sum, triangle(1000000));
  // Many rounds: the TCSs of joined threads are reused.
  for (int round = 0; round < 40; ++round) {
    ASSERT_EQ(ecall_pthread_sum(e.eid, &sum, 1 + round % threads, 10000 + round), SGX_SUCCESS);
    ASSERT_EQ(sum, triangle(10000 + round)) << "round " << round;
  }
}

TEST(EnclavePthread, StdThreadMutexConditionVariable) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  constexpr int kWorkers = 4, kTickets = 2000;
  std::vector<int> taken(kWorkers, -1);
  int total = -1;
  ASSERT_EQ(ecall_std_threads(e.eid, &total, kWorkers, kTickets, taken.data()), SGX_SUCCESS);
  EXPECT_EQ(total, kTickets);  // every ticket taken exactly once
  int sum = 0;
  for (int t : taken) {
    EXPECT_GE(t, 0);
    sum += t;
  }
  EXPECT_EQ(sum, kTickets);
}

TEST(EnclavePthread, ThreadLocalAndCallOnce) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int bits = 0;
  ASSERT_EQ(ecall_tls(e.eid, &bits, 4, 500), SGX_SUCCESS);
  EXPECT_EQ(bits, 1 | 2 | 4 | 8);
}

TEST(EnclavePthread, TcsLimitIsEagain) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int created = -1;
  ASSERT_EQ(ecall_pthread_until_full(e.eid, &created), SGX_SUCCESS);
  EXPECT_EQ(created, 5);  // 6 TCSs, one of them the ECALL's own
  // And the enclave goes on working.
  std::int64_t sum = 0;
  ASSERT_EQ(ecall_pthread_sum(e.eid, &sum, 3, 300), SGX_SUCCESS);
  EXPECT_EQ(sum, triangle(300));
}

TEST(EnclavePthread, BadHandlesRefused) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int bits = 0;
  ASSERT_EQ(ecall_pthread_bad_handles(e.eid, &bits), SGX_SUCCESS);
  EXPECT_EQ(bits, 255);
}

// The application enters with ECMD_ECALL_PTHREAD itself: names the enclave
// never gave, and a name whose thread already ran, are refused; the
// enclave is unharmed.
TEST(EnclavePthread, ForgedThreadEntryRefused) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  constexpr int kEcmdEcallPthread = -6;
  for (std::uint64_t forged : {std::uint64_t{0}, std::uint64_t{1}, (std::uint64_t{1} << 63) | 1,
                               (std::uint64_t{1} << 63) | 12345, ~std::uint64_t{0}}) {
    std::uint64_t ms = forged;
    EXPECT_EQ(nsgx_ecall_ex(e.eid, kEcmdEcallPthread, nullptr, &ms, sizeof ms, nullptr, 0), SGX_ERROR_INVALID_PARAMETER)
        << std::hex << forged;
  }
  // Names 1.. were used by threads that have finished: a replay is refused.
  std::int64_t sum = 0;
  ASSERT_EQ(ecall_pthread_sum(e.eid, &sum, 2, 100), SGX_SUCCESS);
  std::uint64_t replay = (std::uint64_t{1} << 63) | 1;
  EXPECT_EQ(nsgx_ecall_ex(e.eid, kEcmdEcallPthread, nullptr, &replay, sizeof replay, nullptr, 0),
            SGX_ERROR_INVALID_PARAMETER);
  ASSERT_EQ(ecall_pthread_sum(e.eid, &sum, 4, 1000), SGX_SUCCESS);
  EXPECT_EQ(sum, triangle(1000));
}

// The name of a thread that is running, entered a second time: refused
// (run twice, the routine would still be inside when the call returns).
TEST(EnclavePthread, RunningThreadEntryRefused) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = -1;
  ASSERT_EQ(ecall_pthread_park(e.eid, &r), SGX_SUCCESS);
  ASSERT_EQ(r, 0);
  std::uint64_t name = (std::uint64_t{1} << 63) | 1;  // the first thread of this enclave
  sgx_status_t forged = SGX_SUCCESS;
  std::atomic<bool> returned{false};
  std::thread t([&] {
    forged = nsgx_ecall_ex(e.eid, -6, nullptr, &name, sizeof name, nullptr, 0);
    returned = true;
  });
  // Refused at once; run again, the routine would wait inside until unparked.
  for (int i = 0; i < 1000 && !returned; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(returned.load()) << "the forged entry ran the parked thread's routine";
  ASSERT_EQ(ecall_pthread_unpark(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 0);
  t.join();
  EXPECT_EQ(forged, SGX_ERROR_INVALID_PARAMETER);
}

}  // namespace
