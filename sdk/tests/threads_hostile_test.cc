// The trusted runtime's wait queues against a hostile application: its
// sgx_thread_wait_untrusted_event_ocall returns early — without the event
// being set — every other time (linked with --wrap, so the real wait of the
// untrusted runtime serves the other calls). Threads that contend for an
// sgx_thread mutex inside the enclave must neither lose nor duplicate a
// place in its queue: every lock is counted once and every call finishes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <thread>
#include <vector>

#include "loaded_enclave.h"
#include "sgx_urts.h"
#include "threads_u.h"

namespace {
std::atomic<std::uint64_t> g_waits{0}, g_early{0};
}  // namespace

extern "C" int __real_sgx_thread_wait_untrusted_event_ocall(const void* self);
extern "C" int __wrap_sgx_thread_wait_untrusted_event_ocall(const void* self) {
  if (g_waits.fetch_add(1) % 2 == 0) {
    g_early.fetch_add(1);
    return 0;  // "woken", though nobody set the event
  }
  return __real_sgx_thread_wait_untrusted_event_ocall(self);
}

extern "C" int ocall_pause(int /*id*/) {
  usleep(200);  // holding the enclave's mutex: the others queue meanwhile
  return 0;
}

namespace {

TEST(ThreadsHostile, EarlyWakeUpsDoNotCorruptTheMutexQueue) {
  nsgx::sdk_test::Loaded e(NSGX_THREADS_ENCLAVE);
  ASSERT_EQ(e.status, SGX_SUCCESS);
  constexpr int kThreads = 4, kIters = 100;
  std::vector<std::future<int>> done;
  for (int i = 0; i < kThreads; ++i)
    done.push_back(std::async(std::launch::async, [&e, i] {
      int ok = 0;
      return ecall_contend(e.eid, &ok, i, kIters) == SGX_SUCCESS ? ok : -1;
    }));
  for (auto& d : done) {
    // A corrupted queue hangs a waiter (a lost place) or spins for ever (a cycle).
    if (d.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
      ADD_FAILURE() << "a thread never got the mutex: the wait queue is corrupt";
      std::_Exit(1);
    }
    EXPECT_EQ(d.get(), 1);
  }
  std::uint64_t n = 0;
  ASSERT_EQ(ecall_counter(e.eid, &n), SGX_SUCCESS);
  EXPECT_EQ(n, static_cast<std::uint64_t>(kThreads * kIters));
  EXPECT_GT(g_early.load(), 0u) << "no thread ever waited: the test did not exercise the queue";
}

}  // namespace
