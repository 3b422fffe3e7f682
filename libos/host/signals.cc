// The host's side of the library OS's signals (signals.h).
#include "libos/host/signals.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "libos/enclave/child_signal.h"
#include "libos_u.h"

namespace nsgx::libos_host {
namespace {

// What this process catches for the program: those that end a process by
// default interrupt the host's blocking calls (no SA_RESTART), those
// ignored by default restart them (forward_signals).
constexpr int kTerminating[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM};
constexpr int kIgnoredByDefault[] = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH};
// The signals the CPU raises (the backends take them: the inproc
// backend's ENCLU, #UD, page faults): never blocked in the host, since a
// blocked one kills the process when its fault comes.
constexpr int kSynchronous[] = {SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS};

sigset_t caught_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (const int sig : kTerminating) sigaddset(&s, sig);
  for (const int sig : kIgnoredByDefault) sigaddset(&s, sig);
  return s;
}

uint64_t* g_word = nullptr;  // in the window on the isolated backend: shared with the enclave
sgx_enclave_id_t g_eid = 0;
timer_t g_timer{};
bool g_timer_made = false;

// The signal that interrupts the threads inside the enclave: the alarm's
// timer sends it to the process, and a thread that took a forwarded
// signal sends it to the others inside (a real-time signal: queued, never
// one a program's terminal or peer sends).
int kick_signal() { return SIGRTMIN + 4; }

// A forwarded signal whose handler runs on a thread in the host's own code
// — an OCALL between the enclave's last look at the request word and the
// blocking system call it is about to make — would wait until that call
// returns: a SIGTERM to a program reading an idle pipe, forever. Such a
// thread is noted here, and the nudger thread sends it nudge_signal()
// (handled without SA_RESTART, so a blocking call answers EINTR and the
// OCALL returns) every millisecond until the enclave has taken the
// request (the word is 0). The library OS restarts a call that answered
// EINTR without a signal for its thread (libos/enclave/signals.cc).
int nudge_signal() { return SIGRTMIN + 5; }
constexpr int kNudgeSlots = 8;
pid_t g_nudge_tids[kNudgeSlots] = {};  // threads to nudge (0: free)
uint32_t g_nudge_futex = 0;            // bumped when one is noted

long futex(uint32_t* addr, int op, uint32_t val, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, 0);
}

// Async-signal-safe: an atomic store and a futex wake.
void note_for_nudge() {
  const auto tid = static_cast<pid_t>(syscall(SYS_gettid));
  for (auto& slot : g_nudge_tids) {
    pid_t cur = __atomic_load_n(&slot, __ATOMIC_ACQUIRE);
    if (cur == tid) break;
    if (cur == 0 && __atomic_compare_exchange_n(&slot, &cur, tid, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) break;
  }
  __atomic_add_fetch(&g_nudge_futex, 1, __ATOMIC_RELEASE);
  (void)futex(&g_nudge_futex, FUTEX_WAKE_PRIVATE, 1, nullptr);
}

void* nudger(void*) {
  const pid_t pid = getpid();
  for (;;) {
    const uint32_t seen = __atomic_load_n(&g_nudge_futex, __ATOMIC_ACQUIRE);
    bool any = false;
    for (auto& slot : g_nudge_tids) {
      const pid_t tid = __atomic_load_n(&slot, __ATOMIC_ACQUIRE);
      if (tid == 0) continue;
      if (__atomic_load_n(g_word, __ATOMIC_ACQUIRE) == 0) {
        __atomic_store_n(&slot, 0, __ATOMIC_RELEASE);  // taken: nothing to wake it for
        continue;
      }
      any = true;
      (void)syscall(SYS_tgkill, pid, tid, nudge_signal());
    }
    if (any) {
      const struct timespec ms = {0, 1000000};
      (void)nanosleep(&ms, nullptr);
    } else {
      (void)futex(&g_nudge_futex, FUTEX_WAIT_PRIVATE, seen, nullptr);  // until one is noted
    }
  }
  return nullptr;
}

// This thread interrupted inside the enclave: re-enter it so that it can
// deliver a signal to a program thread that computes (docs/libos.md,
// "Signals": interrupts); sent on to the other threads inside unless this
// is such a relay.
// Whether this thread was inside the enclave (or, isolated, waiting for
// it) and was made to look.
bool interrupt(siginfo_t* info, void* uc) {
  const bool inside = nsgx_interrupt_reentry(uc) != 0;
  const bool relayed = info != nullptr && info->si_code == SI_TKILL && info->si_pid == getpid();
  if (!relayed) (void)nsgx_signal_threads_inside(g_eid, kick_signal());
  return inside;
}

void on_signal(int sig, siginfo_t* info, void* uc) {
  // This process's own kill(): only a group signal the program sent to a
  // group it is in (syscalls_pgrp.h), which the enclave has posted to
  // itself already. (raise() and the interrupts are tgkill's, SI_TKILL.)
  if (info != nullptr && info->si_code == SI_USER && info->si_pid == getpid()) return;
  // A child's end: which child and how, recorded before the request.
  if (sig == SIGCHLD && info != nullptr &&
      (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED))
    __atomic_store_n(g_word + 1, nsgx::libos::pack_child_end(info->si_code, info->si_pid, info->si_status),
                     __ATOMIC_SEQ_CST);
  __atomic_or_fetch(g_word, uint64_t{1} << (sig - 1), __ATOMIC_SEQ_CST);
  if (!interrupt(info, uc)) note_for_nudge();
}

void on_kick(int, siginfo_t* info, void* uc) { (void)interrupt(info, uc); }

// Its arrival is the point (EINTR); inside, the enclave looks, as for a kick.
void on_nudge(int, siginfo_t*, void* uc) { (void)nsgx_interrupt_reentry(uc); }

bool install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction a = {};
  a.sa_sigaction = fn;
  a.sa_flags = flags | SA_SIGINFO;
  // The signals that re-enter are blocked while one runs (one SSA frame
  // for the re-entry); nothing else: the re-entry's ENCLU and page faults
  // are the inproc backend's own signals, which must get through.
  a.sa_mask = caught_signals();
  sigaddset(&a.sa_mask, kick_signal());
  sigaddset(&a.sa_mask, nudge_signal());
  return sigaction(sig, &a, nullptr) == 0;
}

}  // namespace

StartSignals take_start_signals() {
  StartSignals s;
  sigset_t blocked;
  if (sigprocmask(SIG_SETMASK, nullptr, &blocked) != 0) sigemptyset(&blocked);
  for (int sig = 1; sig <= 64; ++sig) {
    struct sigaction a = {};
    if (sigaction(sig, nullptr, &a) == 0 && a.sa_handler == SIG_IGN) s.ignored |= uint64_t{1} << (sig - 1);
    if (sigismember(&blocked, sig) == 1) s.blocked |= uint64_t{1} << (sig - 1);
  }
  // Until forward_signals has its handlers in place, what it will catch
  // stays pending (a signal sent while the enclave loads would otherwise
  // act by its default and end the host), and so do the kick and the
  // nudge; the others keep the mask we were started with, the program's.
  // Never blocked here, whatever we were started with: the synchronous
  // signals the backends take from the CPU (a blocked one kills when the
  // fault comes: the inproc backend's ENCLU, #UD, page faults) and the
  // real-time signals the runtimes send their own threads.
  // One change of the mask, never unblocking the kick or the nudge: either
  // may be pending already (a nudge sent to the thread that then called
  // execve in exec_now stays pending across it), and delivered before its
  // handler is in place it would end the host by its default action.
  sigset_t mask = blocked;
  for (const int sig : kSynchronous) sigdelset(&mask, sig);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) sigdelset(&mask, sig);
  const sigset_t mine = host_signals();
  (void)sigorset(&mask, &mask, &mine);
  (void)sigprocmask(SIG_SETMASK, &mask, nullptr);
  return s;
}

sigset_t host_signals() {
  sigset_t s = caught_signals();
  sigaddset(&s, kick_signal());
  sigaddset(&s, nudge_signal());
  return s;
}

bool forward_signals(sgx_enclave_id_t eid) {
  // The requests and SIGCHLD's record (libos.edl, child_signal.h).
  g_word = static_cast<uint64_t*>(nsgx_untrusted_alloc(2 * sizeof(uint64_t)));
  if (g_word == nullptr) return false;
  g_word[0] = g_word[1] = 0;
  g_eid = eid;
  if (!install(kick_signal(), on_kick, SA_RESTART) || !install(nudge_signal(), on_nudge, 0)) return false;
  // The nudger takes no signal (it inherits this mask): one delivered
  // there would interrupt no OCALL. The synchronous ones stay open: a
  // blocked one kills when its fault comes.
  sigset_t all, old;
  sigfillset(&all);
  for (const int sig : kSynchronous) sigdelset(&all, sig);
  (void)pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  const int e = pthread_create(&t, nullptr, nudger, nullptr);
  (void)pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (e != 0) return false;
  (void)pthread_detach(t);
  if (libos_signals_init(eid, g_word) != SGX_SUCCESS) return false;
  // The signals that end a process by default interrupt this process's
  // blocking calls (no SA_RESTART): the OCALL answers EINTR and the
  // enclave delivers the signal on its way back (restarting the call if
  // the program's handler asks). Those ignored by default restart here,
  // so that a program that does not handle them sees no EINTR. Caught
  // even when whoever started us ignored them: the program starts with
  // them ignored (take_start_signals, libos_run) and may set a handler,
  // as natively; and SIGCHLD ignored here would make the kernel reap the
  // host's children before its waitpid.
  if (!std::ranges::all_of(kTerminating, [](int sig) { return install(sig, on_signal, 0); }) ||
      !std::ranges::all_of(kIgnoredByDefault, [](int sig) { return install(sig, on_signal, SA_RESTART); }))
    return false;
  // Now they may come (those that came meanwhile arrive here at once),
  // with the kick and the nudge; threads started from here on inherit
  // this mask, those started before (the backend's) keep them blocked,
  // so that none lands where it interrupts no program thread.
  const sigset_t open = host_signals();
  return sigprocmask(SIG_UNBLOCK, &open, nullptr) == 0;
}

uint64_t* forwarded_signal_word() { return g_word; }

}  // namespace nsgx::libos_host

// The enclave's alarm (libos.edl): a POSIX timer on the monotonic clock
// that sends kick_signal() to this process. What the enclave asks is a
// wake-up only; a failure here delays its SIGALRM, nothing else.
extern "C" void libos_timer_kick_ocall(uint64_t value_ns, uint64_t interval_ns) {
  using namespace nsgx::libos_host;
  if (!g_timer_made) {
    struct sigevent ev = {};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = kick_signal();
    if (timer_create(CLOCK_MONOTONIC, &ev, &g_timer) != 0) return;
    g_timer_made = true;
  }
  constexpr uint64_t kSec = 1000000000;
  struct itimerspec t = {};
  t.it_value = {static_cast<time_t>(value_ns / kSec), static_cast<long>(value_ns % kSec)};
  t.it_interval = {static_cast<time_t>(interval_ns / kSec), static_cast<long>(interval_ns % kSec)};
  (void)timer_settime(g_timer, 0, &t, nullptr);
}

// A signal sent inside (libos.edl): the other threads inside are
// interrupted, as by the alarm's kick; the enclave decides which takes it.
extern "C" void libos_interrupt_ocall(void) {
  using namespace nsgx::libos_host;
  (void)nsgx_signal_threads_inside(g_eid, kick_signal());
}
