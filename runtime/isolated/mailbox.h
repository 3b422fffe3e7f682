// Waiting on a mailbox word shared by two processes (the application and an
// enclave host), in three steps tuned for machines with few cores
// (docs/isolated.md, "The hand-off"):
//  1. spin with PAUSE, `spin` rounds: no system call — when both sides run
//     on different CPUs the answer comes within a few thousand cycles;
//  2. sched_yield, `yields` times, looking between: when there are more
//     runnable threads than CPUs the other side may be waiting for this
//     very CPU, and giving it up lets it run now — one cheap system call
//     instead of a futex sleep and wake-up, which costs 55,000–63,000
//     cycles here once the scheduler is involved;
//  3. sleep in the kernel (futex). The futexes are shared (no FUTEX_PRIVATE_FLAG):
// the mailbox lives in a MAP_SHARED memfd mapped by both. The system calls
// are raw (no errno): the enclave host's workers run with the enclave's FS
// and may not touch TLS (runtime/common/fsgs.h).
#pragma once

#include <immintrin.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "runtime/common/fsgs.h"
#include "runtime/isolated/protocol.h"

namespace nsgx::isolated {

// 0 or -errno.
inline long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val, const timespec* timeout = nullptr) {
  return runtime::raw_syscall(SYS_futex, reinterpret_cast<long>(word), op, static_cast<long>(val),
                              reinterpret_cast<long>(timeout));
}

// Publishes `value` in `word` and wakes the other side if it sleeps.
inline void publish(std::atomic<std::uint32_t>& word, std::uint32_t value, std::atomic<std::uint32_t>& sleeping) {
  word.store(value, std::memory_order_seq_cst);
  if (sleeping.load(std::memory_order_seq_cst) != 0) futex(&word, FUTEX_WAKE, 1);
}

// A waiter's spin, adapted to what its own recent waits found: doubled (up
// to the configured spin) when the answer came while it spun, halved (down
// to kMinSpin) when it had to sleep. When the other side is not running —
// more runnable threads than CPUs — spinning only burns the time slice that
// side may be waiting for; measured under contention, a short spin cut the
// null ECALL's median from ~360,000 to ~70,000 cycles, while with a free
// CPU the answer comes within the spin and the budget stays at its maximum
// (docs/isolated.md, "The hand-off"). One per waiting thread, never shared.
struct SpinBudget {
  std::uint32_t rounds = 0;       // 0 until the first wait: the configured spin
  std::uint32_t short_waits = 0;  // waits at kMinSpin since the last full spin
};
// At the minimum, every kProbe-th wait spins in full, so that a waiter
// whose other side runs again (a CPU became free) finds out and returns to
// the full spin instead of staying in the mode where both sides sleep.
inline constexpr std::uint32_t kProbe = 16;
inline constexpr std::uint32_t kMinSpin = 256;  // PAUSE rounds: ~10,000 cycles here

// Waits until `word` is no longer `old`: spins `spin` rounds (fewer with a
// budget, above), yields `yields` times, then sleeps. With a timeout
// (ms > 0) returns false when it expires, so the caller can look for a lost
// peer.
inline bool wait_change(std::atomic<std::uint32_t>& word, std::uint32_t old, std::atomic<std::uint32_t>& sleeping,
                        std::uint32_t spin, int timeout_ms = 0, std::uint32_t yields = kYieldRounds,
                        SpinBudget* budget = nullptr) {
  std::uint32_t rounds = spin;
  if (budget != nullptr) {
    if (budget->rounds == 0 || budget->rounds > spin) budget->rounds = spin;
    rounds = budget->rounds;
    if (rounds < spin && ++budget->short_waits >= kProbe) {
      budget->short_waits = 0;
      rounds = spin;
    }
  }
  for (std::uint32_t i = 0; i < rounds; ++i) {
    if (word.load(std::memory_order_acquire) != old) {
      if (budget != nullptr) budget->rounds = rounds > spin / 2 ? spin : rounds * 2;
      return true;
    }
    _mm_pause();
  }
  if (budget != nullptr) budget->rounds = std::max(std::min(kMinSpin, spin), std::min(budget->rounds, rounds) / 2);
  for (std::uint32_t i = 0; i < yields; ++i) {
    if (word.load(std::memory_order_acquire) != old) return true;
    runtime::raw_syscall(SYS_sched_yield);
  }
  for (;;) {
    sleeping.store(1, std::memory_order_seq_cst);
    if (word.load(std::memory_order_seq_cst) != old) {
      sleeping.store(0, std::memory_order_relaxed);
      return true;
    }
    timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    const long r = futex(&word, FUTEX_WAIT, old, timeout_ms > 0 ? &ts : nullptr);
    sleeping.store(0, std::memory_order_relaxed);
    if (word.load(std::memory_order_acquire) != old) return true;
    if (r == -ETIMEDOUT) return false;
  }
}

inline Mailbox* mailbox_at(std::uint64_t base, std::uint32_t i) {
  return reinterpret_cast<Mailbox*>(base + std::uint64_t{i} * kMailboxStride);
}

}  // namespace nsgx::isolated
