/*
 * The enclave's entry point (TCS.OENTRY) and its exits, following the SGX
 * SDK's ABI (docs/sdk-abi.md). EENTER arrives with RAX = CSSA, RBX = the
 * TCS, RCX = the address EEXIT must return to, RDI = an ECALL index (>= 0)
 * or a command (ECMD_INIT_ENCLAVE -1, ECMD_ORET -2), RSI = the marshalling
 * struct (or the OCALL's status for ECMD_ORET).
 *
 * Every entry records where to exit (RCX) and the untrusted RSP/RBP it came
 * with; every exit — ECALL return (RDI = OCMD_ERET -1, RSI = status) or
 * OCALL (RDI = index, RSI = ms) — goes back to the latest entry's context,
 * so an untrusted runtime that re-enters from its own frame (ECMD_ORET)
 * gets its frame back. Registers that could carry enclave data are cleared
 * before every EEXIT.
 *
 * The exit gate (runtime/common/exit_gate.h, docs/isolated.md): every entry
 * checks whether the backend offers one (R8/R9) and records it in the TD
 * only if every check passes; an EEXIT then jumps to the gate instead of
 * executing ENCLU, with the registers as ENCLU would leave them. Without an
 * accepted offer (SGX hardware, Intel's untrusted runtime, the trap path)
 * nothing changes.
 */
#include "nsgx_cpu_context.h"
#include "trts_internal.h"
#include "runtime/common/exit_gate.h"

#define ENCLU .byte 0x0f, 0x01, 0xd7
#define EEXIT 4

/*
 * TD_EXIT_GATE (through GS, the TD) = the gate offered in R8/R9 if it
 * passes every check, else 0; TD_FS_GATE = the same offer's FS gate (0 if
 * it has none, or if the offer is refused). RCX (the exit address) is
 * kept; R8-R11 and the flags are clobbered. Nothing is written outside the
 * enclave (RSP is still the untrusted stack here).
 */
.macro CHECK_EXIT_GATE
	movq	$0, %gs:TD_EXIT_GATE
	movq	$0, %gs:TD_FS_GATE
	movabs	$NSGX_EXIT_GATE_OFFER, %r10
	cmp	%r10, %r8
	jne	9f
	lea	__ehdr_start(%rip), %r8			/* ELRANGE: [R8, R8 + R10) */
	sub	nsgx_gd+GD_IMAGE_OFFSET(%rip), %r8	/* from the image (global_data.h) */
	mov	nsgx_gd+GD_ENCLAVE_SIZE(%rip), %r10
	/* The descriptor [R9, R9 + SIZE): no wrap-around and neither end
	 * inside ELRANGE (it is far smaller, so it cannot straddle it). An
	 * address A is inside iff A - base < size, unsigned. */
	cmp	$-NSGX_EXIT_GATE_SIZE, %r9
	ja	9f
	mov	%r9, %r11
	sub	%r8, %r11
	cmp	%r10, %r11
	jb	9f
	lea	NSGX_EXIT_GATE_SIZE-1(%r9), %r11
	sub	%r8, %r11
	cmp	%r10, %r11
	jb	9f
	/* Each field read once from untrusted memory. */
	movabs	$NSGX_EXIT_GATE_MAGIC, %r11
	cmp	%r11, NSGX_EXIT_GATE_OFF_MAGIC(%r9)
	jne	9f
	cmpl	$NSGX_EXIT_GATE_VERSION, NSGX_EXIT_GATE_OFF_VERSION(%r9)
	jne	9f
	cmpl	$NSGX_EXIT_GATE_SIZE, NSGX_EXIT_GATE_OFF_SIZE(%r9)
	jne	9f
	/* The exit address: ENCLU[EEXIT] to a target inside ELRANGE faults
	 * (#GP), which only ENCLU reports faithfully. */
	mov	%rcx, %r11
	sub	%r8, %r11
	cmp	%r10, %r11
	jb	9f
	/* Both gates outside ELRANGE: else the untrusted side could make the
	 * enclave jump (or call) into its own code. Each is stored, then
	 * checked from the register, and both are cleared if either fails. */
	mov	NSGX_EXIT_GATE_OFF_FS_GATE(%r9), %r11
	mov	%r11, %gs:TD_FS_GATE
	test	%r11, %r11
	jz	8f				/* no FS gate: the exit gate alone */
	sub	%r8, %r11
	cmp	%r10, %r11
	jb	7f
8:	mov	NSGX_EXIT_GATE_OFF_GATE(%r9), %r11
	test	%r11, %r11
	jz	7f
	mov	%r11, %gs:TD_EXIT_GATE
	sub	%r8, %r11
	cmp	%r10, %r11
	jae	9f
7:	movq	$0, %gs:TD_EXIT_GATE
	movq	$0, %gs:TD_FS_GATE
9:
.endm

/*
 * An exception entry's exit (ECMD_EXCEPT, CSSA 1): R10 = the exit gate its
 * own offer gave (the exit goes there, .Lscrub_and_exit), and the TD's
 * gates back to those of the context it interrupted, which ERESUME
 * continues — an exit already past its gate check, or an ECALL whose later
 * exits and FS loads use them. Without this an exception entry offering no
 * gate (the inproc urts's re-entry for an interrupt) left the interrupted
 * ECALL without its gate. Clobbers R8.
 */
.macro EXCEPTION_ENTRY_GATES
	mov	%gs:TD_EXIT_GATE, %r10
	mov	%gs:TD_RESUMED_EXIT_GATE, %r8
	mov	%r8, %gs:TD_EXIT_GATE
	mov	%gs:TD_RESUMED_FS_GATE, %r8
	mov	%r8, %gs:TD_FS_GATE
.endm

	.text
	.globl enclave_entry
	.type enclave_entry, @function
	.p2align 4
enclave_entry:
	test	%rax, %rax
	jnz	.Lafter_aex
	CHECK_EXIT_GATE
	/* TD = TCS + 4 KiB + 2 SSA frames + a guard (sdk/common/global_data.h). */
	lea	nsgx_gd(%rip), %r11
	mov	GD_SSA_FRAME_SIZE(%r11), %r10d
	shl	$13, %r10
	lea	0x11000(%rbx, %r10), %r11
	mov	%rcx, TD_EXIT_ADDR(%r11)
	mov	%rsp, TD_ENTRY_URSP(%r11)
	mov	%rbp, TD_ENTRY_URBP(%r11)
	cmp	$ECMD_ORET, %rdi
	je	.Loret
	/* A nested ECALL (made from an OCALL) runs below the pending OCALL's
	 * frame; otherwise at the top of this thread's stack, which ends at
	 * the guard below the TCS. */
	mov	TD_LAST_SP(%r11), %r10
	test	%r10, %r10
	jnz	1f
	lea	-0x10000(%rbx), %r10
1:	and	$-16, %r10
	mov	%r10, %rsp
	xor	%ebp, %ebp
	push	%r11
	push	%r11
	mov	%r11, %rdx		/* nsgx_trts_entry(cmd, ms, td, tcs) */
	mov	%rbx, %rcx
	cld
	call	nsgx_trts_entry
	pop	%r11
	pop	%r11
	mov	%eax, %esi		/* the ECALL's status */
	mov	$OCMD_ERET, %rdi
	mov	TD_ENTRY_URSP(%r11), %rsp
	jmp	.Lexit

.Loret:
	/* Back into the frame nsgx_trts_ocall left, with the OCALL's status. */
	mov	TD_LAST_SP(%r11), %r10
	test	%r10, %r10
	jz	.Lno_ocall
	mov	%r10, %rsp
	pop	%rax
	mov	%rax, TD_LAST_SP(%r11)	/* the enclosing OCALL's frame, if any */
	mov	%esi, %eax
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
.Lno_ocall:
	mov	$OCMD_ERET, %rdi
	mov	$0x1, %esi		/* SGX_ERROR_UNEXPECTED: nothing to return to */
	mov	TD_ENTRY_URSP(%r11), %rsp
	jmp	.Lexit

.Lafter_aex:
	/* CSSA = 1 and ECMD_EXCEPT: phase 1 of exception handling, on a stack
	 * below the faulting one (its red zone and 1 KiB for the exception
	 * info kept). Its exit context stays off the TD: the interrupted ECALL
	 * still exits to its own. */
	cmp	$1, %rax
	jne	.Lrefuse
	cmp	$ECMD_EXCEPT, %rdi
	jne	.Lrefuse
	/* The interrupted context's gates, put back at this entry's exit. */
	mov	%gs:TD_EXIT_GATE, %r10
	mov	%r10, %gs:TD_RESUMED_EXIT_GATE
	mov	%gs:TD_FS_GATE, %r10
	mov	%r10, %gs:TD_RESUMED_FS_GATE
	CHECK_EXIT_GATE
	lea	nsgx_gd(%rip), %r11
	mov	GD_SSA_FRAME_SIZE(%r11), %r10d
	shl	$13, %r10
	lea	0x11000(%rbx, %r10), %r11
	mov	TD_SSA_GPR(%r11), %rax	/* CSSA is no longer needed */
	test	%rax, %rax
	jz	.Lrefuse		/* no ECALL ever ran on this TCS */
	mov	GPR_RSP_OFF(%rax), %r10	/* the faulting RSP */
	sub	$(128 + 1024), %r10
	and	$-16, %r10
	/* Phase 1's stack: this thread's own, or the user region (a library
	 * OS program thread's stack is there) with PHASE1_USER_REGION_ROOM
	 * below it. Anywhere else phase 1 would write where it must not: past
	 * the stack's guard or outside ELRANGE. */
	cmp	TD_STACK_LIMIT(%r11), %r10
	jb	1f
	cmp	TD_STACK_BASE(%r11), %r10
	jb	2f
1:	lea	__ehdr_start(%rip), %r8
	sub	nsgx_gd+GD_IMAGE_OFFSET(%rip), %r8
	add	nsgx_gd+GD_USER_REGION_OFFSET(%rip), %r8
	mov	%r10, %r9
	sub	%r8, %r9		/* from the region's start; unsigned */
	cmp	$PHASE1_USER_REGION_ROOM, %r9
	jb	.Lno_phase1_stack
	cmp	nsgx_gd+GD_USER_REGION_SIZE(%rip), %r9
	jb	2f
.Lno_phase1_stack:
	/* No stack for phase 1. An exception there (EXITINFO.VALID set) has
	 * nothing safe to run on: the entry is refused (a crash reported). An
	 * interrupt (VALID clear: the host's re-entry after an interrupt's
	 * AEX, docs/libos.md "Interrupts", or a second entry after a consumed
	 * exception) is declined without phase 1, so its first-phase handler
	 * is not offered it, and the thread resumes untouched at ERESUME. Its
	 * usual place is this file's own instructions on the untrusted stack
	 * (an exit's scrub and gate check, an entry's gate checks), where no
	 * signal could be delivered anyway; elsewhere (enclave memory that is
	 * no usable stack: the first 16 KiB of the user region, within 1 KiB
	 * of the stack's limit, the heap) the signal waits for the next
	 * system call or interrupt. Refused, such an interrupt reported a
	 * crash and cleared the gates of the exit it interrupted. An enclave
	 * that crashed earlier still refuses, as phase 1 would. */
	testl	$GPR_EXITINFO_VALID, GPR_EXITINFO_OFF(%rax)
	jnz	.Lrefuse
	cmpl	$0, nsgx_crashed(%rip)
	jne	.Lrefuse
	EXCEPTION_ENTRY_GATES
	mov	$OCMD_ERET, %rdi
	xor	%esi, %esi		/* SGX_SUCCESS */
	mov	%rcx, %rbx
	jmp	.Lscrub_and_exit
2:
	mov	%rsp, %r8
	mov	%rbp, %r9
	mov	%r10, %rsp
	push	%r8			/* untrusted RSP, RBP, the exit address */
	push	%r9
	push	%rcx
	push	%r11
	mov	%r11, %rdi
	xor	%ebp, %ebp
	cld
	call	nsgx_trts_exception
	pop	%r11
	pop	%rbx
	pop	%rbp
	pop	%rsp
	EXCEPTION_ENTRY_GATES
	mov	%eax, %esi
	mov	$OCMD_ERET, %rdi
	jmp	.Lscrub_and_exit
.Lrefuse:
	/* Any other entry with CSSA > 0: nothing to resume into. */
	movq	$0, %gs:TD_EXIT_GATE
	movq	$0, %gs:TD_FS_GATE
	xor	%r10d, %r10d		/* ENCLU */
	mov	$OCMD_ERET, %rdi
	mov	$0x1006, %esi		/* SGX_ERROR_ENCLAVE_CRASHED */
	mov	%rcx, %rbx
	jmp	.Lscrub_and_exit

/* EEXIT to the latest entry's context; RSP is already the untrusted stack. */
.Lexit:
	mov	TD_ENTRY_URBP(%r11), %rbp
	mov	TD_EXIT_ADDR(%r11), %rbx
	mov	%gs:TD_EXIT_GATE, %r10
/* R10 = the exit gate, 0 for ENCLU: read once, before the scrub. An
 * exception entry between a check and a jump through memory (an interrupt
 * lands anywhere) once found the gate cleared and jumped to 0. So the
 * gate is reached with R10 = its own address, an untrusted value, and
 * records R10 as 0 (runtime/common/exit_gate.h); ENCLU is reached with
 * R10 = 0. */
.Lscrub_and_exit:
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	pxor	%xmm0, %xmm0
	pxor	%xmm1, %xmm1
	pxor	%xmm2, %xmm2
	pxor	%xmm3, %xmm3
	pxor	%xmm4, %xmm4
	pxor	%xmm5, %xmm5
	pxor	%xmm6, %xmm6
	pxor	%xmm7, %xmm7
	pxor	%xmm8, %xmm8
	pxor	%xmm9, %xmm9
	pxor	%xmm10, %xmm10
	pxor	%xmm11, %xmm11
	pxor	%xmm12, %xmm12
	pxor	%xmm13, %xmm13
	pxor	%xmm14, %xmm14
	pxor	%xmm15, %xmm15
	mov	$EEXIT, %eax
	cmp	$0, %r10		/* the flags say only whether there is a gate */
	jne	.Lgate
	ENCLU
.Lafter_eexit:
	ud2
.Lgate:
	/* What ENCLU[EEXIT] would leave: RCX = the address following it. */
	lea	.Lafter_eexit(%rip), %rcx
	jmp	*%r10
	.size enclave_entry, .-enclave_entry

/* long nsgx_set_fs_base(uint64_t fs_base) (nsgx_first_phase.h): a tail call
 * of the FS gate the latest CSSA-0 entry's offer carried (in phase 1: the
 * exception entry's), which returns to the
 * caller (runtime/common/exit_gate.h); -ENOSYS without one. */
	.globl nsgx_set_fs_base
	.type nsgx_set_fs_base, @function
	.p2align 4
nsgx_set_fs_base:
	mov	%gs:TD_FS_GATE, %rax
	test	%rax, %rax
	jz	1f
	jmp	*%rax
1:	mov	$-38, %rax
	ret
	.size nsgx_set_fs_base, .-nsgx_set_fs_base

/* Phase 2 of exception handling: ERESUME lands here with RSP = RDI = the
 * sgx_exception_info_t phase 1 built. The handlers run; if one continues,
 * the state it left is restored (flags first, RSP and R11 last) and
 * execution jumps to its RIP through the thread data. */
	.globl nsgx_trts_exception_stage2
	.hidden nsgx_trts_exception_stage2
	.type nsgx_trts_exception_stage2, @function
	.p2align 4
nsgx_trts_exception_stage2:
	mov	%rdi, %rbx
	call	nsgx_trts_dispatch_exception
	mov	%rbx, %r11
	mov	NSGX_CTX_RIP(%r11), %rax
	mov	%rax, %gs:TD_EXCEPTION_RIP
	push	NSGX_CTX_RFLAGS(%r11)
	popfq
	nsgx_ctx_load_gprs %r11
	mov	NSGX_CTX_RCX(%r11), %rcx
	mov	NSGX_CTX_RSP(%r11), %rsp
	mov	NSGX_CTX_R11(%r11), %r11
	jmp	*%gs:TD_EXCEPTION_RIP
	.size nsgx_trts_exception_stage2, .-nsgx_trts_exception_stage2

/* sgx_status_t nsgx_trts_ocall(unsigned index, void* ms, nsgx_td_t* td) */
	.globl nsgx_trts_ocall
	.hidden nsgx_trts_ocall
	.type nsgx_trts_ocall, @function
	.p2align 4
nsgx_trts_ocall:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	TD_LAST_SP(%rdx)
	mov	%rsp, TD_LAST_SP(%rdx)
	mov	%rdx, %r11
	mov	%edi, %edi		/* RDI = the OCALL index, RSI = ms */
	/* The untrusted stack as sgx_ocalloc lowered it (below the ms). */
	mov	TD_SSA_GPR(%r11), %rax
	mov	GPR_URSP(%rax), %rsp
	jmp	.Lexit
	.size nsgx_trts_ocall, .-nsgx_trts_ocall

	.section .note.GNU-stack, "", @progbits
