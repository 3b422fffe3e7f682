/* The SDK's two-phase exception handling. Phase 1 (ECMD_EXCEPT, entered
 * with CSSA = 1 after the AEX): copy the faulting state from SSA frame 0
 * into an sgx_exception_info_t below the faulting stack's red zone, and
 * point SSA frame 0 at phase 2. Phase 2 (after ERESUME, CSSA = 0): call the
 * handlers; resume with the state they leave, or crash. */
#include <string.h>

#include "nsgx_cpu_context.h" /* its layout checks, against sgx_trts_exception.h */
#include "nsgx_first_phase.h"
#include "sgx_trts.h"
#include "sgx_trts_exception.h"
#include "sgx_utils.h"
#include "trts_internal.h"

_Static_assert(offsetof(sgx_exception_info_t, exception_vector) == 144, "SDK layout");
_Static_assert(offsetof(sgx_exception_info_t, exinfo) == 152, "SDK layout");
_Static_assert(offsetof(sgx_exception_info_t, xsave_area) == 192, "SDK layout");

typedef struct handler_node {
  struct handler_node* next;
  sgx_exception_handler_t fn;
} handler_node_t;

static handler_node_t* handlers;
static volatile int handlers_lock;

static void lock(void) {
  while (__atomic_exchange_n(&handlers_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
}
static void unlock(void) { __atomic_store_n(&handlers_lock, 0, __ATOMIC_RELEASE); }

void* sgx_register_exception_handler(int is_first_handler, sgx_exception_handler_t fn) {
  if (fn == NULL || !sgx_is_within_enclave((const void*)fn, 1)) return NULL;
  handler_node_t* n = malloc(sizeof *n);
  if (n == NULL) return NULL;
  n->fn = fn;
  n->next = NULL;
  lock();
  if (is_first_handler || handlers == NULL) {
    n->next = handlers;
    handlers = n;
  } else {
    handler_node_t* t = handlers;
    while (t->next) t = t->next;
    t->next = n;
  }
  unlock();
  return n;
}

int sgx_unregister_exception_handler(void* handle) {
  if (handle == NULL) return 0;
  lock();
  for (handler_node_t** p = &handlers; *p; p = &(*p)->next)
    if (*p == handle) {
      *p = (*p)->next;
      unlock();
      free(handle);
      return 1;
    }
  unlock();
  return 0;
}

/* GPRSGX (SDM Table 34-8): the first 18 words are in sgx_cpu_context_t's order. */
#define GPR_RDI_OFF 56
#define GPR_RFLAGS_OFF 128
#define GPR_FSBASE_OFF 168
#define GPR_GSBASE_OFF 176

static nsgx_first_phase_handler_t first_phase;

int nsgx_set_first_phase_handler(nsgx_first_phase_handler_t handler) {
  if (handler != NULL && !sgx_is_within_enclave((const void*)handler, 1)) return 0;
  __atomic_store_n(&first_phase, handler, __ATOMIC_RELEASE);
  return 1;
}

/* The first-phase handler's turn (nsgx_first_phase.h): NSGX_FIRST_PHASE_DONE
 * if it dealt with the exception, NSGX_FIRST_PHASE_SECOND if the phase-2
 * handlers are to see the state it left — either way with that state
 * written back to the frame (RFLAGS and the frame's other fields
 * excepted) — else 0 (the frame untouched). */
static int run_first_phase(uint8_t* gpr, uint32_t vector) {
  const nsgx_first_phase_handler_t fn = __atomic_load_n(&first_phase, __ATOMIC_ACQUIRE);
  if (fn == NULL) return 0;
  nsgx_ssa_state_t st;
  memcpy(&st, gpr, GPR_RIP_OFF + 8);
  memcpy(&st.fs_base, gpr + GPR_FSBASE_OFF, 8);
  memcpy(&st.gs_base, gpr + GPR_GSBASE_OFF, 8);
  const int r = fn(vector, &st);
  if (r != NSGX_FIRST_PHASE_DONE && r != NSGX_FIRST_PHASE_SECOND) return 0;
  memcpy(gpr, &st, GPR_RFLAGS_OFF);
  memcpy(gpr + GPR_RIP_OFF, &st.rip, 8);
  memcpy(gpr + GPR_FSBASE_OFF, &st.fs_base, 8);
  memcpy(gpr + GPR_GSBASE_OFF, &st.gs_base, 8);
  return r;
}

/* SSA frame 0's XSAVE image: the frame starts ssa_frame_size pages below
 * the end of GPRSGX (SDM Vol. 3D 37.9: XSAVE area at the frame's start). */
const void* nsgx_first_phase_xsave(void) {
  const nsgx_td_t* td = nsgx_td();
  if (td == NULL || td->ssa_gpr == 0) return NULL;
  return (const void*)(uintptr_t)(td->ssa_gpr + GPRSGX_SIZE - (uint64_t)nsgx_gd.ssa_frame_size * 4096);
}

int nsgx_first_phase_exinfo(uint64_t* maddr, uint32_t* errcd) {
  const sgx_report_t* self = sgx_self_report();
  if (self == NULL || !(self->body.misc_select & 1)) return 0;
  sgx_misc_exinfo_t x;
  memcpy(&x, (const uint8_t*)nsgx_td()->ssa_gpr - sizeof x, sizeof x); /* EXINFO precedes GPRSGX */
  *maddr = x.faulting_address;
  *errcd = x.error_code;
  return 1;
}

/* A #UD at a CPUID instruction that nobody else handled: answered from
 * the rows the untrusted runtime passed (cpuid.c) and stepped over, so that
 * a library choosing a code path by CPUID works as it does natively. 1 if
 * answered (the registers and RIP updated), else 0 (the enclave's handlers
 * or a crash, as on SGX without this runtime). */
static int answer_cpuid(uint32_t vector, uint64_t* rax, uint64_t* rbx, uint64_t* rcx, uint64_t* rdx, uint64_t* rip) {
  static const uint8_t kCpuid[2] = {0x0f, 0xa2};
  if (vector != SGX_EXCEPTION_VECTOR_UD || !sgx_is_within_enclave((const void*)(uintptr_t)*rip, 2) ||
      memcmp((const void*)(uintptr_t)*rip, kCpuid, 2) != 0)
    return 0;
  uint32_t out[4];
  if (!nsgx_cpuid_row((uint32_t)*rax, (uint32_t)*rcx, out)) return 0;
  *rax = out[0], *rbx = out[1], *rcx = out[2], *rdx = out[3]; /* a 32-bit result clears the upper halves */
  *rip += 2;
  return 1;
}

/* The same on SSA frame 0's GPRs (phase 1, when there are no phase-2
 * handlers to ask first). */
static int answer_cpuid_in_frame(uint8_t* gpr, uint32_t vector) {
  uint64_t r[4], rip; /* RAX, RCX, RDX, RBX: GPRSGX's first four */
  memcpy(r, gpr, sizeof r);
  memcpy(&rip, gpr + GPR_RIP_OFF, 8);
  if (!answer_cpuid(vector, &r[0], &r[3], &r[1], &r[2], &rip)) return 0;
  memcpy(gpr, r, sizeof r);
  memcpy(gpr + GPR_RIP_OFF, &rip, 8);
  return 1;
}

extern void nsgx_trts_exception_stage2(void);

/* Phase 1, on a stack below the reserved area (entry.S). */
HIDDEN sgx_status_t nsgx_trts_exception(nsgx_td_t* td) {
  if (nsgx_crashed) return SGX_ERROR_ENCLAVE_CRASHED;
  uint8_t* gpr = (uint8_t*)td->ssa_gpr;
  uint32_t exitinfo;
  memcpy(&exitinfo, gpr + GPR_EXITINFO_OFF, 4);
  /* EXITINFO.VALID clear: an interrupt (or an entry with nothing to
   * handle, e.g. a second one before the ERESUME). Only the first-phase
   * handler may want it (nsgx_first_phase.h); else resume as is. */
  const int interrupt = !(exitinfo & GPR_EXITINFO_VALID);
  const int first = run_first_phase(gpr, interrupt ? NSGX_INTERRUPT_VECTOR : (exitinfo & 0xff));
  if (interrupt && first != NSGX_FIRST_PHASE_SECOND) return SGX_SUCCESS;
  if (first == NSGX_FIRST_PHASE_DONE) {
    /* Consumed; ERESUME continues with the frame as the handler left it. */
    exitinfo &= ~(uint32_t)GPR_EXITINFO_VALID;
    memcpy(gpr + GPR_EXITINFO_OFF, &exitinfo, 4);
    return SGX_SUCCESS;
  }
  if (handlers == NULL) {
    if (!interrupt && answer_cpuid_in_frame(gpr, exitinfo & 0xff)) {
      exitinfo &= ~(uint32_t)GPR_EXITINFO_VALID; /* consumed, as above */
      memcpy(gpr + GPR_EXITINFO_OFF, &exitinfo, 4);
      return SGX_SUCCESS;
    }
    nsgx_crashed = 1;
    return SGX_ERROR_ENCLAVE_CRASHED;
  }
  uint64_t rsp;
  memcpy(&rsp, gpr + GPR_RSP_OFF, 8);
  const uint64_t at = (rsp - 128 - sizeof(sgx_exception_info_t)) & ~(uint64_t)63; /* keep the red zone */
  if (at < td->stack_limit || rsp > td->stack_base) {
    nsgx_crashed = 1; /* the faulting stack is not this thread's: nothing safe to run on */
    return SGX_ERROR_STACK_OVERRUN;
  }
  sgx_exception_info_t* info = (sgx_exception_info_t*)at;
  memset(info, 0, sizeof *info);
  memcpy(&info->cpu_context, gpr, sizeof info->cpu_context);
  info->exception_vector = (sgx_exception_vector_t)(interrupt ? NSGX_INTERRUPT_VECTOR : (exitinfo & 0xff));
  info->exception_type = (sgx_exception_type_t)(interrupt ? 0 : ((exitinfo >> 8) & 7));
  info->exception_valid = interrupt ? 0 : 1;
  const sgx_report_t* self = sgx_self_report();
  if (self && (self->body.misc_select & 1)) /* EXINFO precedes GPRSGX in the frame */
    memcpy(&info->exinfo, gpr - sizeof(sgx_misc_exinfo_t), sizeof info->exinfo);
  /* Consumed: a second ECMD_EXCEPT before the ERESUME finds nothing to do
   * (for an interrupt, the first-phase handler sees RIP at stage 2, not
   * where it asks for a second phase). */
  exitinfo &= ~(uint32_t)GPR_EXITINFO_VALID;
  memcpy(gpr + GPR_EXITINFO_OFF, &exitinfo, 4);
  /* Resume into phase 2 with RSP and RDI at the info. */
  const uint64_t stage2 = (uint64_t)(uintptr_t)&nsgx_trts_exception_stage2;
  memcpy(gpr + GPR_RIP_OFF, &stage2, 8);
  memcpy(gpr + GPR_RSP_OFF, &at, 8);
  memcpy(gpr + GPR_RDI_OFF, &at, 8);
  return SGX_SUCCESS;
}

/* Phase 2: the handlers, in order. Returns only if one continues execution. */
HIDDEN void nsgx_trts_dispatch_exception(sgx_exception_info_t* info) {
  lock();
  handler_node_t* n = handlers;
  unlock();
  for (; n != NULL; n = n->next)
    if (n->fn(info) == EXCEPTION_CONTINUE_EXECUTION) return;
  sgx_cpu_context_t* c = &info->cpu_context;
  if (info->exception_valid && answer_cpuid(info->exception_vector, &c->rax, &c->rbx, &c->rcx, &c->rdx, &c->rip))
    return;
  nsgx_crash();
}
