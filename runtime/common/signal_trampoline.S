/*
 * The signal trampoline of the backends that run enclave code natively
 * (inproc in the application, isolated in the enclave host).
 *
 * While enclave code runs, FS and GS hold the enclave's bases (SDM EENTER:
 * from TCS.OFSBASE/OGSBASE), so no C code may run — no TLS, no errno, no
 * sanitizer runtime — until the host's are back. Every thread that enters
 * an enclave owns a slot of SLOT_SIZE bytes in one reserved region
 * [nsgx_altstack_lo, +nsgx_altstack_span): a block at the start whose
 * first fields are host_fs (0), host_gs (8) and in_enclave (16), and its
 * alternate signal stack; every handler runs on that stack (SA_ONSTACK), so
 * the block is found from RSP alone (runtime/common/thread_slot.h).
 * The program that links this defines nsgx_signal_dispatch and the two
 * region variables.
 */
#define SLOT_MASK (256 * 1024 - 1)

	.text
/*
 * nsgx_signal_trampoline(sig, info, uc): the handler of every signal we
 * install. Saves the current FS/GS bases; if the thread was inside an
 * enclave (its ThreadBlock, found from RSP on the alternate stack, says so)
 * puts the host's back before any C code runs; calls
 * nsgx_signal_dispatch(sig, info, uc, block, saved) — which may change the
 * saved bases, e.g. to enter an enclave on return — and loads them again.
 */
	.globl nsgx_signal_trampoline
	.type nsgx_signal_trampoline, @function
	.p2align 4
nsgx_signal_trampoline:
	.cfi_startproc
	sub	$24, %rsp
	.cfi_adjust_cfa_offset 24
	rdfsbase %rax
	mov	%rax, (%rsp)
	rdgsbase %rax
	mov	%rax, 8(%rsp)
	mov	%rsp, %rcx
	sub	nsgx_altstack_lo(%rip), %rcx
	cmp	nsgx_altstack_span(%rip), %rcx
	jae	1f
	and	$~SLOT_MASK, %rcx
	add	nsgx_altstack_lo(%rip), %rcx
	cmpl	$0, 16(%rcx)
	je	2f
	mov	(%rcx), %rax
	wrfsbase %rax
	mov	8(%rcx), %rax
	wrgsbase %rax
	jmp	2f
1:	xor	%ecx, %ecx
2:	mov	%rsp, %r8
	call	nsgx_signal_dispatch
	mov	(%rsp), %rax
	wrfsbase %rax
	mov	8(%rsp), %rax
	wrgsbase %rax
	add	$24, %rsp
	.cfi_adjust_cfa_offset -24
	ret
	.cfi_endproc
	.size nsgx_signal_trampoline, .-nsgx_signal_trampoline

	.section .note.GNU-stack, "", @progbits
