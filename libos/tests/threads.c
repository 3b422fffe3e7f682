/* A multi-threaded static-PIE program for the library OS's thread tests
 * (libos_threads_test.sh, docs/libos.md "Threads"). Its output depends only
 * on its arguments, so a run inside the enclave must print exactly what a
 * native run prints.
 *
 *   threads work N ROUNDS   N workers: a token passed round a ring under a
 *                           mutex and condition variable, atomics, __thread
 *                           variables, a barrier, timed waits and sleeps,
 *                           pthread_join with results
 *   threads limit K         creates up to K blocked threads; reports the
 *                           first pthread_create that fails, releases and
 *                           joins the others
 *   threads exitgroup N     N threads block (condition variable, join); one
 *                           more calls _exit(42) (exit_group)
 *   threads spin            a thread computes without system calls while
 *                           the main thread calls exit(7)
 *   threads mainexit        the main thread calls pthread_exit; two others
 *                           print and end, and the program with them (0)
 *   threads clock N K       N threads read CLOCK_MONOTONIC, the process's
 *                           and the thread's CPU time, times(2) and
 *                           getrusage(2) K times each: every call succeeds
 *                           and no answer is earlier than the thread's
 *                           previous one (monotonic clocks are system-wide
 *                           on Linux: threads racing must not fail) */
#define _GNU_SOURCE /* pthread_cond_clockwait */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn; /* whose turn in the ring, under mu */
static int nworkers, rounds;
static atomic_long counter;
static atomic_int tids_seen_bad;
static pthread_barrier_t barrier;
static __thread long mine = 7; /* TLS: each thread its own copy, initialised */
static __thread char tls_name[16];
static long tids[MAX_WORKERS + 1];

static double now_ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void* worker(void* arg) {
  const int id = (int)(long)arg;
  snprintf(tls_name, sizeof tls_name, "worker-%d", id);
  mine += (long)id * 1000;
  tids[id + 1] = syscall(SYS_gettid);
  if (getpid() != (pid_t)tids[0]) atomic_fetch_add(&tids_seen_bad, 1);
  pthread_barrier_wait(&barrier); /* everyone started */
  long passes = 0;
  for (int r = 0; r < rounds; ++r) {
    pthread_mutex_lock(&mu);
    while (turn != id) pthread_cond_wait(&cv, &mu);
    turn = (turn + 1) % nworkers; /* hand the token on */
    ++passes;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int k = 0; k < 1000; ++k) atomic_fetch_add(&counter, 1);
    if (r % 16 == 0) sched_yield();
  }
  pthread_barrier_wait(&barrier); /* everyone done with the ring */
  /* The TLS still holds this thread's values. */
  char want[16];
  snprintf(want, sizeof want, "worker-%d", id);
  if (strcmp(tls_name, want) != 0 || mine != 7 + (long)id * 1000) return (void*)-1L;
  return (void*)(passes * 100 + id);
}

static int work(int n, int r) {
  nworkers = n;
  rounds = r;
  tids[0] = getpid();
  pthread_barrier_init(&barrier, NULL, (unsigned)n);
  pthread_t t[MAX_WORKERS];
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 << 10);
  for (int i = 0; i < n; ++i)
    if ((errno = pthread_create(&t[i], &a, worker, (void*)(long)i)) != 0) {
      perror("pthread_create");
      return 1;
    }
  int ok = 1;
  for (int i = 0; i < n; ++i) {
    void* res;
    pthread_join(t[i], &res);
    printf("worker %d: %ld\n", i, (long)res);
    if ((long)res != rounds * 100 + i) ok = 0;
  }
  printf("counter %ld (want %ld)\n", (long)atomic_load(&counter), (long)n * r * 1000);
  /* Thread ids: distinct, none the process id. */
  int distinct = 1;
  for (int i = 0; i <= n; ++i)
    for (int j = i + 1; j <= n; ++j)
      if (tids[i] == tids[j]) distinct = 0;
  printf("thread ids distinct: %s, getpid the same in every thread: %s\n", distinct ? "yes" : "no",
         atomic_load(&tids_seen_bad) == 0 ? "yes" : "no");
  printf("main's TLS untouched: %s\n", mine == 7 && tls_name[0] == 0 ? "yes" : "no");
  /* A timed wait that times out: FUTEX_WAIT_BITSET with CLOCK_REALTIME's
   * absolute time, then CLOCK_MONOTONIC's. */
  /* Each start time read before the deadline is computed: a system call
   * inside takes a while, and the wait must last from the deadline's
   * reading on. */
  const double t0 = now_ms(CLOCK_MONOTONIC);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 30L * 1000000;
  if (until.tv_nsec >= 1000000000) until.tv_nsec -= 1000000000, ++until.tv_sec;
  pthread_mutex_lock(&mu);
  int rc = pthread_cond_timedwait(&cv, &mu, &until);
  pthread_mutex_unlock(&mu);
  printf("timedwait (realtime): %s, waited >= 30 ms: %s\n", strerror(rc),
         now_ms(CLOCK_MONOTONIC) - t0 >= 29.5 ? "yes" : "no");
  const double t1 = now_ms(CLOCK_MONOTONIC);
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 20L * 1000000;
  if (until.tv_nsec >= 1000000000) until.tv_nsec -= 1000000000, ++until.tv_sec;
  pthread_mutex_lock(&mu);
  rc = pthread_cond_clockwait(&cv, &mu, CLOCK_MONOTONIC, &until);
  pthread_mutex_unlock(&mu);
  printf("timedwait (monotonic): %s, waited >= 20 ms: %s\n", strerror(rc),
         now_ms(CLOCK_MONOTONIC) - t1 >= 19.5 ? "yes" : "no");
  const struct timespec nap = {0, 25L * 1000000};
  const double t2 = now_ms(CLOCK_MONOTONIC);
  rc = nanosleep(&nap, NULL);
  printf("nanosleep: %d, slept >= 25 ms: %s\n", rc, now_ms(CLOCK_MONOTONIC) - t2 >= 24.5 ? "yes" : "no");
  /* A clone that is not a thread's (CLONE_THREAD without CLONE_SIGHAND):
   * refused, as Linux does. */
  static char clone_stack[4096] __attribute__((aligned(16)));
  const long cr = syscall(SYS_clone, 0x100 | 0x10000 /* CLONE_VM | CLONE_THREAD */, clone_stack + sizeof clone_stack,
                          NULL, NULL, 0);
  printf("clone CLONE_VM|CLONE_THREAD: %ld %s\n", cr, cr < 0 ? strerror(errno) : "");
  /* A futex word that does not hold the expected value: EAGAIN at once. */
  int word = 5;
  const long fr = syscall(SYS_futex, &word, 128 /* FUTEX_WAIT_PRIVATE */, 6, NULL, NULL, 0);
  printf("futex wait on a changed word: %ld %s\n", fr, fr < 0 ? strerror(errno) : "");
  printf("%s\n", ok ? "all workers passed the token" : "WRONG RESULTS");
  return ok ? 0 : 1;
}

static int released;

static void* blocked(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!released) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static int limit(int k) {
  pthread_t t[MAX_WORKERS];
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 128 << 10);
  int made = 0;
  for (; made < k && made < MAX_WORKERS; ++made) {
    const int rc = pthread_create(&t[made], &a, blocked, NULL);
    if (rc != 0) {
      printf("pthread_create %d: %s\n", made + 1, strerror(rc));
      break;
    }
  }
  pthread_mutex_lock(&mu);
  released = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < made; ++i) pthread_join(t[i], NULL);
  printf("created and joined %d\n", made);
  /* The slots are free again. */
  pthread_t again;
  const int rc = pthread_create(&again, &a, blocked, NULL);
  if (rc == 0) pthread_join(again, NULL);
  printf("after joining: pthread_create %s\n", rc == 0 ? "works" : strerror(rc));
  return 0;
}

static atomic_int waiting;

static void* waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  atomic_fetch_add(&waiting, 1);
  while (!released) pthread_cond_wait(&cv, &mu); /* never released */
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void* ender(void* arg) {
  const int n = (int)(long)arg;
  while (atomic_load(&waiting) < n) sched_yield();
  const struct timespec nap = {0, 50L * 1000000}; /* let them reach the futex */
  nanosleep(&nap, NULL);
  printf("ending the program from a thread\n");
  fflush(stdout);
  _exit(42); /* exit_group */
}

static int exitgroup(int n) {
  pthread_t t[MAX_WORKERS];
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 128 << 10);
  for (int i = 0; i < n; ++i) pthread_create(&t[i], &a, waiter, NULL);
  pthread_t e;
  pthread_create(&e, &a, ender, (void*)(long)n);
  pthread_join(e, NULL); /* the main thread blocks in the futex of e's id */
  printf("not reached\n");
  return 1;
}

static atomic_int spinning;

static void* spinner(void* arg) {
  (void)arg;
  atomic_store(&spinning, 1);
  for (volatile unsigned long x = 0;; x = x * 7 + 1) {
  }
  return NULL;
}

static int spin(void) {
  pthread_t t;
  pthread_create(&t, NULL, spinner, NULL);
  while (!atomic_load(&spinning)) sched_yield();
  printf("exit while a thread computes\n");
  exit(7);
}

static void* late(void* arg) {
  const struct timespec nap = {0, (long)arg * 20 * 1000000};
  nanosleep(&nap, NULL);
  printf("thread %ld ends\n", (long)arg);
  return NULL;
}

static int mainexit(void) {
  printf("main thread ends\n");
  pthread_t t;
  pthread_create(&t, NULL, late, (void*)1L);
  pthread_create(&t, NULL, late, (void*)3L);
  pthread_exit(NULL);
}

static int clock_reads;
static atomic_int clock_failed, clock_back;

static int before(const struct timespec* a, const struct timespec* b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void* reader(void* arg) {
  (void)arg;
  struct timespec last[3] = {{0, 0}, {0, 0}, {0, 0}};
  const clockid_t ids[3] = {CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
  clock_t last_ticks = 0, last_utime = 0;
  long last_self = 0, last_thread = 0;
  for (int i = 0; i < clock_reads; ++i) {
    for (int c = 0; c < 3; ++c) {
      struct timespec ts;
      if (clock_gettime(ids[c], &ts) != 0) {
        atomic_fetch_add(&clock_failed, 1);
        continue;
      }
      if (before(&ts, &last[c])) atomic_fetch_add(&clock_back, 1);
      last[c] = ts;
    }
    struct tms t;
    const clock_t ticks = times(&t);
    if (ticks == (clock_t)-1) atomic_fetch_add(&clock_failed, 1);
    if (ticks < last_ticks || t.tms_utime < last_utime) atomic_fetch_add(&clock_back, 1);
    last_ticks = ticks;
    last_utime = t.tms_utime;
    struct rusage ru;
    for (int who = 0; who < 2; ++who) {
      if (getrusage(who ? RUSAGE_THREAD : RUSAGE_SELF, &ru) != 0) {
        atomic_fetch_add(&clock_failed, 1);
        continue;
      }
      const long us =
          ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
      long* last_us = who ? &last_thread : &last_self;
      if (us < *last_us) atomic_fetch_add(&clock_back, 1);
      *last_us = us;
    }
  }
  return NULL;
}

static int clocks(int n, int k) {
  clock_reads = k;
  pthread_t t[MAX_WORKERS];
  for (int i = 0; i < n; ++i)
    if (pthread_create(&t[i], NULL, reader, NULL) != 0) return 3;
  for (int i = 0; i < n; ++i) pthread_join(t[i], NULL);
  printf("%d threads, %d readings each: %d failed, %d went back\n", n, k, atomic_load(&clock_failed),
         atomic_load(&clock_back));
  return atomic_load(&clock_failed) || atomic_load(&clock_back) ? 1 : 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && strcmp(argv[1], "work") == 0) {
    const int n = atoi(argv[2]);
    if (n < 1 || n > MAX_WORKERS) return 2;
    return work(n, atoi(argv[3]));
  }
  if (argc == 3 && strcmp(argv[1], "limit") == 0) return limit(atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "exitgroup") == 0) {
    const int n = atoi(argv[2]);
    if (n < 0 || n >= MAX_WORKERS) return 2;
    return exitgroup(n);
  }
  if (argc == 2 && strcmp(argv[1], "spin") == 0) return spin();
  if (argc == 2 && strcmp(argv[1], "mainexit") == 0) return mainexit();
  if (argc == 4 && strcmp(argv[1], "clock") == 0) {
    const int n = atoi(argv[2]);
    if (n < 1 || n > MAX_WORKERS) return 2;
    return clocks(n, atoi(argv[3]));
  }
  fprintf(stderr, "usage: threads work N ROUNDS | limit K | exitgroup N | spin | mainexit | clock N K\n");
  return 2;
}
