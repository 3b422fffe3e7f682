/* Large zero-filled memory the program touches little of (docs/libos.md,
 * "Zero-fill on demand"): a 144 MiB .bss and a 192 MiB anonymous mapping,
 * more together than the isolated monitor's EPC, of which a few pages are
 * written — by the program, and by the library OS on its behalf (read()
 * into them); a MAP_FIXED anonymous mapping over part of the mapping reads
 * zero again. Large mappings that become stacks: a fault's handler on a
 * 2 MiB alternate stack never touched before, and a function run with
 * makecontext on a 2 MiB MAP_STACK mapping, deep enough to touch pages
 * one after another (a fault's first phase runs on the faulting stack, so
 * such pages cannot be zero-filled on demand). The output is the same
 * natively and inside (bigmem_test.sh). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define BSS_BYTES (144u << 20)
#define MAP_BYTES (192ul << 20)

static unsigned char big_bss[BSS_BYTES];

#define STACK_BYTES (2ul << 20)
static unsigned char* alt;
static sigjmp_buf back;
static volatile int on_alt;

static void on_segv(int sig, siginfo_t* si, void* uc) {
  (void)si, (void)uc;
  const unsigned char here = 0;
  on_alt = sig == SIGSEGV && &here > alt && &here < alt + STACK_BYTES;
  siglongjmp(back, 1);
}

static ucontext_t main_ctx, deep_ctx;
static unsigned deep_sum;

/* 64 frames of 4 KiB each: a new page of the stack at every level. */
static unsigned deep(unsigned level) {
  volatile unsigned char pad[4096];
  for (size_t i = 0; i < sizeof pad; i += 512) pad[i] = (unsigned char)(level + i);
  return level == 0 ? pad[512] : pad[1024] + deep(level - 1);
}

static void run_deep(void) { deep_sum = deep(64); }

static unsigned char* map_stack(int flags) {
  unsigned char* p = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  return p;
}

/* Over the first 8 KiB of every MiB and the last 8 KiB: the pages written
 * and some never written (reading every page would commit them all). */
static unsigned sum(const unsigned char* p, size_t n) {
  unsigned s = 0;
  for (size_t at = 0; at < n; at += 1u << 20)
    for (size_t i = at; i < at + 8192; ++i) s = s * 31 + p[i];
  for (size_t i = n - 8192; i < n; ++i) s = s * 31 + p[i];
  return s;
}

int main(void) {
  /* Untouched pages read as zero; a few are written, far apart. */
  printf("bss zero %d\n", big_bss[BSS_BYTES / 2] == 0 && big_bss[BSS_BYTES - 1] == 0);
  for (size_t off = 0; off < BSS_BYTES; off += 16u << 20) big_bss[off + 7] = (unsigned char)(off >> 20);
  unsigned char* m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  printf("map zero %d\n", m[0] == 0 && m[MAP_BYTES - 1] == 0);
  for (size_t off = 4096; off < MAP_BYTES; off += 24ul << 20) m[off + 11] = (unsigned char)(off >> 20);
  /* The library OS writes into pages never touched yet (read from stdin). */
  char msg[64];
  const ssize_t got = read(0, big_bss + BSS_BYTES - 5000, 10);
  const ssize_t got2 = read(0, m + MAP_BYTES - 3000, 100);
  snprintf(msg, sizeof msg, "read %zd %zd\n", got, got2);
  fputs(msg, stdout);
  printf("bss sum %08x\n", sum(big_bss, BSS_BYTES));
  printf("map sum %08x\n", sum(m, MAP_BYTES));
  /* MAP_FIXED anonymous over written pages: zero again. */
  unsigned char* f = mmap(m + 4096, 64ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed %d zero %d\n", f == m + 4096, f[11] == 0);
  printf("map sum %08x\n", sum(m, MAP_BYTES));
  /* A fault handled on an alternate stack no page of which was touched. */
  alt = map_stack(0);
  const stack_t ss = {.ss_sp = alt, .ss_size = STACK_BYTES, .ss_flags = 0};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGSEGV, &sa, NULL) != 0) {
    perror("sigaltstack/sigaction");
    return 1;
  }
  if (sigsetjmp(back, 1) == 0) *(volatile int*)16 = 1;
  printf("fault handled on the untouched alternate stack %d\n", on_alt);
  /* A function on a MAP_STACK mapping, 256 KiB deep. */
  unsigned char* st = map_stack(MAP_STACK);
  getcontext(&deep_ctx);
  deep_ctx.uc_stack.ss_sp = st;
  deep_ctx.uc_stack.ss_size = STACK_BYTES;
  deep_ctx.uc_link = &main_ctx;
  makecontext(&deep_ctx, run_deep, 0);
  if (swapcontext(&main_ctx, &deep_ctx) != 0) {
    perror("swapcontext");
    return 1;
  }
  printf("deep on a MAP_STACK mapping %u\n", deep_sum);
  return munmap(m, MAP_BYTES) == 0 ? 0 : 1;
}
