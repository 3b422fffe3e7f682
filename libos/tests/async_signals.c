/* Signals to threads that compute without system calls, and waits cut
 * short by a signal (docs/libos.md, "Signals": interrupts). Run natively
 * and inside the library OS with one mode as argv[1]; the output must be
 * the same.
 *   spin      alarm(1), then a loop of pure computation (integer and SSE)
 *             until the SIGALRM handler sets a flag; the loop's state is
 *             checked afterwards (the interrupt kept its registers)
 *   itimer    setitimer every 100 ms, a computing loop until three ticks
 *   thread    a started thread computes until SIGALRM, which only it does
 *             not block, runs its handler on it
 *   tkill     a started thread computes until SIGUSR1, which main sends
 *             it (pthread_kill) once it computes: another program
 *             thread's signal reaches a thread without system calls
 *   term      "ready", then computes forever (the test sends SIGTERM)
 *   storm     "ready", then computes until alarm(4) while the test sends
 *             SIGUSR1 from outside as fast as it can: each handled, the
 *             loop's state kept
 *   nanosleep nanosleep(10 s) cut short by a SIGALRM handler: EINTR and
 *             the time left, even under SA_RESTART (never restarted)
 *   futex     FUTEX_WAIT cut short by a SIGALRM handler without
 *             SA_RESTART: EINTR */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static volatile pid_t handled_on;

static void on_alarm(int sig) {
  (void)sig;
  handled_on = (pid_t)syscall(SYS_gettid);
  ticks = ticks + 1;
}

static void handle(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
}

/* n(n+1)/2 modulo 2^64, as the loops' sums wrap when they run long (a
 * storm under contention): the even factor halved first. */
static uint64_t triangle(uint64_t n) { return n % 2 == 0 ? (n / 2) * (n + 1) : n * ((n + 1) / 2); }

/* Computes until `ticks` reaches `until`, without a system call. The
 * integer and double accumulators follow a closed form the check below
 * recomputes: a signal that clobbered a register would show. */
static int compute_until(int until) {
  uint64_t n = 0, x = 0;
  double d = 0.0;
  while (ticks < until) {
    ++n;
    x += n * 3;
    d += 0.5;
    __asm__ volatile("" : "+r"(x), "+x"(d));
  }
  return x == 3 * triangle(n) && d == 0.5 * (double)n;
}

static volatile sig_atomic_t usr1;
static volatile pid_t usr1_on;
static void on_usr1(int sig) {
  (void)sig;
  usr1_on = (pid_t)syscall(SYS_gettid);
  usr1 = usr1 + 1;
}

static volatile int computing;

/* compute_until for `usr1`: the same closed form. */
static void* thread_compute_usr1(void* arg) {
  *(pid_t*)arg = (pid_t)syscall(SYS_gettid);
  uint64_t n = 0, x = 0;
  double d = 0.0;
  computing = 1;
  while (usr1 < 1) {
    ++n;
    x += n * 3;
    d += 0.5;
    __asm__ volatile("" : "+r"(x), "+x"(d));
  }
  return (void*)(intptr_t)(x == 3 * triangle(n) && d == 0.5 * (double)n);
}

static void* thread_compute(void* arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGALRM);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  *(pid_t*)arg = (pid_t)syscall(SYS_gettid);
  return (void*)(intptr_t)compute_until(1);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "spin";
  if (strcmp(mode, "spin") == 0) {
    handle(SA_RESTART);
    alarm(1);
    const int ok = compute_until(1);
    printf("spin: SIGALRM handled on the computing thread: %s, state kept: %s\n",
           handled_on == (pid_t)syscall(SYS_gettid) ? "yes" : "no", ok ? "yes" : "no");
  } else if (strcmp(mode, "itimer") == 0) {
    handle(SA_RESTART);
    const struct itimerval v = {{0, 100000}, {0, 100000}};
    setitimer(ITIMER_REAL, &v, NULL);
    const int ok = compute_until(3);
    const struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("itimer: three ticks while computing, state kept: %s\n", ok ? "yes" : "no");
  } else if (strcmp(mode, "thread") == 0) {
    handle(SA_RESTART);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* only the computing thread takes it */
    static pid_t tid;
    pthread_t th;
    if (pthread_create(&th, NULL, thread_compute, &tid) != 0) return 2;
    alarm(1);
    void* ok = NULL;
    pthread_join(th, &ok);
    printf("thread: SIGALRM handled on the computing thread: %s, state kept: %s\n", handled_on == tid ? "yes" : "no",
           ok ? "yes" : "no");
  } else if (strcmp(mode, "tkill") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    static pid_t tid;
    pthread_t th;
    if (pthread_create(&th, NULL, thread_compute_usr1, &tid) != 0) return 2;
    const struct timespec step = {0, 10000000};
    while (!computing) nanosleep(&step, NULL);
    nanosleep(&step, NULL); /* well inside its loop now */
    pthread_kill(th, SIGUSR1);
    void* ok = NULL;
    pthread_join(th, &ok);
    printf("tkill: SIGUSR1 handled on the computing thread: %s, state kept: %s\n", usr1_on == tid ? "yes" : "no",
           ok ? "yes" : "no");
  } else if (strcmp(mode, "storm") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    handle(SA_RESTART);
    printf("ready\n");
    fflush(stdout);
    alarm(4);
    const int ok = compute_until(1);
    printf("storm: SIGUSR1 handled while computing: %s, state kept: %s\n", usr1 > 0 ? "yes" : "no", ok ? "yes" : "no");
  } else if (strcmp(mode, "term") == 0) {
    printf("ready\n");
    fflush(stdout);
    compute_until(1); /* nothing sets it: only SIGTERM ends this */
    printf("not reached\n");
  } else if (strcmp(mode, "nanosleep") == 0) {
    handle(SA_RESTART); /* nanosleep is never restarted (signal(7)) */
    alarm(1);
    struct timespec req = {10, 0}, rem = {0, 0};
    const int r = nanosleep(&req, &rem);
    printf("nanosleep: %d %s, handled %d, time left over 5 s: %s\n", r, r != 0 ? strerror(errno) : "", (int)ticks,
           rem.tv_sec >= 5 ? "yes" : "no");
  } else if (strcmp(mode, "futex") == 0) {
    handle(0);
    alarm(1);
    static uint32_t word;
    const long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    printf("futex: %ld %s, handled %d\n", r, r != 0 ? strerror(errno) : "", (int)ticks);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
