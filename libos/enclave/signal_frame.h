// Linux x86-64's signal ABI as a program sees it: the kernel's sigaction,
// stack_t, siginfo and the frame a handler runs on (arch/x86/include/uapi/
// asm/sigcontext.h, include/uapi/asm-generic/siginfo.h, arch/x86/include/
// asm/sigframe.h `struct rt_sigframe`). Kept apart from the library OS's
// own state (signals.h); every offset is the kernel's, asserted.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

namespace nsgx::libos {

constexpr int kNsig = 64;  // signals 1..64 (_NSIG)

// rt_sigaction's `struct sigaction` as the kernel takes it (not glibc's).
struct KernelSigaction {
  uint64_t handler;   // SIG_DFL 0, SIG_IGN 1, or the handler's address
  uint64_t flags;     // SA_*
  uint64_t restorer;  // SA_RESTORER: where the handler returns (glibc's __restore_rt)
  uint64_t mask;      // blocked while the handler runs
};
static_assert(sizeof(KernelSigaction) == 32 && offsetof(KernelSigaction, mask) == 24, "kernel struct sigaction");

struct KernelStack {  // stack_t
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};
static_assert(sizeof(KernelStack) == 24 && offsetof(KernelStack, size) == 16, "stack_t");

// struct sigcontext (64-bit): glibc's mcontext_t gregs[] in this order.
struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
  uint64_t eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // the FXSAVE area's address, or 0
  uint64_t reserved1[8];
};
static_assert(sizeof(SigContext) == 256 && offsetof(SigContext, rip) == 128 && offsetof(SigContext, eflags) == 136 &&
                  offsetof(SigContext, fpstate) == 184,
              "struct sigcontext (REG_RIP 16, REG_EFL 17)");

struct KernelUcontext {  // struct ucontext (the kernel's: an 8-byte mask)
  uint64_t flags;
  uint64_t link;
  KernelStack stack;
  SigContext mcontext;
  uint64_t sigmask;
};
static_assert(sizeof(KernelUcontext) == 304 && offsetof(KernelUcontext, mcontext) == 40 &&
                  offsetof(KernelUcontext, sigmask) == 296,
              "struct ucontext");

struct SigInfo {  // siginfo_t: 128 bytes, the union at 16
  int32_t signo, errno_, code, pad;
  union {
    struct {
      int32_t pid;
      uint32_t uid;
    } kill;
    struct {
      int32_t pid;
      uint32_t uid;
      int32_t status;
      int32_t pad;
      int64_t utime, stime;
    } child;        // SIGCHLD from a child's end (CLD_*)
    uint64_t addr;  // SIGSEGV, SIGFPE, SIGILL, SIGBUS, SIGTRAP
    uint8_t bytes[112];
  } u;
};
static_assert(sizeof(SigInfo) == 128 && offsetof(SigInfo, u) == 16 && offsetof(SigInfo, u.child.status) == 24 &&
                  offsetof(SigInfo, u.child.utime) == 32,
              "siginfo_t (si_status at 24, si_utime at 32)");

// struct rt_sigframe: RSP at the handler's first instruction points at
// `pretcode`, so its `ret` lands in the restorer, whose rt_sigreturn finds
// the ucontext at RSP.
struct SigFrame {
  uint64_t pretcode;
  KernelUcontext uc;
  SigInfo info;
};
static_assert(offsetof(SigFrame, uc) == 8 && offsetof(SigFrame, info) == 312 && sizeof(SigFrame) == 440,
              "struct rt_sigframe");
static_assert(std::is_trivially_copyable_v<SigFrame>);

constexpr uint64_t kFxsaveSize = 512;  // FXSAVE's area (SDM Vol. 1, 10.5.1), 16-byte aligned

// Flags and codes (include/uapi/asm-generic/signal.h, siginfo.h).
constexpr uint64_t kSaNocldwait = 2, kSaSiginfo = 4, kSaOnstack = 0x08000000, kSaRestart = 0x10000000,
                   kSaNodefer = 0x40000000, kSaResethand = 0x80000000, kSaRestorer = 0x04000000;
constexpr int32_t kSsOnstack = 1, kSsDisable = 2;
constexpr int32_t kSiUser = 0, kSiKernel = 0x80, kSiTkill = -6;

}  // namespace nsgx::libos
