/* Exception handlers inside an enclave (SGX SDK interface). After an
 * exception the untrusted runtime re-enters the enclave (ECMD_EXCEPT); the
 * trusted runtime then calls the registered handlers, in order, on the
 * faulting thread's stack, with the CPU state at the fault. A handler that
 * returns EXCEPTION_CONTINUE_EXECUTION resumes with the (possibly changed)
 * state; if none does, the enclave crashes. */
#ifndef _SGX_TRTS_EXCEPTION_H_
#define _SGX_TRTS_EXCEPTION_H_

#include <stdint.h>

#include "sgx_defs.h"

#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION -1

typedef enum _sgx_exception_vector_t {
  SGX_EXCEPTION_VECTOR_DE = 0,
  SGX_EXCEPTION_VECTOR_DB = 1,
  SGX_EXCEPTION_VECTOR_BP = 3,
  SGX_EXCEPTION_VECTOR_BR = 5,
  SGX_EXCEPTION_VECTOR_UD = 6,
  SGX_EXCEPTION_VECTOR_GP = 13,
  SGX_EXCEPTION_VECTOR_PF = 14,
  SGX_EXCEPTION_VECTOR_MF = 16,
  SGX_EXCEPTION_VECTOR_AC = 17,
  SGX_EXCEPTION_VECTOR_XM = 19,
  SGX_EXCEPTION_VECTOR_CP = 21,
} sgx_exception_vector_t;

typedef enum _sgx_exception_type_t {
  SGX_EXCEPTION_HARDWARE = 3,
  SGX_EXCEPTION_SOFTWARE = 6,
} sgx_exception_type_t;

typedef struct _cpu_context_t {
  uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rflags, rip;
} sgx_cpu_context_t;

typedef struct _sgx_misc_exinfo_t {
  uint64_t faulting_address;
  uint32_t error_code;
  uint32_t reserved;
} sgx_misc_exinfo_t;

typedef struct _exception_info_t {
  sgx_cpu_context_t cpu_context;
  sgx_exception_vector_t exception_vector;
  sgx_exception_type_t exception_type;
  sgx_misc_exinfo_t exinfo;       /* #PF/#GP details when the enclave's MISCSELECT has EXINFO */
  uint32_t exception_valid;
  uint32_t do_aex_mitigation;
  uint64_t xsave_size;
  uint64_t reserved[1];
  uint8_t xsave_area[0];
} __attribute__((aligned(64))) sgx_exception_info_t;

typedef int (*sgx_exception_handler_t)(sgx_exception_info_t* info);

#ifdef __cplusplus
extern "C" {
#endif

/* Adds a handler (first in the list if `is_first_handler`); NULL on failure. */
void* sgx_register_exception_handler(int is_first_handler, sgx_exception_handler_t exception_handler);
/* Removes it; non-zero on success. */
int sgx_unregister_exception_handler(void* handler);

#ifdef __cplusplus
}
#endif

#endif
