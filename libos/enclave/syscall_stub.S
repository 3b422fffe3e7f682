/* The common path of a rewritten system-call site (docs/libos.md,
 * "Load-time system-call rewriting"; syscall_rewrite.h).
 *
 * A rewritten site's `mov $nr, %eax` is a `jmp` to its stub, which runs
 *     lea -128(%rsp), %rsp        the red zone stays the program's
 *     mov $nr, %eax               the site's own instructions up to the
 *     <register-only tail>        syscall (syscall_sites.h)
 *     call *libos_syscall_entry   pushes the address of:
 *     .quad resume                the address after the site's `syscall`
 * so libos_syscall_entry starts with RSP = the program's RSP - 136, the
 * return address pointing at `resume`, and every register as the program
 * had it at its `syscall`. It must leave them as SYSCALL followed by
 * SYSRET would (Intel SDM Vol. 2B, SYSCALL and SYSRET): RAX the result,
 * RCX the address after the syscall, R11 the RFLAGS it saw, RFLAGS as
 * before, every other general register and the extended (x87/SSE/AVX/
 * AVX-512) state unchanged. Steps:
 *   1. RFLAGS, then the registers as an sgx_cpu_context_t (RAX..R15,
 *      RFLAGS, RIP = the `syscall`'s own address) below it, on the
 *      program's stack (under the red zone: 288 bytes in all, as a signal
 *      frame would take more);
 *   2. libos_rewrite_stack() (C++, a small frame on the same stack): the
 *      stack the handler runs on — a started thread's on its TCS's stack
 *      (threads.h, handler_sp; the program's may be small), 0 for the main
 *      thread, whose stack is the TCS's (it stays where it is);
 *   3. the extended state saved there by libos_xstate_save (xstate.S:
 *      XSAVEC, XSAVE or FXSAVE as xstate_init chose from the enclave's
 *      XFRM and the host's CPU facts; components 0-2 and 5-7 at most:
 *      x87, SSE, AVX, AVX-512, 2,688 bytes at most in the standard form,
 *      in a 4 KiB area);
 *   4. libos_rewritten_syscall(ctx) (C++, syscall_rewrite.cc): the trap
 *      path's run_syscall, which leaves RAX, RCX, R11 and RIP in the
 *      context as SYSCALL would — or RIP and RSP at a signal's handler,
 *      its frame built on the program's stack (signals.h); it returns
 *      non-zero when an OCALL left the enclave's FS in place of the
 *      program's (docs/libos.md "The FS base across OCALLs"): then the
 *      thread resumes through libos_fs_stub, whose #UD lets the first
 *      phase load the program's FS and continue at `resume`;
 *   5. libos_xstate_restore (XRSTOR or FXRSTOR), the registers back
 *      from the context, RFLAGS last (only
 *      MOV follows it), RSP and RIP the context's: normally the program's
 *      RSP and `resume`, RCX = RIP as after SYSCALL.
 * The stub's RSP is 16-byte aligned at each call (the psABI's rule). */
#include "nsgx_cpu_context.h"

	.text

/* The program's registers back from the context at %r11 (an sgx_cpu_context_t,
 * step 1 above), last R11 itself: RFLAGS, every GPR but R11, RCX = the context's
 * RIP (where the program resumes: after the syscall, where SYSCALL leaves
 * RCX, unless a signal's handler starts there, whose RCX is not defined),
 * RSP, and R11 = RFLAGS as run_syscall leaves it (SYSCALL). Both ways out
 * below use it; only their jump differs. */
.macro restore_program_registers
	push	NSGX_CTX_RFLAGS(%r11)
	popfq
	nsgx_ctx_load_gprs %r11
	mov	NSGX_CTX_RIP(%r11), %rcx
	mov	NSGX_CTX_RSP(%r11), %rsp
	mov	NSGX_CTX_R11(%r11), %r11
.endm

	.globl libos_syscall_entry
	.hidden libos_syscall_entry
	.type libos_syscall_entry, @function
	.p2align 4
libos_syscall_entry:
	pushfq
	sub	$NSGX_CTX_SIZE, %rsp
	mov	%rax, NSGX_CTX_RAX(%rsp)
	mov	%rcx, NSGX_CTX_RCX(%rsp)
	mov	%rdx, NSGX_CTX_RDX(%rsp)
	mov	%rbx, NSGX_CTX_RBX(%rsp)
	lea	(NSGX_CTX_SIZE + 8 + 8 + 128)(%rsp), %rcx	/* the program's RSP: context, RFLAGS, return address, red zone */
	mov	%rcx, NSGX_CTX_RSP(%rsp)
	mov	%rbp, NSGX_CTX_RBP(%rsp)
	mov	%rsi, NSGX_CTX_RSI(%rsp)
	mov	%rdi, NSGX_CTX_RDI(%rsp)
	mov	%r8, NSGX_CTX_R8(%rsp)
	mov	%r9, NSGX_CTX_R9(%rsp)
	mov	%r10, NSGX_CTX_R10(%rsp)
	mov	%r11, NSGX_CTX_R11(%rsp)
	mov	%r12, NSGX_CTX_R12(%rsp)
	mov	%r13, NSGX_CTX_R13(%rsp)
	mov	%r14, NSGX_CTX_R14(%rsp)
	mov	%r15, NSGX_CTX_R15(%rsp)
	mov	NSGX_CTX_SIZE(%rsp), %rcx		/* RFLAGS */
	mov	%rcx, NSGX_CTX_RFLAGS(%rsp)
	mov	(NSGX_CTX_SIZE + 8)(%rsp), %rcx	/* the return address: the stub's `resume` word */
	mov	(%rcx), %rcx
	sub	$2, %rcx			/* the `syscall` itself (0F 05) */
	mov	%rcx, NSGX_CTX_RIP(%rsp)
	cld					/* the psABI's DF = 0 for the C++ code */
	mov	%rsp, %rbx			/* the context, kept in a callee-saved register */
	and	$-16, %rsp
	call	libos_rewrite_stack
	test	%rax, %rax
	jz	1f
	mov	%rax, %rsp
1:	and	$-64, %rsp
	sub	$4096, %rsp			/* the save area (xstate.h kXstateArea), 64-byte aligned */
	mov	%rsp, %rdi
	call	libos_xstate_save		/* XSAVEC, XSAVE or FXSAVE: xstate.S */
	mov	%rsp, %r12			/* the save area, callee-saved */
	mov	%rbx, %rdi
	call	libos_rewritten_syscall
	mov	%eax, %r13d
	mov	%r12, %rdi
	call	libos_xstate_restore
	mov	%rbx, %r11
	test	%r13d, %r13d
	jnz	.Lfs
	restore_program_registers
	jmp	*%rcx				/* the context's RIP */
.Lfs:
	restore_program_registers
	jmp	libos_fs_stub			/* its #UD: the program's FS, then RIP = the thread's resume_rip */
	.size libos_syscall_entry, . - libos_syscall_entry

	.section .note.GNU-stack, "", @progbits
