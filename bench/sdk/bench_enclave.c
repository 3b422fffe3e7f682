/* Trusted side of the round-trip benchmark (sdk_ecall_bench). */
#include <stdint.h>

#include "bench_t.h"
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
