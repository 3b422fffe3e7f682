// Threads created inside an enclave (sdk/trts/pthread.c over
// sgx_pthread.edl): raw pthreads with results, pthread_exit, self/equal;
// std::thread with std::mutex and std::condition_variable; the TCS limit
// reported as EAGAIN; and bad handles refused. Checked by pthread_test.cc.
#include <errno.h>
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "pthread_t.h"

namespace {

struct Share {
  std::int64_t from, to;  // sums from..to
  pthread_t self = 0;     // what pthread_self said inside
};

[[noreturn]] void finish_early(std::int64_t v) { pthread_exit(reinterpret_cast<void*>(v)); }

void* sum_share(void* arg) {
  auto* s = static_cast<Share*>(arg);
  s->self = pthread_self();
  std::int64_t total = 0;
  for (std::int64_t i = s->from; i <= s->to; ++i) total += i;
  if (s->from == 1) finish_early(total);  // the first share leaves through pthread_exit, two frames down
  return reinterpret_cast<void*>(total);
}

}  // namespace

extern "C" int64_t ecall_pthread_sum(int threads, int64_t n) {
  if (threads <= 0 || threads > 64 || n < threads) return -1;
  std::vector<Share> shares(static_cast<size_t>(threads));
  std::vector<pthread_t> ids(static_cast<size_t>(threads));
  const std::int64_t step = n / threads;
  for (int i = 0; i < threads; ++i) {
    auto& s = shares[static_cast<size_t>(i)];
    s.from = i * step + 1;
    s.to = i == threads - 1 ? n : (i + 1) * step;
    if (int r = pthread_create(&ids[static_cast<size_t>(i)], nullptr, sum_share, &s); r != 0) return -100 - r;
  }
  std::int64_t total = 0;
  for (int i = 0; i < threads; ++i) {
    void* result = nullptr;
    if (int r = pthread_join(ids[static_cast<size_t>(i)], &result); r != 0) return -200 - r;
    // Each thread saw itself under the name its creator got, unlike the creator.
    if (!pthread_equal(shares[static_cast<size_t>(i)].self, ids[static_cast<size_t>(i)]) ||
        pthread_equal(ids[static_cast<size_t>(i)], pthread_self()))
      return -3;
    total += reinterpret_cast<std::int64_t>(result);
  }
  return total;
}

extern "C" int ecall_std_threads(int threads, int tickets, int* taken) {
  if (threads <= 0 || threads > 16 || std::thread::hardware_concurrency() == 0) return -1;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int> queue;  // guarded by mu
  bool done = false;      // guarded by mu
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    taken[w] = 0;
    workers.emplace_back([&, w] {
      std::unique_lock lock(mu);
      for (;;) {
        cv.wait(lock, [&] { return !queue.empty() || done; });
        if (queue.empty()) return;
        queue.pop_front();
        ++taken[w];
      }
    });
  }
  for (int t = 0; t < tickets; ++t) {
    {
      std::lock_guard lock(mu);
      queue.push_back(t);
    }
    cv.notify_one();
  }
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  for (auto& t : workers) t.join();
  int sum = 0;
  for (int w = 0; w < threads; ++w) sum += taken[w];
  return sum;
}

namespace {
pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
bool g_release = false;  // guarded by g_mu

void* stay_inside(void*) {
  pthread_mutex_lock(&g_mu);
  while (!g_release) pthread_cond_wait(&g_cv, &g_mu);
  pthread_mutex_unlock(&g_mu);
  return nullptr;
}
}  // namespace

extern "C" int ecall_pthread_until_full(void) {
  g_release = false;
  std::vector<pthread_t> ids;
  int r = 0;
  while (ids.size() < 64) {
    pthread_t t = 0;
    if ((r = pthread_create(&t, nullptr, stay_inside, nullptr)) != 0) break;
    ids.push_back(t);
  }
  pthread_mutex_lock(&g_mu);
  g_release = true;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
  for (pthread_t t : ids)
    if (pthread_join(t, nullptr) != 0) return -1;
  if (r != EAGAIN) return -2;
  // Joined threads have given their TCSs back: one more can start at once.
  pthread_t again = 0;
  g_release = true;
  if (pthread_create(&again, nullptr, stay_inside, nullptr) != 0 || pthread_join(again, nullptr) != 0) return -3;
  return static_cast<int>(ids.size());
}

extern "C" int ecall_pthread_bad_handles(void) {
  int bits = 0;
  if (pthread_join(static_cast<pthread_t>(0x1234), nullptr) == ESRCH) bits |= 1;  // never a thread
  if (pthread_join(pthread_self(), nullptr) == ESRCH) bits |= 2;                  // an ECALL is no pthread
  pthread_t t = 0;
  g_release = true;
  if (pthread_create(&t, nullptr, stay_inside, nullptr) != 0) return -1;
  if (pthread_join(t, nullptr) == 0) bits |= 4;
  if (pthread_join(t, nullptr) == ESRCH) bits |= 8;  // joined already
  if (pthread_detach(t) == ESRCH) bits |= 16;
  if (pthread_create(&t, nullptr, stay_inside, nullptr) != 0) return -1;
  if (pthread_detach(t) == 0) bits |= 32;
  if (pthread_join(t, nullptr) == EINVAL || pthread_join(t, nullptr) == ESRCH) bits |= 64;  // detached
  pthread_t* volatile nowhere = nullptr;  // hidden from the compiler's non-null check
  if (pthread_create(nowhere, nullptr, stay_inside, nullptr) == EINVAL) bits |= 128;
  return bits;
}

namespace {
pthread_t g_parked;
}

extern "C" int ecall_pthread_park(void) {
  pthread_mutex_lock(&g_mu);
  g_release = false;
  pthread_mutex_unlock(&g_mu);
  return pthread_create(&g_parked, nullptr, stay_inside, nullptr);
}

extern "C" int ecall_pthread_unpark(void) {
  pthread_mutex_lock(&g_mu);
  g_release = true;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
  return pthread_join(g_parked, nullptr);
}

namespace {
std::atomic<int> g_tls_destroyed{0};
struct PerThread {
  int count = 0;
  int seeded = 7;  // from the TLS image (.tdata), not zero
  ~PerThread() { g_tls_destroyed.fetch_add(1); }
};
thread_local PerThread t_state;
thread_local int t_plain = 100;
std::once_flag g_once;
std::atomic<int> g_once_calls{0};
}  // namespace

// Bits: 1 each thread counted only its own rounds, 2 the initial values came
// from the TLS image, 4 every thread's destructor ran, 8 call_once ran once.
extern "C" int ecall_tls(int threads, int rounds) {
  if (threads <= 0 || threads > 5) return -1;
  g_tls_destroyed = 0;
  std::atomic<int> own{0}, seeded{0}, arrived{0};
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int w = 0; w < threads; ++w)
    workers.emplace_back([&] {
      if (t_state.seeded == 7 && t_plain == 100) seeded.fetch_add(1);
      for (int i = 0; i < rounds; ++i) {
        ++t_state.count;
        ++t_plain;
      }
      // All threads alive at once before any checks its values: shared
      // storage would show the others' increments.
      arrived.fetch_add(1);
      while (arrived.load() < threads) std::this_thread::yield();
      for (int i = 0; i < rounds; ++i) {
        ++t_state.count;
        ++t_plain;
      }
      if (t_state.count == 2 * rounds && t_plain == 100 + 2 * rounds) own.fetch_add(1);
      std::call_once(g_once, [] { g_once_calls.fetch_add(1); });
    });
  for (auto& t : workers) t.join();
  int bits = 0;
  if (own == threads) bits |= 1;
  if (seeded == threads) bits |= 2;
  if (g_tls_destroyed == threads) bits |= 4;
  if (g_once_calls == 1) bits |= 8;
  return bits;
}
