/*
 * The untrusted runtime's side of EENTER/EEXIT through the vDSO
 * (__vdso_sgx_enter_enclave, arch/x86/entry/vdso/vsgx.S).
 *
 * nsgx_urts_enter(vdso, rdi, rsi, run, landing) calls the vDSO keeping every
 * callee-saved register itself (the enclave may change R12-R15), with R13 =
 * `landing`, the vDSO's EEXIT landing, where the SGX SDK's trusted runtime
 * takes its EEXIT target from (urts.cc, vdso_eexit_landing).
 *
 * nsgx_urts_vdso_handler is the run struct's user handler: the vDSO calls
 * it after every exit, on the stack the enclave left (below an OCALL's
 * marshalling data). It asks nsgx_urts_exit() what to do; to answer an
 * OCALL it returns EENTER with RDI = ECMD_ORET and RSI = the OCALL's status,
 * and the vDSO re-enters from the same frame — so the untrusted stack
 * below the marshalling data is what the enclave sees next, as with the
 * SGX SDK's own handler. After an exception it runs the enclave's
 * exception handling (ECMD_EXCEPT, a nested vDSO call) and returns ERESUME.
 */
	.text
	.globl nsgx_urts_enter
	.hidden nsgx_urts_enter
	.type nsgx_urts_enter, @function
nsgx_urts_enter:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%r8, %r13		/* the EEXIT landing */
	mov	%rdi, %rax		/* the vDSO function */
	mov	%rsi, %rdi		/* RDI: ECALL index or command */
	mov	%rdx, %rsi		/* RSI: marshalling struct */
	push	%rcx			/* run, the 7th argument */
	xor	%edx, %edx
	mov	$2, %ecx		/* EENTER */
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	call	*%rax
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	.size nsgx_urts_enter, .-nsgx_urts_enter

/* int handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9, struct sgx_enclave_run* run) */
	.globl nsgx_urts_vdso_handler
	.hidden nsgx_urts_vdso_handler
	.type nsgx_urts_vdso_handler, @function
nsgx_urts_vdso_handler:
	push	%rbp
	mov	%rsp, %rbp
	sub	$16, %rsp
	/* nsgx_urts_exit(rdi, rsi, run, &status): 0 done, 1 re-enter with ECMD_ORET */
	mov	16(%rbp), %rdx
	lea	-8(%rbp), %rcx
	call	nsgx_urts_exit
	cmp	$1, %eax
	jb	1f			/* 0: done, the vDSO returns */
	ja	2f			/* 2: ERESUME after the enclave's exception handling */
	mov	-8(%rbp), %rsi		/* 1: the OCALL's status */
	mov	$-2, %rdi		/* ECMD_ORET */
	mov	$2, %eax		/* EENTER */
	jmp	1f
2:	mov	$3, %eax		/* ERESUME */
1:	leave
	ret
	.size nsgx_urts_vdso_handler, .-nsgx_urts_vdso_handler

	.section .note.GNU-stack, "", @progbits
