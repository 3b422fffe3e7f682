/* First touches of new memory (docs/libos.md, "Zero-fill on demand"):
 * malloc'd memory (a large malloc is an anonymous mapping, zero-filled on
 * demand inside the library OS) written one byte a page, page after page
 * upward, downward, or every STRIDE-th page (with -2: page k of each half
 * in turn, two upward streams), then read back (with -n only the pages
 * written: the others stay untouched). What it prints is the
 * same natively and inside; with -t it also prints, on stderr, the
 * microseconds a first touch took per page (a measurement, never checked
 * by a test).
 *   touch [-t] [-n] [-2] MIB [STRIDE [down]]   (default: 8 MiB, stride 1, upward) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  int timed = 0, all = 1, halves = 0, arg = 1;
  for (; argc > arg && argv[arg][0] == '-'; ++arg) {
    if (strcmp(argv[arg], "-t") == 0)
      timed = 1;
    else if (strcmp(argv[arg], "-n") == 0)
      all = 0;
    else if (strcmp(argv[arg], "-2") == 0)
      halves = 1;
    else
      return 2;
  }
  const size_t mib = argc > arg ? strtoul(argv[arg], NULL, 10) : 8;
  const size_t stride = argc > arg + 1 ? strtoul(argv[arg + 1], NULL, 10) : 1;
  const int down = argc > arg + 2 && strcmp(argv[arg + 2], "down") == 0;
  if (mib == 0 || stride == 0 || (halves && (stride != 1 || down))) return 2;
  const size_t bytes = mib << 20, pages = bytes / 4096;
  volatile unsigned char* m = malloc(bytes);
  if (m == NULL) return 3;
  size_t touched = 0;
  const double t0 = now_us();
  for (size_t k = 0; k < pages; k += stride) {
    size_t i = down ? pages - 1 - k : k;
    if (halves) i = k % 2 == 0 ? k / 2 : pages / 2 + k / 2;
    m[i * 4096 + (i % 4096)] = (unsigned char)(i * 7 + 1);
    ++touched;
  }
  const double t1 = now_us();
  uint64_t sum = 0;
  size_t zeros = 0;
  for (size_t i = 0; i < pages; ++i) {
    const int written = (down ? pages - 1 - i : i) % stride == 0;
    if (!written && !all) continue;
    const unsigned char v = m[i * 4096 + (i % 4096)];
    if (written && v != (unsigned char)(i * 7 + 1)) return 4;
    if (!written) zeros += v == 0;
    sum += v;
  }
  printf("touched %zu of %zu pages, sum %llu, %zu untouched pages read zero\n", touched, pages, (unsigned long long)sum,
         zeros);
  if (timed) fprintf(stderr, "first touch: %.1f us a page (%zu pages)\n", (t1 - t0) / (double)touched, touched);
  free((void*)m);
  return 0;
}
