/*
 * The untrusted runtime's side of EENTER/EEXIT through the vDSO
 * (__vdso_sgx_enter_enclave, arch/x86/entry/vdso/vsgx.S).
 *
 * nsgx_urts_enter(vdso, rdi, rsi, run, landing, r8_r9) calls the vDSO keeping
 * every callee-saved register itself (the enclave may change R12-R15), with
 * R13 = `landing`, the vDSO's EEXIT landing, where the SGX SDK's trusted
 * runtime takes its EEXIT target from (urts.cc, vdso_eexit_landing), and
 * R8/R9 = r8_r9[0..1] (the exit-gate offer, urts.cc gate_offer; zeros when
 * r8_r9 is null).
 *
 * nsgx_urts_vdso_handler is the run struct's user handler: the vDSO calls
 * it after every exit, on the stack the enclave left (below an OCALL's
 * marshalling data). It asks nsgx_urts_exit() what to do; to answer an
 * OCALL it returns EENTER with RDI = ECMD_ORET, RSI = the OCALL's status and
 * R8/R9 the call's exit-gate offer again, and the vDSO re-enters from the same frame — so the untrusted stack
 * below the marshalling data is what the enclave sees next, as with the
 * SGX SDK's own handler. After an exception it runs the enclave's
 * exception handling (ECMD_EXCEPT, a nested vDSO call) and returns ERESUME.
 *
 * Both carry call-frame information, so that a debugger unwinds through
 * them from the vDSO to the ECALL's caller (the gdb extension's ECALL
 * unwinder hands gdb the vDSO's frame, docs/user-guide.md "Debugging
 * enclaves"; an OCALL's handler is called from nsgx_urts_vdso_handler).
 */
	.text
	.globl nsgx_urts_enter
	.hidden nsgx_urts_enter
	.type nsgx_urts_enter, @function
nsgx_urts_enter:
	.cfi_startproc
	push	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	push	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	push	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	push	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	push	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	mov	%r8, %r13		/* the EEXIT landing */
	mov	%rdi, %rax		/* the vDSO function */
	mov	%rsi, %rdi		/* RDI: ECALL index or command */
	mov	%rdx, %rsi		/* RSI: marshalling struct */
	push	%rcx			/* run, the 7th argument */
	.cfi_adjust_cfa_offset 8
	xor	%edx, %edx
	mov	$2, %ecx		/* EENTER */
	xor	%r8d, %r8d
	test	%r9, %r9
	jz	1f
	mov	(%r9), %r8
	mov	8(%r9), %r9
1:	call	*%rax
	add	$8, %rsp
	.cfi_adjust_cfa_offset -8
	pop	%r15
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r15
	pop	%r14
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r14
	pop	%r13
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r13
	pop	%r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	pop	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	pop	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size nsgx_urts_enter, .-nsgx_urts_enter

/* int handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9, struct sgx_enclave_run* run) */
	.globl nsgx_urts_vdso_handler
	.hidden nsgx_urts_vdso_handler
	.type nsgx_urts_vdso_handler, @function
nsgx_urts_vdso_handler:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	sub	$32, %rsp
	/* nsgx_urts_exit(rdi, rsi, run, out = {status, r8, r9}): 0 done,
	 * 1 re-enter with ECMD_ORET */
	mov	16(%rbp), %rdx
	lea	-32(%rbp), %rcx
	call	nsgx_urts_exit
	cmp	$1, %eax
	jb	1f			/* 0: done, the vDSO returns */
	ja	2f			/* 2: ERESUME after the enclave's exception handling */
	mov	-32(%rbp), %rsi		/* 1: the OCALL's status */
	mov	-24(%rbp), %r8		/* the exit-gate offer */
	mov	-16(%rbp), %r9
	mov	$-2, %rdi		/* ECMD_ORET */
	mov	$2, %eax		/* EENTER */
	jmp	1f
2:	mov	$3, %eax		/* ERESUME */
1:	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size nsgx_urts_vdso_handler, .-nsgx_urts_vdso_handler

	.section .note.GNU-stack, "", @progbits
