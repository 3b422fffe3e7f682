// Enclave execution in the inproc backend: thread slots, the signal
// dispatcher, ENCLU emulation and AEX.
//
// Every ENCLU traps (#UD on CPUs without SGX, #GP where SGX is hidden), so
// the dispatcher decodes the instruction at RIP in both SIGILL and SIGSEGV.
// Inside an enclave it emulates EEXIT, EREPORT, EGETKEY, EACCEPT,
// EACCEPTCOPY and EMODPE through the monitor; outside, EENTER and ERESUME.
// Any other exception or signal while enclave code runs is an AEX (SDM
// 36.4): the state goes to the SSA frame, the thread continues at the AEP
// with the synthetic state, and — as the kernel does for the vDSO entry —
// exceptions are reported through sgx_enclave_run instead of a signal.
#include <dlfcn.h>
#include <immintrin.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/report.h"
#include "runtime/common/cpu_context.h"
#include "runtime/common/enclu_leaves.h"
#include "runtime/common/fsgs.h"
#include "runtime/inproc/cpuid.h"
#include "runtime/inproc/runtime.h"

extern "C" {
// Chosen in install_signal_handling(); entry.S and the trampoline read it.
__attribute__((visibility("hidden"))) std::uint32_t nsgx_fsgs_mode =
    static_cast<std::uint32_t>(nsgx::runtime::FsgsMode::kInstructions);
__attribute__((visibility("hidden"))) std::uint64_t nsgx_altstack_lo = 0;
__attribute__((visibility("hidden"))) std::uint64_t nsgx_altstack_span = 0;
}

namespace nsgx::inproc {

namespace {

using monitor::CpuState;
using monitor::LeafKind;
using monitor::LeafResult;
using monitor::LinearAddr;

// ------------------------------------------------------------ thread slots

ThreadBlock* block_at(std::size_t i) { return reinterpret_cast<ThreadBlock*>(nsgx_altstack_lo + i * kSlotSize); }

thread_local ThreadBlock* t_block = nullptr;

runtime::FsgsMode fsgs_mode() { return static_cast<runtime::FsgsMode>(nsgx_fsgs_mode); }

// The GS base the thread gets back when it leaves the enclave. glibc never
// uses GS, and a thread whose GS base is 0 has none to lose: on the
// arch_prctl path it keeps the enclave's GS until it enters another TCS (or
// until the program sets one), saving two system calls per round trip.
// Where the program set a GS base, it is put back as SGX does.
std::uint64_t gs_after_exit(const ThreadBlock* b, std::uint64_t current) {
  if (fsgs_mode() == runtime::FsgsMode::kArchPrctl && b->host_gs == 0) return current;
  return b->host_gs;
}

// The application's bases, cached in the block for the thread's lifetime
// (a thread's FS is set once, by clone): read here, once, so that entering
// and leaving enclaves never has to read them back.
void cache_host_bases(ThreadBlock* b) {
  if (fsgs_mode() == runtime::FsgsMode::kInstructions) {
    b->host_fs = _readfsbase_u64();
    b->host_gs = _readgsbase_u64();
  } else {
    (void)runtime::get_fs_base(b->host_fs);
    (void)runtime::get_gs_base(b->host_gs);
  }
  b->cur_fs = b->host_fs;
  b->cur_gs = b->host_gs;
}

// ------------------------------------------------------------ system calls from enclave code
//
// SYSCALL inside an enclave is #UD (runtime/common/cpu_context.h). Here the
// enclave runs in the program's own process, so its system calls would
// reach the kernel. Each thread that enters an enclave asks the kernel to
// trap every system call made from that enclave's ELRANGE instead: syscall
// user dispatch with an inclusive range (prctl PR_SET_SYSCALL_USER_DISPATCH,
// op PR_SYS_DISPATCH_INCLUSIVE_ON, no selector; added to Linux in 2025 —
// the 6.18 kernels of this project's machines have it). The
// call does not run; the thread gets SIGSYS (si_code SYS_USER_DISPATCH) with
// RIP after the instruction, which the dispatcher turns into an AEX with #UD
// at the instruction, as SGX does. System calls made anywhere else — the
// program, libc, this runtime, the signal trampoline and its restorer — are
// untouched, and an ordinary system call costs nothing more. The setting is
// per thread and not inherited by new threads (clone); it changes with one
// prctl when a thread enters an enclave other than the one it last entered.
// Seccomp (the isolated backend's way) would need no_new_privs in the
// program and a filter per enclave that can never be removed.
constexpr long kPrSetSyscallUserDispatch = 59;  // include/uapi/linux/prctl.h
constexpr long kPrSysDispatchOff = 0;
constexpr long kPrSysDispatchInclusiveOn = 2;  // newer than the headers this builds with

bool g_sud = false;  // the kernel offers the inclusive range (probed at start-up)

// Makes system calls from the ELRANGE `b` is about to enter trap; runs
// before the thread's in_enclave is set, with the host's bases.
void trap_enclave_syscalls(ThreadBlock* b) {
  if (!g_sud || (b->sud_base == b->elrange_base && b->sud_size == b->elrange_size)) return;
  if (runtime::raw_syscall(SYS_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchInclusiveOn,
                           static_cast<long>(b->elrange_base), static_cast<long>(b->elrange_size), 0) == 0) {
    b->sud_base = b->elrange_base;
    b->sud_size = b->elrange_size;
  }
}

// A dispatch SIGSYS outside any enclave: a range left from an enclave this
// thread entered before, since destroyed and its addresses reused by the
// program. Dispatch goes off and the system call runs again, natively.
void untrap_stale_range(ThreadBlock* b, ucontext_t* uc) {
  (void)runtime::raw_syscall(SYS_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchOff, 0, 0, 0);
  if (b != nullptr) b->sud_base = b->sud_size = 0;
  runtime::set(uc, REG_RIP, runtime::ureg(uc, REG_RIP) - runtime::kSyscallInsnLength);
}

// Whether the kernel offers inclusive dispatch: tried on this thread over a
// page of our own reservation (nothing runs there), then switched off.
bool probe_syscall_dispatch(std::uint64_t page) {
  if (runtime::raw_syscall(SYS_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchInclusiveOn, static_cast<long>(page),
                           4096, 0) != 0)
    return false;
  (void)runtime::raw_syscall(SYS_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchOff, 0, 0, 0);
  return true;
}

struct SlotReleaser {
  ~SlotReleaser() {
    if (t_block == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    syscall(SYS_sigaltstack, &off, nullptr);
    t_block->used.store(0, std::memory_order_release);
    t_block = nullptr;
  }
};
thread_local SlotReleaser t_releaser;

// The exit gates' stubs in entry.S, one per slot.
constexpr std::size_t kGateStub = 16;

// Slots [0, g_slots_ready) have an accessible block page.
std::atomic<std::size_t> g_slots_ready{0};
std::mutex g_slots_mu;

// The calling thread's block, with its alternate stack installed.
ThreadBlock* this_thread_block() {
  if (t_block != nullptr) return t_block;
  if (nsgx_altstack_span == 0) return nullptr;
  std::lock_guard lock(g_slots_mu);
  for (std::size_t i = 0; i < kMaxThreads; ++i) {
    ThreadBlock* b = block_at(i);
    if (i >= g_slots_ready.load()) {
      if (syscall(SYS_mprotect, b, 4096, PROT_READ | PROT_WRITE) != 0 ||
          syscall(SYS_mprotect, reinterpret_cast<char*>(b) + kAltStackOffset, kSlotSize - kAltStackOffset,
                  PROT_READ | PROT_WRITE) != 0)
        return nullptr;
      g_slots_ready.store(i + 1);
    }
    if (b->used.load() != 0) continue;
    b->used.store(1);
    b->in_enclave = 0;
    b->enclave = nullptr;
    b->tid = static_cast<std::uint32_t>(syscall(SYS_gettid));
    b->sud_base = b->sud_size = 0;  // a new thread has no dispatch (not inherited)
    b->gate = {NSGX_EXIT_GATE_MAGIC, NSGX_EXIT_GATE_VERSION, NSGX_EXIT_GATE_SIZE,
               reinterpret_cast<std::uint64_t>(nsgx_inproc_gates) + i * kGateStub,
               reinterpret_cast<std::uint64_t>(nsgx_inproc_fs_gates) + i * kGateStub};
    b->gate_exits = 0;
    cache_host_bases(b);
    stack_t ss{};
    ss.ss_sp = reinterpret_cast<char*>(b) + kAltStackOffset;
    ss.ss_size = kSlotSize - kAltStackOffset;
    if (syscall(SYS_sigaltstack, &ss, nullptr) != 0) {
      b->used.store(0);
      return nullptr;
    }
    t_block = b;
    (void)&t_releaser;  // constructs the releaser for this thread
    return b;
  }
  return nullptr;
}

// ------------------------------------------------------------ the program's signal actions

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
SigactionFn real_sigaction() {
  static SigactionFn fn = reinterpret_cast<SigactionFn>(dlsym(RTLD_NEXT, "sigaction"));
  return fn;
}

struct AppAction {
  struct sigaction act {};
  bool set = false;  // the program installed something (else: default)
};
// The program's actions. Lock order: g_app_mu is a leaf, taken by
// app_sigaction and install_signal_handling with every signal blocked on
// that thread, and by deliver_app in signal context — so a handler can
// never wait for a lock its own thread holds.
std::array<AppAction, NSIG> g_app;
std::mutex g_app_mu;
bool g_installed = false;

int kKick() { return SIGRTMAX - 2; }

bool runtime_signal(int sig) {
  return sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS ||
         sig == kKick();
}

// What every handler of ours blocks while it runs: all asynchronous signals.
// The trampoline switches FS/GS and records them (arch_prctl mode); a
// signal nested between the two would return into C code with the wrong
// FS. Synchronous signals stay deliverable (a fault is never blocked).
// deliver_app gives the program's handlers the mask the kernel would.
sigset_t handler_mask() {
  sigset_t m;
  sigfillset(&m);
  for (int s : {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS}) sigdelset(&m, s);
  return m;
}

int install_trampoline(int sig, const struct sigaction* app) {
  struct sigaction k {};
  k.sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(&nsgx_signal_trampoline);
  k.sa_flags = SA_SIGINFO | SA_ONSTACK | (app ? (app->sa_flags & (SA_RESTART | SA_NODEFER | SA_NOCLDSTOP | SA_NOCLDWAIT)) : SA_RESTART);
  k.sa_mask = handler_mask();
  return real_sigaction()(sig, &k, nullptr);
}

// Blocks every signal on this thread while alive (for g_app_mu).
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

// Runs the program's handler `a` for `sig` with the signal mask the kernel
// would have given it (the interrupted mask, plus sa_mask, plus `sig`
// unless SA_NODEFER), then blocks the asynchronous signals again for the
// rest of our handler.
void run_app_handler(const struct sigaction& a, int sig, siginfo_t* info, ucontext_t* uc) {
  sigset_t m = uc->uc_sigmask;
  for (int s = 1; s < NSIG; ++s)
    if (sigismember(&a.sa_mask, s) == 1) sigaddset(&m, s);
  if ((a.sa_flags & SA_NODEFER) == 0) sigaddset(&m, sig);
  pthread_sigmask(SIG_SETMASK, &m, nullptr);
  if (a.sa_flags & SA_SIGINFO)
    a.sa_sigaction(sig, info, uc);
  else
    a.sa_handler(sig);
  const sigset_t ours = handler_mask();
  pthread_sigmask(SIG_BLOCK, &ours, nullptr);
}

// Runs the program's action for `sig` as the kernel would have.
void deliver_app(int sig, siginfo_t* info, ucontext_t* uc) {
  struct sigaction a;
  {
    std::lock_guard lock(g_app_mu);
    a = g_app[static_cast<std::size_t>(sig)].act;
    if (g_app[static_cast<std::size_t>(sig)].set && (a.sa_flags & static_cast<int>(SA_RESETHAND)) != 0 && a.sa_handler != SIG_IGN &&
        a.sa_handler != SIG_DFL) {
      g_app[static_cast<std::size_t>(sig)].act.sa_handler = SIG_DFL;
      g_app[static_cast<std::size_t>(sig)].act.sa_flags &= ~SA_SIGINFO;
    }
  }
  if (a.sa_handler == SIG_IGN) return;
  if (a.sa_handler == SIG_DFL) {
    if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT || sig == kKick()) return;
    // Default action: hand the signal back to the kernel with its default
    // disposition; it is delivered (terminating, dumping or stopping) once
    // this handler returns and unblocks it.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    real_sigaction()(sig, &dfl, nullptr);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    return;
  }
  run_app_handler(a, sig, info, uc);
}

// ------------------------------------------------------------ CPUID

bool g_cpuid_emulation = false;
std::uint64_t g_epc_bytes = 0;


using runtime::enclu_length;
using runtime::Insn;
using runtime::instruction_trap;
using runtime::load_state;
using runtime::reset_fp;
using runtime::restore_fp;
using runtime::set;
using runtime::state_of;
using runtime::ureg;
using runtime::xsave_image;

// The instruction bytes at a trapping RIP. Only for #UD and #GP: the
// fetch succeeded, so the bytes exist — but an enclave page may have been
// evicted by another thread since, so enclave code is read from the EPC
// under the pool lock (ELDU if need be), never through the mapping.
Insn fetch_insn(ThreadBlock* b, std::uint64_t rip) {
  Insn in;
  if (b != nullptr && b->enclave != nullptr && rip >= b->elrange_base && rip - b->elrange_base < b->elrange_size) {
    Runtime* rt = Runtime::peek();
    if (rt == nullptr) return in;
    // Up to the end of ELRANGE, in at most two pages.
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof in.bytes, b->elrange_base + b->elrange_size - rip));
    const std::size_t first = std::min<std::size_t>(n, 4096 - (rip & 4095));
    in.ok = rt->copy_from_enclave(*b->enclave, rip, MutableByteSpan(in.bytes, first)) &&
            (first == n || rt->copy_from_enclave(*b->enclave, rip + first, MutableByteSpan(in.bytes + first, n - first)));
    return in;
  }
  // Host code: the instruction was fetched, but the bytes after it may sit
  // on an unmapped page, so read without faulting (short reads are fine).
  // Two remote pieces split at the page boundary: a transfer is partial
  // only at the granularity of pieces.
  const std::size_t first = std::min<std::size_t>(sizeof in.bytes, 4096 - (rip & 4095));
  iovec local{in.bytes, sizeof in.bytes};
  iovec remote[2] = {{reinterpret_cast<void*>(rip), first}, {reinterpret_cast<void*>(rip + first), sizeof in.bytes - first}};
  const ssize_t got = process_vm_readv(getpid(), &local, 1, remote, first == sizeof in.bytes ? 1 : 2, 0);
  in.ok = got >= 3;
  return in;
}

bool is_cpuid(const Insn& in) { return in.ok && in.bytes[0] == 0x0f && in.bytes[1] == 0xa2; }

// ------------------------------------------------------------ exits

using runtime::Exception;
using runtime::exception_of_signal;

using runtime::exception_of;

// Reports an exception at the AEP: through the vDSO fix-up when the AEP is
// ours (the kernel's fixup_vdso_exception()), else as a signal, as the
// kernel delivers them to programs that execute ENCLU themselves.
void report_at_aep(ucontext_t* uc, siginfo_t* info, int sig, const Exception& ex) {
  const bool bp_or_db = ex.vector == sgx::vector::kBp || ex.vector == sgx::vector::kDb;
  if (ureg(uc, REG_RIP) == reinterpret_cast<std::uint64_t>(nsgx_vdso_aep) && !bp_or_db) {
    set(uc, REG_RIP, reinterpret_cast<std::uint64_t>(nsgx_vdso_handle_exception));
    set(uc, REG_RDI, ex.vector);
    set(uc, REG_RSI, ex.error_code);
    set(uc, REG_RDX, ex.address);
    return;
  }
  siginfo_t si{};
  if (info != nullptr) si = *info;
  si.si_signo = sig;
  deliver_app(sig, &si, uc);
}

// AEX of the thread in `b` with `uc` the enclave state: the SSA gets it,
// `uc` gets the synthetic state at the AEP, the saved FS/GS the host's.
bool do_aex(ThreadBlock* b, ucontext_t* uc, runtime::SignalBases* fsgs, const monitor::ExitEvent& ev) {
  Runtime& rt = *Runtime::peek();
  CpuState in = state_of(uc, fsgs->fs, fsgs->gs), out;
  auto img = xsave_image(uc);
  auto r = rt.monitor().aex(b->enclave->eid(), LinearAddr{b->tcs}, in, ev, out, img);
  b->in_enclave = 0;
  fsgs->fs = b->host_fs;
  fsgs->gs = gs_after_exit(b, fsgs->gs);
  if (!r) {
    // The SSA frame is gone (removed or trimmed under the thread): the
    // enclave cannot be resumed; leave it as an EEXIT would.
    (void)rt.monitor().eexit(b->enclave->eid(), LinearAddr{b->tcs});
    out = CpuState{};
    out.rax = static_cast<std::uint64_t>(sgx::Enclu::kEresume), out.rbx = b->tcs, out.rcx = b->aep, out.rip = b->aep;
    out.rsp = in.rsp, out.rbp = in.rbp;
  }
  out.rflags = 0x202;
  load_state(uc, out);
  reset_fp(uc);
  return r.ok();
}

// ERESUME emulated on `uc`, faulting SSA/TCS pages in. False: `ex` says why.
bool do_eresume(ThreadBlock* b, InprocEnclave& encl, std::uint64_t tcs, std::uint64_t aep, ucontext_t* uc,
                runtime::SignalBases* fsgs, Exception& ex) {
  Runtime& rt = encl.runtime();
  CpuState s;
  std::array<std::uint8_t, 4096> img{};
  auto fp = xsave_image(uc);
  for (int tries = 0;; ++tries) {
    auto r = rt.monitor().eresume(encl.eid(), LinearAddr{tcs}, aep, s, MutableByteSpan(img.data(), fp.size()));
    if (r) break;
    if (r.kind == LeafKind::kPf && tries < 8 && encl.handle_fault(r.address) == 0) continue;
    ex = exception_of(r);
    return false;
  }
  b->host_fs = fsgs->fs;
  b->host_gs = fsgs->gs;
  b->enclave = &encl;
  b->tcs = tcs;
  b->aep = aep;
  b->elrange_base = encl.range_base();
  b->elrange_size = encl.range_size();
  load_state(uc, s);
  restore_fp(uc, ByteSpan(img.data(), fp.size()));
  fsgs->fs = s.fs_base;
  fsgs->gs = s.gs_base;
  trap_enclave_syscalls(b);
  __atomic_store_n(&b->in_enclave, 1u, __ATOMIC_RELEASE);
  return true;
}

bool do_eenter(ThreadBlock* b, InprocEnclave& encl, std::uint64_t tcs, std::uint64_t aep, std::uint64_t ret,
               std::uint64_t ursp, std::uint64_t urbp, monitor::EnterState& st, Exception& ex) {
  Runtime& rt = encl.runtime();
  for (int tries = 0;; ++tries) {
    auto r = rt.monitor().eenter(encl.eid(), LinearAddr{tcs}, aep, ret, ursp, urbp, st);
    if (r) break;
    if (r.kind == LeafKind::kPf && tries < 8 && encl.handle_fault(r.address) == 0) continue;
    ex = exception_of(r);
    return false;
  }
  b->enclave = &encl;
  b->tcs = tcs;
  b->aep = aep;
  b->elrange_base = encl.range_base();
  b->elrange_size = encl.range_size();
  trap_enclave_syscalls(b);
  return true;
}

// ENCLU[EENTER/ERESUME] executed outside any enclave.
void host_enclu(ucontext_t* uc, siginfo_t* info, int sig, runtime::SignalBases* fsgs, std::size_t len) {
  const auto leaf = static_cast<sgx::Enclu>(ureg(uc, REG_RAX) & 0xffffffff);
  const std::uint64_t tcs = ureg(uc, REG_RBX), aep = ureg(uc, REG_RCX), rip = ureg(uc, REG_RIP);
  Exception ex{sgx::vector::kGp, 0, 0};
  Runtime* rt = Runtime::peek();
  InprocEnclave* encl = rt ? rt->enclave_of_tcs(tcs) : nullptr;
  ThreadBlock* b = this_thread_block();
  if (b != nullptr && fsgs->slot == nullptr) {
    // The signal came on the thread's own stack (its first entry): the
    // trampoline knew no block, so it switches nothing on return unless
    // told which block records the bases (arch_prctl mode), and its record
    // of them is the block's.
    fsgs->slot = reinterpret_cast<runtime::SlotHeader*>(b);
    if (fsgs_mode() == runtime::FsgsMode::kArchPrctl) {
      fsgs->fs = b->cur_fs;
      fsgs->gs = b->cur_gs;
    }
  }
  if (encl != nullptr && b != nullptr) {
    if (leaf == sgx::Enclu::kEenter) {
      monitor::EnterState st;
      if (do_eenter(b, *encl, tcs, aep, rip + len, ureg(uc, REG_RSP), ureg(uc, REG_RBP), st, ex)) {
        b->host_fs = fsgs->fs;
        b->host_gs = fsgs->gs;
        set(uc, REG_RIP, st.rip);
        set(uc, REG_RAX, st.rax);
        set(uc, REG_RCX, rip + len);
        fsgs->fs = st.fs_base;
        fsgs->gs = st.gs_base;
        __atomic_store_n(&b->in_enclave, 1u, __ATOMIC_RELEASE);
        return;
      }
    } else if (leaf == sgx::Enclu::kEresume) {
      if (do_eresume(b, *encl, tcs, aep, uc, fsgs, ex)) return;
    }
  }
  // #GP/#PF on the ENCLU itself: reported at this RIP.
  report_at_aep(uc, info, sig == SIGILL ? SIGSEGV : sig, ex);
}

// Resolve-then-resume for faults the driver fixes (EAUG, ELDU): the thread
// leaves (so that eviction's tracking can complete), the driver works, and
// it re-enters exactly where it was. True when the signal is dealt with
// (resumed, or reported because re-entry failed); false: report `ex`.
bool fix_and_resume(ThreadBlock* b, ucontext_t* uc, runtime::SignalBases* fsgs, std::uint64_t addr,
                    std::uint32_t native_err, Exception& ex) {
  Runtime& rt = *Runtime::peek();
  InprocEnclave& encl = *b->enclave;
  CpuState in = state_of(uc, fsgs->fs, fsgs->gs), out;
  if (!rt.monitor().aex(encl.eid(), LinearAddr{b->tcs}, in, monitor::ExitEvent{.vector = 0, .report = false}, out))
    return false;
  __atomic_store_n(&b->in_enclave, 0u, __ATOMIC_RELEASE);
  std::uint32_t err = 0;
  const int fixed = rt.resolve_fault(encl, addr, native_err, err);
  ex = {sgx::vector::kPf, err, addr};
  // Back in, with the frame the AEX just wrote.
  CpuState back;
  for (int tries = 0;; ++tries) {
    auto r = rt.monitor().eresume(encl.eid(), LinearAddr{b->tcs}, b->aep, back);
    if (r) break;
    if (r.kind == LeafKind::kPf && tries < 8 && encl.handle_fault(r.address) == 0) continue;
    // The frame went away meanwhile (another thread of the enclave trimmed
    // or removed it): the thread stays outside, at the AEP, and the failed
    // ERESUME is what the program is told about.
    load_state(uc, out);
    reset_fp(uc);
    fsgs->fs = b->host_fs;
    fsgs->gs = gs_after_exit(b, fsgs->gs);
    report_at_aep(uc, nullptr, SIGSEGV, exception_of(r));
    return true;
  }
  __atomic_store_n(&b->in_enclave, 1u, __ATOMIC_RELEASE);
  return fixed == 1;
}

// The backend's part of the ENCLU leaves (runtime/common/enclu_leaves.h):
// operands are copied in and out under the pool lock, never touched in
// place; an operand page that is not resident (evicted, or not added yet) is
// a #PF on the operand that the fault path (AEX, ELDU or EAUG, ERESUME)
// fixes, and the leaf runs again, as on hardware; what it cannot fix is
// reported as that #PF.
struct InprocLeaves {
  ThreadBlock* b;
  ucontext_t* uc;
  runtime::SignalBases* fsgs;
  Runtime& rt;
  InprocEnclave& encl;

  bool in_elrange(std::uint64_t a, std::uint64_t n) const {
    return a >= b->elrange_base && a - b->elrange_base < b->elrange_size && n <= b->elrange_size - (a - b->elrange_base);
  }
  runtime::Access operand_fault(std::uint64_t a, std::uint32_t err, Exception& ex) const {
    Exception fx;
    if (fix_and_resume(b, uc, fsgs, a, err, fx)) return runtime::Access::kRetry;  // RIP unchanged
    ex = fx;
    ex.error_code |= sgx::pf_error::kSgx;
    return runtime::Access::kFault;
  }
  runtime::Access load(std::uint64_t a, MutableByteSpan out, Exception& ex) {
    if (rt.copy_from_enclave(encl, a, out)) return runtime::Access::kOk;
    return operand_fault(a, sgx::pf_error::kUser, ex);
  }
  runtime::Access store(std::uint64_t a, ByteSpan in, Exception& ex) {
    if (rt.copy_to_enclave(encl, a, in)) return runtime::Access::kOk;
    return operand_fault(a, sgx::pf_error::kUser | sgx::pf_error::kWrite, ex);
  }
  LeafResult ereport(const sgx::TargetInfo& ti, const runtime::ReportData& data, sgx::Report& rep) {
    return rt.monitor().ereport(encl.eid(), ti, data, rep);
  }
  LeafResult egetkey(const sgx::KeyRequest& req, runtime::Key& key) {
    return rt.monitor().egetkey(encl.eid(), req, key);
  }
  LeafResult page_leaf(sgx::Enclu leaf, std::uint64_t page, std::uint64_t src, const sgx::Secinfo& si, bool& retry) {
    const auto id = encl.eid();
    const auto run = [&] {
      return leaf == sgx::Enclu::kEaccept       ? rt.monitor().eaccept(id, LinearAddr{page}, si)
             : leaf == sgx::Enclu::kEacceptcopy ? rt.monitor().eacceptcopy(id, LinearAddr{page}, LinearAddr{src}, si)
                                                : rt.monitor().emodpe(id, LinearAddr{page}, si);
    };
    auto r = run();
    if (r.kind == LeafKind::kPf) {
      // A page operand with no EPC page yet (EACCEPT before a touch): the
      // driver's fault handling adds it, then the leaf runs again.
      Exception fx;
      if (fix_and_resume(b, uc, fsgs, r.address, sgx::pf_error::kUser | sgx::pf_error::kWrite, fx)) {
        retry = true;
        return r;
      }
      // Added, but not writable yet (EAUG: pending) — the thread is back
      // in (the SGX bit says resolve_fault found the page, so ERESUME ran):
      // the leaf runs again now rather than after one more trap.
      if ((fx.error_code & sgx::pf_error::kSgx) != 0) r = run();
    }
    // The page's EPCM entry may have changed, so its mapping does.
    std::lock_guard lock(rt.pool().mutex());
    rt.page_changed(encl, page & ~sgx::kPageMask);
    return r;
  }
  bool eexit(ucontext_t* c, std::uint64_t target, std::uint64_t next_rip, Exception& ex) {
    auto r = rt.monitor().eexit(encl.eid(), LinearAddr{b->tcs});
    if (!r) {
      ex = exception_of(r);
      return false;
    }
    // SDM EEXIT: RIP = RBX, RCX = the address after EEXIT; the host's FS/GS back.
    set(c, REG_RIP, target);
    set(c, REG_RCX, next_rip);
    __atomic_store_n(&b->in_enclave, 0u, __ATOMIC_RELEASE);
    fsgs->fs = b->host_fs;
    fsgs->gs = gs_after_exit(b, fsgs->gs);
    return true;
  }
};

// An ENCLU leaf executed by enclave code: true when handled (emulated, or
// an operand fault fixed and the leaf left to run again), false with `ex`.
bool enclave_enclu(ThreadBlock* b, ucontext_t* uc, runtime::SignalBases* fsgs, std::size_t len, Exception& ex) {
  InprocLeaves leaves{b, uc, fsgs, *Runtime::peek(), *b->enclave};
  return runtime::run_enclu_leaf(leaves, uc, len, ex) != runtime::LeafOutcome::kFault;
}

// A signal while the thread was running enclave code.
void enclave_signal(int sig, siginfo_t* info, ucontext_t* uc, ThreadBlock* b, runtime::SignalBases* fsgs) {
  const std::uint64_t rip = ureg(uc, REG_RIP);
  const bool sync = info->si_code > 0 && (sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGTRAP);
  if (sig == SIGSYS && info->si_code == runtime::kSysUserDispatch) {
    // A system call from enclave code (trap_enclave_syscalls): #UD at the
    // instruction, which never ran.
    set(uc, REG_RIP, rip - runtime::kSyscallInsnLength);
    do_aex(b, uc, fsgs, monitor::ExitEvent{.vector = sgx::vector::kUd, .report = true});
    report_at_aep(uc, info, SIGILL, Exception{sgx::vector::kUd, 0, 0});
    return;
  }
  if (!sync) {
    // An interrupt: AEX, then the program's handler (if any) runs at the
    // AEP, and returning there resumes the enclave with ERESUME.
    do_aex(b, uc, fsgs, monitor::ExitEvent{.vector = 0, .report = false});
    if (sig != kKick()) deliver_app(sig, info, uc);
    return;
  }
  Exception ex = exception_of_signal(sig, info, uc);
  if (instruction_trap(sig, info, uc)) {
    const Insn insn = fetch_insn(b, rip);
    // The code page was evicted since the trap: run the instruction again
    // and let its fetch fault bring the page back.
    if (!insn.ok) return;
    if (sig == SIGSEGV && g_cpuid_emulation && is_cpuid(insn)) ex = {sgx::vector::kUd, 0, 0};  // CPUID is #UD in enclaves
    if (sig == SIGSEGV && runtime::is_int_n(insn)) ex = {sgx::vector::kUd, 0, 0};              // so is INT n
    const std::size_t len = enclu_length(insn, 0xd7);
    if (len != 0) {
      if (enclave_enclu(b, uc, fsgs, len, ex)) return;
      goto aex;
    }
  }
  if (ex.vector == sgx::vector::kPf) {
    const std::uint64_t addr = ex.address;
    if (addr >= b->elrange_base && addr - b->elrange_base < b->elrange_size) {
      if (fix_and_resume(b, uc, fsgs, addr, ex.error_code, ex)) return;
    }
  }
aex:
  const bool report = true;
  do_aex(b, uc, fsgs,
         monitor::ExitEvent{.vector = ex.vector, .type = ex.type, .report = report, .address = ex.address,
                            .error_code = ex.error_code});
  int out_sig = sig;
  if (ex.vector == sgx::vector::kPf || ex.vector == sgx::vector::kGp) out_sig = SIGSEGV;
  report_at_aep(uc, info, out_sig, ex);
}

}  // namespace

// ------------------------------------------------------------ entry points

extern "C" __attribute__((visibility("hidden"))) void nsgx_signal_dispatch(int sig, void* info_v, void* uc_v,
                                                                           void* block, runtime::SignalBases* fsgs) {
  auto* info = static_cast<siginfo_t*>(info_v);
  auto* uc = static_cast<ucontext_t*>(uc_v);
  auto* b = static_cast<ThreadBlock*>(block);
  const int saved_errno = errno;
  const std::uint64_t rip = ureg(uc, REG_RIP);
  if (b != nullptr && b->in_enclave && rip >= b->elrange_base && rip - b->elrange_base < b->elrange_size) {
    enclave_signal(sig, info, uc, b, fsgs);
    errno = saved_errno;
    return;
  }
  if (sig == SIGSYS && info->si_code == runtime::kSysUserDispatch) {
    untrap_stale_range(b, uc);
    errno = saved_errno;
    return;
  }
  // Outside an enclave (or between the vDSO's last instruction and the
  // enclave's first, with FS/GS already switched: the trampoline restores them).
  const bool itrap = instruction_trap(sig, info, uc);
  const Insn insn = itrap ? fetch_insn(nullptr, rip) : Insn{};
  if (itrap && !(b != nullptr && b->in_enclave)) {
    if (const std::size_t len = enclu_length(insn, 0xd7); len != 0) {
      const auto leaf = ureg(uc, REG_RAX) & 0xffffffff;
      if (leaf == static_cast<std::uint64_t>(sgx::Enclu::kEenter) || leaf == static_cast<std::uint64_t>(sgx::Enclu::kEresume)) {
        host_enclu(uc, info, sig, fsgs, len);
        errno = saved_errno;
        return;
      }
    }
  }
  if (sig == SIGSEGV && g_cpuid_emulation && itrap && is_cpuid(insn)) {
    // CPUID faulting: run the real CPUID with faulting off, add SGX.
    syscall(SYS_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, 1);
    CpuidRegs r;
    const auto leaf = static_cast<std::uint32_t>(ureg(uc, REG_RAX)), sub = static_cast<std::uint32_t>(ureg(uc, REG_RCX));
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
    syscall(SYS_arch_prctl, 0x1012, 0);
    r = sgx_cpuid(leaf, sub, r, g_epc_bytes, monitor::MonitorConfig{});
    set(uc, REG_RAX, r.eax), set(uc, REG_RBX, r.ebx), set(uc, REG_RCX, r.ecx), set(uc, REG_RDX, r.edx);
    set(uc, REG_RIP, rip + 2);
    errno = saved_errno;
    return;
  }
  if (sig != kKick()) deliver_app(sig, info, uc);
  errno = saved_errno;
}

// The exit gate's C part (entry.S, nsgx_inproc_gate_common), with the
// application's FS back: the EEXIT a trapping ENCLU performs
// (runtime::run_gate_eexit, InprocLeaves::eexit, the monitor's EEXIT: one
// authority on the TCS's state), or — if EEXIT faults — the AEX the trap
// path makes for it, at the ENCLU the gate stands for. `bases` is the
// gate's SignalBases, which the exit sets as the trampoline's are set.
extern "C" __attribute__((visibility("hidden"))) void nsgx_inproc_gate_exit(void* block, void* uc_v,
                                                                            runtime::SignalBases* bases) {
  auto* b = static_cast<ThreadBlock*>(block);
  auto* uc = static_cast<ucontext_t*>(uc_v);
  const int saved_errno = errno;
  Runtime* rt = Runtime::peek();
  if (rt == nullptr || b->enclave == nullptr) std::abort();  // in_enclave without an EENTER: cannot happen
  InprocLeaves leaves{b, uc, bases, *rt, *b->enclave};
  Exception ex;
  if (runtime::run_gate_eexit(leaves, uc, ex) == runtime::LeafOutcome::kExited) {
    ++b->gate_exits;
  } else {
    do_aex(
        b, uc, bases,
        monitor::ExitEvent{
            .vector = ex.vector, .type = ex.type, .report = true, .address = ex.address, .error_code = ex.error_code});
    report_at_aep(uc, nullptr, SIGSEGV, ex);
  }
  errno = saved_errno;
}

extern "C" const nsgx_exit_gate* nsgx_vdso_exit_gate(std::uint64_t* gate_exits) {
  ThreadBlock* b = this_thread_block();
  if (b == nullptr) return nullptr;
  if (gate_exits != nullptr) *gate_exits = b->gate_exits;
  return &b->gate;
}

void set_cpuid_emulation(std::uint64_t epc_bytes) {
  g_epc_bytes = epc_bytes;
  g_cpuid_emulation = true;
}

// The vDSO entry's fast EENTER (entry.S): 0 and `out` = {rip, cssa, fs, gs}
// when the thread may jump in; non-zero sends it down the trapping path.
extern "C" __attribute__((visibility("hidden"))) int nsgx_fast_eenter(std::uint64_t tcs, std::uint64_t ursp,
                                                                      std::uint64_t urbp, std::uint64_t* out) {
  Runtime* rt = Runtime::peek();
  if (rt == nullptr) return 1;
  InprocEnclave* encl = rt->enclave_of_tcs(tcs);
  ThreadBlock* b = this_thread_block();
  if (encl == nullptr || b == nullptr) return 1;
  monitor::EnterState st;
  Exception ex;
  if (!do_eenter(b, *encl, tcs, reinterpret_cast<std::uint64_t>(nsgx_vdso_aep),
                 reinterpret_cast<std::uint64_t>(nsgx_vdso_after_enclu), ursp, urbp, st, ex))
    return 1;
  if (fsgs_mode() == runtime::FsgsMode::kInstructions) {
    b->host_fs = _readfsbase_u64();
    b->host_gs = _readgsbase_u64();
  } else {
    // entry.S loads them with arch_prctl next; recorded first, so that a
    // signal in between finds the enclave's bases to come back to. A GS
    // already in place (kept since the last exit) is not set again: 0 tells
    // entry.S so.
    const bool gs_in_place = b->cur_gs == st.gs_base;
    b->cur_fs = st.fs_base;
    b->cur_gs = st.gs_base;
    if (gs_in_place) st.gs_base = 0;
  }
  out[0] = st.rip;
  out[1] = st.rax;
  out[2] = st.fs_base;
  out[3] = st.gs_base;
  __atomic_store_n(&b->in_enclave, 1u, __ATOMIC_RELEASE);
  return 0;
}

void kick_threads_in(const InprocEnclave& encl) {
  const std::size_t ready = g_slots_ready.load();
  for (std::size_t i = 0; i < ready; ++i) {
    ThreadBlock* b = block_at(i);
    if (!b->used.load(std::memory_order_acquire)) continue;
    if (__atomic_load_n(&b->in_enclave, __ATOMIC_ACQUIRE) && b->enclave == &encl)
      syscall(SYS_tgkill, getpid(), b->tid, kKick());
  }
}

void reset_threads_after_fork() {
  ThreadBlock* mine = t_block;
  new (&g_slots_mu) std::mutex();
  const std::size_t ready = g_slots_ready.load();
  for (std::size_t i = 0; i < ready; ++i) {
    ThreadBlock* b = block_at(i);
    if (b != mine && b->used.load()) {
      b->used.store(0);
      b->in_enclave = 0;
    }
  }
  if (mine) {
    mine->tid = static_cast<std::uint32_t>(syscall(SYS_gettid));
    mine->sud_base = mine->sud_size = 0;  // whatever the child kept is found stale and dropped
  }
}

void install_signal_handling() {
  if (g_installed) return;
  if (static_cast<std::size_t>(nsgx_inproc_gates_end - nsgx_inproc_gates) != kMaxThreads * kGateStub ||
      static_cast<std::size_t>(nsgx_inproc_fs_gates_end - nsgx_inproc_fs_gates) != kMaxThreads * kGateStub) {
    std::fprintf(stderr, "nsgx inproc: the exit gates are not 16 bytes apart\n");
    std::abort();
  }
  nsgx_fsgs_mode = static_cast<std::uint32_t>(runtime::choose_fsgs_mode(std::getenv("NSGX_FSGSBASE")));
  // The slot region: reserved, inaccessible until a thread takes a slot.
  const long r = syscall(SYS_mmap, 0, kMaxThreads * kSlotSize + kSlotSize, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == -1) {
    std::fprintf(stderr, "nsgx inproc: cannot reserve thread slots\n");
    std::abort();
  }
  const std::uint64_t lo = (static_cast<std::uint64_t>(r) + kSlotSize - 1) & ~(kSlotSize - 1);
  nsgx_altstack_lo = lo;
  __atomic_store_n(&nsgx_altstack_span, kMaxThreads * kSlotSize, __ATOMIC_RELEASE);
  g_sud = probe_syscall_dispatch(lo);
  if (!g_sud)
    std::fprintf(
        stderr,
        "nsgx inproc: this kernel has no inclusive syscall user dispatch (PR_SYS_DISPATCH_INCLUSIVE_ON); system calls "
        "from enclave code run natively instead of raising #UD\n");
  SignalsBlocked blocked;
  std::lock_guard lock(g_app_mu);
  for (int sig : {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS, kKick()}) {
    struct sigaction old {};
    real_sigaction()(sig, nullptr, &old);
    g_app[static_cast<std::size_t>(sig)].act = old;
    install_trampoline(sig, nullptr);
  }
  g_installed = true;
}

int app_sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (sig <= 0 || sig >= NSIG) {
    errno = EINVAL;
    return -1;
  }
  if (sig == SIGKILL || sig == SIGSTOP || !g_installed) return real_sigaction()(sig, act, old);
  SignalsBlocked blocked;
  std::lock_guard lock(g_app_mu);
  AppAction& a = g_app[static_cast<std::size_t>(sig)];
  if (old != nullptr) {
    if (a.set || runtime_signal(sig)) {
      *old = a.act;
    } else if (real_sigaction()(sig, nullptr, old) != 0) {
      return -1;
    }
  }
  if (act == nullptr) return 0;
  const bool handler = act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
  int rc = 0;
  // A runtime signal without a handler stays ours too: the dispatcher applies DFL/IGN.
  if (handler || runtime_signal(sig))
    rc = install_trampoline(sig, act);
  else
    rc = real_sigaction()(sig, act, nullptr);
  if (rc == 0) {
    a.act = *act;
    a.set = true;
  }
  return rc;
}

int app_sigaltstack(const stack_t* ss, stack_t* old) {
  // A thread that runs enclave code keeps our stack (the trampoline finds
  // its block through it); others get what they ask for.
  if (t_block != nullptr) {
    if (old != nullptr) {
      old->ss_sp = reinterpret_cast<char*>(t_block) + kAltStackOffset;
      old->ss_size = kSlotSize - kAltStackOffset;
      old->ss_flags = 0;
    }
    return 0;
  }
  return static_cast<int>(syscall(SYS_sigaltstack, ss, old));
}

}  // namespace nsgx::inproc
