/* Load-time system-call rewriting (docs/libos.md; libos_rewrite_test.sh):
 * hand-written sites whose contract a rewritten call must keep, run
 * natively and inside with the same output.
 *   - check_site: `mov $SYS_getpid, %eax; syscall` with every other
 *     register, RFLAGS, the red zone and xmm0-xmm15 holding known values;
 *     afterwards each must be as before, RCX the address after the syscall
 *     and R11 the RFLAGS before it (SYSCALL's own effects).
 *   - two_paths: one `syscall` reached through its `mov $SYS_getpid, %eax`
 *     (a site the rewriter takes) and by a jump straight to the `0F 05`
 *     with RAX = SYS_write (which must still work: the trap path).
 *   - a tail: `mov $SYS_gettid, %eax; mov %edi, %edx; xor $0, %esi;
 *     syscall` (register-only instructions between, taken with the site).
 *   - an xor site: `stc; xor %eax, %eax; syscall` (read: how glibc loads
 *     number 0), with alignment padding after its `ret` for the
 *     trampoline; the flags after it must be the xor's (CF clear, ZF set),
 *     as SYSRET restores them natively — a stub that loaded the number
 *     another way would leave CF set. Called 64 times, so that --trace's
 *     trap count tells whether the site went through a stub. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Returns a mask of what differed (0: all kept). */
uint64_t check_site(void);
/* direct != 0: write(1, buf, n) through a jump to the syscall; else getpid. */
long two_paths(long direct, const char* buf, long n);
long tail_site(long a);
/* read(fd, buf, n) through `xor %eax, %eax; syscall`; *flags: RFLAGS after it. */
long xor_site(long fd, void* buf, long n, uint64_t* flags);

__asm__(
    ".text\n"
    ".globl check_site\n"
    ".type check_site, @function\n"
    "check_site:\n"
    ".cfi_startproc\n"
    "  push %rbx\n .cfi_adjust_cfa_offset 8\n"
    "  push %rbp\n .cfi_adjust_cfa_offset 8\n"
    "  push %r12\n .cfi_adjust_cfa_offset 8\n"
    "  push %r13\n .cfi_adjust_cfa_offset 8\n"
    "  push %r14\n .cfi_adjust_cfa_offset 8\n"
    "  push %r15\n .cfi_adjust_cfa_offset 8\n"
    /* Known values: register k holds 0x1111111111111111 * k. */
    "  movabs $0x1111111111111111, %rdx\n"
    "  movabs $0x3333333333333333, %rbx\n"
    "  movabs $0x4444444444444444, %rbp\n"
    "  movabs $0x5555555555555555, %rsi\n"
    "  movabs $0x6666666666666666, %rdi\n"
    "  movabs $0x7777777777777777, %r8\n"
    "  movabs $0x8888888888888888, %r9\n"
    "  movabs $0x9999999999999999, %r10\n"
    "  movabs $0xaaaaaaaaaaaaaaaa, %r12\n"
    "  movabs $0xbbbbbbbbbbbbbbbb, %r13\n"
    "  movabs $0xcccccccccccccccc, %r14\n"
    "  movabs $0xdddddddddddddddd, %r15\n"
    "  movq %rdx, %xmm0\n  movq %rbx, %xmm1\n  movq %rbp, %xmm2\n  movq %rsi, %xmm3\n"
    "  movq %rdi, %xmm4\n  movq %r8, %xmm5\n  movq %r9, %xmm6\n  movq %r10, %xmm7\n"
    "  movq %r12, %xmm8\n  movq %r13, %xmm9\n  movq %r14, %xmm10\n  movq %r15, %xmm11\n"
    "  movq %rdx, %xmm12\n  movq %rbx, %xmm13\n  movq %rbp, %xmm14\n  movq %rsi, %xmm15\n"
    "  mov %rdx, -24(%rsp)\n  mov %rbx, -64(%rsp)\n  mov %rbp, -128(%rsp)\n" /* the red zone */
    "  stc\n std\n"                                                          /* CF and DF set */
    "  mov $39, %eax\n"                                                      /* SYS_getpid */
    "  syscall\n"
    ".Lafter_check:\n"
    "  setnc %al\n  movzbl %al, %eax\n" /* bit 0: CF lost */
    "  pushf\n .cfi_adjust_cfa_offset 8\n"
    "  cld\n"
    "  testq $0x400, (%rsp)\n  jnz 1f\n  or $2, %eax\n1:\n" /* bit 1: DF lost */
    "  mov (%rsp), %rcx\n"
    "  popf\n .cfi_adjust_cfa_offset -8\n"
    "  cld\n"
    "  push %rax\n .cfi_adjust_cfa_offset 8\n"
    "  mov $0, %eax\n"
    "  movabs $0x1111111111111111, %rcx\n cmp %rcx, %rdx\n je 1f\n or $4, %eax\n1:\n"
    "  movabs $0x3333333333333333, %rcx\n cmp %rcx, %rbx\n je 1f\n or $8, %eax\n1:\n"
    "  movabs $0x4444444444444444, %rcx\n cmp %rcx, %rbp\n je 1f\n or $16, %eax\n1:\n"
    "  movabs $0x5555555555555555, %rcx\n cmp %rcx, %rsi\n je 1f\n or $32, %eax\n1:\n"
    "  movabs $0x6666666666666666, %rcx\n cmp %rcx, %rdi\n je 1f\n or $64, %eax\n1:\n"
    "  movabs $0x7777777777777777, %rcx\n cmp %rcx, %r8\n je 1f\n or $128, %eax\n1:\n"
    "  movabs $0x8888888888888888, %rcx\n cmp %rcx, %r9\n je 1f\n or $256, %eax\n1:\n"
    "  movabs $0x9999999999999999, %rcx\n cmp %rcx, %r10\n je 1f\n or $512, %eax\n1:\n"
    "  movabs $0xaaaaaaaaaaaaaaaa, %rcx\n cmp %rcx, %r12\n je 1f\n or $1024, %eax\n1:\n"
    "  movabs $0xbbbbbbbbbbbbbbbb, %rcx\n cmp %rcx, %r13\n je 1f\n or $2048, %eax\n1:\n"
    "  movabs $0xcccccccccccccccc, %rcx\n cmp %rcx, %r14\n je 1f\n or $4096, %eax\n1:\n"
    "  movabs $0xdddddddddddddddd, %rcx\n cmp %rcx, %r15\n je 1f\n or $8192, %eax\n1:\n"
    "  movq %xmm0, %rcx\n cmp %rcx, %rdx\n je 1f\n or $16384, %eax\n1:\n"
    "  movq %xmm7, %rcx\n cmp %rcx, %r10\n je 1f\n or $32768, %eax\n1:\n"
    "  movq %xmm11, %rcx\n cmp %rcx, %r15\n je 1f\n or $65536, %eax\n1:\n"
    "  movq %xmm15, %rcx\n cmp %rcx, %rsi\n je 1f\n or $131072, %eax\n1:\n"
    "  cmp %rdx, -24+8(%rsp)\n je 1f\n or $262144, %eax\n1:\n" /* the red zone (RSP is 8 lower now) */
    "  cmp %rbx, -64+8(%rsp)\n je 1f\n or $524288, %eax\n1:\n"
    "  cmp %rbp, -128+8(%rsp)\n je 1f\n or $1048576, %eax\n1:\n"
    "  pop %rcx\n .cfi_adjust_cfa_offset -8\n"
    "  or %ecx, %eax\n"
    "  pop %r15\n .cfi_adjust_cfa_offset -8\n"
    "  pop %r14\n .cfi_adjust_cfa_offset -8\n"
    "  pop %r13\n .cfi_adjust_cfa_offset -8\n"
    "  pop %r12\n .cfi_adjust_cfa_offset -8\n"
    "  pop %rbp\n .cfi_adjust_cfa_offset -8\n"
    "  pop %rbx\n .cfi_adjust_cfa_offset -8\n"
    "  ret\n"
    ".cfi_endproc\n"
    ".size check_site, . - check_site\n"

    ".globl two_paths\n"
    ".type two_paths, @function\n"
    "two_paths:\n"
    ".cfi_startproc\n"
    "  test %rdi, %rdi\n"
    "  jnz 2f\n"
    "  mov $39, %eax\n" /* SYS_getpid: the site */
    "1:\n"
    "  syscall\n"
    "  ret\n"
    "2:\n"
    "  mov $1, %eax\n" /* SYS_write, straight to the syscall: (1, buf, n) */
    "  mov $1, %edi\n"
    "  jmp 1b\n"
    ".cfi_endproc\n"
    ".size two_paths, . - two_paths\n"

    ".globl tail_site\n"
    ".type tail_site, @function\n"
    "tail_site:\n"
    ".cfi_startproc\n"
    "  mov $186, %eax\n" /* SYS_gettid */
    "  mov %edi, %edx\n"
    "  xor $0, %esi\n"
    "  syscall\n"
    "  add %rdx, %rax\n" /* the moved value must be there: a + gettid() */
    "  ret\n"
    ".cfi_endproc\n"
    ".size tail_site, . - tail_site\n"

    ".globl xor_site\n"
    ".type xor_site, @function\n"
    ".p2align 4\n"
    "xor_site:\n"
    ".cfi_startproc\n"
    "  mov %rcx, %r8\n"
    "  stc\n"
    "  xor %eax, %eax\n" /* SYS_read */
    "  syscall\n"
    "  pushf\n .cfi_adjust_cfa_offset 8\n"
    "  pop %rcx\n .cfi_adjust_cfa_offset -8\n"
    "  mov %rcx, (%r8)\n"
    "  ret\n"
    "  .nops 11\n" /* alignment padding, as compilers leave after a ret */
    "  .p2align 3\n"
    "  int3\n"
    ".cfi_endproc\n"
    ".size xor_site, . - xor_site\n");

/* The RCX and R11 a syscall left (checked apart: their values are the
 * program's addresses and flags). */
static int rcx_r11_ok(void) {
  uint64_t rcx, r11, expect_rcx, flags;
  __asm__ volatile(
      "pushf\n pop %3\n"
      "lea 1f(%%rip), %2\n"
      "mov $39, %%eax\n"
      "syscall\n"
      "1:\n"
      "mov %%rcx, %0\n mov %%r11, %1\n"
      : "=&r"(rcx), "=&r"(r11), "=&r"(expect_rcx), "=&r"(flags)
      :
      : "rax", "rcx", "r11", "memory", "cc");
  /* R11: RFLAGS as they were (RF and the reserved bit 1 aside). */
  return rcx == expect_rcx && (r11 & 0xcd5) == (flags & 0xcd5);
}

int main(void) {
  const uint64_t mask = check_site();
  printf("registers across a syscall: %s (mask %llx)\n", mask == 0 ? "kept" : "CHANGED", (unsigned long long)mask);
  printf("rcx and r11 as syscall leaves them: %s\n", rcx_r11_ok() ? "yes" : "NO");
  printf("site: getpid agrees: %s\n", two_paths(0, NULL, 0) == getpid() ? "yes" : "NO");
  fflush(stdout);
  const char line[] = "direct: a jump straight to the syscall\n";
  const long w = two_paths(1, line, (long)strlen(line));
  printf("direct write returned %ld\n", w);
  printf("tail: %s\n", tail_site(1000) == 1000 + gettid() ? "yes" : "NO");
  /* read(-1): EBADF either way; then read(0) of the test's /dev/null: 0. */
  int xor_ok = 1;
  for (int i = 0; i < 64; ++i) {
    char buf[8];
    uint64_t flags = 0;
    const long r = xor_site(i == 0 ? -1 : 0, buf, sizeof buf, &flags);
    xor_ok = xor_ok && r == (i == 0 ? -EBADF : 0) && (flags & 1) == 0 && (flags & 0x40) != 0;
  }
  printf("xor site: read answers and the xor's flags: %s\n", xor_ok ? "yes" : "NO");
  return mask == 0 ? 0 : 1;
}
