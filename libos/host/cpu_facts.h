// The CPU's extended-state instructions as the kernel promises them, for
// the library OS enclave's libos_cpu_facts (libos/enclave/cpu_facts.h;
// docs/libos.md, "The vector state across a system call").
#pragma once

#include <cstdint>

namespace nsgx::libos_host {

struct CpuFacts {
  std::uint64_t flags = 0;      // kCpuFxsr, kCpuXsave, kCpuXsavec, kCpuInvariantTsc
  std::uint64_t xfeatures = 0;  // the state components the kernel enables for user code
};

// From /proc/cpuinfo's first `flags` line and arch_prctl(ARCH_GET_XCOMP_SUPP)
// (when the kernel has it, 5.16 on; else x87|SSE, plus AVX and AVX-512 as
// cpuinfo lists them, which the kernel does only when it enables them).
// Test knob: NSGX_LIBOS_TEST_HIDE_CPU=xsavec (or xsave, or fxsr; a comma
// list) makes the host report the CPU without them — xsave hides xsavec
// and every component beyond x87/SSE too — so that tests run the fallback
// paths on a CPU that has everything.
CpuFacts cpu_facts();

// NSGX_LIBOS_CLOCK: `tsc` (or unset: the default) lets the enclave read its
// clocks from the TSC between the host's readings where the kernel
// promises an invariant TSC (kCpuInvariantTsc); `host` makes every reading
// an OCALL, as before 2026-12-07. Anything else is an error.
enum class ClockChoice { kTsc, kHost, kInvalid };
ClockChoice clock_choice();

}  // namespace nsgx::libos_host
