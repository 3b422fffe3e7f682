// What the untrusted host tells the library OS enclave about the CPU's
// extended-state instructions, as the kernel promises them (docs/libos.md,
// "The vector state across a system call"): the ECALL libos_cpu_facts
// (libos.edl), made once before libos_run. The enclave cannot run CPUID
// and treats these as claims: they only choose among save instructions
// that are safe for the state its own SECS.ATTRIBUTES.XFRM says exists
// (xstate.h); a false claim makes the program stop with a clear error.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

// libos_cpu_facts' `flags`: /proc/cpuinfo's flags of the same names (the
// kernel lists a feature only when it uses it: `noxsave` clears xsave and
// everything that depends on it).
constexpr uint64_t kCpuFxsr = uint64_t{1} << 0;    // FXSAVE/FXRSTOR
constexpr uint64_t kCpuXsave = uint64_t{1} << 1;   // XSAVE/XRSTOR, enabled by the kernel (CR4.OSXSAVE)
constexpr uint64_t kCpuXsavec = uint64_t{1} << 2;  // XSAVEC (the compacted form)
// constant_tsc and nonstop_tsc (the TSC ticks at one rate in every
// P-, C- and T-state), with RDTSC allowed to this process
// (prctl(PR_GET_TSC)) and the enclave's clock not turned off
// (NSGX_LIBOS_CLOCK=host): the library OS reads CLOCK_MONOTONIC and
// CLOCK_REALTIME from the TSC between the host's readings (tsc_clock.h).
constexpr uint64_t kCpuInvariantTsc = uint64_t{1} << 3;

// libos_cpu_facts' `xfeatures`: the state components the kernel enables
// for user code (arch_prctl(ARCH_GET_XCOMP_SUPP), Linux's
// Documentation/arch/x86/xstate.rst), bit i = XSAVE component i (SDM Vol.
// 1, 13.1).
constexpr uint64_t kXfeatureX87 = uint64_t{1} << 0;
constexpr uint64_t kXfeatureSse = uint64_t{1} << 1;
constexpr uint64_t kXfeatureAvx = uint64_t{1} << 2;
// AVX-512: opmask, ZMM_Hi256, Hi16_ZMM.
constexpr uint64_t kXfeatureAvx512 = (uint64_t{1} << 5) | (uint64_t{1} << 6) | (uint64_t{1} << 7);

}  // namespace nsgx::libos
