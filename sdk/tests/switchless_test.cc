// Switchless calls (sgx_create_enclave_ex with SGX_CREATE_ENCLAVE_EX_SWITCHLESS,
// transition_using_threads), run on both backends: arguments, buffers and
// return values through trusted and untrusted workers; many threads and more
// callers than workers, also with every core busy; the fallback to an
// ordinary transition when the workers are busy, counted in the statistics
// and reported to the callbacks; [user_check] pointers into application
// memory (ordinary on the isolated backend, where a worker that stays inside
// would not see them change); the enclave destroyed with workers running.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "sgx_urts.h"
#include "sgx_uswitchless.h"
#include "switchless_u.h"

namespace {

// Callback counts per [type][event].
std::atomic<int> g_events[2][_SGX_USWITCHLESS_WORKER_EVENT_NUM];
void on_event(sgx_uswitchless_worker_type_t type, sgx_uswitchless_worker_event_t event,
              const sgx_uswitchless_worker_stats_t* stats) {
  if (stats != nullptr) g_events[type][event].fetch_add(1);
}
void reset_events() {
  for (auto& t : g_events)
    for (auto& e : t) e = 0;
}

std::atomic<int> g_block_entered{0};
std::atomic<bool> g_block_release{false};
std::atomic<bool> g_block_on_worker{false};
std::thread::id g_block_caller;

}  // namespace

extern "C" uint64_t ocall_sl_add(uint64_t a, const uint8_t* in, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(in[i] + 1);
  return a * 7 + 1;
}

extern "C" int ocall_sl_read(const int* p) { return *p; }

extern "C" int ocall_sl_block(void) {
  g_block_on_worker = std::this_thread::get_id() != g_block_caller;
  g_block_entered.fetch_add(1);
  while (!g_block_release.load()) usleep(100);
  return 42;
}

namespace {

struct Config {
  std::uint32_t uworkers = 1, tworkers = 1;
  std::uint32_t retries_fallback = 0, retries_sleep = 0;
};

// An enclave with switchless calls; destroyed at the end of the scope.
struct Enclave {
  sgx_enclave_id_t eid = 0;
  sgx_status_t status = SGX_ERROR_UNEXPECTED;
  explicit Enclave(const Config& c) {
    sgx_uswitchless_config_t us = SGX_USWITCHLESS_CONFIG_INITIALIZER;
    us.num_uworkers = c.uworkers;
    us.num_tworkers = c.tworkers;
    us.retries_before_fallback = c.retries_fallback;
    us.retries_before_sleep = c.retries_sleep;
    for (auto& f : us.callback_func) f = on_event;
    const void* ex[32] = {};
    ex[SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX] = &us;
    status = sgx_create_enclave_ex(NSGX_SWITCHLESS_ENCLAVE, 1, nullptr, nullptr, &eid, nullptr,
                                   SGX_CREATE_ENCLAVE_EX_SWITCHLESS, ex);
  }
  ~Enclave() {
    if (status == SGX_SUCCESS && eid != 0) sgx_destroy_enclave(eid);
  }
  void destroy() {
    ASSERT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
    eid = 0;
  }
  sgx_uswitchless_worker_stats_t stats(sgx_uswitchless_worker_type_t type) const {
    sgx_uswitchless_worker_stats_t s{};
    EXPECT_EQ(nsgx_uswitchless_stats(eid, type, &s), SGX_SUCCESS);
    return s;
  }
};

// Patient workers: a call falls back only if no worker takes it for
// hundreds of milliseconds; workers never sleep in a test's time.
constexpr std::uint32_t kPatient = 20'000'000;

// One checked switchless ECALL with buffers; true if all came back right.
bool mixed_ecall(sgx_enclave_id_t eid, std::uint64_t a) {
  std::uint8_t in[32], out[32];
  std::uint64_t sum = 0;
  for (int i = 0; i < 32; ++i) sum += in[i] = static_cast<std::uint8_t>(a * 13 + static_cast<std::uint64_t>(i));
  std::memset(out, 0xee, sizeof out);
  std::uint64_t r = 0;
  if (ecall_sl_mix(eid, &r, a, in, out, sizeof in) != SGX_SUCCESS || r != a * 3 + sum) return false;
  for (int i = 0; i < 32; ++i)
    if (out[i] != static_cast<std::uint8_t>(in[i] ^ static_cast<std::uint8_t>(a))) return false;
  return true;
}

TEST(Switchless, RoundTripThroughWorkers) {
  reset_events();
  {
    Enclave e({2, 2, kPatient, kPatient});
    ASSERT_EQ(e.status, SGX_SUCCESS);
    for (std::uint64_t i = 0; i < 200; ++i) ASSERT_TRUE(mixed_ecall(e.eid, i)) << i;
    std::uint64_t good = 0;
    ASSERT_EQ(ecall_ocalls(e.eid, &good, 300, 77), SGX_SUCCESS);
    EXPECT_EQ(good, 300u);
    // Every call counted once: run by a worker or fallen back; with
    // patient workers nearly all by workers.
    const auto t = e.stats(SGX_USWITCHLESS_WORKER_TYPE_TRUSTED);
    const auto u = e.stats(SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED);
    EXPECT_EQ(t.processed + t.missed, 200u);
    EXPECT_EQ(u.processed + u.missed, 300u);
    EXPECT_GT(t.processed, 150u);
    EXPECT_GT(u.processed, 250u);
    // A switchless ECALL with an ECALL the EDL does not mark
    // transition_using_threads: the trusted worker refuses it.
    struct {
      std::uint64_t retval, a;
    }* ms = static_cast<decltype(ms)>(nsgx_untrusted_alloc(16));
    ASSERT_NE(ms, nullptr);
    ms->a = 5;
    constexpr int kEcallPlain = 3;  // its index: declaration order in switchless.edl
    EXPECT_EQ(sgx_ecall_switchless(e.eid, kEcallPlain, nullptr, ms), SGX_ERROR_ECALL_NOT_ALLOWED);
    std::uint64_t r = 0;
    EXPECT_EQ(ecall_plain(e.eid, &r, 5), SGX_SUCCESS);
    EXPECT_EQ(r, 6u);
    nsgx_untrusted_free(ms);
  }
  // Every worker started and ended once, and said so.
  EXPECT_EQ(g_events[SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED][SGX_USWITCHLESS_WORKER_EVENT_START], 2);
  EXPECT_EQ(g_events[SGX_USWITCHLESS_WORKER_TYPE_TRUSTED][SGX_USWITCHLESS_WORKER_EVENT_START], 2);
  EXPECT_EQ(g_events[SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED][SGX_USWITCHLESS_WORKER_EVENT_EXIT], 2);
  EXPECT_EQ(g_events[SGX_USWITCHLESS_WORKER_TYPE_TRUSTED][SGX_USWITCHLESS_WORKER_EVENT_EXIT], 2);
}

// More callers than workers, from many threads at once; `hogs` threads
// keep every core busy meanwhile.
void many_callers(int hogs) {
  std::atomic<bool> done{false};
  std::vector<std::thread> hog;
  hog.reserve(static_cast<std::size_t>(hogs));
  for (int i = 0; i < hogs; ++i)
    hog.emplace_back([&] {
      volatile std::uint64_t x = 0;
      while (!done.load(std::memory_order_relaxed)) x = x + 1;
    });
  {
    Enclave e({1, 1, 2000, 20000});
    ASSERT_EQ(e.status, SGX_SUCCESS);
    constexpr int kEcallers = 6, kOcallers = 3, kCalls = 150;
    std::atomic<int> bad{0};
    std::vector<std::thread> t;
    t.reserve(kEcallers + kOcallers);
    for (int i = 0; i < kEcallers; ++i)
      t.emplace_back([&, i] {
        for (int k = 0; k < kCalls; ++k)
          if (!mixed_ecall(e.eid, static_cast<std::uint64_t>(i) * 1000 + static_cast<std::uint64_t>(k))) bad.fetch_add(1);
      });
    for (int i = 0; i < kOcallers; ++i)
      t.emplace_back([&, i] {
        std::uint64_t good = 0;
        if (ecall_ocalls(e.eid, &good, kCalls, static_cast<std::uint64_t>(i) << 20) != SGX_SUCCESS || good != kCalls)
          bad.fetch_add(1);
      });
    for (auto& x : t) x.join();
    EXPECT_EQ(bad, 0);
    const auto ts = e.stats(SGX_USWITCHLESS_WORKER_TYPE_TRUSTED);
    const auto us = e.stats(SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED);
    EXPECT_EQ(ts.processed + ts.missed, static_cast<std::uint64_t>(kEcallers * kCalls));
    EXPECT_EQ(us.processed + us.missed, static_cast<std::uint64_t>(kOcallers * kCalls));
    std::printf("trusted: %llu processed, %llu missed; untrusted: %llu processed, %llu missed\n",
                static_cast<unsigned long long>(ts.processed), static_cast<unsigned long long>(ts.missed),
                static_cast<unsigned long long>(us.processed), static_cast<unsigned long long>(us.missed));
  }
  done = true;
  for (auto& x : hog) x.join();
}

TEST(Switchless, ManyCallersFewWorkers) { many_callers(0); }

TEST(Switchless, ManyCallersUnderCpuContention) { many_callers(static_cast<int>(std::thread::hardware_concurrency())); }

// The only trusted worker is busy (inside a switchless ECALL that waits):
// another switchless ECALL falls back to an ordinary one, gets its answer,
// and is counted as missed; the MISS callback reports it.
TEST(Switchless, EcallFallsBackWhenWorkerBusy) {
  reset_events();
  Enclave e({0, 1, 200000, kPatient});
  ASSERT_EQ(e.status, SGX_SUCCESS);
  auto* flag = static_cast<int*>(nsgx_untrusted_alloc(2 * sizeof(int)));
  ASSERT_NE(flag, nullptr);
  ASSERT_EQ(ecall_set_flag(e.eid, flag), SGX_SUCCESS);
  bool seen = false;
  // Under CPU contention (ctest -j on two cores) the worker may not be
  // scheduled within the retries for several rounds in a row; each round
  // that finds it not busy costs a few milliseconds, so rounds are cheap.
  for (int attempt = 0; attempt < 100 && !seen; ++attempt) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(mixed_ecall(e.eid, static_cast<std::uint64_t>(i)));  // the worker is in
    const auto before = e.stats(SGX_USWITCHLESS_WORKER_TYPE_TRUSTED);
    __atomic_store_n(&flag[0], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&flag[1], 0, __ATOMIC_SEQ_CST);
    std::thread busy([&] { EXPECT_EQ(ecall_sl_wait(e.eid), SGX_SUCCESS); });
    while (__atomic_load_n(&flag[0], __ATOMIC_SEQ_CST) == 0) usleep(100);
    // Counted before an ordinary call starts: no miss yet means the
    // worker took ecall_sl_wait and is busy with it.
    const bool worker_busy = e.stats(SGX_USWITCHLESS_WORKER_TYPE_TRUSTED).missed == before.missed;
    EXPECT_TRUE(mixed_ecall(e.eid, 99));
    const auto after = e.stats(SGX_USWITCHLESS_WORKER_TYPE_TRUSTED);
    __atomic_store_n(&flag[1], 1, __ATOMIC_SEQ_CST);
    busy.join();
    if (!worker_busy) continue;  // the machine was too slow for the worker: again
    EXPECT_EQ(after.missed, before.missed + 1);
    EXPECT_EQ(after.processed, before.processed);
    seen = true;
  }
  EXPECT_TRUE(seen) << "the trusted worker never took the waiting call";
  nsgx_untrusted_free(flag);
  e.destroy();
  // The worker reports the misses at the latest when it ends.
  EXPECT_GE(g_events[SGX_USWITCHLESS_WORKER_TYPE_TRUSTED][SGX_USWITCHLESS_WORKER_EVENT_MISS], 1);
}

// The only untrusted worker is busy (a switchless OCALL that blocks):
// other switchless OCALLs fall back to ordinary ones, come back right and
// are counted as missed by the enclave.
TEST(Switchless, OcallFallsBackWhenWorkerBusy) {
  Enclave e({1, 0, 200000, kPatient});
  ASSERT_EQ(e.status, SGX_SUCCESS);
  bool seen = false;
  // Whether the worker takes the blocking call is the scheduler's choice
  // on a loaded machine (it fell back 5 times in a row once, on isolated,
  // with a release build running beside the tests): up to 25 attempts.
  for (int attempt = 0; attempt < 25 && !seen; ++attempt) {
    std::uint64_t good = 0;
    ASSERT_EQ(ecall_ocalls(e.eid, &good, 20, 1), SGX_SUCCESS);  // the worker is awake
    ASSERT_EQ(good, 20u);
    g_block_entered = 0;
    g_block_release = false;
    std::atomic<bool> go{false};
    std::thread busy([&] {
      while (!go.load()) usleep(100);
      int r = 0;
      EXPECT_EQ(ecall_ocall_block(e.eid, &r), SGX_SUCCESS);
      EXPECT_EQ(r, 42);
    });
    g_block_caller = busy.get_id();
    go = true;
    while (g_block_entered.load() == 0) usleep(100);
    const auto before = e.stats(SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED);
    ASSERT_EQ(ecall_ocalls(e.eid, &good, 5, 2), SGX_SUCCESS);
    EXPECT_EQ(good, 5u);
    const auto after = e.stats(SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED);
    g_block_release = true;
    busy.join();
    if (!g_block_on_worker) continue;  // ocall_sl_block itself fell back: again
    EXPECT_EQ(after.missed, before.missed + 5);
    EXPECT_EQ(after.processed, before.processed);
    seen = true;
  }
  EXPECT_TRUE(seen) << "the untrusted worker never took the blocking call";
}

// [user_check] pointers into ordinary application memory: each call sees
// the value the other side wrote just before it. On the isolated backend
// these calls take the ordinary path (a worker that stays inside sees that
// memory only at transitions); elsewhere the workers serve them.
TEST(Switchless, UserCheckPointersSeeCurrentMemory) {
  Enclave e({1, 1, kPatient, kPatient});
  ASSERT_EQ(e.status, SGX_SUCCESS);
  auto* p = new int(0);
  // Switchless ECALLs only, so that no ordinary transition in between
  // refreshes what the enclave sees.
  for (int v = 1; v <= 20; ++v) {
    *p = v;
    int r = 0;
    ASSERT_EQ(ecall_sl_user(e.eid, &r, p), SGX_SUCCESS);
    EXPECT_EQ(r, v);
  }
  for (int v = 1; v <= 20; ++v) {
    int r = 0;
    ASSERT_EQ(ecall_ocall_user(e.eid, &r, p, 1000 + v), SGX_SUCCESS);
    EXPECT_EQ(r, 1000 + v);
  }
  delete p;
}

// sgx_destroy_enclave while every worker polls (inside the enclave for the
// trusted ones) and another thread makes switchless OCALLs: it returns, the
// workers end, and the other thread's ECALL ends too — with right answers
// or, on the isolated backend, SGX_ERROR_ENCLAVE_LOST.
TEST(Switchless, DestroyWithWorkersRunning) {
  reset_events();
  Enclave e({2, 2, 20000, kPatient});
  ASSERT_EQ(e.status, SGX_SUCCESS);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(mixed_ecall(e.eid, static_cast<std::uint64_t>(i)));
  const sgx_enclave_id_t eid = e.eid;
  std::atomic<bool> started{false};
  std::thread caller([&] {
    std::uint64_t good = 0;
    started = true;
    const sgx_status_t st = ecall_ocalls(eid, &good, 200000, 3);
    if (st == SGX_SUCCESS)
      EXPECT_EQ(good, 200000u);
    else
      EXPECT_EQ(st, SGX_ERROR_ENCLAVE_LOST);
  });
  while (!started) usleep(100);
  usleep(20000);
  e.destroy();
  caller.join();
  EXPECT_EQ(g_events[SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED][SGX_USWITCHLESS_WORKER_EVENT_EXIT], 2);
  EXPECT_EQ(g_events[SGX_USWITCHLESS_WORKER_TYPE_TRUSTED][SGX_USWITCHLESS_WORKER_EVENT_EXIT], 2);
  EXPECT_EQ(ecall_plain(eid, nullptr, 1), SGX_ERROR_INVALID_ENCLAVE_ID);
}

// Without SGX_CREATE_ENCLAVE_EX_SWITCHLESS the same calls are ordinary.
TEST(Switchless, WithoutTheFeatureCallsAreOrdinary) {
  sgx_enclave_id_t eid = 0;
  ASSERT_EQ(sgx_create_enclave(NSGX_SWITCHLESS_ENCLAVE, 1, nullptr, nullptr, &eid, nullptr), SGX_SUCCESS);
  for (std::uint64_t i = 0; i < 20; ++i) EXPECT_TRUE(mixed_ecall(eid, i));
  std::uint64_t good = 0;
  EXPECT_EQ(ecall_ocalls(eid, &good, 20, 5), SGX_SUCCESS);
  EXPECT_EQ(good, 20u);
  sgx_uswitchless_worker_stats_t s{};
  EXPECT_EQ(nsgx_uswitchless_stats(eid, SGX_USWITCHLESS_WORKER_TYPE_TRUSTED, &s), SGX_ERROR_FEATURE_NOT_SUPPORTED);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
}

// Ordinary OCALLs with buffers, many in one ECALL: each OCALL's
// allocation on the untrusted stack is given back. (It was not: the
// stack sank by every allocation, and the 4,097th such OCALL failed on the
// isolated backend, the ~131,000th crashed inproc.)
TEST(Switchless, OcallsGiveTheUntrustedStackBack) {
  sgx_enclave_id_t eid = 0;
  ASSERT_EQ(sgx_create_enclave(NSGX_SWITCHLESS_ENCLAVE, 1, nullptr, nullptr, &eid, nullptr), SGX_SUCCESS);
  std::uint64_t good = 0;
  EXPECT_EQ(ecall_ocalls(eid, &good, 140000, 9), SGX_SUCCESS);
  EXPECT_EQ(good, 140000u);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
}

}  // namespace
