/* The trusted runtime's private structures (C and asm offsets). */
#ifndef NSGX_TRTS_INTERNAL_H
#define NSGX_TRTS_INTERNAL_H

#define TD_SELF 0
#define TD_STACK_BASE 8
#define TD_STACK_LIMIT 16
#define TD_SSA_GPR 24
#define TD_INITIALIZED 32
#define TD_STACK_GUARD 40 /* %fs:0x28, where compilers keep the stack canary */
#define TD_LAST_SP 48     /* enclave RSP of the innermost pending OCALL's frame, 0 if none */
#define TD_EXIT_ADDR 56   /* RCX of the latest EENTER: where EEXIT returns */
#define TD_ENTRY_URSP 64  /* untrusted RSP and RBP at the latest EENTER */
#define TD_ENTRY_URBP 72
#define TD_OCALL_INDEX 80
#define TD_ERRNO 88
#define TD_TCS 96
#define TD_EXCEPTION_RIP 104 /* phase 2's jump back to the handled state */
/* The exit gate the latest CSSA-0 entry offered (in phase 1: the exception entry's), 0 if none. */
#define TD_EXIT_GATE 184
#define TD_FS_GATE 192       /* that offer's FS gate (runtime/common/exit_gate.h), 0 if none */
#define TD_RESUMED_EXIT_GATE 208 /* an exception entry's copies of the interrupted context's gates */
#define TD_RESUMED_FS_GATE 216

#define GD_ENCLAVE_SIZE 8    /* offsetof(nsgx_global_data_t, enclave_size) */
#define GD_SSA_FRAME_SIZE 60 /* offsetof(nsgx_global_data_t, ssa_frame_size) */
#define GD_USER_REGION_OFFSET 64 /* offsetof(nsgx_global_data_t, user_region_offset) */
#define GD_USER_REGION_SIZE 72   /* offsetof(nsgx_global_data_t, user_region_size) */
#define GD_IMAGE_OFFSET 80       /* offsetof(nsgx_global_data_t, image_offset) */
/* The least stack phase 1 of exception handling gets in the user region
 * (entry.S): nsgx_trts_exception and a first-phase handler's frames. */
#define PHASE1_USER_REGION_ROOM 0x4000
#define GPRSGX_SIZE 184
#define GPR_RSP_OFF 32 /* SDM Table 34-8: offsets in GPRSGX (arch/sgx/ssa.h asserts them) */
#define GPR_RIP_OFF 136
#define GPR_URSP 144
#define GPR_URBP 152
#define GPR_EXITINFO_OFF 160
#define GPR_EXITINFO_VALID 0x80000000 /* EXITINFO.VALID: an exception the SECS reports (37.9.1.1) */

#define ECMD_INIT_ENCLAVE -1
#define ECMD_ORET -2
#define ECMD_EXCEPT -3
#define ECMD_ECALL_PTHREAD -6 /* the SDK's: run an enclave pthread (sdk/trts/pthread.c) */
#define OCMD_ERET -1

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>  // malloc, free: the heap (heap.c) the runtime itself uses

#include "sdk/common/global_data.h"
#include "sdk/common/system_features.h"
#include "sgx_error.h"

typedef struct nsgx_td {
  struct nsgx_td* self;
  uint64_t stack_base, stack_limit;
  uint64_t ssa_gpr;
  uint64_t initialized;
  uint64_t stack_guard;
  uint64_t last_sp;
  uint64_t exit_addr;
  uint64_t entry_ursp, entry_urbp;
  int64_t ocall_index;
  int64_t errno_value;
  uint64_t tcs;
  uint64_t exception_rip;
  uint64_t next_waiter;  /* sgx_thread_* wait queues */
  uint32_t woken;        /* set by a wake-up; consumed by the wait */
  /* The C++ runtime's per-thread exception state (Itanium C++ ABI
   * __cxa_eh_globals: caught-exception stack, uncaught count), handed to
   * libstdc++ by __cxa_get_globals (sdk/trts/cxxrt/cxxabi.c). */
  void* cxa_caught_exceptions;
  uint32_t cxa_uncaught_exceptions;
  uint32_t cxa_reserved;
  /* The enclave pthread (sdk/trts/pthread.c) this thread runs, 0 outside
   * one; and this thread's pthread_setspecific values (allocated on first use). */
  void* pthread;
  void* pthread_specific;
  /* This thread's thread-local storage block (allocated by __tls_get_addr
   * on first use) and its thread_local destructors (tls.c). */
  void* tls_block;
  void* tls_dtors;
  /* The untrusted RSP before the first sgx_ocalloc since the last
   * sgx_ocfree (0: none pending), which sgx_ocfree restores. Saved and
   * cleared around every entry but ECMD_ORET, so a nested ECALL's
   * allocations stack below the OCALL it was made from. */
  uint64_t ocalloc_top;
  /* Where the next EEXIT goes instead of ENCLU (runtime/common/exit_gate.h):
   * set by entry.S at every entry, after its checks, 0 if none; an
   * exception entry's are its own only until its exit puts back those of
   * the context it interrupted (resumed_*). */
  uint64_t exit_gate;
  /* The FS gate of the same offer (nsgx_set_fs_base), 0 if none. */
  uint64_t fs_gate;
  /* Non-zero while this thread's switchless OCALLs must take the ordinary
   * transition (nsgx_switchless_ocalls, nsgx_tswitchless.h). */
  uint64_t switchless_off;
  /* The gates of the context an exception entry interrupted, put back at
   * its exit (entry.S, EXCEPTION_ENTRY_GATES). */
  uint64_t resumed_exit_gate;
  uint64_t resumed_fs_gate;
} nsgx_td_t;

_Static_assert(offsetof(nsgx_td_t, stack_guard) == TD_STACK_GUARD, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, last_sp) == TD_LAST_SP, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, exit_addr) == TD_EXIT_ADDR, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, entry_ursp) == TD_ENTRY_URSP, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, ssa_gpr) == TD_SSA_GPR, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, ocall_index) == TD_OCALL_INDEX, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, exception_rip) == TD_EXCEPTION_RIP, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, stack_limit) == TD_STACK_LIMIT, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, stack_base) == TD_STACK_BASE, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, exit_gate) == TD_EXIT_GATE, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, fs_gate) == TD_FS_GATE, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, resumed_exit_gate) == TD_RESUMED_EXIT_GATE, "asm offsets");
_Static_assert(offsetof(nsgx_td_t, resumed_fs_gate) == TD_RESUMED_FS_GATE, "asm offsets");
_Static_assert(offsetof(nsgx_global_data_t, ssa_frame_size) == GD_SSA_FRAME_SIZE, "asm offsets");
_Static_assert(offsetof(nsgx_global_data_t, enclave_size) == GD_ENCLAVE_SIZE, "asm offsets");
_Static_assert(offsetof(nsgx_global_data_t, image_offset) == GD_IMAGE_OFFSET, "asm offsets");
_Static_assert(offsetof(nsgx_global_data_t, user_region_offset) == GD_USER_REGION_OFFSET, "asm offsets");
_Static_assert(offsetof(nsgx_global_data_t, user_region_size) == GD_USER_REGION_SIZE, "asm offsets");

#define HIDDEN __attribute__((visibility("hidden")))

/* The signer-patched layout (an alias of the exported g_global_data). */
extern HIDDEN volatile nsgx_global_data_t nsgx_gd;
/* The image's first byte (the ELF header): the base of its link-time
 * addresses. */
extern HIDDEN const char __ehdr_start[];

/* ELRANGE's first byte: the image's, less where the signer placed it
 * (global_data.h, image_offset); what RVAs and program headers are from. */
static inline uintptr_t nsgx_enclave_base(void) { return (uintptr_t)__ehdr_start - nsgx_gd.image_offset; }

/* This thread's data: GS base is the TD page (TCS.OGSBASGX), its first word points to itself. */
static inline nsgx_td_t* nsgx_td(void) {
  nsgx_td_t* td;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(td));
  return td;
}

HIDDEN void nsgx_heap_init(void* base, size_t size);
/* cpuid.c: the CPUID rows of system_features_t, for the CPUID instruction
 * nothing else answers (exception.c). nsgx_cpuid_row: 1 and `out` (EAX,
 * EBX, ECX, EDX) if the leaf and sub-leaf were passed, else 0. */
HIDDEN void nsgx_cpuid_rows_init(const nsgx_system_features_t* outside);
HIDDEN int nsgx_cpuid_row(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
HIDDEN void nsgx_crash(void) __attribute__((noreturn));
HIDDEN extern volatile int nsgx_crashed;
/* dh.c: the SDK's ECDH key derivation (KDK from the shared secret, then
 * a labelled CMAC), for sgx_dh and the remote-attestation key exchange. */
#include "sgx_key.h"
#include "sgx_tcrypto.h"
sgx_status_t nsgx_ecdh_derive_key(const sgx_ec256_dh_shared_t* z, const char* label, size_t label_len,
                                  sgx_key_128bit_t* out) HIDDEN;

/* thread.c's wait queues and sleeping, for pthread.c. */
#include "sgx_thread.h"
HIDDEN void nsgx_waitq_push(sgx_thread_queue_t* q, sgx_thread_t self);
HIDDEN sgx_thread_t nsgx_waitq_pop(sgx_thread_queue_t* q);
HIDDEN void nsgx_thread_sleep(sgx_thread_t self);
HIDDEN void nsgx_thread_wake(sgx_thread_t t);
/* ECMD_ECALL_PTHREAD: runs the pthread `ms` names (pthread.c). */
HIDDEN sgx_status_t nsgx_pthread_run(void* ms, nsgx_td_t* td);
/* At an enclave pthread's end: its thread_local destructors, then its TLS block (tls.c). */
HIDDEN void nsgx_tls_thread_end(nsgx_td_t* td);
/* asm: EEXIT to OCALL `index` and return the status the untrusted side sends back with ECMD_ORET. */
HIDDEN sgx_status_t nsgx_trts_ocall(unsigned index, void* ms, nsgx_td_t* td);

/* Switchless calls (switchless.c, trts.c). */
sgx_status_t sl_init_switchless(void* sl_data);
sgx_status_t sl_run_switchless_tworker(void);
HIDDEN sgx_status_t nsgx_switchless_ecall(uint32_t index, void* ms);
HIDDEN size_t nsgx_ocall_count(void);
#endif

#endif
