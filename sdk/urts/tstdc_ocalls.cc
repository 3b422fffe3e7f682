// The untrusted side of the SGX SDK's builtin OCALLs (sdk/edl/sgx_tstdc.edl),
// which enclaves importing that EDL call through their generated bridges:
// CPUID (an enclave cannot execute it) and the untrusted events that the
// trusted sgx_thread_* primitives sleep on. An event is a flag per waiter
// (the trusted thread's identity), set once and consumed by one wait.
#include <cpuid.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>

#include "sdk/urts/backend.h"

namespace {

std::mutex g_mu;
std::condition_variable g_cv;
std::map<const void*, bool> g_events;

void set_locked(const void* waiter) { g_events[waiter] = true; }

// -1 without waiting further when the enclave crashed meanwhile (another of
// its threads had an exception it did not handle): the event may never be
// set, and the caller must not hang; the enclave is not re-entered anyway.
int wait_locked(std::unique_lock<std::mutex>& lock, const void* self) {
  g_cv.wait(lock, [&] { return g_events[self] || nsgx::urts::current_enclave_failed(); });
  if (!g_events[self]) return -1;
  g_events[self] = false;
  return 0;
}

}  // namespace

void nsgx::urts::wake_untrusted_event_waiters() {
  { std::lock_guard lock(g_mu); }  // a waiter between its check and its sleep is asleep after this
  g_cv.notify_all();
}

extern "C" {

void sgx_oc_cpuidex(int cpuinfo[4], int leaf, int subleaf) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid_count(static_cast<unsigned>(leaf), static_cast<unsigned>(subleaf), a, b, c, d);
  cpuinfo[0] = static_cast<int>(a), cpuinfo[1] = static_cast<int>(b), cpuinfo[2] = static_cast<int>(c),
  cpuinfo[3] = static_cast<int>(d);
}

int sgx_thread_wait_untrusted_event_ocall(const void* self) {
  if (self == nullptr) return -1;
  std::unique_lock lock(g_mu);
  return wait_locked(lock, self);
}

// The timed wait trusted runtimes with timed waits use (e.g. for
// sgx_thread_cond_timedwait / pthread_cond_timedwait): waits at most
// tv_sec s + tv_nsec ns (relative, CLOCK_MONOTONIC) for `self`'s event and
// consumes it. Returns 0 with *err = 0 (the event was set), 0 with *err =
// ETIMEDOUT (the time passed, the event stays unset), or -1 with *err =
// EINVAL (a bad timeout or waiter) or, as the untimed wait, when the
// enclave failed meanwhile.
int sgx_thread_wait_untrusted_event_timeout_ocall(const void* self, long tv_sec, long tv_nsec, int* err) {
  int ignored = 0;
  if (err == nullptr) err = &ignored;
  if (self == nullptr || tv_sec < 0 || tv_nsec < 0 || tv_nsec >= 1'000'000'000L) {
    *err = EINVAL;
    return -1;
  }
  using namespace std::chrono;
  // Saturate: a timeout beyond what steady_clock can add is "forever".
  const auto now = steady_clock::now();
  const auto room = duration_cast<seconds>(steady_clock::time_point::max() - now).count() - 1;
  const auto deadline = tv_sec >= room ? steady_clock::time_point::max() : now + seconds(tv_sec) + nanoseconds(tv_nsec);
  std::unique_lock lock(g_mu);
  const bool woke =
      g_cv.wait_until(lock, deadline, [&] { return g_events[self] || nsgx::urts::current_enclave_failed(); });
  if (!woke) {
    *err = ETIMEDOUT;
    return 0;
  }
  if (!g_events[self]) {
    *err = EINVAL;
    return -1;
  }
  g_events[self] = false;
  *err = 0;
  return 0;
}

int sgx_thread_set_untrusted_event_ocall(const void* waiter) {
  if (waiter == nullptr) return -1;
  {
    std::lock_guard lock(g_mu);
    set_locked(waiter);
  }
  g_cv.notify_all();
  return 0;
}

int sgx_thread_setwait_untrusted_events_ocall(const void* waiter, const void* self) {
  if (waiter == nullptr || self == nullptr) return -1;
  std::unique_lock lock(g_mu);
  set_locked(waiter);
  g_cv.notify_all();
  return wait_locked(lock, self);
}

int sgx_thread_set_multiple_untrusted_events_ocall(const void** waiters, size_t total) {
  if (waiters == nullptr) return -1;
  {
    std::lock_guard lock(g_mu);
    for (size_t i = 0; i < total; ++i)
      if (waiters[i] != nullptr) set_locked(waiters[i]);
  }
  g_cv.notify_all();
  return 0;
}

}  // extern "C"

// sdk/edl/nsgx_tstdio.edl: an enclave's printf output.
extern "C" void nsgx_oc_print_string(const char* str) {
  std::fputs(str, stdout);
  std::fflush(stdout);
}
