// The untrusted side of the SGX SDK's pthread OCALLs (sdk/edl/sgx_pthread.edl),
// which the trusted runtime's pthread_create/pthread_join use
// (sdk/trts/pthread.c):
//  - pthread_create_ocall(self): start an application thread that enters the
//    enclave of the calling ECALL, with its OCALL table, by
//    ECMD_ECALL_PTHREAD with `self` in a uint64_t it passes as `ms`. When
//    that ECALL returns, its TCS is free again; the thread then sets the
//    event the enclave wrote back (the joinable thread's name), or `self`'s
//    if it could not enter at all (no free TCS), which the creator waits for.
//  - pthread_wait_timeout_ocall(waiter, timeout): sleep until `waiter`'s
//    event is set. Sets are counted (a semaphore): a thread that starts and
//    finishes before its creator waits sets its event twice, and both the
//    creator's and the joiner's wait must see one each. Then it returns;
//    at most `timeout` ms if non-zero (ETIMEDOUT), and give up (-1) once the
//    waiting thread's enclave has failed.
//  - pthread_wakeup_ocall(waiter): set `waiter`'s event.
// Events here are names the enclave chose, kept apart per enclave (each
// enclave numbers its threads from 1); nothing the enclave says is
// dereferenced.
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "sdk/urts/backend.h"
#include "sgx_edger8r.h"
#include "sgx_urts.h"

namespace {

constexpr int kEcmdEcallPthread = -6;  // the SDK's ECMD_ECALL_PTHREAD

std::mutex g_mu;
std::condition_variable g_cv;
using EventName = std::pair<sgx_enclave_id_t, unsigned long long>;
std::map<EventName, std::uint64_t> g_events;  // sets not yet consumed; under g_mu

void set_event(const EventName& name) {
  {
    std::lock_guard lock(g_mu);
    ++g_events[name];
  }
  g_cv.notify_all();
}

// The enclave thread's life in the application: one ECALL.
void run_enclave_thread(sgx_enclave_id_t eid, const void* ocall_table, unsigned long long self) {
  std::uint64_t ms = self;
  const sgx_status_t st = nsgx_ecall_ex(eid, kEcmdEcallPthread, ocall_table, &ms, sizeof ms, nullptr, 0);
  if (st != SGX_SUCCESS)
    set_event({eid, self});  // it did not run (or not to its end): whoever waits for it must not wait forever
  else if (ms != 0)
    set_event({eid, ms});
}

}  // namespace

extern "C" {

int pthread_create_ocall(unsigned long long self) {
  sgx_enclave_id_t eid = 0;
  const void* ocall_table = nullptr;
  if (!nsgx::urts::current_ecall(&eid, &ocall_table)) return EINVAL;
  try {
    std::thread(run_enclave_thread, eid, ocall_table, self).detach();
  } catch (const std::system_error&) {
    return EAGAIN;
  }
  return 0;
}

int pthread_wait_timeout_ocall(unsigned long long waiter, unsigned long long timeout) {
  using std::chrono::milliseconds;
  sgx_enclave_id_t eid = 0;
  const void* ocall_table = nullptr;
  if (!nsgx::urts::current_ecall(&eid, &ocall_table)) return EINVAL;
  const EventName name{eid, waiter};
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(timeout);
  std::unique_lock lock(g_mu);
  for (;;) {
    if (auto it = g_events.find(name); it != g_events.end()) {
      if (--it->second == 0) g_events.erase(it);
      return 0;
    }
    if (nsgx::urts::current_enclave_failed()) return -1;  // the event may never come
    if (timeout != 0 && std::chrono::steady_clock::now() >= deadline) return ETIMEDOUT;
    // Woken by every set; re-checks the enclave's state every 100 ms.
    auto until = std::chrono::steady_clock::now() + milliseconds(100);
    if (timeout != 0 && deadline < until) until = deadline;
    g_cv.wait_until(lock, until);
  }
}

int pthread_wakeup_ocall(unsigned long long waiter) {
  sgx_enclave_id_t eid = 0;
  const void* ocall_table = nullptr;
  if (!nsgx::urts::current_ecall(&eid, &ocall_table)) return EINVAL;
  set_event({eid, waiter});
  return 0;
}

}  // extern "C"
