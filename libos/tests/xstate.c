/* A system call preserves the vector state (docs/libos.md, "The vector
 * state across a system call"): Linux's SYSCALL entry saves and restores
 * everything but RAX, RCX and R11, and compiled code (glibc's among it)
 * may keep live values in XMM registers across an inline `syscall`.
 *
 *   xstate avx|sse
 *
 * For each of several system calls whose handling inside the library OS
 * copies memory, reads the clock or makes an OCALL (write, a pipe's write
 * and read, clock_gettime, getrandom, getpid, uname, rt_sigaction,
 * rt_sigprocmask), this fills xmm0-15 with
 * known values — ymm0-15 whole with `avx`, which the test passes when the
 * kernel reports AVX natively (/proc/cpuinfo) — and sets a non-default
 * MXCSR (round toward zero, flush to zero) and x87 control word (round
 * toward zero), makes the call with a hand-written `mov $nr, %eax;
 * syscall` (a site the library OS may rewrite, or take through the #UD
 * trap when rewriting is off) and checks every one afterwards. Output is
 * byte-identical natively and inside; exit status 1 on any difference. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

enum { kRegs = 16, kWidth = 32 };

static unsigned char g_in[kRegs * kWidth] __attribute__((aligned(32)));
static unsigned char g_out[kRegs * kWidth] __attribute__((aligned(32)));

#define XMM_CLOBBERS                                                                                                  \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
      "xmm14", "xmm15"

/* Loads the registers, sets MXCSR and FCW, makes the call `nr` (an
 * immediate: the site is `mov $nr, %eax; syscall`), stores them back and
 * puts the defaults back. */
#define CALL_WITH_STATE(NR, MOVE, STORE, A0, A1, A2, RET, MX, CW)                                                      \
  do {                                                                                                                 \
    unsigned mx_set = 0x7f80u | 0x8000u; /* every exception masked, round toward zero, FTZ */                          \
    unsigned short cw_set = 0x0f7f;      /* every exception masked, 64-bit precision, round toward zero */             \
    unsigned mx_default = 0x1f80u;                                                                                     \
    unsigned short cw_default = 0x037f;                                                                                \
    register long a0_ __asm__("rdi") = (long)(A0);                                                                     \
    register long a1_ __asm__("rsi") = (long)(A1);                                                                     \
    register long a2_ __asm__("rdx") = (long)(A2);                                                                     \
    register long a3_ __asm__("r10") = 8; /* the sigset size of rt_sigaction and rt_sigprocmask */                     \
    __asm__ volatile(                                                                                                  \
        MOVE                                                                                                           \
        " 0(%[in]), %%" STORE "0\n\t" MOVE " 1*32(%[in]), %%" STORE "1\n\t" MOVE " 2*32(%[in]), %%" STORE "2\n\t" MOVE \
        " 3*32(%[in]), %%" STORE "3\n\t" MOVE " 4*32(%[in]), %%" STORE "4\n\t" MOVE " 5*32(%[in]), %%" STORE           \
        "5\n\t" MOVE " 6*32(%[in]), %%" STORE "6\n\t" MOVE " 7*32(%[in]), %%" STORE "7\n\t" MOVE                       \
        " 8*32(%[in]), %%" STORE "8\n\t" MOVE " 9*32(%[in]), %%" STORE "9\n\t" MOVE " 10*32(%[in]), %%" STORE          \
        "10\n\t" MOVE " 11*32(%[in]), %%" STORE "11\n\t" MOVE " 12*32(%[in]), %%" STORE "12\n\t" MOVE                  \
        " 13*32(%[in]), %%" STORE "13\n\t" MOVE " 14*32(%[in]), %%" STORE "14\n\t" MOVE " 15*32(%[in]), %%" STORE      \
        "15\n\t"                                                                                                       \
        "ldmxcsr %[mxs]\n\t"                                                                                           \
        "fldcw %[cws]\n\t"                                                                                             \
        "mov $" #NR                                                                                                    \
        ", %%eax\n\t"                                                                                                  \
        "syscall\n\t"                                                                                                  \
        "stmxcsr %[mxo]\n\t"                                                                                           \
        "fnstcw %[cwo]\n\t"                                                                                            \
        "ldmxcsr %[mxd]\n\t"                                                                                           \
        "fldcw %[cwd]\n\t" MOVE " %%" STORE "0, 0(%[out])\n\t" MOVE " %%" STORE "1, 1*32(%[out])\n\t" MOVE " %%" STORE \
        "2, 2*32(%[out])\n\t" MOVE " %%" STORE "3, 3*32(%[out])\n\t" MOVE " %%" STORE "4, 4*32(%[out])\n\t" MOVE       \
        " %%" STORE "5, 5*32(%[out])\n\t" MOVE " %%" STORE "6, 6*32(%[out])\n\t" MOVE " %%" STORE                      \
        "7, 7*32(%[out])\n\t" MOVE " %%" STORE "8, 8*32(%[out])\n\t" MOVE " %%" STORE "9, 9*32(%[out])\n\t" MOVE       \
        " %%" STORE "10, 10*32(%[out])\n\t" MOVE " %%" STORE "11, 11*32(%[out])\n\t" MOVE " %%" STORE                  \
        "12, 12*32(%[out])\n\t" MOVE " %%" STORE "13, 13*32(%[out])\n\t" MOVE " %%" STORE "14, 14*32(%[out])\n\t" MOVE \
        " %%" STORE "15, 15*32(%[out])\n\t"                                                                            \
        : "=a"(RET), [mxo] "=m"(MX), [cwo] "=m"(CW), "+r"(a0_), "+r"(a1_), "+r"(a2_), "+r"(a3_)                        \
        : [in] "r"(g_in), [out] "r"(g_out), [mxs] "m"(mx_set), [cws] "m"(cw_set), [mxd] "m"(mx_default),               \
          [cwd] "m"(cw_default)                                                                                        \
        : "rcx", "r11", "memory", XMM_CLOBBERS);                                                                       \
  } while (0)

static int g_avx;
static int g_failures;

/* Compares what came back with what went in; one line per call. */
static void check(const char* name, long ret, long want_ret, unsigned mx, unsigned short cw) {
  const int width = g_avx ? 32 : 16;
  int bad = 0;
  if (ret != want_ret) {
    printf("%s: returned %ld, not %ld\n", name, ret, want_ret);
    bad = 1;
  }
  for (size_t r = 0; r < kRegs; ++r)
    if (memcmp(g_in + r * kWidth, g_out + r * kWidth, (size_t)width) != 0) {
      int lane = 0;
      while (lane < width && g_in[r * kWidth + (size_t)lane] == g_out[r * kWidth + (size_t)lane]) ++lane;
      printf("%s: %s%zu differs from byte %d\n", name, g_avx ? "ymm" : "xmm", r, lane);
      bad = 1;
    }
  if (mx != (0x7f80u | 0x8000u)) {
    printf("%s: MXCSR %#x\n", name, mx);
    bad = 1;
  }
  if (cw != 0x0f7f) {
    printf("%s: x87 control word %#x\n", name, cw);
    bad = 1;
  }
  printf("%s: %s\n", name, bad ? "CHANGED" : "kept");
  fflush(stdout);
  g_failures += bad;
}

/* The pattern differs per call, so a value left over from an earlier one
 * cannot pass for this one's. */
static void fill(int call) {
  for (int i = 0; i < kRegs * kWidth; ++i) g_in[i] = (unsigned char)(i * 37 + call * 101 + 11);
  memset(g_out, 0, sizeof g_out);
}

#define RUN(NAME, NR, A0, A1, A2, WANT)                                  \
  do {                                                                   \
    long ret_;                                                           \
    unsigned mx_;                                                        \
    unsigned short cw_;                                                  \
    fill(call++);                                                        \
    if (g_avx)                                                           \
      CALL_WITH_STATE(NR, "vmovdqu", "ymm", A0, A1, A2, ret_, mx_, cw_); \
    else                                                                 \
      CALL_WITH_STATE(NR, "movdqu", "xmm", A0, A1, A2, ret_, mx_, cw_);  \
    if (g_avx) __asm__ volatile("vzeroupper" ::: XMM_CLOBBERS);          \
    check(NAME, ret_, WANT, mx_, cw_);                                   \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 2 || (strcmp(argv[1], "avx") != 0 && strcmp(argv[1], "sse") != 0)) {
    fprintf(stderr, "usage: xstate avx|sse\n");
    return 2;
  }
  g_avx = strcmp(argv[1], "avx") == 0;
  printf("checking %s0-15, MXCSR and the x87 control word\n", g_avx ? "ymm" : "xmm");
  fflush(stdout);
  int call = 0;
  static const char line[] = "write: a line through the call\n";
  RUN("write", 1, 1, line, sizeof line - 1, (long)sizeof line - 1);
  int p[2];
  if (pipe(p) != 0) return 3;
  static char buf[4096];
  memset(buf, 'x', sizeof buf);
  RUN("pipe write", 1, p[1], buf, sizeof buf, (long)sizeof buf);
  memset(buf, 0, sizeof buf);
  RUN("pipe read", 0, p[0], buf, sizeof buf, (long)sizeof buf);
  if (buf[0] != 'x' || buf[sizeof buf - 1] != 'x') printf("pipe read: wrong bytes\n");
  struct timespec ts;
  RUN("clock_gettime", 228, CLOCK_MONOTONIC, &ts, 0, 0);
  static unsigned char rnd[256];
  RUN("getrandom", 318, rnd, sizeof rnd, 0, (long)sizeof rnd);
  RUN("getpid", 39, 0, 0, 0, (long)getpid());
  /* Calls whose handlers copy structures (which compilers do through
   * vector registers) without an OCALL. */
  static struct utsname uts;
  RUN("uname", 63, &uts, 0, 0, 0);
  static unsigned char old_action[32];
  RUN("rt_sigaction", 13, SIGUSR1, 0, old_action, 0);
  static unsigned char mask[8];
  RUN("rt_sigprocmask", 14, SIG_BLOCK, 0, mask, 0);
  printf("%d calls changed the state\n", g_failures);
  return g_failures != 0;
}
