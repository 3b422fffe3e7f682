/* A first-phase exception handler: the hook a library OS needs to answer a
 * program's system calls where only ERESUME can carry the answer
 * (nestedsgx; not an SGX SDK interface; docs/libos.md).
 *
 * The SDK's handlers (sgx_trts_exception.h) run in phase 2, after ERESUME,
 * on the faulting thread's stack, and return to the faulting code by
 * software — which cannot change the FS or GS base without WRFSBASE. A
 * first-phase handler runs earlier, while the exception entry (ECMD_EXCEPT,
 * CSSA = 1) still has the interrupted state in SSA frame 0: what it leaves
 * in `state`, the FS and GS bases included, is written back to that frame,
 * and the ERESUME that follows loads it (SDM Vol. 3D, ERESUME: in 64-bit
 * mode FS and GS come from GPRSGX.FSBASE/GSBASE). So
 * `arch_prctl(ARCH_SET_FS, tp)`, a #UD inside an enclave, is answered by
 * setting state->fs_base = tp, state->rax = 0 and state->rip += 2.
 *
 * The handler runs on the small exception-entry stack (a few KiB): no OCALLs,
 * no allocation, no deep calls. It returns NSGX_FIRST_PHASE_DONE (1) when
 * it has dealt with the exception (the thread resumes with `state`; the
 * phase-2 handlers do not run), NSGX_FIRST_PHASE_SECOND (2) to hand the
 * exception to them with `state` as it left it (a library OS moves
 * state->rsp onto the thread's own stack this way when the program faulted
 * on a stack of its own, where the phase-2 handlers refuse to run; the
 * handler puts the program's RSP back before continuing), and 0 to leave
 * it to them unchanged (nothing it changed in `state` is kept). RFLAGS is
 * not written back. */
#ifndef _NSGX_FIRST_PHASE_H_
#define _NSGX_FIRST_PHASE_H_

#include <stddef.h>
#include <stdint.h>

#include "nsgx_layout_assert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nsgx_ssa_state {
  uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rflags, rip;
  uint64_t fs_base, gs_base;
} nsgx_ssa_state_t;
NSGX_LAYOUT_ASSERT(offsetof(nsgx_ssa_state_t, rip) == 136 && offsetof(nsgx_ssa_state_t, fs_base) == 144 &&
                       sizeof(nsgx_ssa_state_t) == 160,
                   "nsgx_ssa_state_t: the GPRs in GPRSGX's order, then the two bases");

#define NSGX_FIRST_PHASE_DONE 1
#define NSGX_FIRST_PHASE_SECOND 2

/* `vector` for an interrupt: the entry follows an AEX that EXITINFO does
 * not report (SDM Vol. 3D 37.9.1.1: EXITINFO.VALID is 0 for an interrupt
 * or any other exit that is not an exception the SECS reports) — a host
 * that re-enters after an interrupt instead of ERESUMEing at once, as SGX
 * software does to deliver a signal to a thread that computes. Not a
 * vector (those are 8 bits). NSGX_FIRST_PHASE_DONE resumes with `state`;
 * NSGX_FIRST_PHASE_SECOND runs the phase-2 handlers with
 * exception_valid = 0 and exception_vector = NSGX_INTERRUPT_VECTOR (only
 * then: an enclave whose first-phase handler does not ask never sees an
 * interrupt in phase 2); 0 resumes the interrupted code as it was. */
#define NSGX_INTERRUPT_VECTOR 0x100u

/* `vector`: the exception's vector (SDM EXITINFO.VECTOR; 6 for #UD), or
 * NSGX_INTERRUPT_VECTOR. */
typedef int (*nsgx_first_phase_handler_t)(uint32_t vector, nsgx_ssa_state_t* state);

/* While a first-phase handler runs: the interrupted state's XSAVE image
 * in SSA frame 0 (its first 512 bytes are FXSAVE's layout, SDM Vol. 1
 * 13.4.1; the XSAVE header at 512 says which components are not in their
 * initial state), which the ERESUME after the handler loads. Read only —
 * a library OS copies it to give a signal handler the interrupted FPU
 * state. Meaningless (the frame of an earlier exit, or NULL) outside a
 * first-phase handler's entry. */
const void* nsgx_first_phase_xsave(void);

/* Sets the enclave's one first-phase handler (NULL removes it). Returns 1,
 * or 0 if `handler` lies outside the enclave. */
int nsgx_set_first_phase_handler(nsgx_first_phase_handler_t handler);

/* In a first-phase handler only: the faulting address of the #PF or #GP
 * being handled (SDM Vol. 3D, the EXINFO MISC component: MADDR, written
 * below GPRSGX at the AEX when the enclave's MISCSELECT.EXINFO is set, as
 * the SDK's phase 1 copies it into sgx_exception_info_t). Returns 1 with
 * *maddr and *errcd set, or 0 when the enclave runs without EXINFO. */
int nsgx_first_phase_exinfo(uint64_t* maddr, uint32_t* errcd);

/* Makes the calling thread's FS base `fs_base` without an exception round
 * trip, through the FS gate a nestedsgx backend offered at this thread's
 * latest CSSA-0 entry, or in phase 1 at the exception entry
 * (runtime/common/exit_gate.h; docs/isolated.md, "The FS
 * gate"). Returns 0 once FS is `fs_base` — it stays so across AEXs and
 * ERESUMEs until the next EENTER loads the TCS's, as after an ERESUME that
 * loaded it; -38 (-ENOSYS) when no FS gate was offered (SGX hardware,
 * Intel's untrusted runtime, the trap path) and -errno when the kernel
 * refused the base: FS is then unchanged, and a first-phase handler's
 * state->fs_base with the ERESUME after it (above) is the way. Clobbers
 * what a C call may; makes no OCALL. */
long nsgx_set_fs_base(uint64_t fs_base);

#ifdef __cplusplus
}
#endif

#endif
