/*
 * The inproc backend's assembly: the vDSO entry and the signal trampoline.
 *
 * nsgx_vdso_sgx_enter_enclave follows the upstream __vdso_sgx_enter_enclave
 * contract (arch/x86/entry/vdso/vsgx.S, uapi <asm/sgx.h>): RBP/RBX kept,
 * the sgx_enclave_run struct at 16(%rbp), -EINVAL for a bad function or a
 * non-zero reserved area, one ENCLU serving as EENTER and as the AEP, the
 * exception fix-up reporting leaf/vector/error code/address, and the
 * optional user handler. The ENCLU traps (#UD or #GP) and the runtime
 * emulates it; EENTER takes a faster path that enters without a trap,
 * loading the enclave's FS/GS with WRFSBASE where the kernel offers it and
 * with arch_prctl otherwise (runtime/common/fsgs.h).
 * The signal trampoline is runtime/common/signal_trampoline.S.
 *
 * nsgx_inproc_gates: the exit gates (runtime/common/exit_gate.h,
 * docs/inproc.md "The exit gate"), one 16-byte stub per thread slot, so
 * that the gate finds its thread's block from the address it was reached
 * at, not from anything the enclave passes (FS still holds the enclave's
 * base: no TLS). Stub i loads i into R11 and goes to
 * nsgx_inproc_gate_common, which saves the registers as ENCLU[EEXIT] left
 * them into a ucontext_t below the exit RSP (and its red zone), RIP = the
 * ENCLU the gate stands for (RCX - 3); puts the host's flags, MXCSR and x87
 * control word in place for C code; puts the application's FS/GS back with
 * the signal trampoline's own routine (nsgx_bases_to_host); runs the same
 * EEXIT as a trapping ENCLU (nsgx_inproc_gate_exit: run_gate_eexit, the
 * monitor's EEXIT); loads the bases that leaves (nsgx_bases_load); and
 * continues from the context as a signal return would: every general
 * register and the flags from it, then its RIP — the vDSO's landing after
 * EEXIT, or its exception fix-up if EEXIT faulted (an AEX at the ENCLU).
 * ucontext_t: gregs at 40 (REG_* order of <sys/ucontext.h>), fpregs at 224.
 */
#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define RUN_TCS 0
#define RUN_LEAF 8
#define RUN_VECTOR 12
#define RUN_ERROR_CODE 14
#define RUN_ADDR 16
#define RUN_USER_HANDLER 24
#define RUN_RESERVED_START 40
#define RUN_RESERVED_END 256
/* runtime/common/fsgs.h: FsgsMode */
#define MODE_FSGSBASE 1
#define MODE_ARCH_PRCTL 2
#define SYS_ARCH_PRCTL 158
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
/* The exit gates: runtime/inproc/thread_block.h (kMaxThreads, kSlotSize). */
#define GATE_STUBS 1024
#define SLOT_SHIFT 18
#define SLOT_IN_ENCLAVE 16
#define SLOT_CUR_FS 24
#define GATE_UC 0		/* the ucontext_t, 1024 bytes */
#define GATE_BASES 1024		/* SignalBases {fs, gs, slot} */
#define GATE_FRAME 1056
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

#include "runtime/common/slot_stubs.h"

	.text
	.globl nsgx_vdso_sgx_enter_enclave
	.type nsgx_vdso_sgx_enter_enclave, @function
	.globl nsgx_vdso_aep
	.globl nsgx_vdso_after_enclu
	.globl nsgx_vdso_handle_exception
	.p2align 4
nsgx_vdso_sgx_enter_enclave:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx
	.cfi_rel_offset %rbx, -8
	mov	%ecx, %eax
.Lenter_enclave:
	cmp	$EENTER, %eax
	jb	.Linvalid_input
	cmp	$ERESUME, %eax
	ja	.Linvalid_input
	mov	16(%rbp), %rcx
	mov	$RUN_RESERVED_START, %rbx
1:	cmpq	$0, (%rcx, %rbx)
	jne	.Linvalid_input
	add	$8, %rbx
	cmp	$RUN_RESERVED_END, %rbx
	jne	1b
	mov	RUN_TCS(%rcx), %rbx
	lea	nsgx_vdso_aep(%rip), %rcx
	cmp	$EENTER, %eax
	jne	nsgx_vdso_aep
	/*
	 * Fast EENTER: the pass-through registers are saved, the runtime
	 * performs EENTER for this TCS and returns where to go; they are
	 * restored and the enclave is entered with RAX = CSSA, RBX = TCS,
	 * RCX = the return address, RSP/RBP untouched. On failure the real
	 * ENCLU below traps and reports the fault precisely.
	 */
	push	%rdi
	push	%rsi
	push	%rdx
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	/* The call needs an aligned stack, and RSP may have any alignment
	 * here (a user handler's return re-enters at the enclave's exit RSP). */
	mov	%rsp, %rax
	and	$-16, %rsp
	sub	$64, %rsp		/* out: rip, rax, fs, gs; the saved RSP at 48 */
	mov	%rax, 48(%rsp)
	mov	%rbx, %rdi
	lea	56(%rax), %rsi		/* URSP: RSP at the ENCLU, before the pushes */
	mov	%rbp, %rdx		/* URBP */
	mov	%rsp, %rcx
	call	nsgx_fast_eenter
	test	%eax, %eax
	jnz	2f
	cmpl	$MODE_ARCH_PRCTL, nsgx_fsgs_mode(%rip)
	jne	2f
	/*
	 * The kernel keeps these bases across context switches only if they
	 * are set with arch_prctl (no FSGSBASE in AT_HWCAP2): set them now,
	 * while the registers the system call clobbers (RCX, R11, RDI, RSI)
	 * are still saved. nsgx_fast_eenter has recorded them in the block.
	 */
	mov	$ARCH_SET_FS, %edi
	mov	16(%rsp), %rsi
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
	mov	24(%rsp), %rsi
	test	%rsi, %rsi		/* 0: the enclave's GS is still in place */
	jz	1f
	mov	$ARCH_SET_GS, %edi
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
1:	xor	%eax, %eax
2:
	/* Move the out struct to just below the pushed registers (the reads
	 * below expect it there), through registers: the areas may overlap. */
	mov	48(%rsp), %rcx
	mov	0(%rsp), %r8
	mov	8(%rsp), %r9
	mov	16(%rsp), %r10
	mov	24(%rsp), %r11
	mov	%r8, -48(%rcx)
	mov	%r9, -40(%rcx)
	mov	%r10, -32(%rcx)
	mov	%r11, -24(%rcx)
	mov	%rcx, %rsp
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdx
	pop	%rsi
	pop	%rdi
	test	%eax, %eax
	jnz	.Lslow_eenter
	/* The out struct now lies 104 bytes below RSP (nothing is pushed
	 * there: every signal handler runs on the alternate stack). */
	cmpl	$MODE_FSGSBASE, nsgx_fsgs_mode(%rip)
	jne	3f
	mov	-88(%rsp), %rax
	wrfsbase %rax
	mov	-80(%rsp), %rax
	wrgsbase %rax
3:	mov	-96(%rsp), %rax
	lea	nsgx_vdso_after_enclu(%rip), %rcx
	jmp	*-104(%rsp)
.Lslow_eenter:
	mov	$EENTER, %eax
	lea	nsgx_vdso_aep(%rip), %rcx
nsgx_vdso_aep:
	.byte 0x0f, 0x01, 0xd7		/* ENCLU */
nsgx_vdso_after_enclu:
	mov	16(%rbp), %rbx
	movl	$EEXIT, RUN_LEAF(%rbx)
.Lhandle_exit:
	cmpq	$0, RUN_USER_HANDLER(%rbx)
	jne	.Linvoke_userspace_handler
	xor	%eax, %eax
.Lout:
	pop	%rbx
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_def_cfa %rbp, 16
.Linvalid_input:
	mov	$-22, %eax		/* -EINVAL */
	jmp	.Lout
nsgx_vdso_handle_exception:
	mov	16(%rbp), %rbx
	mov	%eax, RUN_LEAF(%rbx)
	mov	%di, RUN_VECTOR(%rbx)
	mov	%si, RUN_ERROR_CODE(%rbx)
	mov	%rdx, RUN_ADDR(%rbx)
	jmp	.Lhandle_exit
.Linvoke_userspace_handler:
	mov	%rsp, %rcx		/* untrusted RSP at exit */
	mov	%rbx, %rax
	mov	%rsp, %rbx
	and	$0xf, %rbx
	and	$-0x10, %rsp
	push	%rax
	push	%rax			/* run, the 7th argument */
	cld
	mov	RUN_USER_HANDLER(%rax), %rax
	lfence
	call	*%rax
	lea	0x10(%rsp, %rbx), %rsp
	cmp	$0, %eax
	jle	.Lout
	jmp	.Lenter_enclave
	.cfi_endproc
	.size nsgx_vdso_sgx_enter_enclave, .-nsgx_vdso_sgx_enter_enclave

	SLOT_STUBS nsgx_inproc_gates, nsgx_inproc_gate_common, GATE_STUBS

	.type nsgx_inproc_gate_common, @function
	.p2align 4
nsgx_inproc_gate_common:
	shl	$SLOT_SHIFT, %r11
	add	nsgx_altstack_lo(%rip), %r11
	cmpl	$0, SLOT_IN_ENCLAVE(%r11)
	je	.Lgate_refused		/* this slot's thread is inside no enclave */
	lea	-(128 + GATE_FRAME)(%rsp), %r10
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
	mov	%r11, GATE_BASES+16(%r10)
	mov	%r10, %rsp
	pushfq
	popq	G(EFL)(%rsp)
	pushq	$0x202
	popfq
	ldmxcsr	.Lmxcsr_init(%rip)
	fninit
	lea	GATE_BASES(%rsp), %rdi
	call	nsgx_bases_to_host
	mov	GATE_BASES+16(%rsp), %rdi
	mov	%rsp, %rsi
	lea	GATE_BASES(%rsp), %rdx
	call	nsgx_inproc_gate_exit
	lea	GATE_BASES(%rsp), %rdi
	call	nsgx_bases_load
	/* As a signal return from the context: the target just below its
	 * stack (signals run on the alternate stack), the flags, every
	 * register, RSP last. */
	mov	G(RSP)(%rsp), %rax
	mov	G(RIP)(%rsp), %rcx
	mov	%rcx, -8(%rax)
	pushq	G(EFL)(%rsp)
	popfq
	mov	G(R8)(%rsp), %r8
	mov	G(R9)(%rsp), %r9
	mov	G(R10)(%rsp), %r10
	mov	G(R11)(%rsp), %r11
	mov	G(R12)(%rsp), %r12
	mov	G(R13)(%rsp), %r13
	mov	G(R14)(%rsp), %r14
	mov	G(R15)(%rsp), %r15
	mov	G(RDI)(%rsp), %rdi
	mov	G(RSI)(%rsp), %rsi
	mov	G(RBP)(%rsp), %rbp
	mov	G(RBX)(%rsp), %rbx
	mov	G(RDX)(%rsp), %rdx
	mov	G(RAX)(%rsp), %rax
	mov	G(RCX)(%rsp), %rcx
	mov	G(RSP)(%rsp), %rsp
	jmp	*-8(%rsp)
.Lgate_refused:
	ud2
	.size nsgx_inproc_gate_common, .-nsgx_inproc_gate_common

/*
 * nsgx_inproc_fs_gates: the FS gates (runtime/common/exit_gate.h), one
 * 16-byte stub per thread slot, found as the exit gates are. Called by the
 * enclave as `long fs_gate(uint64_t fs_base)` on its own stack: makes the
 * thread's FS base RDI — WRFSBASE where the kernel offers FSGSBASE, else
 * arch_prctl with the block's record (cur_fs) written first, as the signal
 * trampoline's SET_BASE does, so that a signal between the record and the
 * system call finds the record already saying what the thread is about
 * to hold (the trampoline puts the host's FS back without trusting the
 * record while inside, and loads the record's on its way out). RAX = 0, or
 * -errno with the record put back; clobbers RCX, RSI, RDI, R8, R9, R11 and
 * the flags. Not an AEX for a signal here: RIP is outside ELRANGE.
 */
	SLOT_STUBS nsgx_inproc_fs_gates, nsgx_inproc_fs_gate_common, GATE_STUBS

	.type nsgx_inproc_fs_gate_common, @function
	.p2align 4
nsgx_inproc_fs_gate_common:
	shl	$SLOT_SHIFT, %r11
	add	nsgx_altstack_lo(%rip), %r11
	cmpl	$0, SLOT_IN_ENCLAVE(%r11)
	je	.Lfs_gate_refused	/* this slot's thread is inside no enclave */
	cmpl	$MODE_FSGSBASE, nsgx_fsgs_mode(%rip)
	jne	1f
	wrfsbase %rdi
	xor	%eax, %eax
	ret
1:	cmpl	$MODE_ARCH_PRCTL, nsgx_fsgs_mode(%rip)
	jne	.Lfs_gate_refused
	mov	%r11, %r8
	mov	SLOT_CUR_FS(%r8), %r9
	mov	%rdi, SLOT_CUR_FS(%r8)
	mov	%rdi, %rsi
	mov	$ARCH_SET_FS, %edi
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
	test	%rax, %rax
	jz	2f
	mov	%r9, SLOT_CUR_FS(%r8)	/* refused: FS is still the recorded one */
2:	ret
.Lfs_gate_refused:
	ud2
	.size nsgx_inproc_fs_gate_common, .-nsgx_inproc_fs_gate_common

	.section .rodata
	.p2align 2
.Lmxcsr_init:
	.long	0x1f80

	.section .note.GNU-stack, "", @progbits
