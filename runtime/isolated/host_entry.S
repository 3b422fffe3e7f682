/*
 * The enclave host's way into enclave code and back.
 *
 * long nsgx_host_enter(HostBlock* b, const EnterRegs* r): EENTER. Keeps the
 * host's callee-saved registers on its stack and RSP in the block, loads
 * the registers SGX defines at EENTER (RAX = CSSA, RBX = TCS, RCX = the
 * return address, RDI/RSI/RDX/R8/R9 and RSP/RBP as the caller passed them;
 * the rest cleared) and jumps to TCS.OENTRY. FS and GS already hold the
 * enclave's bases: the worker thread holds them for its lifetime
 * (host_main.cc, runtime/common/fsgs.h). Enclave code leaves through a
 * trap (ENCLU[EEXIT], or an exception that becomes an AEX) — the dispatcher
 * then points the signal frame at nsgx_host_exit_landing with RSP = the
 * saved host RSP and RAX = the exit code, which returns from
 * nsgx_host_enter — or, for EEXIT, through the exit gate below, which ends
 * in the same landing the same way.
 *
 * long nsgx_host_resume(HostBlock* b): ERESUME. Saves the same, then traps
 * (INT3 at nsgx_host_resume_trap); the dispatcher loads the state from the
 * SSA frame into the signal frame, and its return enters the enclave. A
 * forged SIGTRAP can take the trap's place (see the trap): the INT3 is
 * then executed again.
 *
 * nsgx_host_gates: the exit gates (runtime/common/exit_gate.h), one
 * 16-byte stub per thread slot, so that the gate knows its worker without
 * trusting anything the enclave passes: stub i loads i into R11 and goes
 * to nsgx_host_gate_common, which finds slot i's block, saves the
 * registers as ENCLU[EEXIT] left them into a ucontext_t on the worker's
 * stack below host_rsp (RIP = the ENCLU it stands for, RCX - 3), puts the
 * host's flags, MXCSR and x87 control word back (EFLAGS 0x202 as the trap
 * path's signal return does; AC or DF left set by the enclave would break
 * the host's code) and calls nsgx_host_gate_exit — the same EEXIT (or AEX)
 * the dispatcher performs for a trapping ENCLU — then continues where that
 * left the context: nsgx_host_exit_landing with RAX = the exit code. No
 * system call: the worker's FS/GS stay the enclave's (held, host_main.cc).
 *
 * nsgx_host_fs_gates: the FS gates (runtime/common/exit_gate.h), one
 * 16-byte stub per thread slot, found the same way: called by the enclave
 * as `long fs_gate(uint64_t fs_base)` on its own stack, the common part
 * makes the worker's FS base RDI with arch_prctl (the sandbox allows
 * ARCH_SET_FS from the host's code) and records it as the base the worker
 * holds (header.cur_fs), so that the next EENTER, which compares the TCS's
 * base with that record (host_main.cc, hold), loads the TCS's again and
 * an AEX meanwhile saves this one. RAX = 0 or -errno (nothing recorded);
 * clobbers RCX, RSI, RDI, R8, R11 and the flags; the enclave's stack is
 * read only by the `ret`. No signal turns into an AEX here: RIP is outside
 * ELRANGE (the interrupter asks again later).
 *
 * Block offsets (host_main.cc static_asserts them): in_enclave 16,
 * cur_fs 24, host_rsp 40. EnterRegs: rip 0, rax 8, rbx 16, rcx 24, rdx 32, rdi 40,
 * rsi 48, r8 56, r9 64, rsp 72, rbp 80. ucontext_t: gregs at 40 (REG_*
 * order of <sys/ucontext.h>), fpregs at 224; the frame takes 1024 bytes.
 */
#define GATE_STUBS 4096		/* protocol: at most 4096 mailboxes */
#define SLOT_SHIFT 18		/* runtime/common/thread_slot.h: kSlotSize */
#define GATE_FRAME 1024
#define SYS_ARCH_PRCTL 158
#define ARCH_SET_FS 0x1002
#define G(r) (40 + 8 * (r))
#define R8 0
#define R9 1
#define R10 2
#define R11 3
#define R12 4
#define R13 5
#define R14 6
#define R15 7
#define RDI 8
#define RSI 9
#define RBP 10
#define RBX 11
#define RDX 12
#define RAX 13
#define RCX 14
#define RSP 15
#define RIP 16
#define EFL 17
#define FPREGS 224
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

#include "runtime/common/slot_stubs.h"

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
	/* Reached only when the kernel's SIGTRAP was dropped: a SIGTRAP some
	 * process sent this thread was pending when the INT3 trapped (Linux
	 * keeps one pending instance of a standard signal), and the dispatcher
	 * ignored that one. Trap again; the real one never returns here. */
	jmp	nsgx_host_resume_trap
	.size nsgx_host_resume, .-nsgx_host_resume

	SLOT_STUBS nsgx_host_gates, nsgx_host_gate_common, GATE_STUBS

	.type nsgx_host_gate_common, @function
	.p2align 4
nsgx_host_gate_common:
	cmp	nsgx_host_gate_count(%rip), %r11
	jae	.Lgate_refused
	shl	$SLOT_SHIFT, %r11
	add	nsgx_altstack_lo(%rip), %r11
	cmpl	$0, 16(%r11)
	je	.Lgate_refused		/* no enclave code runs on this worker */
	mov	40(%r11), %r10
	sub	$GATE_FRAME, %r10
	and	$-16, %r10
	mov	%r8, G(R8)(%r10)
	mov	%r9, G(R9)(%r10)
	movq	$0, G(R10)(%r10)	/* the enclave cleared them; the stub used them */
	movq	$0, G(R11)(%r10)
	mov	%r12, G(R12)(%r10)
	mov	%r13, G(R13)(%r10)
	mov	%r14, G(R14)(%r10)
	mov	%r15, G(R15)(%r10)
	mov	%rdi, G(RDI)(%r10)
	mov	%rsi, G(RSI)(%r10)
	mov	%rbp, G(RBP)(%r10)
	mov	%rbx, G(RBX)(%r10)
	mov	%rdx, G(RDX)(%r10)
	mov	%rax, G(RAX)(%r10)
	mov	%rcx, G(RCX)(%r10)
	mov	%rsp, G(RSP)(%r10)
	lea	-3(%rcx), %rax
	mov	%rax, G(RIP)(%r10)
	movq	$0, FPREGS(%r10)	/* no XSAVE image: the enclave cleared XMM0-15 */
	mov	%r10, %rsp		/* the host's stack from here on */
	pushfq
	popq	G(EFL)(%rsp)
	pushq	$0x202
	popfq
	ldmxcsr	.Lmxcsr_init(%rip)
	fninit
	mov	%r11, %rdi
	mov	%rsp, %rsi
	call	nsgx_host_gate_exit
	mov	G(RAX)(%rsp), %rax
	mov	G(RIP)(%rsp), %rcx
	mov	G(RSP)(%rsp), %rsp
	jmp	*%rcx
.Lgate_refused:
	ud2
	.size nsgx_host_gate_common, .-nsgx_host_gate_common

	SLOT_STUBS nsgx_host_fs_gates, nsgx_host_fs_gate_common, GATE_STUBS

	.type nsgx_host_fs_gate_common, @function
	.p2align 4
nsgx_host_fs_gate_common:
	cmp	nsgx_host_gate_count(%rip), %r11
	jae	.Lfs_gate_refused
	shl	$SLOT_SHIFT, %r11
	add	nsgx_altstack_lo(%rip), %r11
	cmpl	$0, 16(%r11)
	je	.Lfs_gate_refused	/* no enclave code runs on this worker */
	mov	%r11, %r8
	mov	%rdi, %rsi
	mov	$ARCH_SET_FS, %edi
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
	test	%rax, %rax
	jnz	1f
	mov	%rsi, 24(%r8)		/* header.cur_fs: the base this worker holds */
1:	ret
.Lfs_gate_refused:
	ud2
	.size nsgx_host_fs_gate_common, .-nsgx_host_fs_gate_common

	.section .rodata
	.p2align 2
.Lmxcsr_init:
	.long	0x1f80

	.section .note.GNU-stack, "", @progbits
