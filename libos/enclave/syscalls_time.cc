// The program's clocks and CPU times (syscalls_time.h).
#include "libos/enclave/syscalls_time.h"

#include <errno.h>
#include <string.h>

#include <optional>
#include <string>

#include "libos/enclave/cpu_facts.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/tsc_clock.h"
#include "libos/enclave/xstate.h"

namespace nsgx::libos {
namespace {

using sc::err;

// Clock ids (include/uapi/linux/time.h); the enclave's headers need not
// define them all.
constexpr int kRealtime = 0, kMonotonic = 1, kProcessCpu = 2, kThreadCpu = 3, kMonotonicRaw = 4, kMonotonicCoarse = 6,
              kBoottime = 7, kMaxClock = 11;
// USER_HZ: what AT_CLKTCK says (initial_stack.cc) and times(2) counts in.
constexpr int64_t kTicksPerSecond = 100;

struct timespec g_last[8];  // per clock id < 8, the latest answer given (under g_clock_lock)
SpinLock g_clock_lock;      // a leaf (spin_lock.h)

// The enclave's clock (tsc_clock.h): CLOCK_REALTIME and CLOCK_MONOTONIC
// (and MONOTONIC_COARSE, answered as MONOTONIC: a coarse clock may be as
// fine as it likes) read from the TSC between the host's readings, where
// the host claims an invariant TSC (cpu_facts.h). The others always ask
// the host: MONOTONIC_RAW and BOOTTIME run at other rates or jump
// (suspend), and CPU times are the host's to know. Under g_clock_lock.
TscClock g_tsc_real, g_tsc_mono;
uint64_t g_tsc_answers = 0, g_host_answers = 0;  // --trace's counts (under g_clock_lock)

TscClock* tsc_clock_of(int clk) {
  if ((host_cpu_flags() & kCpuInvariantTsc) == 0) return nullptr;
  if (clk == kRealtime) return &g_tsc_real;
  if (clk == kMonotonic || clk == kMonotonicCoarse) return &g_tsc_mono;
  return nullptr;
}

int64_t ns_of(const struct timespec& ts) { return ts.tv_sec * 1000000000ll + ts.tv_nsec; }
struct timespec timespec_of(int64_t ns) {
  return {static_cast<time_t>(ns / 1000000000ll), static_cast<long>(ns % 1000000000ll)};
}

bool earlier(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

bool system_wide_monotonic(int clk) {
  return clk == kMonotonic || clk == kMonotonicRaw || clk == kMonotonicCoarse || clk == kBoottime || clk == kProcessCpu;
}

int64_t ticks(const struct timespec& ts) {
  return ts.tv_sec * kTicksPerSecond + ts.tv_nsec / (1000000000 / kTicksPerSecond);
}

// struct tms (include/uapi/linux/times.h), x86-64: four longs.
struct Tms {
  int64_t utime, stime, cutime, cstime;
};
static_assert(sizeof(Tms) == 32, "struct tms, x86-64");

// struct rusage (include/uapi/linux/resource.h), x86-64: two timevals and
// fourteen longs.
struct Rusage {
  int64_t utime[2], stime[2];
  int64_t rest[14];
};
static_assert(sizeof(Rusage) == 144, "struct rusage, x86-64");

}  // namespace

long clock_checked(int clk, struct timespec& ts) {
  if (clk < 0 || clk > kMaxClock) return err(EINVAL);
  // Clocks that never go back on Linux must not go back here either —
  // across threads too, as Linux's are system-wide — so a host that
  // answers an earlier time than it did before is refused (Iago).
  // "Before" is what some reading had answered when this one began: a
  // reading that completed while this one waited for the host overlapped
  // it and may be later (the threads raced, not the host); this one then
  // answers that later time, an order the two overlapping calls could have
  // had. Refusing it instead (as until 2026-12-06) failed fio's clock
  // (docs/libos.md, "fio").
  const bool shared = system_wide_monotonic(clk);
  TscClock* const tsc = tsc_clock_of(clk);
  struct timespec before = {0, 0};
  if (shared || tsc != nullptr) {
    SpinGuard g(g_clock_lock);
    before = g_last[clk];
    if (tsc != nullptr) {
      // Between the host's readings: the TSC's, never before the last
      // answer (the TSC's rate is measured, so it may run a little fast or
      // slow until the next reading sets it right).
      if (const std::optional<int64_t> ns = tsc->at(libos_rdtsc())) {
        ts = timespec_of(*ns);
        if (earlier(ts, g_last[clk])) ts = g_last[clk];
        g_last[clk] = ts;
        ++g_tsc_answers;
        return 0;
      }
    }
  }
  ProgramThread* self = clk == kThreadCpu ? this_thread() : nullptr;
  ts = {0, 0};
  const uint64_t tsc0 = tsc != nullptr ? libos_rdtsc() : 0;
  if (::clock_gettime(static_cast<clockid_t>(clk), &ts) != 0) return err(errno);  // form checked by nsgx_tposix
  const uint64_t tsc1 = tsc != nullptr ? libos_rdtsc() : 0;
  if (shared || tsc != nullptr) {
    SpinGuard g(g_clock_lock);
    if (shared && earlier(ts, before)) {
      if (g_program.trace) say("nsgx libos: clock " + std::to_string(clk) + ": the host's answer went back: EIO\n");
      return err(EIO);
    }
    if (tsc != nullptr) {
      tsc->add(tsc0, tsc1, ns_of(ts));
      ++g_host_answers;
    }
    // A reading that overlapped a later one (above); and REALTIME never
    // before what the TSC answered, unless the host's clock stepped back
    // by more than the TSC's error could be (settimeofday, an NTP step).
    constexpr int64_t kStepNs = 10'000'000;
    if (earlier(ts, g_last[clk]) && (shared || ns_of(g_last[clk]) - ns_of(ts) < kStepNs)) ts = g_last[clk];
    g_last[clk] = ts;
  } else if (self != nullptr) {
    // The thread's own CPU time: only this thread reads its record.
    if (earlier(ts, self->last_cpu)) {
      if (g_program.trace) say("nsgx libos: the thread's CPU time went back: EIO\n");
      return err(EIO);
    }
    self->last_cpu = ts;
  }
  return 0;
}

std::string clock_describe() {
  if ((host_cpu_flags() & kCpuInvariantTsc) == 0)
    return "clock readings: all from the host (it reports no invariant TSC, or NSGX_LIBOS_CLOCK=host)";
  uint64_t tsc, host, mult;
  {
    SpinGuard g(g_clock_lock);
    tsc = g_tsc_answers, host = g_host_answers, mult = g_tsc_mono.mult();
  }
  std::string rate = "not measured";
  if (mult != 0) {
    const uint64_t mhz = ((uint64_t{1} << 32) * 1000) / mult;  // ticks per µs
    rate = std::to_string(mhz) + " MHz";
  }
  return "clock readings: " + std::to_string(tsc) + " from the TSC, " + std::to_string(host) + " from the host (TSC " +
         rate + ")";
}

long sys_clock_gettime(int64_t clk, uint64_t out) {
  if (!sc::user_buffer(out, sizeof(struct timespec))) return err(EFAULT);
  if (clk < 0 || clk > kMaxClock) return err(EINVAL);
  struct timespec ts;
  if (const long r = clock_checked(static_cast<int>(clk), ts); r < 0) return r;
  memcpy(reinterpret_cast<void*>(out), &ts, sizeof ts);
  return 0;
}

// time(2) and gettimeofday(2): CLOCK_REALTIME, as the vDSO answers them
// natively (there is none inside, so glibc makes the system calls).
long sys_time(uint64_t tloc) {
  if (tloc != 0 && !sc::user_buffer(tloc, 8)) return err(EFAULT);
  struct timespec ts;
  if (const long r = clock_checked(kRealtime, ts); r < 0) return r;
  if (tloc != 0) memcpy(reinterpret_cast<void*>(tloc), &ts.tv_sec, 8);
  return static_cast<long>(ts.tv_sec);
}

long sys_gettimeofday(uint64_t tv, uint64_t tz) {
  if ((tv != 0 && !sc::user_buffer(tv, 16)) || (tz != 0 && !sc::user_buffer(tz, 8))) return err(EFAULT);
  if (tv != 0) {
    struct timespec ts;
    if (const long r = clock_checked(kRealtime, ts); r < 0) return r;
    const int64_t v[2] = {ts.tv_sec, ts.tv_nsec / 1000};
    memcpy(reinterpret_cast<void*>(tv), v, sizeof v);
  }
  if (tz != 0) memset(reinterpret_cast<void*>(tz), 0, 8);  // UTC, no DST (the kernel's default)
  return 0;
}

long sys_times(uint64_t buf) {
  if (buf != 0 && !sc::user_buffer(buf, sizeof(Tms))) return err(EFAULT);
  struct timespec now, cpu;
  // The return value: ticks since an arbitrary point (Linux's: since boot,
  // offset), monotonic. Seconds below 2^40 (nsgx_tposix), so no overflow
  // and never in the -4095..-1 range glibc takes for an error.
  if (const long r = clock_checked(kMonotonic, now); r < 0) return r;
  if (buf != 0) {
    if (const long r = clock_checked(kProcessCpu, cpu); r < 0) return r;
    const Tms t{ticks(cpu), 0, 0, 0};
    memcpy(reinterpret_cast<void*>(buf), &t, sizeof t);
  }
  return static_cast<long>(ticks(now));
}

long sys_getrusage(int64_t who, uint64_t out) {
  constexpr int64_t kSelf = 0, kChildren = -1, kThread = 1;
  if (who != kSelf && who != kChildren && who != kThread) return err(EINVAL);
  if (!sc::user_buffer(out, sizeof(Rusage))) return err(EFAULT);
  Rusage ru;
  memset(&ru, 0, sizeof ru);
  if (who != kChildren) {
    struct timespec cpu;
    if (const long r = clock_checked(who == kSelf ? kProcessCpu : kThreadCpu, cpu); r < 0) return r;
    ru.utime[0] = cpu.tv_sec;
    ru.utime[1] = cpu.tv_nsec / 1000;
  }
  memcpy(reinterpret_cast<void*>(out), &ru, sizeof ru);
  return 0;
}

}  // namespace nsgx::libos
