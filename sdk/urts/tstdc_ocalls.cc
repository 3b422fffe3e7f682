// The untrusted side of the SGX SDK's builtin OCALLs (sdk/edl/sgx_tstdc.edl),
// which enclaves importing that EDL call through their generated bridges:
// CPUID (an enclave cannot execute it) and the untrusted events that the
// trusted sgx_thread_* primitives sleep on. An event is a flag per waiter
// (the trusted thread's identity), set once and consumed by one wait.
#include <cpuid.h>

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
