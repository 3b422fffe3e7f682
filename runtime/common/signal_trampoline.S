/*
 * The signal trampoline of the backends that run enclave code natively
 * (inproc in the application, isolated in the enclave host).
 *
 * While enclave code runs, FS and GS hold the enclave's bases (SDM EENTER:
 * from TCS.OFSBASE/OGSBASE), so no C code may run — no TLS, no errno, no
 * sanitizer runtime — until the host's are back. Every thread that enters
 * an enclave owns a slot of SLOT_SIZE bytes in one reserved region
 * [nsgx_altstack_lo, +nsgx_altstack_span): a block at the start
 * (runtime/common/thread_slot.h, SlotHeader) and its alternate signal
 * stack; every handler runs on that stack (SA_ONSTACK), so the block is
 * found from RSP alone. The program that links this defines
 * nsgx_signal_dispatch, the two region variables and nsgx_fsgs_mode
 * (runtime/common/fsgs.h), which says how bases are switched:
 *   0 hold:     never (the thread keeps the enclave's bases; its C code uses
 *               no TLS);
 *   1 FSGSBASE: RDFSBASE/WRFSBASE, only where AT_HWCAP2 offers them;
 *   2 arch_prctl: a system call per base that changes, with the bases in
 *               effect tracked in the block (cur_fs/cur_gs), since reading
 *               one back would cost a system call too.
 * In mode 2 the handler must not be interrupted between a switch and its
 * book-keeping: every handler that can run here blocks the asynchronous
 * signals (the backends' sa_mask), and the code below cannot fault.
 */
#define SLOT_MASK (256 * 1024 - 1)
#define SLOT_HOST_FS 0
#define SLOT_HOST_GS 8
#define SLOT_IN_ENCLAVE 16
#define SLOT_CUR_FS 24
#define SLOT_CUR_GS 32
#define MODE_FSGSBASE 1
#define MODE_ARCH_PRCTL 2
#define SYS_ARCH_PRCTL 158
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
/* The frame: SignalBases {fs 0, gs 8, slot 16}, then the arguments. */
#define F_FS 0
#define F_GS 8
#define F_SLOT 16
#define F_RDI 24
#define F_RSI 32
#define F_RDX 40
#define F_SIZE 56

/*
 * SET_BASE value, cur_offset, code, skip: arch_prctl(code, value) unless the
 * block's record at cur_offset (SlotHeader in %r8) already says so; the
 * record is updated first (signals are blocked here, see above).
 */
.macro SET_BASE value, cur, code, skip
	mov	\value, %rsi
	cmp	\cur(%r8), %rsi
	je	\skip
	mov	%rsi, \cur(%r8)
	mov	$\code, %edi
	call	nsgx_set_base
.endm

	.text
/*
 * set_base(%edi = ARCH_SET_FS/GS, %rsi = value): arch_prctl, keeping the
 * registers the trampoline still needs (the kernel clobbers RCX and R11).
 */
	.type nsgx_set_base, @function
	.p2align 4
nsgx_set_base:
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
	ret
	.size nsgx_set_base, .-nsgx_set_base

/*
 * nsgx_signal_trampoline(sig, info, uc): the handler of every signal we
 * install. Records the current FS/GS bases; if the thread was inside an
 * enclave (its block, found from RSP on the alternate stack, says so) puts
 * the host's back before any C code runs; calls
 * nsgx_signal_dispatch(sig, info, uc, block, bases) — which may change the
 * recorded bases, e.g. to enter an enclave on return — and loads them.
 */
	.globl nsgx_signal_trampoline
	.type nsgx_signal_trampoline, @function
	.p2align 4
nsgx_signal_trampoline:
	.cfi_startproc
	sub	$F_SIZE, %rsp
	.cfi_adjust_cfa_offset F_SIZE
	mov	%rdi, F_RDI(%rsp)
	mov	%rsi, F_RSI(%rsp)
	mov	%rdx, F_RDX(%rsp)
	movq	$0, F_FS(%rsp)
	movq	$0, F_GS(%rsp)
	/* The block, or 0 when RSP is not on a slot's stack. */
	mov	%rsp, %r8
	sub	nsgx_altstack_lo(%rip), %r8
	cmp	nsgx_altstack_span(%rip), %r8
	jae	1f
	and	$~SLOT_MASK, %r8
	add	nsgx_altstack_lo(%rip), %r8
	jmp	2f
1:	xor	%r8d, %r8d
2:	mov	%r8, F_SLOT(%rsp)
	mov	nsgx_fsgs_mode(%rip), %eax
	cmp	$MODE_FSGSBASE, %eax
	je	.Lin_fsgsbase
	cmp	$MODE_ARCH_PRCTL, %eax
	jne	.Lcall			/* hold: nothing to switch */

	/* arch_prctl: the bases in effect are the block's record. */
	test	%r8, %r8
	jz	.Lcall
	mov	SLOT_CUR_FS(%r8), %rax
	mov	%rax, F_FS(%rsp)
	mov	SLOT_CUR_GS(%r8), %rax
	mov	%rax, F_GS(%rsp)
	cmpl	$0, SLOT_IN_ENCLAVE(%r8)
	je	.Lcall
	SET_BASE SLOT_HOST_FS(%r8), SLOT_CUR_FS, ARCH_SET_FS, 3f
	/* GS: C code never uses it; only a program that set a GS base of its
	 * own gets it back here (a base of 0 is put back lazily, see
	 * gs_after_exit in runtime/inproc/exceptions.cc). */
3:	cmpq	$0, SLOT_HOST_GS(%r8)
	je	.Lcall
	SET_BASE SLOT_HOST_GS(%r8), SLOT_CUR_GS, ARCH_SET_GS, .Lcall
	jmp	.Lcall

.Lin_fsgsbase:
	rdfsbase %rax
	mov	%rax, F_FS(%rsp)
	rdgsbase %rax
	mov	%rax, F_GS(%rsp)
	test	%r8, %r8
	jz	.Lcall
	cmpl	$0, SLOT_IN_ENCLAVE(%r8)
	je	.Lcall
	mov	SLOT_HOST_FS(%r8), %rax
	wrfsbase %rax
	mov	SLOT_HOST_GS(%r8), %rax
	wrgsbase %rax

.Lcall:
	mov	F_RDI(%rsp), %rdi
	mov	F_RSI(%rsp), %rsi
	mov	F_RDX(%rsp), %rdx
	mov	F_SLOT(%rsp), %rcx
	mov	%rsp, %r8
	call	nsgx_signal_dispatch

	mov	nsgx_fsgs_mode(%rip), %eax
	cmp	$MODE_FSGSBASE, %eax
	je	.Lout_fsgsbase
	cmp	$MODE_ARCH_PRCTL, %eax
	jne	.Lret
	/* arch_prctl: load what differs from the block's record (the
	 * dispatcher may have given the thread its block only now). */
	mov	F_SLOT(%rsp), %r8
	test	%r8, %r8
	jz	.Lret
	SET_BASE F_FS(%rsp), SLOT_CUR_FS, ARCH_SET_FS, 4f
4:	SET_BASE F_GS(%rsp), SLOT_CUR_GS, ARCH_SET_GS, .Lret
	jmp	.Lret

.Lout_fsgsbase:
	mov	F_FS(%rsp), %rax
	wrfsbase %rax
	mov	F_GS(%rsp), %rax
	wrgsbase %rax
.Lret:
	add	$F_SIZE, %rsp
	.cfi_adjust_cfa_offset -F_SIZE
	ret
	.cfi_endproc
	.size nsgx_signal_trampoline, .-nsgx_signal_trampoline

	.section .note.GNU-stack, "", @progbits
