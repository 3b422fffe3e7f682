/* Signals, run natively and inside the library OS (signals_test.sh): its
 * output must be the same byte for byte, and so must its exit status
 * (death by a signal included).
 *
 *   signals            handlers, masks, pending, SA_* flags, sigaltstack,
 *                      raise/kill/tgkill, SIGSEGV and SIGFPE with siginfo
 *                      and a ucontext the handler changes, timers
 *   signals abort      abort(): dies by SIGABRT
 *   signals term       kill(getpid(), SIGTERM) with the default action
 *   signals segv       a NULL write without a handler: dies by SIGSEGV
 *   signals pipe       a write to a pipe without reader: dies by SIGPIPE
 *   signals wait       waits for SIGUSR1 then SIGTERM from outside (exit 3)
 *   signals read       reads stdin until its end (a slow host's reads)
 *   signals launch -- COMMAND...   runs COMMAND with SIGINT, SIGUSR2 and
 *                      SIGPIPE ignored and SIGUSR1 (and SIGSEGV, SIGILL,
 *                      SIGTRAP, three real-time signals) blocked (its
 *                      parent's choice, as nohup's or a shell's; execve
 *                      keeps them), two of them pending
 *   signals sigwait    sigwaitinfo, sigtimedwait (a poll, a timeout, a bad
 *                      one, a child's SIGCHLD, EINTR from a handler) and
 *                      sigwait in a thread for the process's SIGTERM
 *   signals pwait      the signal masks of pselect, ppoll, epoll_pwait and
 *                      epoll_pwait2 (a child's SIGCHLD waited for as GNU
 *                      make does, a pending signal they let through with
 *                      and without a descriptor ready, bad mask sizes),
 *                      another thread's pthread_kill ending a wait, and
 *                      poll not restarted after an SA_RESTART handler
 *   signals inherited  what it was started with (`launch`), then a write
 *                      to a pipe without reader, then waits for SIGINT
 *                      from outside, then looks for a SIGUSR1 sent meanwhile
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t hits[65];
static volatile int last_code, last_pid_is_self, in_handler_blocked, on_alt;
static char altstack[65536];

static void counting(int sig) { hits[sig]++; }

static void with_info(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  hits[sig]++;
  last_code = si->si_code;
  last_pid_is_self = si->si_pid == getpid();
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  in_handler_blocked = sigismember(&now, sig) * 10 + sigismember(&now, SIGWINCH);
}

static void nested_outer(int sig) {
  hits[sig]++;
  printf("  outer handler runs, raises SIGUSR2\n");
  raise(SIGUSR2);
  printf("  outer handler ends (SIGUSR2 hits %d)\n", (int)hits[SIGUSR2]);
}

static void alt_handler(int sig) {
  char here;
  hits[sig]++;
  on_alt = (uintptr_t)&here >= (uintptr_t)altstack && (uintptr_t)&here < (uintptr_t)altstack + sizeof altstack;
  stack_t cur;
  sigaltstack(NULL, &cur);
  on_alt = on_alt * 10 + (cur.ss_flags == SS_ONSTACK);
}

static sigjmp_buf segv_jump;
static void segv_handler(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  printf("  SIGSEGV: signo %d, code %d, si_addr %s\n", si->si_signo, si->si_code,
         si->si_addr == NULL ? "NULL" : "not NULL");
  hits[sig]++;
  siglongjmp(segv_jump, 1);
}

extern const char div_insn[];
static int divide(int a, int b) {
  int q;
  /* idivl %ecx is two bytes: the handler steps over it. */
  __asm__ volatile("cltd\n\t.globl div_insn\ndiv_insn:\n\tidivl %%ecx" : "=a"(q) : "a"(a), "c"(b) : "edx", "cc");
  return q;
}
static void fpe_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  hits[sig]++;
  printf("  SIGFPE: signo %d, code %d, si_addr at the division %d, RIP at the division %d\n", si->si_signo, si->si_code,
         si->si_addr == (void*)div_insn, uc->uc_mcontext.gregs[REG_RIP] == (greg_t)(uintptr_t)div_insn);
  uc->uc_mcontext.gregs[REG_RIP] += 2;
  uc->uc_mcontext.gregs[REG_RAX] = 42;
}

static volatile pid_t handler_tid;
static void tid_handler(int sig) {
  hits[sig]++;
  handler_tid = gettid();
}
static void* until_handled(void* arg) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* it inherited main's mask */
  /* The thread's system calls: where the library OS delivers to it. */
  while (hits[SIGUSR2] == 0) sched_yield();
  *(pid_t*)arg = gettid();
  return NULL;
}

static void install(int sig, void (*h)(int), int flags, int also_block) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = h;
  a.sa_flags = flags;
  sigemptyset(&a.sa_mask);
  if (also_block) sigaddset(&a.sa_mask, also_block);
  if (sigaction(sig, &a, NULL) != 0) printf("sigaction %d failed: %s\n", sig, strerror(errno));
}

static void install_info(int sig, void (*h)(int, siginfo_t*, void*), int flags) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_sigaction = h;
  a.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&a.sa_mask);
  if (sigaction(sig, &a, NULL) != 0) printf("sigaction %d failed: %s\n", sig, strerror(errno));
}

static int blocked(int sig) {
  sigset_t s;
  sigprocmask(SIG_SETMASK, NULL, &s);
  return sigismember(&s, sig);
}

static void all(void) {
  printf("handlers and siginfo\n");
  install_info(SIGUSR1, with_info, 0);
  raise(SIGUSR1);
  printf("  raise: hits %d, si_code %d, si_pid is ours %d, blocked in handler %d\n", (int)hits[SIGUSR1], last_code,
         last_pid_is_self, in_handler_blocked);
  kill(getpid(), SIGUSR1);
  printf("  kill: hits %d, si_code %d, si_pid is ours %d\n", (int)hits[SIGUSR1], last_code, last_pid_is_self);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  printf("  tgkill: hits %d, si_code %d\n", (int)hits[SIGUSR1], last_code);
  printf("  kill(signal 0) %d\n", kill(getpid(), 0));
  int r = kill(getpid() + 4000000, SIGUSR1);
  printf("  kill(another pid) %d errno %s\n", r, strerror(errno));
  r = (int)syscall(SYS_tgkill, getpid(), 999999, SIGUSR1);
  printf("  tgkill(another tid) %d errno %s\n", r, strerror(errno));
  r = (int)syscall(SYS_rt_sigaction, SIGKILL, NULL, NULL, 8);
  printf("  sigaction(SIGKILL) query %d\n", r);
  r = (int)syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4);
  printf("  rt_sigaction with a 4-byte set %d errno %s\n", r, strerror(errno));
  {
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_handler = counting;
    r = sigaction(SIGKILL, &a, NULL);
    printf("  sigaction(SIGKILL, handler) %d errno %s\n", r, strerror(errno));
  }

  printf("masks and pending\n");
  install(SIGUSR2, counting, 0, 0);
  sigset_t s, p;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  raise(SIGUSR2);
  raise(SIGUSR2);
  sigpending(&p);
  printf("  blocked: hits %d, pending %d\n", (int)hits[SIGUSR2], sigismember(&p, SIGUSR2));
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  sigpending(&p);
  printf("  unblocked: hits %d (one: not queued), pending %d\n", (int)hits[SIGUSR2], sigismember(&p, SIGUSR2));
  sigaddset(&s, SIGKILL);
  sigprocmask(SIG_SETMASK, &s, NULL);
  printf("  SIGKILL cannot be blocked: %d, SIGUSR2 is: %d\n", blocked(SIGKILL), blocked(SIGUSR2));
  sigemptyset(&s);
  sigprocmask(SIG_SETMASK, &s, NULL);
  r = sigprocmask(7, &s, NULL);
  printf("  sigprocmask(how 7) %d errno %s\n", r, strerror(errno));

  printf("ignored and default-ignored\n");
  install(SIGUSR2, SIG_IGN, 0, 0);
  raise(SIGUSR2);
  struct sigaction old;
  sigaction(SIGUSR2, NULL, &old);
  printf("  SIG_IGN: hits %d, still ignored %d\n", (int)hits[SIGUSR2], old.sa_handler == SIG_IGN);
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  install(SIGUSR2, counting, 0, 0);
  raise(SIGUSR2);
  install(SIGUSR2, SIG_IGN, 0, 0);
  sigpending(&p);
  printf("  a pending signal ignored is discarded: pending %d\n", sigismember(&p, SIGUSR2));
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  raise(SIGCHLD);
  raise(SIGWINCH);
  printf("  SIGCHLD and SIGWINCH by default: ignored\n");

  printf("flags\n");
  install(SIGUSR2, counting, SA_RESETHAND, 0);
  raise(SIGUSR2);
  sigaction(SIGUSR2, NULL, &old);
  printf("  SA_RESETHAND: hits %d, now SIG_DFL %d\n", (int)hits[SIGUSR2], old.sa_handler == SIG_DFL);
  install_info(SIGUSR1, with_info, SA_NODEFER);
  raise(SIGUSR1);
  printf("  SA_NODEFER: blocked in handler %d\n", in_handler_blocked);
  {
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_sigaction = with_info;
    a.sa_flags = SA_SIGINFO;
    sigemptyset(&a.sa_mask);
    sigaddset(&a.sa_mask, SIGWINCH);
    sigaction(SIGUSR1, &a, NULL);
  }
  raise(SIGUSR1);
  printf("  sa_mask: blocked in handler %d, after %d\n", in_handler_blocked, blocked(SIGWINCH));
  hits[SIGUSR2] = 0;
  install(SIGUSR1, nested_outer, 0, 0);
  install(SIGUSR2, counting, 0, 0);
  raise(SIGUSR1);
  printf("  nested: outer %d, inner %d\n", (int)hits[SIGUSR1], (int)hits[SIGUSR2]);

  printf("sigaltstack\n");
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0}, os;
  printf("  set %d\n", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &os);
  printf("  query: flags %d, size %zu, ours %d\n", os.ss_flags, os.ss_size, os.ss_sp == altstack);
  install(SIGUSR2, alt_handler, SA_ONSTACK, 0);
  raise(SIGUSR2);
  printf("  SA_ONSTACK: on the alternate stack %d\n", on_alt);
  install(SIGUSR2, alt_handler, 0, 0);
  raise(SIGUSR2);
  printf("  without SA_ONSTACK: %d\n", on_alt);
  ss.ss_size = 100;
  r = sigaltstack(&ss, NULL);
  printf("  too small: %d errno %s\n", r, strerror(errno));
  ss.ss_flags = SS_DISABLE;
  printf("  disable %d\n", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &os);
  printf("  query: flags %d\n", os.ss_flags);

  printf("faults\n");
  install_info(SIGSEGV, segv_handler, 0);
  if (sigsetjmp(segv_jump, 1) == 0) {
    *(volatile int*)0 = 1;
    printf("  the write went on\n");
  }
  printf("  after siglongjmp: SIGSEGV hits %d, blocked %d\n", (int)hits[SIGSEGV], blocked(SIGSEGV));
  install_info(SIGFPE, fpe_handler, 0);
  volatile int zero = 0;
  printf("  7 / 0 = %d (the handler's answer)\n", divide(7, zero));
  volatile double d = 1.5;
  raise(SIGUSR2);
  printf("  a double kept across a handler: %.2f\n", d * 2);

  printf("SIGPIPE\n");
  int fds[2];
  pipe(fds);
  close(fds[0]);
  install(SIGPIPE, counting, 0, 0);
  r = (int)write(fds[1], "x", 1);
  printf("  write to a pipe without reader: %d errno %s, SIGPIPE hits %d\n", r, strerror(errno), (int)hits[SIGPIPE]);
  install(SIGPIPE, SIG_IGN, 0, 0);
  r = (int)write(fds[1], "x", 1);
  printf("  ignored: %d errno %s, SIGPIPE hits %d\n", r, strerror(errno), (int)hits[SIGPIPE]);
  close(fds[1]);

  printf("threads\n");
  for (int directed = 1; directed >= 0; --directed) {
    pthread_t th;
    pid_t tid = 0;
    hits[SIGUSR2] = 0;
    install(SIGUSR2, tid_handler, 0, 0);
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    /* To the process: main blocks it, so only the thread can take it. To
     * the thread: main does not block it, and still only the thread may. */
    if (!directed) pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_create(&th, NULL, until_handled, &tid);
    if (directed)
      pthread_kill(th, SIGUSR2);
    else
      kill(getpid(), SIGUSR2);
    pthread_join(th, NULL);
    printf("  %s: hits %d, handled on %s\n", directed ? "pthread_kill" : "kill with main blocking it",
           (int)hits[SIGUSR2],
           handler_tid == tid        ? "the thread"
           : handler_tid == gettid() ? "main"
                                     : "?");
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  }

  printf("timers\n");
  install(SIGALRM, counting, 0, 0);
  const unsigned a5 = alarm(5);
  printf("  alarm(5) %u, alarm(0) %u\n", a5, alarm(0));
  struct itimerval it = {{0, 0}, {0, 200000}}, left;
  setitimer(ITIMER_REAL, &it, NULL);
  getitimer(ITIMER_REAL, &left);
  printf("  setitimer 0.2 s: left > 0 %d, <= 0.2 s %d\n", left.it_value.tv_usec > 0 || left.it_value.tv_sec > 0,
         left.it_value.tv_sec == 0 && left.it_value.tv_usec <= 200000);
  r = pause();
  printf("  pause: %d errno %s, SIGALRM hits %d\n", r, strerror(errno), (int)hits[SIGALRM]);
  alarm(1);
  while (hits[SIGALRM] < 2) {
    /* a system call now and then: the library OS delivers at them */
    (void)getppid();
  }
  printf("  alarm(1): SIGALRM hits %d\n", (int)hits[SIGALRM]);
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  raise(SIGUSR2);
  sigset_t none;
  sigemptyset(&none);
  hits[SIGUSR2] = 0;
  install(SIGUSR2, counting, 0, 0);
  raise(SIGUSR2);
  r = sigsuspend(&none);
  printf("  sigsuspend: %d errno %s, hits %d, blocked again %d\n", r, strerror(errno), (int)hits[SIGUSR2],
         blocked(SIGUSR2));
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  printf("done\n");
}

static volatile sig_atomic_t got_usr1, got_term, got_int;
static void on_int(int sig) {
  (void)sig;
  got_int = 1;
}
static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}
static void on_term(int sig) {
  (void)sig;
  got_term = 1;
}

static void* sigwait_thread(void* arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  int sig = 0;
  const int e = sigwait(&s, &sig);
  printf("sigwait in a second thread: %s\n", e == 0 ? strsignal(sig) : strerror(e));
  return NULL;
}

static void on_alarm_sigwait(int sig) {
  (void)sig;
  hits[SIGALRM] = hits[SIGALRM] + 1;
}

static int sigwait_test(const char* self) {
  sigset_t s, w;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  sigaddset(&s, SIGCHLD);
  sigaddset(&s, SIGTERM);
  sigprocmask(SIG_BLOCK, &s, NULL);
  siginfo_t si;
  // Pending before the call: taken at once, with its siginfo.
  raise(SIGUSR1);
  sigemptyset(&w);
  sigaddset(&w, SIGUSR1);
  int r = sigwaitinfo(&w, &si);
  printf("sigwaitinfo after raise: %s, si_code %d, si_pid mine: %s, still pending: %s\n",
         r > 0 ? strsignal(r) : strerror(errno), si.si_code, si.si_pid == getpid() ? "yes" : "no",
         (sigpending(&w), sigismember(&w, SIGUSR1)) ? "yes" : "no");
  // Nothing pending: a zero timeout polls, a short one runs out.
  sigemptyset(&w);
  sigaddset(&w, SIGUSR2);
  struct timespec zero = {0, 0}, short_wait = {0, 100000000}, bad = {0, 1000000000};
  r = sigtimedwait(&w, &si, &zero);
  printf("sigtimedwait, zero timeout: %s\n", r > 0 ? strsignal(r) : strerror(errno));
  r = sigtimedwait(&w, &si, &short_wait);
  printf("sigtimedwait, 100 ms: %s\n", r > 0 ? strsignal(r) : strerror(errno));
  r = sigtimedwait(&w, &si, &bad);
  printf("sigtimedwait, tv_nsec 1e9: %s\n", r > 0 ? strsignal(r) : strerror(errno));
  // A child's end: SIGCHLD, whose default is to ignore it, is kept while
  // blocked, with the child's pid and status.
  pid_t child;
  char* av[] = {(char*)self, "exit7", NULL};
  if (posix_spawn(&child, self, NULL, NULL, av, environ) != 0) return 1;
  sigemptyset(&w);
  sigaddset(&w, SIGCHLD);
  struct timespec long_wait = {60, 0};
  r = sigtimedwait(&w, &si, &long_wait);
  printf("sigtimedwait for a child: %s, CLD_EXITED: %s, its pid: %s, status %d\n",
         r > 0 ? strsignal(r) : strerror(errno), si.si_code == CLD_EXITED ? "yes" : "no",
         si.si_pid == child ? "yes" : "no", si.si_status);
  int st = 0;
  printf("waitpid after it: %s\n", waitpid(child, &st, 0) == child && WEXITSTATUS(st) == 7 ? "exited 7" : "no");
  // A handled signal outside the set ends the wait: EINTR, its handler run.
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_alarm_sigwait;
  a.sa_flags = SA_RESTART;  // never restarts sigtimedwait (signal(7))
  sigaction(SIGALRM, &a, NULL);
  hits[SIGALRM] = 0;
  struct itimerval it = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &it, NULL);
  sigemptyset(&w);
  sigaddset(&w, SIGUSR2);
  r = sigtimedwait(&w, &si, &long_wait);
  printf("sigtimedwait across SIGALRM: %s, its handler ran %d time(s)\n", r > 0 ? strsignal(r) : strerror(errno),
         (int)hits[SIGALRM]);
  // The process's signal reaches the thread that waits for it.
  pthread_t th;
  if (pthread_create(&th, NULL, sigwait_thread, NULL) != 0) return 1;
  usleep(200000);
  kill(getpid(), SIGTERM);
  pthread_join(th, NULL);
  return 0;
}

static volatile sig_atomic_t pwait_hits[65], usr1_open_for_chld = -1;

static void on_pwait(int sig) {
  pwait_hits[sig]++;
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  if (sig == SIGCHLD) usr1_open_for_chld = !sigismember(&now, SIGUSR1);  // the wait's mask, not the thread's
}

struct pwait_thread_arg {
  int fd, epoll;
  volatile int ready;
  long r[2];
  int e[2];
};

// Waits with SIGUSR2 blocked but while in the wait, so that a
// pthread_kill from main ends the wait whenever it comes.
static void* pwait_thread(void* p) {
  struct pwait_thread_arg* a = p;
  sigset_t usr2, open;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, NULL);
  sigemptyset(&open);
  struct pollfd pf = {a->fd, POLLIN, 0};
  a->ready = 1;
  a->r[0] = ppoll(&pf, 1, NULL, &open);
  a->e[0] = errno;
  a->ready = 2;
  struct epoll_event ev;
  a->r[1] = epoll_pwait(a->epoll, &ev, 1, -1, &open);
  a->e[1] = errno;
  return NULL;
}

static const char* answer(long r) { return r >= 0 ? (r == 0 ? "0" : r == 1 ? "1" : "more") : strerror(errno); }

static int pwait_test(const char* self) {
  install(SIGCHLD, on_pwait, SA_RESTART, 0);
  install(SIGUSR1, on_pwait, SA_RESTART, 0);
  install(SIGALRM, on_pwait, SA_RESTART, 0);
  sigset_t block, open;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  sigemptyset(&open);
  // GNU make's wait for a child: SIGCHLD blocked but while in pselect.
  pid_t child;
  char* av[] = {(char*)self, "exit7", NULL};
  if (posix_spawn(&child, self, NULL, NULL, av, environ) != 0) return 1;
  long r;
  int e = 0;
  do {
    r = pselect(0, NULL, NULL, NULL, NULL, &open);
    e = errno;
  } while (r < 0 && e == EINTR && pwait_hits[SIGCHLD] == 0);
  errno = e;
  printf("pselect for a child: %s, SIGCHLD handled %d time(s), SIGUSR1 open in its handler: %s, blocked after: %s\n",
         answer(r), (int)pwait_hits[SIGCHLD], usr1_open_for_chld == 1 ? "yes" : "no", blocked(SIGCHLD) ? "yes" : "no");
  int st = 0;
  printf("waitpid after it: %s\n", waitpid(child, &st, 0) == child && WEXITSTATUS(st) == 7 ? "exited 7" : "no");
  // A pending signal the wait's mask lets through: EINTR at once when
  // nothing is ready; when something is, the count, and the signal stays
  // pending under the thread's own mask.
  int p[2];
  if (pipe(p) != 0) return 1;
  struct pollfd pf = {p[0], POLLIN, 0};
  struct timespec ten = {10, 0}, zero = {0, 0};
  raise(SIGUSR1);
  r = ppoll(&pf, 1, &ten, &open);
  printf("ppoll, SIGUSR1 pending: %s, handled %d time(s), blocked after: %s\n", answer(r), (int)pwait_hits[SIGUSR1],
         blocked(SIGUSR1) ? "yes" : "no");
  raise(SIGUSR1);
  r = ppoll(&pf, 1, &zero, &open);
  printf("ppoll, zero timeout, SIGUSR1 pending: %s, handled %d time(s)\n", answer(r), (int)pwait_hits[SIGUSR1]);
  raise(SIGUSR1);
  r = pselect(0, NULL, NULL, NULL, &zero, &open);
  printf("pselect, zero timeout, SIGUSR1 pending: %s, handled %d time(s)\n", answer(r), (int)pwait_hits[SIGUSR1]);
  if (write(p[1], "x", 1) != 1) return 1;
  raise(SIGUSR1);
  r = ppoll(&pf, 1, &ten, &open);
  sigset_t pend;
  sigpending(&pend);
  printf("ppoll, SIGUSR1 pending, a pipe ready: %s, handled %d time(s), still pending: %s\n", answer(r),
         (int)pwait_hits[SIGUSR1], sigismember(&pend, SIGUSR1) ? "yes" : "no");
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  sigprocmask(SIG_BLOCK, &block, NULL);
  printf("unblocked for a moment: handled %d time(s)\n", (int)pwait_hits[SIGUSR1]);
  char c;
  (void)read(p[0], &c, 1);
  const int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {0}};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  raise(SIGUSR1);
  r = epoll_pwait(ep, &ev, 1, 10000, &open);
  printf("epoll_pwait, SIGUSR1 pending: %s, handled %d time(s)\n", answer(r), (int)pwait_hits[SIGUSR1]);
  raise(SIGUSR1);
  r = epoll_pwait2(ep, &ev, 1, &ten, &open);
  printf("epoll_pwait2, SIGUSR1 pending: %s, handled %d time(s)\n", answer(r), (int)pwait_hits[SIGUSR1]);
  r = epoll_pwait2(ep, &ev, 1, &zero, &open);
  printf("epoll_pwait2, nothing pending, zero timeout: %s\n", answer(r));
  // With the mask it came with: SIGUSR1 stays blocked, the wait times out.
  raise(SIGUSR1);
  struct timeval tv = {0, 50000};
  r = select(0, NULL, NULL, NULL, &tv);
  printf("select, SIGUSR1 pending but blocked: %s, handled %d time(s)\n", answer(r), (int)pwait_hits[SIGUSR1]);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  int sig = 0;
  sigwait(&usr1, &sig);
  // The kernel's sizes: a sigset of 8 bytes, else EINVAL.
  const struct {
    const sigset_t* ss;
    size_t len;
  } bad = {&open, 4};
  r = syscall(SYS_pselect6, 0, NULL, NULL, NULL, &zero, &bad);
  printf("pselect6, a 4-byte mask: %s\n", answer(r));
  r = syscall(SYS_ppoll, &pf, 1, &zero, &open, 4);
  printf("ppoll, a 4-byte mask: %s\n", answer(r));
  r = syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &open, 16);
  printf("epoll_pwait, a 16-byte mask: %s\n", answer(r));
  // Another thread's signal to a thread that waits in the host.
  install(SIGUSR2, on_pwait, SA_RESTART, 0);
  struct pwait_thread_arg ta = {p[0], ep, 0, {0, 0}, {0, 0}};
  pthread_t th;
  if (pthread_create(&th, NULL, pwait_thread, &ta) != 0) return 1;
  while (ta.ready != 1) usleep(1000);
  usleep(100000);
  pthread_kill(th, SIGUSR2);
  while (ta.ready != 2) usleep(1000);
  usleep(100000);
  pthread_kill(th, SIGUSR2);
  pthread_join(th, NULL);
  errno = ta.e[0];
  printf("ppoll in a thread across pthread_kill: %s\n", answer(ta.r[0]));
  errno = ta.e[1];
  printf("epoll_pwait in a thread across pthread_kill: %s, SIGUSR2 handled %d time(s)\n", answer(ta.r[1]),
         (int)pwait_hits[SIGUSR2]);
  // SA_RESTART never restarts a descriptor wait (signal(7)). A repeating
  // timer: a first expiry before the wait starts (a loaded machine) is
  // followed by another.
  struct itimerval it = {{0, 100000}, {0, 100000}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &it, NULL);
  r = poll(&pf, 1, -1);
  setitimer(ITIMER_REAL, &off, NULL);
  printf("poll across SIGALRM (SA_RESTART): %s, handled: %s\n", answer(r), pwait_hits[SIGALRM] > 0 ? "yes" : "no");
  pwait_hits[SIGALRM] = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  r = epoll_wait(ep, &ev, 1, -1);
  setitimer(ITIMER_REAL, &off, NULL);
  printf("epoll_wait across SIGALRM (SA_RESTART): %s, handled: %s\n", answer(r),
         pwait_hits[SIGALRM] > 0 ? "yes" : "no");
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* mode = argc > 1 ? argv[1] : "all";
  if (strcmp(mode, "all") == 0) {
    all();
    return 0;
  }
  if (strcmp(mode, "abort") == 0) {
    printf("aborting\n");
    abort();
  }
  if (strcmp(mode, "term") == 0) {
    printf("sending SIGTERM to myself\n");
    kill(getpid(), SIGTERM);
    printf("still alive\n");
    return 0;
  }
  if (strcmp(mode, "pipe") == 0) {
    int fds[2];
    pipe(fds);
    close(fds[0]);
    printf("writing to a pipe without reader\n");
    (void)write(fds[1], "x", 1);
    printf("still alive\n");
    return 0;
  }
  if (strcmp(mode, "segv") == 0) {
    printf("writing to NULL\n");
    *(volatile int*)0 = 1;
    return 0;
  }
  if (strcmp(mode, "wait") == 0) {
    install(SIGUSR1, on_usr1, 0, 0);
    install(SIGTERM, on_term, 0, 0);
    printf("ready\n");
    while (!got_usr1) pause();
    printf("SIGUSR1 from outside\n");
    while (!got_term) pause();
    printf("SIGTERM from outside\n");
    return 3;
  }
  if (strcmp(mode, "read") == 0) {  // reads of stdin (signals_test.sh: a slow host)
    for (;;) {
      char b[64];
      const ssize_t n = read(0, b, sizeof b - 1);
      if (n <= 0) {
        printf("read: %s\n", n < 0 ? strerror(errno) : "end");
        return 4;
      }
      b[n] = 0;
      printf("read: %s", b);
    }
  }
  if (strcmp(mode, "sigwait") == 0) return sigwait_test(argv[0]);
  if (strcmp(mode, "pwait") == 0) return pwait_test(argv[0]);
  if (strcmp(mode, "exit7") == 0) return 7;
  if (strcmp(mode, "launch") == 0 && argc > 3 && strcmp(argv[2], "--") == 0) {
    signal(SIGINT, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    // And what the host's backends take synchronously or send their own
    // threads (a host that kept them blocked died at its first trap).
    sigaddset(&s, SIGSEGV);
    sigaddset(&s, SIGILL);
    sigaddset(&s, SIGTRAP);
    sigaddset(&s, SIGRTMAX - 2);
    sigaddset(&s, SIGRTMIN + 4);
    sigaddset(&s, SIGRTMIN + 5);
    sigprocmask(SIG_BLOCK, &s, NULL);
    // Pending across the exec, as the host's own kick and nudge can be
    // when it execs the next program's host: a host that unblocked them
    // before its handlers were in place died of them (exit 128 + 39).
    raise(SIGRTMIN + 4);
    raise(SIGRTMIN + 5);
    execvp(argv[3], argv + 3);
    perror("launch: execvp");
    return 127;
  }
  if (strcmp(mode, "inherited") == 0) {
    const int sigs[] = {SIGINT, SIGUSR2, SIGPIPE, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) {
      struct sigaction a;
      sigaction(sigs[i], NULL, &a);
      printf("%s: %s, %s\n", strsignal(sigs[i]), a.sa_handler == SIG_IGN ? "ignored" : "default",
             blocked(sigs[i]) ? "blocked" : "not blocked");
    }
    printf("SIGUSR1 blocked: %s, SIGSEGV blocked: %s\n", blocked(SIGUSR1) ? "yes" : "no",
           blocked(SIGSEGV) ? "yes" : "no");
    int fds[2];
    pipe(fds);
    close(fds[0]);
    const ssize_t w = write(fds[1], "x", 1);
    printf("a write to a pipe without reader: %s\n", w < 0 ? strerror(errno) : "written");
    install(SIGINT, on_int, 0, 0);
    printf("ready\n");
    while (!got_int) pause();
    printf("SIGINT from outside, ignored at the start: handled\n");
    sigset_t p;
    sigpending(&p);
    printf("SIGUSR1 pending while blocked: %s\n", sigismember(&p, SIGUSR1) ? "yes" : "no");
    install(SIGUSR1, on_usr1, 0, 0);
    sigset_t u;
    sigemptyset(&u);
    sigaddset(&u, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    printf("SIGUSR1 once unblocked: %s\n", got_usr1 ? "handled" : "not handled");
    return 0;
  }
  fprintf(stderr, "usage: signals [abort|term|segv|pipe|wait|read|sigwait|pwait|inherited|launch -- COMMAND...]\n");
  return 2;
}
