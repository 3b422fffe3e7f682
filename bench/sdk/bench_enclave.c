/* Trusted side of the round-trip benchmark (sdk_ecall_bench). */
#include <stdint.h>

#include "bench_t.h"
#include "nsgx_first_phase.h"
#include "sgx_trts_exception.h"

void ecall_null(void) {}
void ecall_null_sl(void) {}

/* Null OCALLs back to back: the application times the gap between one
 * OCALL's arrival and the next, i.e. one whole round trip out and back in. */
void ecall_ocalls(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (ocall_null() != SGX_SUCCESS) return;
}

/* The same through untrusted workers (switchless OCALLs). */
void ecall_ocalls_sl(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (ocall_null_sl() != SGX_SUCCESS) return;
}

/* A library OS's trap-and-emulate path in miniature: SYSCALL is #UD in an
 * enclave; the handler answers the call (RAX = 0) and skips the 2-byte
 * instruction. The application times the ECALL: a null ECALL plus one trap
 * through the SDK's two-phase exception flow (AEX, the exception entry,
 * EEXIT, ERESUME). A call that returns anything but 0 was not trapped. */
static int answer_syscall(sgx_exception_info_t* info) {
  if (info->exception_vector != SGX_EXCEPTION_VECTOR_UD) return EXCEPTION_CONTINUE_SEARCH;
  info->cpu_context.rax = 0;
  info->cpu_context.rip += 2;
  return EXCEPTION_CONTINUE_EXECUTION;
}

long ecall_syscall_trap(void) {
  static void* handler;
  if (handler == 0) handler = sgx_register_exception_handler(1, answer_syscall);
  if (handler == 0) return -1;
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(110 /* getppid */) : "rcx", "r11", "memory");
  return r;
}

/* The FS gate (nsgx_first_phase.h, nsgx_set_fs_base) as a library OS uses
 * it: each round loads the FS base of a block that, like glibc's TCB,
 * starts with a pointer to itself; checks it through %fs; keeps it across
 * a spin (preemption) and, every 8th round, across an exception (AEX saves
 * FS into the SSA frame, ERESUME loads it back); then makes an OCALL. Its
 * return (EENTER with ECMD_ORET) keeps that base where the backend says so
 * (`oret_keeps_fs`: the isolated backend, runtime/common/exit_gate.h) and
 * otherwise loads the TCS's — the TD's, which also starts with a pointer to
 * itself. Returns `rounds`, -38 when no FS gate was offered, another
 * negative errno from the gate, or -1000 - the check that failed. */
struct fs_block {
  struct fs_block* self;
  uint64_t marker;
};

static uint64_t fs_word(void) {
  uint64_t v;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
  return v;
}

long ecall_fs_gate(uint32_t rounds, int oret_keeps_fs) {
  static void* handler;
  if (handler == 0) handler = sgx_register_exception_handler(1, answer_syscall);
  if (handler == 0) return -1;
  /* An ECALL starts on the TCS's bases, both the TD's, whatever an earlier
   * ECALL on this TCS left in FS. */
  uint64_t gs0;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(gs0));
  const uint64_t td = fs_word();
  if (td != gs0) return -1007;
  struct fs_block b = {&b, 0x6e7367784653ull};
  for (uint32_t i = 0; i < rounds; ++i) {
    const long r = nsgx_set_fs_base((uint64_t)&b);
    if (r != 0) return r;
    if (fs_word() != (uint64_t)&b) return -1000;
    for (int k = 0; k < 2000; ++k)
      if (fs_word() != (uint64_t)&b) return -1001;
    uint64_t marker;
    __asm__ volatile("mov %%fs:8, %0" : "=r"(marker));
    if (marker != b.marker) return -1002;
    if (i % 8 == 0) {
      long s;
      __asm__ volatile("syscall" : "=a"(s) : "a"(110) : "rcx", "r11", "memory");
      if (s != 0) return -1003;
      if (fs_word() != (uint64_t)&b) return -1004;
    }
    if (ocall_null() != SGX_SUCCESS) return -1005;
    if (fs_word() != (oret_keeps_fs ? (uint64_t)&b : td)) return -1006;
  }
  return (long)rounds;
}
