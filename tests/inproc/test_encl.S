/*
 * A small static test enclave in the style of the kernel's SGX selftests
 * (tools/testing/selftests/sgx), built as a flat image of 16 pages:
 *   0-3  TCS (one per thread)      4-7  SSA frames (one per TCS)
 *   8    code (RX)                 9    data (RW)
 *   10   read-only data (R)        11-14 stacks (one per TCS)
 *   15   spare RW page
 * The enclave range is 64 pages; pages 16-63 have no EPC page until an
 * SGX2 enclave touches or EACCEPTs them.
 *
 * EENTER with RDI = a struct encl_op in untrusted memory:
 *   { u64 op; u64 value; u64 addr; u64 tcs_index (out) }
 * ops: 0 NOP, 1 PUT (slot[tcs] = value), 2 GET (value = slot[tcs]),
 *      3 WRITE ([addr] = value), 4 READ (value = [addr]),
 *      5 EACCEPT (addr, SECINFO flags = value; value = EAX),
 *      6 EMODPE (addr, flags = value), 7 CLOBBER (r12-r15 used inside),
 *      8 SPIN (value = sum of 0..value-1), 9 EACCEPTCOPY unused.
 */
#define PAGE 4096
	.section .text
	.globl _start
_start:
encl_base:
/* ---- TCS pages ---- */
	.irp idx, 0, 1, 2, 3
	.org encl_base + \idx * PAGE
	.quad 0				/* STATE */
	.quad 0				/* FLAGS */
	.quad (4 + \idx) * PAGE		/* OSSA */
	.long 0				/* CSSA */
	.long 1				/* NSSA */
	.quad encl_entry - encl_base	/* OENTRY */
	.quad 0				/* AEP */
	.quad 0				/* OFSBASGX */
	.quad 0				/* OGSBASGX */
	.long 0xfff			/* FSLIMIT */
	.long 0xfff			/* GSLIMIT */
	.endr
/* ---- code ---- */
	.org encl_base + 8 * PAGE
encl_entry:
	/* RBX = TCS, RCX = return address, RDI = op. Switch to this TCS's stack. */
	lea	encl_base(%rip), %r10
	mov	%rbx, %r11
	sub	%r10, %r11		/* TCS offset = index * PAGE */
	lea	12 * PAGE(%r10, %r11), %r10	/* top of stack page 11 + index */
	xchg	%rsp, %r10		/* r10 = untrusted RSP */
	push	%r10
	push	%rbp
	push	%rcx
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	shr	$12, %r11		/* TCS index */
	mov	%r11, 24(%rdi)
	mov	(%rdi), %rax
	cmp	$0, %rax
	je	.Ldone
	cmp	$1, %rax
	je	.Lput
	cmp	$2, %rax
	je	.Lget
	cmp	$3, %rax
	je	.Lwrite
	cmp	$4, %rax
	je	.Lread
	cmp	$5, %rax
	je	.Leaccept
	cmp	$6, %rax
	je	.Lemodpe
	cmp	$7, %rax
	je	.Lclobber
	cmp	$8, %rax
	je	.Lspin
	jmp	.Ldone
.Lput:
	lea	encl_base + 9 * PAGE(%rip), %rax
	mov	8(%rdi), %rdx
	mov	%rdx, (%rax, %r11, 8)
	jmp	.Ldone
.Lget:
	lea	encl_base + 9 * PAGE(%rip), %rax
	mov	(%rax, %r11, 8), %rdx
	mov	%rdx, 8(%rdi)
	jmp	.Ldone
.Lwrite:
	mov	16(%rdi), %rax
	mov	8(%rdi), %rdx
	mov	%rdx, (%rax)
	jmp	.Ldone
.Lread:
	mov	16(%rdi), %rax
	mov	(%rax), %rdx
	mov	%rdx, 8(%rdi)
	jmp	.Ldone
.Leaccept:
	/* SECINFO (64-byte aligned) in this TCS's slot of the data page. */
	lea	encl_base + 9 * PAGE + 1024(%rip), %rbx
	shl	$6, %r11
	add	%r11, %rbx
	mov	8(%rdi), %rax
	mov	%rax, (%rbx)
	movq	$0, 8(%rbx)
	mov	16(%rdi), %rcx
	mov	%rdi, %r12
	mov	$5, %eax		/* EACCEPT */
	.byte 0x0f, 0x01, 0xd7
	mov	%r12, %rdi
	mov	%rax, 8(%rdi)
	jmp	.Ldone
.Lemodpe:
	lea	encl_base + 9 * PAGE + 1024(%rip), %rbx
	shl	$6, %r11
	add	%r11, %rbx
	mov	8(%rdi), %rax
	mov	%rax, (%rbx)
	movq	$0, 8(%rbx)
	mov	16(%rdi), %rcx
	mov	$6, %eax		/* EMODPE */
	.byte 0x0f, 0x01, 0xd7
	jmp	.Ldone
.Lclobber:
	mov	$0x1111, %r12
	mov	$0x2222, %r13
	mov	$0x3333, %r14
	mov	$0x4444, %r15
	jmp	.Ldone
.Lspin:
	mov	8(%rdi), %rcx
	xor	%rax, %rax
	xor	%rdx, %rdx
1:	cmp	%rcx, %rdx
	jae	2f
	add	%rdx, %rax
	inc	%rdx
	jmp	1b
2:	mov	%rax, 8(%rdi)
	jmp	.Ldone
.Ldone:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbx			/* the return address */
	pop	%rbp
	pop	%rsp			/* untrusted RSP */
	xor	%ecx, %ecx
	mov	$4, %eax		/* EEXIT to RBX */
	.byte 0x0f, 0x01, 0xd7
	ud2
	.org encl_base + 16 * PAGE
