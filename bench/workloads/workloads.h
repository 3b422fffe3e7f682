/* The workloads NestedSGX evaluated (its paper's section 7), ported here as
 * plain C that runs unchanged in two places: natively in the benchmark
 * process and inside an enclave built with our SDK (workloads.edl), so that
 * `nsgx bench workloads` can time the same code both ways and check that both
 * computed the same thing.
 *
 *  - an nbench-style suite (BYTE's nbench as its documentation describes
 *    the ten kernels; the kernels here are written anew): numeric sort,
 *    string sort, bitfield, FP emulation, Fourier, assignment, IDEA,
 *    Huffman, neural net, LU decomposition;
 *  - lmbench bw_mem-style memory bandwidth: read, write, copy of a buffer;
 *  - a hash join: build a table over one relation, probe it with another;
 *  - SQLite on a database file (inserts, indexed selects, updates), the
 *    OCALL-heavy one: in the enclave its file calls cross the boundary.
 *
 * One workload is prepared at a time (its inputs generated from a fixed
 * seed, its buffers allocated), run any number of times, then released:
 *
 *   if (wl_prepare(WL_NUMSORT, 8111, 0) == WL_OK) {
 *     uint64_t v = wl_run(WL_NUMSORT, 10);  // 10 iterations; WL_FAILED if a self-check failed
 *     uint64_t d = wl_digest();             // a hash of the last iteration's output
 *     wl_release();
 *   }
 */
#ifndef NSGX_BENCH_WORKLOADS_H
#define NSGX_BENCH_WORKLOADS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wl_kernel {
  WL_NUMSORT,  /* a: elements (int32, heapsort) */
  WL_STRSORT,  /* a: bytes of strings (heapsort of variable-length strings) */
  WL_BITFIELD, /* a: bits in the map */
  WL_FPEMU,    /* a: operations per iteration (software floating point) */
  WL_FOURIER,  /* a: coefficient pairs of (x+1)^x on [0,2] */
  WL_ASSIGN,   /* a: n of the n x n assignment problem */
  WL_IDEA,     /* a: bytes enciphered and deciphered */
  WL_HUFFMAN,  /* a: bytes of text compressed and expanded */
  WL_NEURAL,   /* a: training epochs of a 35-8-8 back-propagation network */
  WL_LU,       /* a: n of the n x n system solved */
  WL_BW_READ,  /* a: bytes of the buffer */
  WL_BW_WRITE, /* a: bytes of the buffer */
  WL_BW_COPY,  /* a: bytes of each of the two buffers */
  WL_HASHJOIN, /* a: rows of the build relation, b: rows of the probe relation */
  WL_SQLITE,   /* a: rows inserted per iteration, b: rows per transaction (sqlite_wl.c); wl_set_path first */
  WL_COUNT
};

enum { WL_OK = 0, WL_EINVAL = 1, WL_ENOMEM = 2 };
#define WL_FAILED UINT64_MAX

/* Prepares kernel with its sizes (a, b as listed above). WL_EINVAL: an
 * unknown kernel or a size out of its range; WL_ENOMEM: no memory. */
int wl_prepare(uint32_t kernel, uint64_t a, uint64_t b);
/* Runs the prepared kernel iters times; a value that depends on every
 * iteration's result, or WL_FAILED (a kernel's self-check failed, or
 * nothing or another kernel is prepared). */
uint64_t wl_run(uint32_t kernel, uint64_t iters);
/* A hash of the prepared kernel's output buffers (not timed with the run). */
uint64_t wl_digest(void);
void wl_release(void);
/* The database file WL_SQLITE uses (created by wl_prepare, deleted by
 * wl_release). WL_EINVAL if longer than 511 bytes. */
int wl_set_path(const char* path);

/* Internals shared by the kernel files. */
typedef struct {
  uint32_t kernel;
  uint64_t a, b;
  void* buf[4];
  uint64_t len[4]; /* bytes of buf[i], for the digest */
} wl_state;

uint64_t wl_rng(uint64_t* s); /* splitmix64 */
uint64_t wl_hash(uint64_t h, uint64_t v);
/* Allocates st->buf[i] of n bytes (zeroed); 0 if out of memory. */
void* wl_alloc(wl_state* st, int i, uint64_t n);

int nb_prepare(wl_state* st);
uint64_t nb_run(wl_state* st, uint64_t iters);
int bw_prepare(wl_state* st);
uint64_t bw_run(wl_state* st, uint64_t iters);
int hj_prepare(wl_state* st);
uint64_t hj_run(wl_state* st, uint64_t iters);
int sq_prepare(wl_state* st);
uint64_t sq_run(wl_state* st, uint64_t iters);
uint64_t sq_digest(void);
void sq_release(void);

#ifdef __cplusplus
}
#endif

#endif
