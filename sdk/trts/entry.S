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
 */
#include "trts_internal.h"

#define ENCLU .byte 0x0f, 0x01, 0xd7
#define EEXIT 4

	.text
	.globl enclave_entry
	.type enclave_entry, @function
	.p2align 4
enclave_entry:
	test	%rax, %rax
	jnz	.Lafter_aex
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
	/* Entered with CSSA > 0: the SDK's exception command. Exception
	 * handlers are not supported yet; the ECALL cannot resume. */
	mov	$OCMD_ERET, %rdi
	mov	$0x1006, %esi		/* SGX_ERROR_ENCLAVE_CRASHED */
	mov	%rcx, %rbx
	jmp	.Lscrub_and_exit

/* EEXIT to the latest entry's context; RSP is already the untrusted stack. */
.Lexit:
	mov	TD_ENTRY_URBP(%r11), %rbp
	mov	TD_EXIT_ADDR(%r11), %rbx
.Lscrub_and_exit:
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
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
	mov	$EEXIT, %eax		/* also clears the arithmetic flags' meaning */
	ENCLU
	ud2
	.size enclave_entry, .-enclave_entry

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
