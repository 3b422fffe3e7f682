// Entering and leaving the program (program_entry.S, which states the ABI).
#pragma once

#include <stdint.h>

// The callee-saved registers, RSP and the return address of
// libos_enter_program's caller.
constexpr int kLibosJumpBufferWords = 8;

// Saves the caller's state in `jb`, switches to `sp` and jumps to `entry`
// with the registers the x86-64 psABI's process entry expects (RDX = 0: no
// rtld_fini). Returns the status libos_leave_program passes.
extern "C" int64_t libos_enter_program(uint64_t entry, uint64_t sp, uint64_t* jb);
// Returns from libos_enter_program with `status`, from any depth of the
// program's stack.
extern "C" __attribute__((noreturn)) void libos_leave_program(uint64_t* jb, int64_t status);
struct nsgx_ssa_state;
// Saves the caller's state in `jb` (as libos_enter_program), loads the
// sixteen general registers from `regs` and raises #UD at libos_fs_stub,
// whose first phase gives the new thread its RIP and FS. Returns the status
// libos_leave_program passes.
extern "C" int64_t libos_enter_thread(const struct nsgx_ssa_state* regs, uint64_t* jb);
// Where a system call answered in the second phase returns when an OCALL
// on the way (its EENTER back loaded the TCS's FS) left the enclave's FS
// in place of the program's: its #UD lets the first phase put the
// program's FS back through ERESUME and continue at the saved RIP.
extern "C" const char libos_fs_stub[];
