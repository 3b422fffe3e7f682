// How a library OS can catch a program's system calls, on this machine
// (docs/libos.md, "How system calls reach the library OS"): in TSC cycles per
// call, median and p99, in an ordinary process (no enclave), so that each
// mechanism is seen without the enclave transitions around it.
//
//  - BM_FunctionCall: a call through a pointer — what a system call site
//    rewritten at load time into a call into the library OS costs to reach it;
//  - BM_Syscall: getppid, a real system call, for scale;
//  - BM_SyscallUserDispatchTrap: SYSCALL caught by the kernel's syscall user
//    dispatch and answered by a SIGSYS handler (the inproc backend's way of
//    making enclave system calls trap, runtime/inproc/exceptions.cc);
//  - BM_Ud2Trap: #UD answered by a SIGILL handler — the trap every system
//    call would be on SGX hardware, where SYSCALL in an enclave is #UD (under
//    KVM on AMD every #UD is also a VM exit);
//  - BM_SeccompTrap: SYSCALL caught by a seccomp filter (SECCOMP_RET_TRAP)
//    and answered by a SIGSYS handler (the isolated backend's way). It runs
//    last: a filter cannot be removed, and it would tax every later call.
// Reported, never asserted. The in-enclave figure (the SDK's two-phase
// exception flow around each trap) is `nsgx bench sdk`'s "ECALL with one
// system call trapped" line.
#include <benchmark/benchmark.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/cycles.h"

namespace {

using nsgx::bench::tsc_begin;
using nsgx::bench::tsc_end;

template <typename F>
void timed(benchmark::State& state, F f) {
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    const std::uint64_t t0 = tsc_begin();
    f();
    const std::uint64_t t1 = tsc_end();
    samples.push_back(t1 - t0);
  }
  nsgx::bench::report_cycles(state, samples);
}

// SYSCALL with RAX = nr and nothing else; returns RAX.
long raw_syscall0(long nr) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "0"(nr) : "rcx", "r11", "memory");
  return r;
}

// The answer an emulation gives: RAX = 0, the call never ran.
void answer_sigsys(int, siginfo_t*, void* ctx) { static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs[REG_RAX] = 0; }
// #UD: skip the 2-byte UD2.
void skip_ud2(int, siginfo_t*, void* ctx) { static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs[REG_RIP] += 2; }

void install(int sig, void (*fn)(int, siginfo_t*, void*)) {
  struct sigaction sa {};
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO;
  sigaction(sig, &sa, nullptr);
}

__attribute__((noinline)) long emulated(long nr) {
  __asm__ volatile("" ::: "memory");
  return nr == SYS_getppid ? 0 : -1;
}
long (*volatile g_emulated)(long) = emulated;

void BM_FunctionCall(benchmark::State& state) {
  timed(state, [] { benchmark::DoNotOptimize(g_emulated(SYS_getppid)); });
}
BENCHMARK(BM_FunctionCall);

void BM_Syscall(benchmark::State& state) {
  timed(state, [] { benchmark::DoNotOptimize(raw_syscall0(SYS_getppid)); });
}
BENCHMARK(BM_Syscall);

// Inclusive dispatch over one page holding `mov $getppid, %eax; syscall; ret`
// (include/uapi/linux/prctl.h: PR_SET_SYSCALL_USER_DISPATCH, op 2 =
// PR_SYS_DISPATCH_INCLUSIVE_ON, newer than some headers).
void BM_SyscallUserDispatchTrap(benchmark::State& state) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    state.SkipWithError("mmap");
    return;
  }
  static const unsigned char code[] = {0xb8, SYS_getppid, 0, 0, 0, 0x0f, 0x05, 0xc3};
  std::copy(std::begin(code), std::end(code), static_cast<unsigned char*>(page));
  mprotect(page, 4096, PROT_READ | PROT_EXEC);
  install(SIGSYS, answer_sigsys);
  if (prctl(59, 2, reinterpret_cast<unsigned long>(page), 4096UL, 0UL) != 0) {
    state.SkipWithError("this kernel has no inclusive syscall user dispatch");
    munmap(page, 4096);
    return;
  }
  auto* fn = reinterpret_cast<long (*)()>(page);
  bool trapped = true;
  timed(state, [&] { trapped = trapped && fn() == 0; });
  prctl(59, 0, 0UL, 0UL, 0UL);
  munmap(page, 4096);
  if (!trapped) state.SkipWithError("a system call in the range ran");
}
BENCHMARK(BM_SyscallUserDispatchTrap);

void BM_Ud2Trap(benchmark::State& state) {
  install(SIGILL, skip_ud2);
  timed(state, [] { __asm__ volatile("ud2" ::: "memory"); });
}
BENCHMARK(BM_Ud2Trap);

// A filter that traps one system call number no kernel has (1000).
void BM_SeccompTrap(benchmark::State& state) {
  constexpr long kNr = 1000;
  sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(std::size(f)), f};
  install(SIGSYS, answer_sigsys);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    state.SkipWithError("seccomp");
    return;
  }
  bool trapped = true;
  timed(state, [&] { trapped = trapped && raw_syscall0(kNr) == 0; });
  if (!trapped) state.SkipWithError("the filtered system call ran");
}
BENCHMARK(BM_SeccompTrap);

}  // namespace

BENCHMARK_MAIN();
