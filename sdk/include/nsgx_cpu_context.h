/* sgx_cpu_context_t (sgx_trts_exception.h) as assembly sees it: each
 * register's offset, checked against the C structure, and the loads that
 * the trusted runtime's phase 2 (sdk/trts/entry.S) and the library OS's
 * rewritten-syscall stub (libos/enclave/syscall_stub.S) share when they
 * put a handled state back (nestedsgx; not an SDK header). */
#ifndef _NSGX_CPU_CONTEXT_H_
#define _NSGX_CPU_CONTEXT_H_

#define NSGX_CTX_RAX 0
#define NSGX_CTX_RCX 8
#define NSGX_CTX_RDX 16
#define NSGX_CTX_RBX 24
#define NSGX_CTX_RSP 32
#define NSGX_CTX_RBP 40
#define NSGX_CTX_RSI 48
#define NSGX_CTX_RDI 56
#define NSGX_CTX_R8 64
#define NSGX_CTX_R9 72
#define NSGX_CTX_R10 80
#define NSGX_CTX_R11 88
#define NSGX_CTX_R12 96
#define NSGX_CTX_R13 104
#define NSGX_CTX_R14 112
#define NSGX_CTX_R15 120
#define NSGX_CTX_RFLAGS 128
#define NSGX_CTX_RIP 136
#define NSGX_CTX_SIZE 144

#ifdef __ASSEMBLER__
/* clang-format off */
/* Every general register but RCX, RSP and R11 from the context at \ctx,
 * which must be R11 (the one register neither user takes from here):
 * RCX, RSP and R11 are what the two users put back differently (RCX the
 * context's RCX, or its RIP as after SYSCALL; RSP and R11 last, since
 * loading them ends the use of the context). RFLAGS is not touched. */
.macro nsgx_ctx_load_gprs ctx
	.ifnc \ctx, %r11
	.error "nsgx_ctx_load_gprs: the context must be in %r11"
	.endif
	mov	NSGX_CTX_RAX(\ctx), %rax
	mov	NSGX_CTX_RDX(\ctx), %rdx
	mov	NSGX_CTX_RBX(\ctx), %rbx
	mov	NSGX_CTX_RBP(\ctx), %rbp
	mov	NSGX_CTX_RSI(\ctx), %rsi
	mov	NSGX_CTX_RDI(\ctx), %rdi
	mov	NSGX_CTX_R8(\ctx), %r8
	mov	NSGX_CTX_R9(\ctx), %r9
	mov	NSGX_CTX_R10(\ctx), %r10
	mov	NSGX_CTX_R12(\ctx), %r12
	mov	NSGX_CTX_R13(\ctx), %r13
	mov	NSGX_CTX_R14(\ctx), %r14
	mov	NSGX_CTX_R15(\ctx), %r15
.endm
/* clang-format on */
#else
#include <stddef.h>

#include "nsgx_layout_assert.h"
#include "sgx_trts_exception.h"

#define NSGX_CTX_CHECK(field, off) \
  NSGX_LAYOUT_ASSERT(offsetof(sgx_cpu_context_t, field) == (off), "sgx_cpu_context_t." #field " moved")
NSGX_CTX_CHECK(rax, NSGX_CTX_RAX);
NSGX_CTX_CHECK(rcx, NSGX_CTX_RCX);
NSGX_CTX_CHECK(rdx, NSGX_CTX_RDX);
NSGX_CTX_CHECK(rbx, NSGX_CTX_RBX);
NSGX_CTX_CHECK(rsp, NSGX_CTX_RSP);
NSGX_CTX_CHECK(rbp, NSGX_CTX_RBP);
NSGX_CTX_CHECK(rsi, NSGX_CTX_RSI);
NSGX_CTX_CHECK(rdi, NSGX_CTX_RDI);
NSGX_CTX_CHECK(r8, NSGX_CTX_R8);
NSGX_CTX_CHECK(r9, NSGX_CTX_R9);
NSGX_CTX_CHECK(r10, NSGX_CTX_R10);
NSGX_CTX_CHECK(r11, NSGX_CTX_R11);
NSGX_CTX_CHECK(r12, NSGX_CTX_R12);
NSGX_CTX_CHECK(r13, NSGX_CTX_R13);
NSGX_CTX_CHECK(r14, NSGX_CTX_R14);
NSGX_CTX_CHECK(r15, NSGX_CTX_R15);
NSGX_CTX_CHECK(rflags, NSGX_CTX_RFLAGS);
NSGX_CTX_CHECK(rip, NSGX_CTX_RIP);
NSGX_LAYOUT_ASSERT(sizeof(sgx_cpu_context_t) == NSGX_CTX_SIZE, "sgx_cpu_context_t resized");
#undef NSGX_CTX_CHECK
#endif

#endif
