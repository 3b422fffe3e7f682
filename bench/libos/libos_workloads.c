/* The workloads of bench/workloads (workloads.h: the nbench-style suite,
 * bw_mem, a hash join, SQLite on a file) as one ordinary static-PIE Linux
 * program, for `nsgx bench libos`: the same binary runs natively and,
 * unmodified, inside the library OS enclave (docs/libos.md), so the ratio is
 * the library OS's cost on an unmodified program — its system calls, its
 * memory — and nothing else.
 *
 *   libos_workloads [--check] [--only NAME] [--target-ms MS] [--iters NAME=N,...] [--db PATH]
 *
 * Without --iters each workload calibrates (doubles its iterations until a
 * run takes --target-ms); the driver runs it natively that way once, then
 * passes the counts it printed to every timed run, native and inside, so
 * that both do the same work. One line per workload on stdout:
 *
 *   name <TAB> iterations <TAB> nanoseconds <TAB> digest (hex)
 *
 * timed with CLOCK_MONOTONIC around wl_run alone (preparation — allocating
 * and touching the buffers, generating the inputs, creating the database —
 * is not timed, as in bench/workloads). The digest is a hash of the run's
 * value and of the output buffers: native and enclave must agree. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workloads.h"

struct workload {
  const char* name;
  uint32_t kernel;
  uint64_t a, b;   /* sizes (workloads.h) */
  uint64_t ca, cb; /* --check sizes */
};

/* nbench's documented sizes (as bench/workloads), bw_mem at three sizes
 * within the inproc backend's default EPC, a hash join and SQLite. */
static const struct workload kWorkloads[] = {
    {"numeric_sort", WL_NUMSORT, 8111, 0, 500, 0},
    {"string_sort", WL_STRSORT, UINT64_C(8111) * 8, 0, 2000, 0},
    {"bitfield", WL_BITFIELD, UINT64_C(32768) * 8, 0, 4096, 0},
    {"fp_emulation", WL_FPEMU, 3000, 0, 300, 0},
    {"fourier", WL_FOURIER, 100, 0, 12, 0},
    {"assignment", WL_ASSIGN, 101, 0, 20, 0},
    {"idea", WL_IDEA, 4000, 0, 1024, 0},
    {"huffman", WL_HUFFMAN, 5000, 0, 2000, 0},
    {"neural_net", WL_NEURAL, 30, 0, 25, 0},
    {"lu_decomposition", WL_LU, 101, 0, 20, 0},
    {"bw_read_64K", WL_BW_READ, UINT64_C(64) << 10, 0, 4096, 0},
    {"bw_read_16M", WL_BW_READ, UINT64_C(16) << 20, 0, 65536, 0},
    {"bw_write_64K", WL_BW_WRITE, UINT64_C(64) << 10, 0, 4096, 0},
    {"bw_write_16M", WL_BW_WRITE, UINT64_C(16) << 20, 0, 65536, 0},
    {"bw_copy_64K", WL_BW_COPY, UINT64_C(64) << 10, 0, 4096, 0},
    {"bw_copy_16M", WL_BW_COPY, UINT64_C(16) << 20, 0, 65536, 0},
    {"hash_join", WL_HASHJOIN, UINT64_C(1) << 18, UINT64_C(1) << 20, 1000, 4000},
    {"sqlite", WL_SQLITE, 2000, 50, 200, 20},
};
enum { kCount = sizeof kWorkloads / sizeof kWorkloads[0] };

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int usage(const char* self) {
  fprintf(stderr, "usage: %s [--check] [--only NAME] [--target-ms MS] [--iters NAME=N,...] [--db PATH]\n", self);
  return 2;
}

int main(int argc, char** argv) {
  int check = 0;
  const char* only = NULL;
  const char* db = "/tmp/nsgx_libos_workloads.db";
  uint64_t target_ns = 300000000u;
  uint64_t iters[kCount] = {0};
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--check") == 0) {
      check = 1;
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
      db = argv[++i];
    } else if (strcmp(argv[i], "--target-ms") == 0 && i + 1 < argc) {
      char* end;
      const unsigned long long ms = strtoull(argv[++i], &end, 10);
      if (*end != 0 || ms == 0 || ms > 600000) return usage(argv[0]);
      target_ns = (uint64_t)ms * 1000000u;
    } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
      /* NAME=COUNT,NAME=COUNT,...: only those workloads, that many times. */
      const char* p = argv[++i];
      for (;;) {
        const char* eq = strchr(p, '=');
        int k = 0;
        while (
            eq != NULL && k < kCount &&
            (strlen(kWorkloads[k].name) != (size_t)(eq - p) || strncmp(kWorkloads[k].name, p, (size_t)(eq - p)) != 0))
          ++k;
        if (eq == NULL || k == kCount) return usage(argv[0]);
        char* end;
        iters[k] = strtoull(eq + 1, &end, 10);
        if (end == eq + 1 || iters[k] == 0 || (*end != ',' && *end != 0)) return usage(argv[0]);
        if (*end == 0) break;
        p = end + 1;
      }
    } else {
      return usage(argv[0]);
    }
  }
  int given = 0;
  for (int k = 0; k < kCount; ++k) given |= iters[k] != 0;
  if (wl_set_path(db) != WL_OK) return usage(argv[0]);
  int failed = 0;
  for (int k = 0; k < kCount; ++k) {
    const struct workload* w = &kWorkloads[k];
    if (only != NULL && strcmp(only, w->name) != 0) continue;
    if (given && iters[k] == 0) continue;
    const int rc = wl_prepare(w->kernel, check ? w->ca : w->a, check ? w->cb : w->b);
    if (rc != WL_OK) {
      fprintf(stderr, "%s: cannot prepare (%s)\n", w->name, rc == WL_ENOMEM ? "out of memory" : "invalid");
      failed = 1;
      continue;
    }
    uint64_t n = given ? iters[k] : 1, v = 0, t = 0;
    for (;;) {
      const uint64_t t0 = now_ns();
      v = wl_run(w->kernel, n);
      t = now_ns() - t0;
      if (v == WL_FAILED || given || check || t >= target_ns || n >= (UINT64_C(1) << 40)) break;
      /* Calibrating: aim at the target from this run's time. */
      const uint64_t want = t == 0 ? n * 16 : (uint64_t)((double)n * (double)target_ns / (double)t) + 1;
      n = want > n * 16 ? n * 16 : want > n ? want : n * 2;
    }
    if (v == WL_FAILED) {
      fprintf(stderr, "%s: the kernel's self-check failed\n", w->name);
      failed = 1;
      wl_release();
      continue;
    }
    const uint64_t digest = wl_hash(v, wl_digest());
    printf("%s\t%" PRIu64 "\t%" PRIu64 "\t%016" PRIx64 "\n", w->name, n, t, digest);
    fflush(stdout);
    wl_release();
  }
  return failed;
}
