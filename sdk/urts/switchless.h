// Switchless calls, untrusted side (the SGX SDK's sgx_uswitchless): the
// shared block (sdk/common/switchless.h), the worker threads of both kinds,
// the switchless ECALL, statistics and the configuration's callbacks.
//
// Life: sgx_create_enclave_ex with SGX_CREATE_ENCLAVE_EX_SWITCHLESS makes
// one Switchless per enclave (urts.cc). Nothing runs until the enclave's
// first ECALL, which gives the OCALL table untrusted workers serve (the
// SDK starts its workers on the first ECALL for the same reason):
// ECMD_INIT_SWITCHLESS hands the block to the enclave, then num_uworkers
// untrusted and num_tworkers trusted worker threads start. stop() (at
// sgx_destroy_enclave) ends and joins them.
//
//   Untrusted worker: polls the OCALL queue, runs requests through the OCALL
//     table; after retries_before_sleep idle pauses it sleeps until the
//     enclave asks for it (it fell back because none was awake) — the
//     untrusted runtime sees that at the next ordinary OCALL.
//   Trusted worker: an application thread that enters the enclave with
//     ECMD_RUN_SWITCHLESS_TWORKER and polls the ECALL queue inside; it
//     leaves after retries_before_sleep idle pauses and sleeps until a
//     switchless ECALL finds no trusted worker awake.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sdk/common/switchless.h"
#include "sgx_error.h"
#include "sgx_uswitchless.h"

namespace nsgx::urts {

class Switchless {
 public:
  // What the untrusted runtime provides for one enclave.
  struct Env {
    // An ordinary ECALL (EENTER) on this enclave, index ≥ 0 or a builtin command.
    std::function<sgx_status_t(long index, const void* ocall_table, void* ms)> ecall;
    // SGX_SUCCESS while the enclave runs; SGX_ERROR_ENCLAVE_CRASHED/_LOST after.
    std::function<sgx_status_t()> failure;
    // Whether [p, p+n) is memory enclave threads see change while they run
    // (the window on the isolated backend; everything elsewhere).
    std::function<bool(const void* p, std::size_t n)> coherent;
    bool app_memory_at_transitions = false;   // the isolated backend
    std::function<void*(std::size_t)> alloc;  // nsgx_untrusted_alloc
    std::function<void(void*)> free;
  };

  // The configuration as the SDK documents it: pool size 0 is the default
  // (1 × 64 calls) and at most SL_MAX_TASKS_MAX_QWORDS × 64; retries 0 are
  // the defaults (SL_DEFAULT_*_RETRIES); at most kMaxWorkers of each kind.
  // SGX_ERROR_INVALID_PARAMETER otherwise.
  static constexpr std::uint32_t kMaxWorkers = 64;
  static sgx_status_t check(const sgx_uswitchless_config_t& config);

  Switchless(const sgx_uswitchless_config_t& config, Env env);
  ~Switchless();
  Switchless(const Switchless&) = delete;
  Switchless& operator=(const Switchless&) = delete;

  // Before every ECALL (index ≥ 0): the first sets switchless up.
  void before_ecall(const void* ocall_table) {
    if (!started_.load(std::memory_order_acquire)) start(ocall_table);
  }
  // A switchless ECALL: a trusted worker runs it if one takes it within
  // retries_before_fallback pauses, else the ordinary ECALL (a miss).
  // `ms` must be memory the enclave sees coherently, or the call goes the
  // ordinary way; so does one with `app_memory` on the isolated backend.
  sgx_status_t ecall(int index, const void* ocall_table, void* ms, bool app_memory);
  // After every ordinary OCALL of this enclave: wakes the untrusted workers
  // if the enclave fell back for want of one.
  void after_ordinary_ocall();
  // Ends and joins the workers (each reports EXIT); idempotent.
  void stop();
  // The statistics the callbacks receive, for `type`.
  sgx_uswitchless_worker_stats_t stats(sgx_uswitchless_worker_type_t type) const;

 private:
  struct Sleepers {  // where the workers of one kind sleep
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t generation = 0;  // bumped by each wake-up
  };
  void start(const void* ocall_table);
  void uworker();
  void tworker();
  static void wake(Sleepers& s);
  // Sleeps until woken or stopped; false when stopped.
  bool sleep(Sleepers& s, std::uint64_t seen);
  static std::uint64_t generation(Sleepers& s);
  void callback(sgx_uswitchless_worker_type_t type, sgx_uswitchless_worker_event_t event);
  void report_missed(sgx_uswitchless_worker_type_t type, std::uint64_t& reported);

  sgx_uswitchless_config_t config_;
  Env env_;
  std::uint32_t nslots_;
  void* raw_ = nullptr;                 // from env_.alloc
  nsgx_sl_shared_t* shared_ = nullptr;  // raw_, 64-byte aligned
  bool detached_ = false;               // a worker stopped itself: the block stays
  std::mutex start_mu_;
  std::atomic<bool> started_{false};
  bool usable_ = false;  // the enclave took the block
  const void* ocall_table_ = nullptr;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  Sleepers usleep_, tsleep_;
  std::atomic<std::uint32_t> tworkers_awake_{0};  // trusted workers inside or entering
  std::atomic<std::uint32_t> tworkers_alive_{0};  // not given up (crash, no TCS)
  std::atomic<std::uint64_t> ecall_processed_{0}, ecall_missed_{0}, ocall_processed_{0};
};

}  // namespace nsgx::urts
