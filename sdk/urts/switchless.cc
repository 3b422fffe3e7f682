#include "sdk/urts/switchless.h"

#include <sched.h>

#include <cstdio>
#include <cstring>

namespace nsgx::urts {
namespace {

std::uint32_t load32(const std::uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void store32(std::uint32_t* p, std::uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
bool cas32(std::uint32_t* p, std::uint32_t from, std::uint32_t to) {
  return __atomic_compare_exchange_n(p, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
void cpu_pause() { __builtin_ia32_pause(); }

// Idle pauses between two sched_yield()s of an untrusted worker, and of a
// caller waiting for a long switchless ECALL: on a machine with fewer
// cores than spinning threads, a spinner must not keep the core from the
// thread it waits for for a whole time slice.
constexpr std::uint32_t kPausesPerYield = 1024;

struct OcallTable {
  std::size_t nr_ocall;
  void* table[1];
};

// Where a thread starts looking for a free slot: threads rarely collide.
std::uint32_t slot_hint() {
  static std::atomic<std::uint32_t> next{0};
  thread_local const std::uint32_t hint = next.fetch_add(1, std::memory_order_relaxed);
  return hint;
}

}  // namespace

sgx_status_t Switchless::check(const sgx_uswitchless_config_t& c) {
  if (c.num_uworkers > kMaxWorkers || c.num_tworkers > kMaxWorkers) return SGX_ERROR_INVALID_PARAMETER;
  return SGX_SUCCESS;
}

Switchless::Switchless(const sgx_uswitchless_config_t& config, Env env) : config_(config), env_(std::move(env)) {
  // The SDK's defaults for zero, and its largest pool.
  std::uint32_t qwords = config_.switchless_calls_pool_size_qwords;
  if (qwords == 0) qwords = SL_DEFUALT_MAX_TASKS_QWORDS;
  if (qwords > SL_MAX_TASKS_MAX_QWORDS) qwords = SL_MAX_TASKS_MAX_QWORDS;
  nslots_ = qwords * 64;
  if (config_.retries_before_fallback == 0) config_.retries_before_fallback = SL_DEFAULT_FALLBACK_RETRIES;
  if (config_.retries_before_sleep == 0) config_.retries_before_sleep = SL_DEFAULT_SLEEP_RETRIES;
  // 64-byte aligned (the enclave refuses less: slots are cache lines, and
  // a locked operation must never split one).
  raw_ = env_.alloc(nsgx_sl_block_size(nslots_) + 64);
  if (raw_ == nullptr) return;  // every switchless call goes the ordinary way
  const auto a = (reinterpret_cast<std::uintptr_t>(raw_) + 63) & ~std::uintptr_t{63};
  shared_ = reinterpret_cast<nsgx_sl_shared_t*>(a);
  std::memset(shared_, 0, nsgx_sl_block_size(nslots_));
  shared_->magic = NSGX_SL_MAGIC;
  shared_->nslots = nslots_;
  shared_->retries_before_fallback = config_.retries_before_fallback;
  shared_->retries_before_sleep = config_.retries_before_sleep;
  shared_->app_memory_at_transitions = env_.app_memory_at_transitions ? 1 : 0;
}

Switchless::~Switchless() {
  stop();
  if (raw_ != nullptr && !detached_) env_.free(raw_);
}

void Switchless::start(const void* ocall_table) {
  std::lock_guard lock(start_mu_);
  if (started_.load(std::memory_order_relaxed)) return;
  ocall_table_ = ocall_table;
  if (shared_ != nullptr && !stop_.load()) {
    const sgx_status_t st = env_.ecall(ECMD_INIT_SWITCHLESS, ocall_table, shared_);
    usable_ = st == SGX_SUCCESS;
    if (!usable_)
      std::fprintf(stderr, "nsgx urts: the enclave refused switchless calls (0x%04x); they take the ordinary path\n",
                   static_cast<unsigned>(st));
  }
  if (usable_) {
    tworkers_alive_ = config_.num_tworkers;
    for (std::uint32_t i = 0; i < config_.num_uworkers; ++i) threads_.emplace_back([this] { uworker(); });
    for (std::uint32_t i = 0; i < config_.num_tworkers; ++i) threads_.emplace_back([this] { tworker(); });
  }
  started_.store(true, std::memory_order_release);
}

sgx_status_t Switchless::ecall(int index, const void* ocall_table, void* ms, bool app_memory) {
  const auto ordinary = [&] { return env_.ecall(index, ocall_table, ms); };
  if (!usable_ || config_.num_tworkers == 0) return ordinary();
  const auto miss = [&] {
    ecall_missed_.fetch_add(1, std::memory_order_relaxed);
    if (tworkers_awake_.load() == 0) wake(tsleep_);
    return ordinary();
  };
  // Memory a trusted worker, which stays inside, would not see (docs/isolated.md).
  if ((app_memory && env_.app_memory_at_transitions) || (ms != nullptr && !env_.coherent(ms, 1))) return miss();
  if (stop_.load() || tworkers_alive_.load() == 0) return miss();
  nsgx_sl_slot_t* const q = nsgx_sl_ecall_slots(shared_);
  nsgx_sl_slot_t* s = nullptr;
  const std::uint32_t start = slot_hint();
  for (std::uint32_t i = 0; i < nslots_ && s == nullptr; ++i) {
    nsgx_sl_slot_t* c = &q[(start + i) % nslots_];
    if (load32(&c->state) == NSGX_SL_FREE && cas32(&c->state, NSGX_SL_FREE, NSGX_SL_CLAIMED)) s = c;
  }
  if (s == nullptr) return miss();
  __atomic_store_n(&s->index, static_cast<std::uint32_t>(index), __ATOMIC_RELAXED);
  __atomic_store_n(&s->ms, reinterpret_cast<std::uint64_t>(ms), __ATOMIC_RELAXED);
  store32(&s->state, NSGX_SL_READY);
  __atomic_fetch_add(&shared_->ecall_pending, 1, __ATOMIC_RELEASE);
  if (tworkers_awake_.load() == 0) wake(tsleep_);
  for (std::uint32_t r = 1; r <= config_.retries_before_fallback && load32(&s->state) == NSGX_SL_READY; ++r) {
    cpu_pause();
    if (r % kPausesPerYield == 0) sched_yield();  // the worker may be waiting for this core
  }
  if (cas32(&s->state, NSGX_SL_READY, NSGX_SL_FREE)) {  // withdrawn: no worker will run it
    __atomic_fetch_sub(&shared_->ecall_pending, 1, __ATOMIC_RELAXED);
    return miss();
  }
  std::uint32_t st;
  for (std::uint64_t n = 1; (st = load32(&s->state)) == NSGX_SL_ACCEPTED; ++n) {
    cpu_pause();
    if (n % kPausesPerYield == 0) {
      // The enclave ended meanwhile: the slot stays taken (its worker may
      // still write it), the call fails as an ordinary one would.
      if (const sgx_status_t f = env_.failure(); f != SGX_SUCCESS) return f;
      sched_yield();
    }
  }
  // The enclave's host shares this memory: anything but DONE is its doing.
  if (st != NSGX_SL_DONE) return SGX_ERROR_UNEXPECTED;
  const auto status = static_cast<sgx_status_t>(__atomic_load_n(&s->status, __ATOMIC_RELAXED));
  store32(&s->state, NSGX_SL_FREE);
  ecall_processed_.fetch_add(1, std::memory_order_relaxed);
  return status;
}

void Switchless::after_ordinary_ocall() {
  if (shared_ == nullptr || load32(&shared_->uworkers_wanted) == 0) return;
  if (__atomic_exchange_n(&shared_->uworkers_wanted, 0, __ATOMIC_ACQ_REL) != 0) wake(usleep_);
}

void Switchless::wake(Sleepers& s) {
  {
    std::lock_guard lock(s.mu);
    ++s.generation;
  }
  s.cv.notify_all();
}

bool Switchless::sleep(Sleepers& s, std::uint64_t seen) {
  std::unique_lock lock(s.mu);
  s.cv.wait(lock, [&] { return s.generation != seen || stop_.load(); });
  return !stop_.load();
}

std::uint64_t Switchless::generation(Sleepers& s) {
  std::lock_guard lock(s.mu);
  return s.generation;
}

void Switchless::callback(sgx_uswitchless_worker_type_t type, sgx_uswitchless_worker_event_t event) {
  if (config_.callback_func[event] == nullptr) return;
  const sgx_uswitchless_worker_stats_t st = stats(type);
  config_.callback_func[event](type, event, &st);
}

void Switchless::report_missed(sgx_uswitchless_worker_type_t type, std::uint64_t& reported) {
  const std::uint64_t m = stats(type).missed;
  if (m == reported) return;
  reported = m;
  callback(type, SGX_USWITCHLESS_WORKER_EVENT_MISS);
}

sgx_uswitchless_worker_stats_t Switchless::stats(sgx_uswitchless_worker_type_t type) const {
  if (type == SGX_USWITCHLESS_WORKER_TYPE_TRUSTED) return {ecall_processed_.load(), ecall_missed_.load()};
  // OCALL misses are the enclave's count (its word in the shared block).
  const std::uint64_t missed = shared_ ? __atomic_load_n(&shared_->ocall_missed, __ATOMIC_RELAXED) : 0;
  return {ocall_processed_.load(), missed};
}

void Switchless::uworker() {
  constexpr auto kType = SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED;
  callback(kType, SGX_USWITCHLESS_WORKER_EVENT_START);
  const auto* table = static_cast<const OcallTable*>(ocall_table_);
  nsgx_sl_slot_t* const q = nsgx_sl_ocall_slots(shared_, nslots_);
  std::uint64_t reported = 0;
  std::uint32_t idle = 0, next = 0;
  bool awake = true;  // counted in uworkers_awake
  __atomic_fetch_add(&shared_->uworkers_awake, 1, __ATOMIC_ACQ_REL);
  while (!stop_.load(std::memory_order_relaxed)) {
    bool served = false;
    if (load32(&shared_->ocall_pending) != 0) {
      for (std::uint32_t i = 0; i < nslots_; ++i) {
        const std::uint32_t k = (next + i) % nslots_;
        nsgx_sl_slot_t* s = &q[k];
        if (load32(&s->state) != NSGX_SL_READY || !cas32(&s->state, NSGX_SL_READY, NSGX_SL_ACCEPTED)) continue;
        __atomic_fetch_sub(&shared_->ocall_pending, 1, __ATOMIC_RELAXED);
        const std::uint32_t index = __atomic_load_n(&s->index, __ATOMIC_RELAXED);
        void* const ms = reinterpret_cast<void*>(__atomic_load_n(&s->ms, __ATOMIC_RELAXED));
        // The same dispatch as an ordinary OCALL's (urts.cc run_ocall).
        sgx_status_t st = SGX_ERROR_INVALID_FUNCTION;
        if (table != nullptr && index < table->nr_ocall)
          st = reinterpret_cast<sgx_status_t (*)(void*)>(table->table[index])(ms);
        __atomic_store_n(&s->status, static_cast<std::uint32_t>(st), __ATOMIC_RELAXED);
        store32(&s->state, NSGX_SL_DONE);
        ocall_processed_.fetch_add(1, std::memory_order_relaxed);
        next = k + 1;
        served = true;
        break;
      }
    }
    if (served) {
      idle = 0;
      continue;
    }
    cpu_pause();
    ++idle;
    if (idle % kPausesPerYield == 0) sched_yield();
    if (idle < config_.retries_before_sleep) continue;
    // Going to sleep: first say so, then look once more, so that a request
    // posted meanwhile is either seen here or falls back and wakes us.
    const std::uint64_t gen = generation(usleep_);
    __atomic_fetch_sub(&shared_->uworkers_awake, 1, __ATOMIC_ACQ_REL);
    awake = false;
    if (load32(&shared_->ocall_pending) == 0 && load32(&shared_->uworkers_wanted) == 0) {
      callback(kType, SGX_USWITCHLESS_WORKER_EVENT_IDLE);
      report_missed(kType, reported);
      if (!sleep(usleep_, gen)) break;
    }
    awake = true;
    __atomic_fetch_add(&shared_->uworkers_awake, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&shared_->uworkers_wanted, 0, __ATOMIC_RELEASE);
    report_missed(kType, reported);
    idle = 0;
  }
  if (awake) __atomic_fetch_sub(&shared_->uworkers_awake, 1, __ATOMIC_ACQ_REL);
  report_missed(kType, reported);
  callback(kType, SGX_USWITCHLESS_WORKER_EVENT_EXIT);
}

void Switchless::tworker() {
  constexpr auto kType = SGX_USWITCHLESS_WORKER_TYPE_TRUSTED;
  callback(kType, SGX_USWITCHLESS_WORKER_EVENT_START);
  std::uint64_t reported = 0;
  while (!stop_.load()) {
    // Read before entering: a wake-up while inside is not lost.
    const std::uint64_t gen = generation(tsleep_);
    tworkers_awake_.fetch_add(1);
    const sgx_status_t st = env_.ecall(ECMD_RUN_SWITCHLESS_TWORKER, ocall_table_, nullptr);
    tworkers_awake_.fetch_sub(1);
    if (st != SGX_SUCCESS) {
      // No TCS for it, or the enclave failed: this worker gives up; callers
      // fall back once none is left.
      if (st == SGX_ERROR_OUT_OF_TCS)
        std::fprintf(stderr, "nsgx urts: a trusted switchless worker found no free TCS and stops\n");
      break;
    }
    if (stop_.load()) break;
    if (load32(&shared_->ecall_pending) != 0) continue;
    callback(kType, SGX_USWITCHLESS_WORKER_EVENT_IDLE);
    report_missed(kType, reported);
    if (!sleep(tsleep_, gen)) break;
    report_missed(kType, reported);
  }
  tworkers_alive_.fetch_sub(1);
  report_missed(kType, reported);
  callback(kType, SGX_USWITCHLESS_WORKER_EVENT_EXIT);
}

void Switchless::stop() {
  if (!stop_.exchange(true)) {
    if (shared_ != nullptr) store32(&shared_->stop, 1);
    wake(usleep_);
    wake(tsleep_);
  }
  std::lock_guard lock(start_mu_);
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    // sgx_destroy_enclave from inside a switchless OCALL: that worker
    // cannot join itself; it ends on its own (and the block stays).
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
      detached_ = true;
    } else {
      t.join();
    }
  }
}

}  // namespace nsgx::urts
