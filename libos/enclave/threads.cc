// The program's threads (threads.h; docs/libos.md "Threads").
//
// What the host decides: which TCS a new thread enters on and when threads
// run or sleep, nothing more. Which code a thread starts with, on which
// stack and TLS, its id, whether a futex wait has been woken or timed out:
// all kept and checked here. A host that wakes a sleeper early only makes
// it look again (under the lock) and sleep again; a host that never wakes
// it, or never starts a thread, denies service, which it always can.
#include "libos/enclave/threads.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <new>
#include <string>

#include "libos/enclave/program_state.h"
#include "libos/enclave/user_region.h"
#include "libos_t.h"
#include "sgx_trts.h"

namespace nsgx::libos {

SpinLock g_memory_lock;
SpinLock g_fd_lock;

namespace {

enum { kFree = 0, kStarting, kRunning };

// Event names of our own for pthread_wait_timeout_ocall/pthread_wakeup_ocall
// (sdk/edl/sgx_pthread.edl): non-canonical with bit 62 set, so never a TD
// address (sgx_thread_*'s events) nor the SDK's pthread names (bit 63 and a
// counter).
constexpr uint64_t kEventTag = (uint64_t{1} << 63) | (uint64_t{1} << 62);

ProgramThread* g_threads = nullptr;  // [g_max]; [0] is the main thread
uint32_t g_max = 0;
SpinLock g_lock;             // states, tids, futex queues, the counts below
int32_t g_next_tid = 2;      // never reused (under g_lock)
uint32_t g_started = 0;      // threads other than main in kStarting/kRunning (under g_lock)
bool g_main_exited = false;  // the main thread called exit, others still run (under g_lock)
int g_exit_status = -1;      // exit_group's status once one was called (atomic)

uint64_t td_self() {
  uint64_t td;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(td));  // the TD's first word points to itself (trts_internal.h)
  return td;
}

long fail(int e) { return -static_cast<long>(e); }

bool program_buffer(uint64_t addr, uint64_t len) {
  return !near_null(addr) && sgx_is_within_enclave(reinterpret_cast<const void*>(addr), len);
}

// The longest a wait sleeps in the host before it looks for a signal: the
// host's forwarded signals and the alarm do not wake the host's wait
// (its event is the enclave's to set), so a wait looks every 50 ms.
constexpr uint64_t kSignalPollMs = 50;

uint64_t event_of(const ProgramThread* t) { return kEventTag | static_cast<uint64_t>(t - g_threads); }

// Sleeps on t's untrusted event for at most `ms` (0: until it is set). The
// host may return at any time: callers look again.
bool sleep_on_event(const ProgramThread* t, uint64_t ms) {
  int r = -1;
  return pthread_wait_timeout_ocall(&r, event_of(t), ms) == SGX_SUCCESS && r != -1;
}
void set_event(const ProgramThread* t) {
  int r = 0;
  (void)pthread_wakeup_ocall(&r, event_of(t));
}

void wake_all_but(const ProgramThread* self) {
  for (uint32_t i = 0; i < g_max; ++i)
    if (&g_threads[i] != self && __atomic_load_n(&g_threads[i].state, __ATOMIC_ACQUIRE) != kFree)
      set_event(&g_threads[i]);
}

// The host's clock, read through the POSIX layer (which checks its form).
bool now(int clk, struct timespec& ts) { return ::clock_gettime(static_cast<clockid_t>(clk), &ts) == 0; }

bool before(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

// The milliseconds from `t` to `deadline` (> t), rounded up, at most 1 s
// (a host that loses the wake-up is asked again).
uint64_t ms_until(const struct timespec& t, const struct timespec& deadline) {
  const int64_t ns = (deadline.tv_sec - t.tv_sec) * 1000000000 + (deadline.tv_nsec - t.tv_nsec);
  const int64_t ms = (ns + 999999) / 1000000;
  return ms < 1 ? 1 : ms > 1000 ? 1000 : static_cast<uint64_t>(ms);
}

// A timespec from the program: EFAULT / EINVAL as Linux.
long read_timespec(uint64_t p, struct timespec& ts) {
  if (!program_buffer(p, sizeof ts)) return fail(EFAULT);
  memcpy(&ts, reinterpret_cast<const void*>(p), sizeof ts);
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return fail(EINVAL);
  return 0;
}

bool add(struct timespec& a, const struct timespec& b) {
  if (a.tv_sec > INT64_MAX / 2 || b.tv_sec > INT64_MAX / 2) return false;
  a.tv_sec += b.tv_sec;
  a.tv_nsec += b.tv_nsec;
  if (a.tv_nsec >= 1000000000) {
    a.tv_nsec -= 1000000000;
    ++a.tv_sec;
  }
  return true;
}

// Leaves the program on this thread: the main thread returns from
// libos_run with the status once the others have left theirs (bounded: a
// thread computing without system calls is left to the host's exit, see
// docs/libos.md), a started thread returns to thread_main.
[[noreturn]] void leave(ProgramThread* t, int64_t status) {
  if (t == &g_threads[0]) {
    for (int round = 0; round < 100; ++round) {  // 1 s at most
      g_lock.lock();
      const uint32_t others = g_started;
      g_lock.unlock();
      if (others == 0) break;
      wake_all_but(t);
      const struct timespec pause = {0, 10000000};
      (void)::nanosleep(&pause, nullptr);
    }
  }
  libos_leave_program(t->jb, status);
}

long futex_wake(uint64_t uaddr, uint64_t count, uint32_t bitset) {
  uint32_t woken[64];  // batches of wake-ups, each set outside the lock
  long total = 0;
  const uint64_t want = count > INT32_MAX ? INT32_MAX : count;  // Linux takes it as an int
  for (;;) {
    uint32_t n = 0;
    g_lock.lock();
    for (uint32_t i = 0; i < g_max && n < 64 && static_cast<uint64_t>(total) + n < want; ++i) {
      ProgramThread& w = g_threads[i];
      if (w.waiting && w.futex_addr == uaddr && (w.futex_bitset & bitset) != 0) {
        w.waiting = false;
        w.woken = true;
        woken[n++] = i;
      }
    }
    g_lock.unlock();
    for (uint32_t k = 0; k < n; ++k) set_event(&g_threads[woken[k]]);
    total += n;
    if (n < 64 || static_cast<uint64_t>(total) >= want) return total;
  }
}

long futex_wait(ProgramThread* t, uint64_t uaddr, uint32_t val, const struct timespec* deadline, int clk,
                uint32_t bitset) {
  g_lock.lock();
  // The value is read under the lock every waker takes, so a change made
  // with a wake-up after this read finds this thread queued.
  if (__atomic_load_n(reinterpret_cast<const uint32_t*>(uaddr), __ATOMIC_SEQ_CST) != val) {
    g_lock.unlock();
    return fail(EAGAIN);
  }
  t->futex_addr = uaddr;
  t->futex_bitset = bitset;
  t->woken = false;
  t->waiting = true;
  g_lock.unlock();
  auto dequeue = [t]() {
    SpinGuard g(g_lock);
    const bool woken = t->woken;
    t->waiting = false;
    t->woken = false;
    return woken;
  };
  for (;;) {
    if (__atomic_load_n(&t->woken, __ATOMIC_ACQUIRE)) {
      (void)dequeue();
      return 0;
    }
    if (__atomic_load_n(&g_exit_status, __ATOMIC_ACQUIRE) >= 0) {
      (void)dequeue();
      check_exit_group();
    }
    uint64_t ms = kSignalPollMs;
    if (deadline != nullptr) {
      struct timespec ts;
      if (!now(clk, ts)) return dequeue() ? 0 : fail(EINTR);  // no trustworthy time: give up as a signal would
      if (!before(ts, *deadline)) return dequeue() ? 0 : fail(ETIMEDOUT);
      ms = std::min(ms_until(ts, *deadline), kSignalPollMs);
    }
    // Woken early or late, by the waker or by the host: looked at again.
    if (!sleep_on_event(t, ms)) return dequeue() ? 0 : fail(EINTR);
    // A signal to run (a handler's, or a default action that kills): the
    // wait answers EINTR and the return of the call delivers it, as Linux
    // does (restarted there under SA_RESTART when no timeout was given).
    if (signal_deliverable(t)) return dequeue() ? 0 : fail(EINTR);
  }
}

// A started thread's life on its TCS (the SDK's enclave pthread, entered by
// the host with ECMD_ECALL_PTHREAD): into the program where clone left the
// parent, back here when it calls exit.
void* thread_main(void* arg) {
  auto* t = static_cast<ProgramThread*>(arg);
  uint64_t here;
  __asm__ volatile("mov %%rsp, %0" : "=r"(here));
  t->handler_sp = (here - 512) & ~uint64_t{15};  // below this frame and libos_enter_thread's
  t->resume_rip = t->start.rip;
  t->program_fs = t->start.fs_base;
  {
    SpinGuard g(g_lock);
    t->state = kRunning;
    __atomic_store_n(&t->td, td_self(), __ATOMIC_RELEASE);
  }
  (void)libos_enter_thread(&t->start, t->jb);
  bool wake_main;
  {
    SpinGuard g(g_lock);
    __atomic_store_n(&t->td, 0, __ATOMIC_RELEASE);
    *t = ProgramThread{};  // kFree
    --g_started;
    wake_main = g_main_exited && g_started == 0;
  }
  if (wake_main) set_event(&g_threads[0]);
  return nullptr;
}

// CLONE_* (include/uapi/linux/sched.h).
constexpr uint64_t kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400, kCloneSighand = 0x800,
                   kCloneThread = 0x10000, kCloneSysvsem = 0x40000, kCloneSettls = 0x80000,
                   kCloneParentSettid = 0x100000, kCloneChildCleartid = 0x200000, kCloneDetached = 0x400000,
                   kCloneChildSettid = 0x1000000;
// What a thread shares (glibc's pthread_create passes all of these).
constexpr uint64_t kThreadFlags = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread;
constexpr uint64_t kAllowedFlags = kThreadFlags | kCloneSysvsem | kCloneSettls | kCloneParentSettid |
                                   kCloneChildCleartid | kCloneDetached | kCloneChildSettid;

}  // namespace

bool threads_init(uint32_t max_threads) {
  g_threads = new (std::nothrow) ProgramThread[max_threads < 1 ? 1 : max_threads];
  if (g_threads == nullptr) return false;
  g_max = max_threads < 1 ? 1 : max_threads;
  ProgramThread& m = g_threads[0];
  m.state = kRunning;
  m.tid = g_program.pid;  // getpid's answer
  m.td = td_self();
  return true;
}

ProgramThread* this_thread() {
  const uint64_t self = td_self();
  for (uint32_t i = 0; i < g_max; ++i)
    if (__atomic_load_n(&g_threads[i].td, __ATOMIC_ACQUIRE) == self) return &g_threads[i];
  return nullptr;
}

uint64_t g_fs_gate_loads = 0;
uint64_t g_fs_stub_returns = 0;

bool program_fs_in_effect(ProgramThread* t) {
  if (t == nullptr || t->program_fs == 0) return true;
  // glibc's TCB starts with a pointer to itself, as the trusted runtime's
  // TD does: %fs:0 tells whose FS is in effect.
  uint64_t fs0;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
  if (fs0 == t->program_fs) return true;
  if (nsgx_set_fs_base(t->program_fs) == 0) {
    __atomic_add_fetch(&g_fs_gate_loads, 1, __ATOMIC_RELAXED);
    return true;
  }
  __atomic_add_fetch(&g_fs_stub_returns, 1, __ATOMIC_RELAXED);
  return false;
}

void check_exit_group() {
  const int status = __atomic_load_n(&g_exit_status, __ATOMIC_ACQUIRE);
  if (status < 0) return;
  ProgramThread* t = this_thread();
  if (t != nullptr) leave(t, status);
}

long sys_clone(const sgx_cpu_context_t& c) {
  const uint64_t flags = c.rdi, stack = c.rsi, ptid = c.rdx, ctid = c.r10, tls = c.r8;
  if ((flags & kCloneVm) == 0) {  // fork: a new process, not (yet) offered
    if (g_program.trace) say("nsgx libos: clone without CLONE_VM (a new process) is not implemented: ENOSYS\n");
    return fail(ENOSYS);
  }
  // Only a thread of this process: the same memory, files, signal handlers,
  // no exit signal, a stack of its own.
  if ((flags & kThreadFlags) != kThreadFlags || (flags & ~kAllowedFlags) != 0) {
    if (g_program.trace) say("nsgx libos: clone flags " + std::to_string(flags) + ": only a thread's set: EINVAL\n");
    return fail(EINVAL);
  }
  if (stack == 0 || !sgx_is_within_enclave(reinterpret_cast<const void*>(stack - 1), 1)) return fail(EINVAL);
  if ((flags & kCloneSettls) && !program_buffer(tls, 8)) return fail(EINVAL);
  if ((flags & kCloneParentSettid) && !program_buffer(ptid, 4)) return fail(EFAULT);
  if ((flags & (kCloneChildSettid | kCloneChildCleartid)) && !program_buffer(ctid, 4)) return fail(EFAULT);
  ProgramThread* parent = this_thread();
  if (parent == nullptr) return fail(EINVAL);
  ProgramThread* t = nullptr;
  {
    SpinGuard g(g_lock);
    for (uint32_t i = 1; i < g_max && t == nullptr; ++i)
      if (g_threads[i].state == kFree) t = &g_threads[i];
    if (t == nullptr) {
      // As Linux answers when RLIMIT_NPROC is reached: the manifest's
      // sgx.max_threads program threads run already.
      if (g_program.trace) say("nsgx libos: clone: sgx.max_threads threads run already: EAGAIN\n");
      return fail(EAGAIN);
    }
    *t = ProgramThread{};
    t->sig.mask = parent->sig.mask;  // a new thread inherits the mask (clone(2)), nothing pending, no alternate stack
    t->state = kStarting;
    t->tid = g_next_tid++;
    ++g_started;
  }
  // The child's registers: the parent's at the `syscall`, with RAX = 0,
  // RIP after it (RCX and R11 as SYSCALL leaves them), the new stack, and
  // its TLS (or the parent's FS).
  nsgx_ssa_state_t& s = t->start;
  s.rax = 0;
  s.rcx = c.rip + 2;
  s.rdx = c.rdx;
  s.rbx = c.rbx;
  s.rsp = stack;
  s.rbp = c.rbp;
  s.rsi = c.rsi;
  s.rdi = c.rdi;
  s.r8 = c.r8;
  s.r9 = c.r9;
  s.r10 = c.r10;
  s.r11 = c.rflags;
  s.r12 = c.r12;
  s.r13 = c.r13;
  s.r14 = c.r14;
  s.r15 = c.r15;
  s.rflags = c.rflags;
  s.rip = c.rip + 2;
  s.fs_base = (flags & kCloneSettls) ? tls : parent->program_fs;
  t->clear_child_tid = (flags & kCloneChildCleartid) ? ctid : 0;
  const int32_t tid = t->tid;
  if (flags & kCloneParentSettid) __atomic_store_n(reinterpret_cast<int32_t*>(ptid), tid, __ATOMIC_SEQ_CST);
  if (flags & kCloneChildSettid) __atomic_store_n(reinterpret_cast<int32_t*>(ctid), tid, __ATOMIC_SEQ_CST);
  // The host starts a thread that enters on a free TCS. A TCS whose thread
  // has left the program may still be on its way out: retried for a while.
  pthread_attr_t attr;
  (void)pthread_attr_init(&attr);
  (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int r = EAGAIN;
  for (int attempt = 0; attempt < 500 && r == EAGAIN; ++attempt) {
    pthread_t h;
    r = pthread_create(&h, &attr, thread_main, t);
    if (r == EAGAIN) {
      const struct timespec pause = {0, 2000000};
      (void)::nanosleep(&pause, nullptr);
    }
  }
  if (r != 0) {
    if (g_program.trace) say("nsgx libos: clone: the host started no thread: EAGAIN\n");
    SpinGuard g(g_lock);
    *t = ProgramThread{};
    --g_started;
    return fail(EAGAIN);
  }
  return tid;
}

void sys_exit(uint64_t status) {
  ProgramThread* t = this_thread();
  if (t == nullptr) libos_leave_program(g_threads[0].jb, static_cast<int64_t>(status & 0xff));  // cannot happen
  // CLONE_CHILD_CLEARTID / set_tid_address: zero the id and wake one
  // waiter (glibc's pthread_join waits on it).
  const uint64_t ctid = t->clear_child_tid;
  if (ctid != 0 && ctid % 4 == 0 && program_buffer(ctid, 4)) {
    __atomic_store_n(reinterpret_cast<int32_t*>(ctid), 0, __ATOMIC_SEQ_CST);
    (void)futex_wake(ctid, 1, UINT32_MAX);
  }
  if (t != &g_threads[0]) leave(t, 0);
  // The main thread ends; the process goes on while others run (Linux),
  // and ends with this status when the last has left.
  {
    SpinGuard g(g_lock);
    g_main_exited = true;
  }
  for (;;) {
    check_exit_group();
    g_lock.lock();
    const uint32_t others = g_started;
    g_lock.unlock();
    if (others == 0) libos_leave_program(t->jb, static_cast<int64_t>(status & 0xff));
    (void)sleep_on_event(t, 100);
  }
}

namespace {
// exit_group once g_exit_status is set: every other thread leaves at its
// next system call or wake-up, this one now.
[[noreturn]] void end_program();
}  // namespace

void sys_exit_group(uint64_t status) {
  int expected = -1;
  (void)__atomic_compare_exchange_n(&g_exit_status, &expected, static_cast<int>(status & 0xff), false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
  end_program();
}

void exit_group_by_signal(int sig) {
  int expected = -1;
  (void)__atomic_compare_exchange_n(&g_exit_status, &expected, kKilledBySignal | sig, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
  end_program();
}

namespace {
void end_program() {
  ProgramThread* t = this_thread();
  wake_all_but(t);
  check_exit_group();
  libos_leave_program(g_threads[0].jb,
                      __atomic_load_n(&g_exit_status, __ATOMIC_ACQUIRE));  // no program thread: cannot happen
}
}  // namespace

ProgramThread* thread_slot(uint32_t i) {
  if (i >= g_max || __atomic_load_n(&g_threads[i].state, __ATOMIC_ACQUIRE) == kFree) return nullptr;
  return &g_threads[i];
}

long sys_futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout, uint64_t val3) {
  // FUTEX_* (include/uapi/linux/futex.h).
  constexpr uint64_t kWait = 0, kWake = 1, kWaitBitset = 9, kWakeBitset = 10, kPrivate = 128, kClockRealtime = 256;
  const uint64_t cmd = op & ~(kPrivate | kClockRealtime);
  const bool realtime = (op & kClockRealtime) != 0;
  if (realtime && cmd != kWait && cmd != kWaitBitset) return fail(ENOSYS);
  if (cmd != kWait && cmd != kWake && cmd != kWaitBitset && cmd != kWakeBitset) {
    if (g_program.trace) say("nsgx libos: futex operation " + std::to_string(cmd) + " is not implemented: ENOSYS\n");
    return fail(ENOSYS);
  }
  if (uaddr % 4 != 0) return fail(EINVAL);
  if (!program_buffer(uaddr, 4)) return fail(EFAULT);
  const uint32_t bitset = (cmd == kWaitBitset || cmd == kWakeBitset) ? static_cast<uint32_t>(val3) : UINT32_MAX;
  if (bitset == 0) return fail(EINVAL);
  if (cmd == kWake || cmd == kWakeBitset) return futex_wake(uaddr, static_cast<uint32_t>(val), bitset);
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  // FUTEX_WAIT: a relative timeout (CLOCK_MONOTONIC unless
  // FUTEX_CLOCK_REALTIME); FUTEX_WAIT_BITSET: an absolute one.
  const int clk = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  struct timespec deadline;
  if (timeout != 0) {
    if (const long e = read_timespec(timeout, deadline); e != 0) return e;
    if (cmd == kWait) {
      struct timespec start;
      if (!now(clk, start)) return fail(EIO);
      if (!add(deadline, start)) return fail(EINVAL);
    }
  }
  return futex_wait(t, uaddr, static_cast<uint32_t>(val), timeout != 0 ? &deadline : nullptr, clk, bitset);
}

namespace {

// Sleeps until `clk` reads `deadline` or later, each time checked here.
long sleep_until(int clk, const struct timespec& deadline) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  for (;;) {
    check_exit_group();
    struct timespec ts;
    if (!now(clk, ts)) return fail(EIO);
    if (!before(ts, deadline)) return 0;
    (void)sleep_on_event(t, std::min(ms_until(ts, deadline), kSignalPollMs));
    // Cut short by a signal to run, as Linux's nanosleep (never restarted).
    if (signal_deliverable(t)) return fail(EINTR);
  }
}

}  // namespace

long sys_nanosleep(uint64_t req, uint64_t rem) { return sys_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem); }

void wake_for_signal(const ProgramThread* t) {
  if (t != nullptr) {
    set_event(t);
    return;
  }
  for (uint32_t i = 0; i < g_max; ++i)
    if (__atomic_load_n(&g_threads[i].state, __ATOMIC_ACQUIRE) != kFree) set_event(&g_threads[i]);
}

long sys_clock_nanosleep(uint64_t clk, uint64_t flags, uint64_t req, uint64_t rem) {
  constexpr uint64_t kTimerAbstime = 1;
  if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME) return fail(EINVAL);
  if ((flags & ~kTimerAbstime) != 0) return fail(EINVAL);
  struct timespec deadline;
  if (const long e = read_timespec(req, deadline); e != 0) return e;
  if ((flags & kTimerAbstime) == 0) {
    struct timespec start;
    if (!now(static_cast<int>(clk), start)) return fail(EIO);
    if (!add(deadline, start)) return fail(EINVAL);
  }
  const long r = sleep_until(static_cast<int>(clk), deadline);
  if (r != fail(EINTR) || rem == 0 || (flags & kTimerAbstime) != 0) return r;
  // Interrupted: a relative sleep's time left, as Linux writes it.
  struct timespec now_ts, left = {0, 0};
  if (now(static_cast<int>(clk), now_ts) && before(now_ts, deadline)) {
    left.tv_sec = deadline.tv_sec - now_ts.tv_sec;
    left.tv_nsec = deadline.tv_nsec - now_ts.tv_nsec;
    if (left.tv_nsec < 0) left.tv_nsec += 1000000000, left.tv_sec -= 1;
  }
  if (!program_buffer(rem, sizeof left)) return fail(EFAULT);
  memcpy(reinterpret_cast<void*>(rem), &left, sizeof left);
  return r;
}

long sys_sched_yield() {
  const struct timespec zero = {0, 0};
  (void)::nanosleep(&zero, nullptr);  // the host's thread gives up its CPU for a moment
  return 0;
}

long sys_sched_getaffinity(uint64_t pid, uint64_t len, uint64_t mask) {
  // One CPU per program thread the manifest allows (the enclave cannot
  // know the host's; glibc sizes its thread pools from this).
  if (pid != 0 && pid != static_cast<uint64_t>(g_program.pid)) {
    bool found = false;
    {
      SpinGuard g(g_lock);
      for (uint32_t i = 0; i < g_max; ++i)
        if (g_threads[i].state != kFree && static_cast<uint64_t>(g_threads[i].tid) == pid) found = true;
    }
    if (!found) return fail(ESRCH);
  }
  const uint64_t bytes = (uint64_t{g_max} + 63) / 64 * 8;
  if (len < bytes || len % 8 != 0) return fail(EINVAL);
  if (!program_buffer(mask, bytes)) return fail(EFAULT);
  auto* out = reinterpret_cast<uint8_t*>(mask);
  memset(out, 0, bytes);
  for (uint32_t cpu = 0; cpu < g_max; ++cpu) out[cpu / 8] = static_cast<uint8_t>(out[cpu / 8] | (1u << (cpu % 8)));
  return static_cast<long>(bytes);
}

long sys_set_robust_list(uint64_t head, uint64_t len) {
  if (len != 24) return fail(EINVAL);  // sizeof(struct robust_list_head)
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  t->robust_list = head;
  return 0;
}

long sys_set_tid_address(uint64_t p) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  t->clear_child_tid = p;
  return t->tid;
}

long sys_gettid() {
  const ProgramThread* t = this_thread();
  return t == nullptr ? fail(EINVAL) : t->tid;
}

}  // namespace nsgx::libos
