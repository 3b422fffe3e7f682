/* The program's extended state across a system call (xstate.h; docs/
 * libos.md, "The vector state across a system call").
 *
 * libos_xstate_save(area) / libos_xstate_restore(area): with the
 * instruction xstate_init chose (libos_xstate_mode) and the components
 * it chose (libos_xstate_mask, XSAVE*'s EDX:EAX), into or from a 4 KiB,
 * 64-byte aligned area. Leaves: RAX, RCX, RDX clobbered, every other
 * register as it was (syscall_stub.S calls them between its context and
 * its C++ call). Forms (SDM Vol. 1, 13.4, 13.8-13.10; 10.5.1 for FXSAVE):
 *   XSAVEC  the compacted form; XRSTOR reads it (XCOMP_BV bit 63 set);
 *   XSAVE   the standard form; it writes XSTATE_BV and leaves the rest
 *           of the header, which XRSTOR requires to be zero (#GP else):
 *           the header is cleared first (also for XSAVEC, which writes
 *           XSTATE_BV and XCOMP_BV only);
 *   FXSAVE  x87 and SSE (MXCSR and the x87 control word among them).
 * The helpers' code range [libos_xstate_save, libos_xstate_end) is what
 * the trap handler checks a #UD against (a false CPU claim). */
	.text
	.globl libos_xstate_save
	.hidden libos_xstate_save
	.type libos_xstate_save, @function
	.p2align 4
libos_xstate_save:
	mov	libos_xstate_mode(%rip), %ecx
	cmp	$1, %ecx
	je	1f
	xor	%eax, %eax
	mov	%rax, 512(%rdi)
	mov	%rax, 520(%rdi)
	mov	%rax, 528(%rdi)
	mov	%rax, 536(%rdi)
	mov	%rax, 544(%rdi)
	mov	%rax, 552(%rdi)
	mov	%rax, 560(%rdi)
	mov	%rax, 568(%rdi)
	mov	libos_xstate_mask(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	cmp	$3, %ecx
	jne	2f
	xsavec64 (%rdi)
	ret
2:	cmp	$2, %ecx
	jne	3f
	xsave64	(%rdi)
	ret
1:	fxsave64 (%rdi)
	ret
3:	ud2				/* no mode chosen: the program cannot have started */
	.size libos_xstate_save, . - libos_xstate_save

	.globl libos_xstate_restore
	.hidden libos_xstate_restore
	.type libos_xstate_restore, @function
	.p2align 4
libos_xstate_restore:
	mov	libos_xstate_mode(%rip), %ecx
	cmp	$1, %ecx
	je	1f
	cmp	$2, %ecx
	jb	3f
	mov	libos_xstate_mask(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	xrstor64 (%rdi)			/* either form: XCOMP_BV says which */
	ret
1:	fxrstor64 (%rdi)
	ret
3:	ud2
	.size libos_xstate_restore, . - libos_xstate_restore
libos_xstate_end:

/* uint64_t libos_rdtsc(void): the TSC, after every earlier load (LFENCE;
 * RDTSC, as the vDSO's ordered read) — for the enclave's clock
 * (tsc_clock.h), only where the host claims an invariant TSC (cpu_facts.h).
 * A #UD (SGX1 hardware) or #GP (CR4.TSD) at its RDTSC is a false claim of
 * the host's: the trap handler below ends the program with a clear error
 * (libos_tsc_fault); an interrupt there is not. Clobbers RAX and RDX only. */
	.globl libos_rdtsc
	.hidden libos_rdtsc
	.type libos_rdtsc, @function
	.p2align 4
libos_rdtsc:
	lfence
libos_rdtsc_insn:
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	ret
	.size libos_rdtsc, . - libos_rdtsc

/* int libos_xstate_trap_handler(sgx_exception_info_t* info): the second
 * phase's system-call handler as the trusted runtime calls it (psABI).
 * Before any compiled code of the library OS runs, the program's state is
 * saved (the trusted runtime's dispatch, nsgx_trts_dispatch_exception,
 * uses only general registers); libos_syscall_handler runs; the state is
 * restored; then libos_finish_signals loads an rt_sigreturn's FXSAVE
 * image over it, as before. A #UD inside the helpers above is a false
 * claim of the host's (xstate.h): libos_xstate_fault, which does not
 * return. The area lies on the handler's stack, below the info. */
	.globl libos_xstate_trap_handler
	.hidden libos_xstate_trap_handler
	.type libos_xstate_trap_handler, @function
	.p2align 4
libos_xstate_trap_handler:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	mov	%rdi, %rbx
	/* #UD or #GP at libos_rdtsc's RDTSC: it cannot run here. Only those:
	 * an interrupt (NSGX_INTERRUPT_VECTOR) may land there too, and is
	 * the signal path's, as anywhere else. */
	mov	144(%rdi), %eax			/* exception_vector */
	cmp	$6, %eax
	je	3f
	cmp	$13, %eax
	jne	2f
3:	mov	136(%rdi), %rax			/* cpu_context.rip */
	lea	libos_rdtsc_insn(%rip), %rcx
	cmp	%rcx, %rax
	jne	2f
	and	$-16, %rsp
	call	libos_tsc_fault
2:	cmpl	$6, 144(%rdi)			/* exception_vector: #UD */
	jne	1f
	mov	136(%rdi), %rax			/* cpu_context.rip */
	lea	libos_xstate_save(%rip), %rcx
	cmp	%rcx, %rax
	jb	1f
	lea	libos_xstate_end(%rip), %rcx
	cmp	%rcx, %rax
	jae	1f
	and	$-16, %rsp
	call	libos_xstate_fault
1:	and	$-64, %rsp
	sub	$4096, %rsp			/* kXstateArea */
	mov	%rsp, %rdi
	call	libos_xstate_save
	mov	%rsp, %r12
	mov	%rbx, %rdi
	call	libos_syscall_handler
	mov	%eax, %r13d
	mov	%r12, %rdi
	call	libos_xstate_restore
	call	libos_finish_signals
	mov	%r13d, %eax
	lea	-24(%rbp), %rsp
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size libos_xstate_trap_handler, . - libos_xstate_trap_handler

	.section .note.GNU-stack, "", @progbits
