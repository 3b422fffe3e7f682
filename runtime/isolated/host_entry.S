/*
 * The enclave host's way into enclave code and back.
 *
 * long nsgx_host_enter(HostBlock* b, const EnterRegs* r): EENTER. Keeps the
 * host's callee-saved registers on its stack and RSP in the block, loads
 * the registers SGX defines at EENTER (RAX = CSSA, RBX = TCS, RCX = the
 * return address, RDI/RSI/RDX/R8/R9 and RSP/RBP as the caller passed them;
 * the rest cleared) and jumps to TCS.OENTRY. FS and GS already hold the
 * enclave's bases: the worker thread holds them for its lifetime
 * (host_main.cc, runtime/common/fsgs.h). Enclave code leaves only through a
 * trap (ENCLU[EEXIT], or an exception that becomes an AEX); the dispatcher
 * then points the signal frame at nsgx_host_exit_landing with RSP = the
 * saved host RSP and RAX = the exit code, which returns from
 * nsgx_host_enter.
 *
 * long nsgx_host_resume(HostBlock* b): ERESUME. Saves the same, then traps
 * (INT3 at nsgx_host_resume_trap); the dispatcher loads the state from the
 * SSA frame into the signal frame, and its return enters the enclave.
 *
 * Block offsets (host_main.cc static_asserts them): in_enclave 16,
 * host_rsp 40. EnterRegs: rip 0, rax 8, rbx 16, rcx 24, rdx 32, rdi 40,
 * rsi 48, r8 56, r9 64, rsp 72, rbp 80.
 */
/* The host's callee-saved registers on its stack, RSP in block->host_rsp
 * (RDI = the block); nsgx_host_exit_landing undoes it. */
.macro SAVE_HOST
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, 40(%rdi)
.endm

	.text
	.globl nsgx_host_enter
	.type nsgx_host_enter, @function
	.p2align 4
nsgx_host_enter:
	SAVE_HOST
	mov	%rsi, %r11
	movl	$1, 16(%rdi)
	mov	8(%r11), %rax
	mov	16(%r11), %rbx
	mov	24(%r11), %rcx
	mov	32(%r11), %rdx
	mov	40(%r11), %rdi
	mov	48(%r11), %rsi
	mov	56(%r11), %r8
	mov	64(%r11), %r9
	mov	72(%r11), %rsp
	mov	80(%r11), %rbp
	xor	%r10d, %r10d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	mov	0(%r11), %r11
	jmp	*%r11
	.size nsgx_host_enter, .-nsgx_host_enter

	.globl nsgx_host_exit_landing
	.type nsgx_host_exit_landing, @function
nsgx_host_exit_landing:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	.size nsgx_host_exit_landing, .-nsgx_host_exit_landing

	.globl nsgx_host_resume
	.type nsgx_host_resume, @function
	.globl nsgx_host_resume_trap
nsgx_host_resume:
	SAVE_HOST
nsgx_host_resume_trap:
	int3
	ud2
	.size nsgx_host_resume, .-nsgx_host_resume

	.section .note.GNU-stack, "", @progbits
