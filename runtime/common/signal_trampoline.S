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
 * FORCE_BASE value, cur_offset, code: the same without the comparison, for
 * putting the host's bases back on the way in: the record may already say
 * "host" a moment before the base really is the host's — when the signal
 * interrupted the inproc exit gate (runtime/inproc/entry.S) between its
 * record and its system call, which the gate makes with signals unblocked.
 * Only then does the record say so while the thread is inside, so this
 * costs nothing elsewhere.
 */
.macro SET_BASE value, cur, code, skip
	mov	\value, %rsi
	cmp	\cur(%r8), %rsi
	je	\skip
	mov	%rsi, \cur(%r8)
	mov	$\code, %edi
	call	nsgx_set_base
.endm
.macro FORCE_BASE value, cur, code
	mov	\value, %rsi
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
 * nsgx_bases_to_host(SignalBases* f), f->slot set (or 0): records the
 * bases in effect in f->fs/gs; if the slot's thread is inside an enclave,
 * puts the host's back. Used by the trampoline on the way in and by the
 * inproc exit gate (runtime/inproc/entry.S) — one implementation of "leave
 * the enclave's bases" for the trap path and the gate. Clobbers RAX, RCX,
 * RSI, RDI, R8, R9, R11; no C code, no TLS.
 */
	.globl nsgx_bases_to_host
	.hidden nsgx_bases_to_host
	.type nsgx_bases_to_host, @function
	.p2align 4
nsgx_bases_to_host:
	mov	%rdi, %r9
	movq	$0, F_FS(%r9)
	movq	$0, F_GS(%r9)
	mov	F_SLOT(%r9), %r8
	mov	nsgx_fsgs_mode(%rip), %eax
	cmp	$MODE_FSGSBASE, %eax
	je	.Lin_fsgsbase
	cmp	$MODE_ARCH_PRCTL, %eax
	jne	.Lin_done		/* hold: nothing to switch */

	/* arch_prctl: the bases in effect are the block's record. */
	test	%r8, %r8
	jz	.Lin_done
	mov	SLOT_CUR_FS(%r8), %rax
	mov	%rax, F_FS(%r9)
	mov	SLOT_CUR_GS(%r8), %rax
	mov	%rax, F_GS(%r9)
	cmpl	$0, SLOT_IN_ENCLAVE(%r8)
	je	.Lin_done
	FORCE_BASE SLOT_HOST_FS(%r8), SLOT_CUR_FS, ARCH_SET_FS
	/* GS: C code never uses it; only a program that set a GS base of its
	 * own gets it back here (a base of 0 is put back lazily, see
	 * gs_after_exit in runtime/inproc/exceptions.cc). */
	cmpq	$0, SLOT_HOST_GS(%r8)
	je	.Lin_done
	FORCE_BASE SLOT_HOST_GS(%r8), SLOT_CUR_GS, ARCH_SET_GS
	ret

.Lin_fsgsbase:
	rdfsbase %rax
	mov	%rax, F_FS(%r9)
	rdgsbase %rax
	mov	%rax, F_GS(%r9)
	test	%r8, %r8
	jz	.Lin_done
	cmpl	$0, SLOT_IN_ENCLAVE(%r8)
	je	.Lin_done
	mov	SLOT_HOST_FS(%r8), %rax
	wrfsbase %rax
	mov	SLOT_HOST_GS(%r8), %rax
	wrgsbase %rax
.Lin_done:
	ret
	.size nsgx_bases_to_host, .-nsgx_bases_to_host

/*
 * nsgx_bases_load(SignalBases* f): loads f->fs/gs (which the dispatcher or
 * the gate's EEXIT may have changed): in arch_prctl mode what differs from
 * the record of f->slot. Clobbers RAX, RCX, RSI, RDI, R8, R9, R11.
 */
	.globl nsgx_bases_load
	.hidden nsgx_bases_load
	.type nsgx_bases_load, @function
	.p2align 4
nsgx_bases_load:
	mov	%rdi, %r9
	mov	nsgx_fsgs_mode(%rip), %eax
	cmp	$MODE_FSGSBASE, %eax
	je	.Lout_fsgsbase
	cmp	$MODE_ARCH_PRCTL, %eax
	jne	.Lout_done
	/* arch_prctl: load what differs from the block's record (the
	 * dispatcher may have given the thread its block only now). */
	mov	F_SLOT(%r9), %r8
	test	%r8, %r8
	jz	.Lout_done
	SET_BASE F_FS(%r9), SLOT_CUR_FS, ARCH_SET_FS, 4f
4:	SET_BASE F_GS(%r9), SLOT_CUR_GS, ARCH_SET_GS, .Lout_done
	ret
.Lout_fsgsbase:
	mov	F_FS(%r9), %rax
	wrfsbase %rax
	mov	F_GS(%r9), %rax
	wrgsbase %rax
.Lout_done:
	ret
	.size nsgx_bases_load, .-nsgx_bases_load

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
	mov	%rsp, %rdi
	call	nsgx_bases_to_host

	mov	F_RDI(%rsp), %rdi
	mov	F_RSI(%rsp), %rsi
	mov	F_RDX(%rsp), %rdx
	mov	F_SLOT(%rsp), %rcx
	mov	%rsp, %r8
	call	nsgx_signal_dispatch

	mov	%rsp, %rdi
	call	nsgx_bases_load
	add	$F_SIZE, %rsp
	.cfi_adjust_cfa_offset -F_SIZE
	ret
	.cfi_endproc
	.size nsgx_signal_trampoline, .-nsgx_signal_trampoline

	.section .note.GNU-stack, "", @progbits
