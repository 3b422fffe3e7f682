/* Trusted side of the exception test: handlers that repair the state and
 * continue, as SGX SDK code does (skip an instruction, set a result). */
#include <stdint.h>

#include "exceptions_t.h"
#include "nsgx_first_phase.h"
#include "sgx_thread.h"
#include "sgx_trts.h"
#include "sgx_trts_exception.h"

static void* handles[4];
static volatile uint64_t handled;
static volatile int last_vector = -1, last_type = -1;
static volatile uint64_t last_rip;

/* #DE from the 2-byte `idiv %ecx`: result -1, skip it. */
static int on_divide(sgx_exception_info_t* info) {
  if (info->exception_vector != SGX_EXCEPTION_VECTOR_DE) return EXCEPTION_CONTINUE_SEARCH;
  info->cpu_context.rax = (uint64_t)-1;
  info->cpu_context.rip += 2;
  ++handled;
  return EXCEPTION_CONTINUE_EXECUTION;
}

/* #UD from ud2 (2 bytes) and #PF from the 3-byte `movb $1, (%rax)`: skip, mark. */
static int on_ud_or_pf(sgx_exception_info_t* info) {
  last_vector = info->exception_vector;
  last_type = info->exception_type;
  last_rip = info->cpu_context.rip;
  if (info->exception_vector == SGX_EXCEPTION_VECTOR_UD) {
    info->cpu_context.rip += 2;
  } else if (info->exception_vector == SGX_EXCEPTION_VECTOR_PF) {
    info->cpu_context.rip += 3;
  } else {
    return EXCEPTION_CONTINUE_SEARCH;
  }
  info->cpu_context.rdx = 42;
  ++handled;
  return EXCEPTION_CONTINUE_EXECUTION;
}

/* #BP is a trap: RIP is already past the int3. */
static int on_breakpoint(sgx_exception_info_t* info) {
  if (info->exception_vector != SGX_EXCEPTION_VECTOR_BP) return EXCEPTION_CONTINUE_SEARCH;
  last_vector = info->exception_vector;
  last_type = info->exception_type;
  info->cpu_context.rdx = 7;
  ++handled;
  return EXCEPTION_CONTINUE_EXECUTION;
}

int ecall_install(void) {
  handles[0] = sgx_register_exception_handler(0, on_divide);
  handles[1] = sgx_register_exception_handler(0, on_ud_or_pf);
  handles[2] = sgx_register_exception_handler(1, on_breakpoint); /* first in the list */
  return handles[0] && handles[1] && handles[2];
}

void ecall_uninstall(void) {
  for (int i = 0; i < 3; ++i) sgx_unregister_exception_handler(handles[i]);
}

int ecall_divide(int a, int b) {
  int q;
  __asm__ volatile("cltd\n\tidiv %%ecx" : "=a"(q) : "a"(a), "c"(b) : "rdx", "cc");
  return q;
}

int ecall_ud2(void) {
  uint64_t marker = 0;
  __asm__ volatile("xor %%edx, %%edx\n\tud2" : "=d"(marker) : : "memory");
  return (int)marker + last_vector * 1000;
}

int ecall_int3(void) {
  uint64_t marker = 0;
  __asm__ volatile("xor %%edx, %%edx\n\tint3" : "=d"(marker) : : "memory");
  return (int)marker + last_vector * 1000 + last_type * 100000;
}

int ecall_write_code(void) {
  /* The code page is R+X in the EPCM: the write faults (#PF). */
  uint64_t marker = 0;
  __asm__ volatile("xor %%edx, %%edx\n\tmovb $1, (%%rax)" : "=d"(marker) : "a"((void*)&ecall_write_code) : "memory");
  return (int)marker + last_vector * 1000;
}

int ecall_handler_api(void) {
  int ok = sgx_register_exception_handler(0, NULL) == NULL;
  ok = ok && sgx_register_exception_handler(0, (sgx_exception_handler_t)(uintptr_t)0x1000) == NULL; /* outside */
  void* h = sgx_register_exception_handler(0, on_divide);
  ok = ok && h != NULL && sgx_unregister_exception_handler(h) == 1 && sgx_unregister_exception_handler(h) == 0;
  ok = ok && sgx_unregister_exception_handler(NULL) == 0;
  return ok;
}

/* A read of a page of ELRANGE the image never added: the guard page just
 * below this thread's TD page (GS base; docs/sdk-abi.md's layout puts 16
 * unadded pages between the SSA frames and the TD). #PF either way: where
 * the driver adds a page on first touch (SGX2 EAUG), the new page is
 * pending until the enclave EACCEPTs it, so the read still faults (SDM
 * 38.5.1). The handler skips the 3-byte `movzbl (%rax), %ecx`. */
int ecall_touch_unmapped(void) {
  uint64_t marker = 0;
  const char* guard = (const char*)(sgx_thread_self() - 4096);
  if (!sgx_is_within_enclave(guard, 1)) return -1;
  __asm__ volatile("xor %%edx, %%edx\n\tmovzbl (%%rax), %%ecx" : "=d"(marker) : "a"(guard) : "rcx", "memory");
  return (int)marker + last_vector * 1000;
}

uint64_t ecall_handled_count(void) { return handled; }

/* A system call from enclave code: SGX raises #UD (SYSCALL is illegal in an
 * enclave); the isolated backend's enclave host traps it the same way. The
 * handler skips the 2-byte instruction and sets RDX. */
int ecall_syscall(void) {
  int marker;
  __asm__ volatile("xor %%edx, %%edx\n\tmov $39, %%eax\n\tsyscall" : "=d"(marker) : : "rax", "rcx", "r11", "memory");
  return marker + last_vector * 1000;
}

/* The instructions that leave for the kernel, each illegal in an enclave
 * (#UD, SDM Vol. 3D's list of illegal instructions): SYSCALL, SYSENTER and
 * INT 0x80, each asking for exit_group(77) — in the 64-bit and the 32-bit
 * numbering — so that one reaching the kernel ends the process. The #UD
 * handler (ecall_install) records the RIP it saw, skips the 2 bytes and sets
 * RDX; -1 if that RIP was not the instruction's. */
int ecall_illegal(int which) {
  uint64_t marker = 0, at = 0;
  last_rip = 0;
  if (which == 0)
    __asm__ volatile("xor %%edx, %%edx\n\tlea 1f(%%rip), %1\n\tmov $231, %%eax\n\tmov $77, %%edi\n1:\tsyscall"
                     : "=d"(marker), "=&b"(at)
                     :
                     : "rax", "rcx", "rdi", "r11", "memory");
  else if (which == 1)
    __asm__ volatile("xor %%edx, %%edx\n\tlea 1f(%%rip), %1\n\tmov $252, %%eax\n\tmov $77, %%edi\n1:\t.byte 0x0f, 0x34"
                     : "=d"(marker), "=&b"(at)
                     :
                     : "rax", "rcx", "rdi", "r11", "memory");
  else
    __asm__ volatile("xor %%edx, %%edx\n\tlea 1f(%%rip), %1\n\tmov $252, %%eax\n\tmov $77, %%edi\n1:\tint $0x80"
                     : "=d"(marker), "=&S"(at)
                     :
                     : "rax", "rcx", "rdi", "r11", "memory");
  if (last_rip != at) return -1;
  return (int)marker + last_vector * 1000;
}

/* A library OS's answer to arch_prctl (docs/libos.md), in the first phase:
 * ARCH_SET_FS (0x1002) becomes the frame's FSBASE, which ERESUME loads;
 * ARCH_GET_FS (0x1003) stores the frame's FSBASE at RSI (in the enclave).
 * Anything else goes on to the phase-2 handlers. */
static int answer_arch_prctl(uint32_t vector, nsgx_ssa_state_t* st) {
  if (vector != SGX_EXCEPTION_VECTOR_UD || st->rax != 158 /* arch_prctl */) return 0;
  const uint8_t* at = (const uint8_t*)st->rip;
  if (!sgx_is_within_enclave(at, 2) || at[0] != 0x0f || at[1] != 0x05) return 0;
  if (st->rdi == 0x1002) {
    st->fs_base = st->rsi;
  } else if (st->rdi == 0x1003 && sgx_is_within_enclave((const void*)st->rsi, 8)) {
    *(uint64_t*)st->rsi = st->fs_base;
  } else {
    return 0;
  }
  st->rax = 0;
  st->rip += 2;
  return 1;
}

static long arch_prctl(long code, uint64_t arg) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(158), "D"(code), "S"(arg) : "rcx", "r11", "memory");
  return r;
}

static uint64_t fs_word(long offset) {
  uint64_t v;
  __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(offset) : "memory");
  return v;
}

/* A TLS block as glibc lays one out: its first word points to itself. The
 * FS set through the first phase must hold across a later exception
 * (AEX saves it, ERESUME restores it, on each backend) and across an
 * interrupt, and the enclave's own FS comes back the same way. */
static uint64_t program_tls[4] __attribute__((aligned(64)));

int ecall_program_fs(void) {
  if (!nsgx_set_first_phase_handler(answer_arch_prctl)) return -1;
  if (nsgx_set_first_phase_handler((nsgx_first_phase_handler_t)(uintptr_t)0x1000) != 0) return -2; /* outside */
  uint64_t own = 0;
  if (arch_prctl(0x1003, (uint64_t)&own) != 0 || own == 0) return -3;
  program_tls[0] = (uint64_t)program_tls;
  program_tls[1] = 0x5eed;
  int result = 42;
  if (arch_prctl(0x1002, (uint64_t)program_tls) != 0)
    result = -4;
  else if (fs_word(0) != (uint64_t)program_tls || fs_word(8) != 0x5eed)
    result = -5;
  else {
    /* Another exception (phase 2 this time, ud2 skipped by on_ud_or_pf)
     * with the program's FS in effect: it is still there afterwards. */
    uint64_t marker = 0;
    __asm__ volatile("xor %%edx, %%edx\n\tud2" : "=d"(marker) : : "memory");
    if (marker != 42)
      result = -6;
    else if (fs_word(8) != 0x5eed)
      result = -7;
  }
  uint64_t now = 0;
  if (arch_prctl(0x1003, (uint64_t)&now) != 0 || (result == 42 && now != (uint64_t)program_tls)) result = -8;
  if (arch_prctl(0x1002, own) != 0) result = -9; /* the enclave's own FS back */
  nsgx_set_first_phase_handler(NULL);
  return result;
}

/* A first-phase handler that changes the frame and hands the exception on
 * to the phase-2 handlers (NSGX_FIRST_PHASE_SECOND, as the library OS does
 * to move a started thread's system call onto its TCS's stack), or
 * changes it and declines (0: nothing it changed is kept). */
static int second_keeps;
static int change_and_pass(uint32_t vector, nsgx_ssa_state_t* st) {
  if (vector != SGX_EXCEPTION_VECTOR_UD || st->rbx != 0x5ec) return 0;
  st->rbx = 0x77;
  return second_keeps ? NSGX_FIRST_PHASE_SECOND : 0;
}

int ecall_first_phase_to_second(int keep) {
  second_keeps = keep;
  if (!nsgx_set_first_phase_handler(change_and_pass)) return -1;
  uint64_t rbx = 0x5ec, rdx = 0;
  /* ecall_install's on_ud_or_pf skips the ud2 and sets RDX = 42. */
  __asm__ volatile("xor %%edx, %%edx\n\tud2" : "+b"(rbx), "=d"(rdx) : : "memory");
  nsgx_set_first_phase_handler(NULL);
  if (rdx != 42) return -2; /* the phase-2 handler did not run */
  return rbx == 0x77 ? 42 : rbx == 0x5ec ? 43 : -3;
}

/* A first-phase handler that faults itself: #UD inside the exception entry
 * (CSSA = 1), whose AEX takes the last SSA frame (NSSA = 2), so no
 * exception entry can follow and the enclave cannot go on. */
static int faulting_first_phase(uint32_t vector, nsgx_ssa_state_t* st) {
  (void)vector;
  (void)st;
  __asm__ volatile("ud2" ::: "memory");
  return 0;
}

/* A phase-2 #DE handler that raises #UD (ecall_install's on_ud_or_pf skips
 * it and sets RDX = 42) before it answers the #DE with that value: an
 * exception nested inside a handler, both at CSSA 0. */
static int on_divide_faulting(sgx_exception_info_t* info) {
  if (info->exception_vector != SGX_EXCEPTION_VECTOR_DE) return EXCEPTION_CONTINUE_SEARCH;
  uint64_t marker = 0;
  __asm__ volatile("xor %%edx, %%edx\n\tud2" : "=d"(marker) : : "memory");
  info->cpu_context.rax = marker;
  info->cpu_context.rip += 2;
  return EXCEPTION_CONTINUE_EXECUTION;
}

int ecall_fault_in_handler(int phase) {
  if (phase == 1) {
    if (!nsgx_set_first_phase_handler(faulting_first_phase)) return -1;
    uint64_t marker = 0;
    __asm__ volatile("xor %%edx, %%edx\n\tud2" : "=d"(marker) : : "memory");
    nsgx_set_first_phase_handler(NULL);
    return (int)marker; /* only if the faulting handler was never run */
  }
  void* h = sgx_register_exception_handler(1, on_divide_faulting);
  if (h == NULL) return -1;
  const int q = ecall_divide(7, 0);
  sgx_unregister_exception_handler(h);
  return q;
}

/* Interrupts (nsgx_first_phase.h; docs/isolated.md "Interrupts"): the
 * first-phase handler counts those it is offered and declines each, so the
 * thread resumes where it was; the loop keeps three accumulators live in
 * registers, whose closed forms show whether an interrupt changed one. */
static volatile int interrupts_seen;
static volatile int other_vectors_seen;
static int count_interrupt(uint32_t vector, nsgx_ssa_state_t* st) {
  (void)st;
  if (vector == NSGX_INTERRUPT_VECTOR)
    interrupts_seen = interrupts_seen + 1;
  else
    other_vectors_seen = other_vectors_seen + 1;
  return 0;
}

int ecall_count_interrupts(int n) {
  interrupts_seen = 0;
  other_vectors_seen = 0;
  if (!nsgx_set_first_phase_handler(count_interrupt)) return -1;
  uint64_t i = 0, x = 0, y = 0;
  while (interrupts_seen < n) {
    ++i;
    x += 3 * i;
    y += 5;
    __asm__ volatile("" : "+r"(i), "+r"(x), "+r"(y));
  }
  nsgx_set_first_phase_handler(NULL);
  if (other_vectors_seen != 0) return -2;
  /* i(i+1)/2 modulo 2^64 (the loop's sum wraps when it runs long): halve
   * the even factor first. */
  const uint64_t triangle = (i % 2 == 0) ? (i / 2) * (i + 1) : i * ((i + 1) / 2);
  return x == 3 * triangle && y == 5 * i ? 42 : -3;
}

/* The off-stack slices push nothing and call nothing: nothing is written
 * at the stack top. A stack_top of 0 means enclave memory that is not a
 * stack (.bss). The slices on the thread's own stack show that interrupts
 * reached the thread meanwhile (offered to count_interrupt); the ones that
 * land off the stack are never offered. */
static uint64_t not_a_stack[64] __attribute__((aligned(64)));
int ecall_spin_off_stack(uint64_t* stack_top, uint64_t slice, int n, int* slices) {
  uint64_t* top = stack_top != NULL ? stack_top : not_a_stack + 56;
  if (slice == 0) return -1;
  interrupts_seen = 0;
  other_vectors_seen = 0;
  if (!nsgx_set_first_phase_handler(count_interrupt)) return -1;
  uint64_t undone = 0;
  int s = 0;
  for (; s < (1 << 20) && interrupts_seen < n; ++s) {
    uint64_t left = slice;
    __asm__ volatile(
        "mov %%rsp, %%r11\n\t"
        "mov %1, %%rsp\n\t"
        "1: sub $1, %0\n\t"
        "jnz 1b\n\t"
        "mov %%r11, %%rsp"
        : "+r"(left)
        : "r"(top)
        : "r11", "cc", "memory");
    undone += left;
    for (uint64_t i = slice; i != 0; --i) __asm__ volatile("" : "+r"(i));
  }
  nsgx_set_first_phase_handler(NULL);
  *slices = s;
  if (other_vectors_seen != 0) return -2;
  if (interrupts_seen < n) return -3;
  return undone == 0 ? 42 : -1;
}

/* Never returns: only stopping the enclave ends it. */
void ecall_spin(void) {
  for (;;) __asm__ volatile("pause");
}

/* Holds its TCS until the application sets flags[0] (user_check memory in
 * the untrusted window), after saying it is inside with flags[1], counting
 * the threads inside: a second entry while one runs — which SGX forbids
 * per TCS — shows as -1. */
static volatile int inside;
int ecall_busy(int* flags) {
  volatile int* f = flags;
  int twice = __atomic_fetch_add(&inside, 1, __ATOMIC_SEQ_CST) != 0;
  f[1] = 1;
  for (uint64_t i = 0; i < (1ull << 34) && !f[0]; ++i) __asm__ volatile("pause");
  __atomic_fetch_sub(&inside, 1, __ATOMIC_SEQ_CST);
  return twice ? -1 : 42;
}

/* SGX2 dynamic memory as the SDK's EMM uses it: the last page of ELRANGE
 * (which the layout leaves unused: ELRANGE is a power of two) is accepted
 * with EACCEPT — its first touch makes the driver EAUG it (SDM 38.5.1,
 * "EACCEPT"; the kernel's sgx_vma_fault) — written and read back, then
 * made executable with EMODPE and run. Returns 42, or where it failed. */
extern const char __ehdr_start[];
#define ENCLU_ ".byte 0x0f, 0x01, 0xd7"
typedef struct {
  uint64_t flags;
  uint8_t reserved[56];
} __attribute__((aligned(64))) secinfo_t;

uint64_t ecall_dynamic_addr(void) {
  const uintptr_t base = (uintptr_t)__ehdr_start;
  uintptr_t size = 4096;
  while (sgx_is_within_enclave((const void*)(base + size), 1)) size <<= 1;
  return base + size - 4096;
}

uint64_t ecall_accept(uint64_t addr, uint64_t flags) {
  secinfo_t si = {.flags = flags};
  uint64_t rax;
  __asm__ volatile(ENCLU_ : "=a"(rax) : "a"(5 /* EACCEPT */), "b"(&si), "c"(addr) : "memory", "cc");
  return rax;
}

/* The 3-byte write the #PF handler (ecall_install) skips, marking 42. */
int ecall_write_at(uint64_t addr) {
  uint64_t marker = 0;
  __asm__ volatile("xor %%edx, %%edx\n\tmovb $1, (%%rax)" : "=d"(marker) : "a"(addr) : "memory");
  return (int)marker;
}

int ecall_dynamic_page(void) {
  uint8_t* page = (uint8_t*)ecall_dynamic_addr();
  /* R|W, PT_REG, PENDING (SDM 38.11.2 SECINFO flags). */
  secinfo_t si = {.flags = 0x1 | 0x2 | (2ull << 8) | 0x8};
  uint64_t rax;
  __asm__ volatile(ENCLU_ : "=a"(rax) : "a"(5 /* EACCEPT */), "b"(&si), "c"(page) : "memory", "cc");
  if (rax != 0) return -100 - (int)rax;
  for (int i = 0; i < 4096; ++i)
    if (page[i] != 0) return -2; /* EAUG gives a zeroed page */
  static const uint8_t code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; /* mov $42, %eax; ret */
  for (unsigned i = 0; i < sizeof code; ++i) page[i] = code[i];
  secinfo_t x = {.flags = 0x4 /* X */};
  __asm__ volatile(ENCLU_ : "=a"(rax) : "a"(6 /* EMODPE */), "b"(&x), "c"(page) : "memory", "cc");
  int (*fn)(void) = (int (*)(void))(void*)page;
  return fn();
}

/* SGX2 threads (SDM 38.5.6, "Adding a TCS"): the last page of ELRANGE
 * becomes a TCS whose SSA are the four pages below it, all first added as
 * regular pages and accepted; the application then changes the page's type
 * (EMODT) and this enclave accepts it as a TCS. Its entry point is a
 * stackless stub: it stores 0x7c5 as the ECALL's int result (the first
 * field of every marshalling struct with a return value) and returns
 * SGX_SUCCESS with EEXIT — so a call that runs on the new TCS shows. */
__asm__(".text\n"
        ".globl nsgx_test_dynamic_entry\n"
        "nsgx_test_dynamic_entry:\n"
        "  mov %rcx, %rbx\n" /* EEXIT to the instruction after EENTER */
        "  test %rsi, %rsi\n"
        "  jz 1f\n"
        "  movl $0x7c5, (%rsi)\n"
        "1:\n"
        "  mov $-1, %rdi\n" /* OCMD_ERET */
        "  xor %esi, %esi\n" /* SGX_SUCCESS */
        "  mov $4, %eax\n"   /* EEXIT */
        "  .byte 0x0f, 0x01, 0xd7\n");
extern const char nsgx_test_dynamic_entry[];

uint64_t ecall_prepare_tcs(void) {
  const uint64_t tcs = ecall_dynamic_addr(), ssa = tcs - (uint64_t)4 * 4096;
  const uint64_t rw_pending = 0x1 | 0x2 | (2ull << 8) | 0x8;
  for (uint64_t p = ssa; p <= tcs; p += 4096)
    if (ecall_accept(p, rw_pending) != 0) return 0;
  uint64_t* t = (uint64_t*)tcs; /* SDM Table 34-5 */
  const uint64_t base = (uint64_t)__ehdr_start;
  t[2] = ssa - base;                                        /* OSSA */
  ((uint32_t*)t)[7] = 1;                                    /* NSSA (CSSA, at 24, stays 0) */
  t[4] = (uint64_t)nsgx_test_dynamic_entry - base;          /* OENTRY */
  ((uint32_t*)t)[16] = ((uint32_t*)t)[17] = 0xfff;          /* FSLIMIT, GSLIMIT */
  return tcs;
}

void ecall_cpuid_insn(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
  __asm__ volatile("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3]) : "a"(leaf), "c"(subleaf));
}

static volatile int declined_uds;
static int decline(sgx_exception_info_t* info) {
  if (info->exception_vector == SGX_EXCEPTION_VECTOR_UD) ++declined_uds;
  return EXCEPTION_CONTINUE_SEARCH;
}

int ecall_install_decliner(void) { return sgx_register_exception_handler(0, decline) != NULL; }

int ecall_declined_uds(void) { return declined_uds; }
