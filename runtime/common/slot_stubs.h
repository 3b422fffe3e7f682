/*
 * SLOT_STUBS name, common, count (assembly only): `count` 16-byte stubs
 * from `name` to `name`_end, stub i loading i into R11 and jumping to
 * `common` — so that code reached through a stub finds its thread slot
 * (runtime/common/thread_slot.h) from the address it was reached at, not
 * from anything its caller passes. The backends' exit and FS gates
 * (runtime/common/exit_gate.h; runtime/inproc/entry.S,
 * runtime/isolated/host_entry.S) are such tables; their programs check at
 * start that `name`_end - `name` is count * 16.
 */
#ifndef NSGX_RUNTIME_COMMON_SLOT_STUBS_H
#define NSGX_RUNTIME_COMMON_SLOT_STUBS_H
#ifdef __ASSEMBLER__
.macro SLOT_STUBS name, common, count
	.globl \name
	.globl \name\()_end
	.type \name, @function
	.p2align 4
\name:
	.set slot_stub_index, 0
	.rept \count
	mov	$slot_stub_index, %r11d
	jmp	\common
	.p2align 4
	.set slot_stub_index, slot_stub_index + 1
	.endr
\name\()_end:
	.size \name, .-\name
.endm
#endif
#endif
