/* Entering and leaving the program (docs/libos.md), declared in
 * program_entry.h.
 *
 * int64_t libos_enter_program(uint64_t entry, uint64_t sp, uint64_t* jb)
 *   System V x86-64 calling convention: entry in RDI, sp in RSI, jb in RDX.
 *   Saves the callee-saved registers (RBX, RBP, R12-R15), the caller's RSP
 *   after the return and the return address in jb[0..7], switches to sp
 *   and jumps to entry with the registers the psABI's process entry
 *   expects (3.4.1 "Initial Stack and Register State": RDX = 0, no
 *   rtld_fini; the rest zeroed so nothing of the enclave leaks into the
 *   program; DF clear).
 *
 * void libos_leave_program(uint64_t* jb, int64_t status)   (noreturn)
 *   jb in RDI, status in RSI. Restores what libos_enter_program saved and
 *   returns from that call with status in RAX, from any depth of the
 *   program's stack.
 *
 * int64_t libos_enter_thread(const nsgx_ssa_state_t* regs, uint64_t* jb)
 *   regs in RDI (nsgx_first_phase.h's layout: RAX, RCX, RDX, RBX, RSP, RBP,
 *   RSI, RDI, R8-R15 at 8-byte steps from 0), jb in RSI. Saves the caller's
 *   state in jb as libos_enter_program does (libos_leave_program returns
 *   from this call), loads all sixteen registers from regs and jumps to
 *   libos_fs_stub, whose #UD lets the first phase set the new thread's RIP
 *   and FS (only ERESUME can load FS). DF clear.
 *
 * libos_fs_stub
 *   A single UD2: where a system call answered in the second phase returns
 *   when an OCALL on the way (its EENTER back loaded the TCS's FS) left the
 *   enclave's FS in place of the program's; its #UD lets the first phase
 *   put the program's FS back through ERESUME and continue where the
 *   program was. */
	.text
	.globl libos_enter_program
	.hidden libos_enter_program
	.type libos_enter_program, @function
libos_enter_program:
	mov %rbx, 0(%rdx)
	mov %rbp, 8(%rdx)
	mov %r12, 16(%rdx)
	mov %r13, 24(%rdx)
	mov %r14, 32(%rdx)
	mov %r15, 40(%rdx)
	lea 8(%rsp), %rax	/* the caller's RSP once this call returns */
	mov %rax, 48(%rdx)
	mov (%rsp), %rax	/* the return address */
	mov %rax, 56(%rdx)
	mov %rdi, %rax
	mov %rsi, %rsp
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	cld
	jmp *%rax
	.size libos_enter_program, . - libos_enter_program

	.globl libos_enter_thread
	.hidden libos_enter_thread
	.type libos_enter_thread, @function
libos_enter_thread:
	mov %rbx, 0(%rsi)
	mov %rbp, 8(%rsi)
	mov %r12, 16(%rsi)
	mov %r13, 24(%rsi)
	mov %r14, 32(%rsi)
	mov %r15, 40(%rsi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rsi)
	mov (%rsp), %rax
	mov %rax, 56(%rsi)
	mov %rdi, %rax
	mov 8(%rax), %rcx
	mov 16(%rax), %rdx
	mov 24(%rax), %rbx
	mov 40(%rax), %rbp
	mov 48(%rax), %rsi
	mov 56(%rax), %rdi
	mov 64(%rax), %r8
	mov 72(%rax), %r9
	mov 80(%rax), %r10
	mov 88(%rax), %r11
	mov 96(%rax), %r12
	mov 104(%rax), %r13
	mov 112(%rax), %r14
	mov 120(%rax), %r15
	mov 32(%rax), %rsp
	mov 0(%rax), %rax
	cld
	jmp libos_fs_stub
	.size libos_enter_thread, . - libos_enter_thread

	.globl libos_leave_program
	.hidden libos_leave_program
	.type libos_leave_program, @function
libos_leave_program:
	mov %rsi, %rax
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	cld
	jmp *56(%rdi)
	.size libos_leave_program, . - libos_leave_program

	.globl libos_fs_stub
	.hidden libos_fs_stub
	.type libos_fs_stub, @function
libos_fs_stub:
	ud2
	.size libos_fs_stub, . - libos_fs_stub

	.section .note.GNU-stack, "", @progbits
