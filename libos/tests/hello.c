/* The library OS's test program (docs/libos.md), built with -static-pie
 * and run both natively and inside the enclave (libos_test.sh):
 *   hello basic FILE ARGS...  stdout/stderr and status 3, the same both ways
 *   hello open PATH           what open(PATH) says
 *   hello hostile             read(0) and clock_gettime against a lying host
 *   hello cost N              TSC cycles per system call (getpid: no OCALL;
 *                             clock_gettime: one OCALL), the median of N
 *   hello cpu N               N million rounds of a CPU-bound loop (xorshift
 *                             and integer division), no system calls
 *   hello clock MS            reads CLOCK_MONOTONIC and CLOCK_REALTIME for MS
 *                             ms: MONOTONIC never goes back, the two advance
 *                             alike; prints REALTIME's first and last (ns) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int basic(int argc, char** argv) {
  printf("hello from a static-PIE program, %d arguments\n", argc);
  for (int i = 2; i < argc; ++i) printf("argv[%d] = %s\n", i, argv[i]);
  const size_t n = 6u << 20; /* malloc of a few MiB: mmap */
  unsigned char* big = malloc(n);
  if (big == NULL) return 10;
  for (size_t i = 0; i < n; ++i) big[i] = (unsigned char)(i * 7);
  unsigned long sum = 0;
  for (size_t i = 0; i < n; i += 4096) sum += big[i + 5];
  free(big);
  printf("malloc %zu bytes, checksum %lu\n", n, sum);
  char* small[100]; /* brk */
  for (int i = 0; i < 100; ++i) small[i] = malloc(1000 + (size_t)i);
  for (int i = 0; i < 100; ++i) free(small[i]);
  FILE* f = fopen(argv[2], "r");
  if (f == NULL) {
    printf("fopen %s: %s\n", argv[2], strerror(errno));
  } else {
    char line[256];
    while (fgets(line, sizeof line, f)) printf("file: %s", line);
    fseek(f, 0, SEEK_END);
    printf("file size %ld\n", ftell(f));
    fclose(f);
  }
  unsigned char r[16];
  printf("getrandom %zd\n", getrandom(r, sizeof r, 0));
  struct timespec a, b, rt;
  int ok = clock_gettime(CLOCK_MONOTONIC, &a) == 0 && clock_gettime(CLOCK_MONOTONIC, &b) == 0 &&
           clock_gettime(CLOCK_REALTIME, &rt) == 0;
  ok = ok && (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)) && rt.tv_sec > 1600000000;
  printf("clock_gettime %s\n", ok ? "ok" : "wrong");
  fprintf(stderr, "a line on stderr\n");
  return 3;
}

static int hostile(void) {
  char buf[16];
  errno = 0;
  ssize_t r = read(0, buf, sizeof buf);
  printf("read: %zd %s\n", r, r < 0 ? strerror(errno) : "");
  struct timespec t;
  for (int i = 0; i < 2; ++i) {
    errno = 0;
    int c = clock_gettime(CLOCK_MONOTONIC, &t);
    printf("clock_gettime: %d %s\n", c, c < 0 ? strerror(errno) : "");
  }
  void* p = malloc(100000);
  printf("still working: %s\n", p != NULL ? "yes" : "no");
  free(p);
  return 0;
}

static unsigned long long tsc(void) {
  unsigned lo, hi;
  __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi));
  return ((unsigned long long)hi << 32) | lo;
}

static int by_value(const void* a, const void* b) {
  const unsigned long long x = *(const unsigned long long*)a, y = *(const unsigned long long*)b;
  return x < y ? -1 : x > y;
}

static int cost(int n) {
  if (n < 1 || n > 100000) return 2;
  unsigned long long* s = malloc(sizeof *s * (size_t)n);
  if (s == NULL) return 10;
  for (int which = 0; which < 2; ++which) {
    for (int i = 0; i < n; ++i) {
      struct timespec t;
      const unsigned long long t0 = tsc();
      if (which == 0)
        (void)getpid();
      else
        (void)clock_gettime(CLOCK_MONOTONIC, &t);
      s[i] = tsc() - t0;
    }
    qsort(s, (size_t)n, sizeof *s, by_value);
    printf("%s: median %llu cycles, min %llu (%d calls)\n", which == 0 ? "getpid" : "clock_gettime", s[n / 2], s[0], n);
  }
  free(s);
  return 0;
}

static long long ns(const struct timespec* t) { return t->tv_sec * 1000000000ll + t->tv_nsec; }

// REALTIME - MONOTONIC at one moment, as an interval: REALTIME read
// between two MONOTONIC readings (a preemption only widens it).
struct offset {
  long long lo, hi;
};
static struct offset offset_now(long long* mono) {
  struct timespec a, r, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &b);
  *mono = ns(&b);
  struct offset o = {ns(&r) - ns(&b), ns(&r) - ns(&a)};
  return o;
}

static int clock_check(int ms) {
  if (ms < 1 || ms > 60000) return 2;
  struct timespec r0, r;
  long long m0, m, last, worst = 0, reads = 0;
  clock_gettime(CLOCK_REALTIME, &r0);
  const struct offset o0 = offset_now(&m0);
  last = m0;
  do {
    long long before = last;
    const struct offset o = offset_now(&m);
    reads += 3;
    if (m < before) {
      printf("clock: MONOTONIC went back by %lld ns\n", before - m);
      return 1;
    }
    last = m;
    // REALTIME - MONOTONIC stays put (no step here): how far the two
    // intervals lie apart, if they do not overlap.
    const long long d = o.lo > o0.hi ? o.lo - o0.hi : o0.lo > o.hi ? o0.lo - o.hi : 0;
    if (d > worst) worst = d;
  } while (m - m0 < ms * 1000000ll);
  clock_gettime(CLOCK_REALTIME, &r);
  printf("clock: %lld readings, MONOTONIC never back, REALTIME and MONOTONIC at most %lld us apart\n", reads,
         worst / 1000);
  printf("clock: realtime %lld %lld\n", ns(&r0), ns(&r));
  return 0;
}

static int cpu(long millions) {
  unsigned long long x = 88172645463325252ull, acc = 0;
  for (long i = 0; i < millions * 1000000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    acc += x % 1000003u;
  }
  printf("cpu %ld million rounds: %llu\n", millions, acc);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "cpu") == 0) return cpu(atol(argv[2]));
  if (argc == 3 && strcmp(argv[1], "cost") == 0) return cost(atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "clock") == 0) return clock_check(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "basic") == 0) return basic(argc, argv);
  if (argc == 3 && strcmp(argv[1], "open") == 0) {
    int fd = open(argv[2], O_RDONLY);
    printf("open %s: %s\n", argv[2], fd >= 0 ? "ok" : strerror(errno));
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "hostile") == 0) return hostile();
  fprintf(stderr, "usage: hello basic FILE ARGS... | open PATH | hostile\n");
  return 2;
}
