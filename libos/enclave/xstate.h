// The program's extended state (x87, SSE, AVX, AVX-512 registers, MXCSR
// and the x87 control word) across a system call the library OS answers
// (docs/libos.md, "The vector state across a system call"). Linux's
// SYSCALL keeps every register but RAX, RCX and R11; the library OS's own
// compiled code uses vector registers, so both ways in — a rewritten
// site's stub (syscall_stub.S) and the #UD trap's second phase
// (libos_xstate_trap_handler, xstate.S) — save the state before any of it
// runs and restore it after.
//
// Which instruction saves it is chosen once, before the program starts,
// from the enclave's own SECS.ATTRIBUTES.XFRM (EREPORT on itself: trusted)
// and the host's claims (cpu_facts.h: untrusted), so that no claim can
// make the library OS skip state the enclave has:
//   XSAVEC  the host reports xsavec (and xsave);
//   XSAVE   the host reports xsave only (the standard form, same area);
//   FXSAVE  the host reports neither, and XFRM and the host's xfeatures
//           name nothing beyond x87 and SSE (all FXSAVE covers);
//   refused otherwise, with the reason (the program does not start).
// A claim that the CPU has an instruction it lacks makes that instruction
// #UD at the program's first system call; the trap handler recognises its
// address and ends the program with a clear error (libos_xstate_fault).
//
// Usage: libos_cpu_facts (the ECALL) stores the host's claims;
// xstate_init() at libos_run; then the assembly helpers below.
#pragma once

#include <stdint.h>

#include <string>

#include "libos/enclave/xstate_choice.h"
#include "sgx_trts_exception.h"

namespace nsgx::libos {

// Stores the host's claims (the ECALL; ignored once the program runs).
void xstate_host_facts(uint64_t flags, uint64_t xfeatures);
// Chooses with the enclave's own XFRM and arms the helpers; false with
// `why` when no safe choice exists.
bool xstate_init(std::string& why);
// One line for --trace: what was chosen and from what.
std::string xstate_describe();
// The host's claims about the CPU (cpu_facts.h kCpu*), as libos_cpu_facts gave them.
uint64_t host_cpu_flags();

}  // namespace nsgx::libos

extern "C" {
// Set once by xstate_init, before the program runs; read by xstate.S.
extern uint32_t libos_xstate_mode;
extern uint64_t libos_xstate_mask;
// xstate.S: save into / restore from a kXstateArea-byte, 64-byte aligned
// area; clobber RAX, RCX, RDX only (the stub relies on it).
void libos_xstate_save(void* area);
void libos_xstate_restore(void* area);
// The second phase's handler for system calls (syscalls.cc's
// libos_syscall_handler wrapped in a save and a restore), registered with
// the trusted runtime.
int libos_xstate_trap_handler(sgx_exception_info_t* info);
// syscalls.cc: the handler itself, and signals.h's finish_signals.
int libos_syscall_handler(sgx_exception_info_t* info);
void libos_finish_signals(void);
// A #UD inside the helpers: the host claimed an instruction the CPU lacks.
[[noreturn]] void libos_xstate_fault(void);
// The TSC (LFENCE; RDTSC), for the enclave's clock (tsc_clock.h); only
// where the host claims kCpuInvariantTsc. An exception at its RDTSC: the
// claim was false, libos_tsc_fault ends the program with a clear error.
uint64_t libos_rdtsc(void);
[[noreturn]] void libos_tsc_fault(void);
}
