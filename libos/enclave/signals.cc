// Signals inside the library OS (signals.h; docs/libos.md, "Signals").
//
// Every piece of state is the enclave's: the actions, masks and pending
// sets live here and in the threads' slots, a handler's frame is written
// on the program's stack (enclave memory) and rt_sigreturn reads it back
// from there. The host is asked nothing; it may only *request* the
// asynchronous signals a process can receive from outside (kForwardable)
// through one word of untrusted memory, which the enclave reads at its
// safe points. Fault information (which signal, si_addr, the context)
// comes only from the exception the enclave itself took.
//
// Lock: g_sig_lock (a leaf, spin_lock.h) guards the actions and the
// process's pending set; a thread's mask and alternate stack are its own.
#include "libos/enclave/signals.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <optional>
#include <string>

#include "libos/enclave/program_entry.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscalls_spawn.h"
#include "libos/enclave/syscalls_time.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "libos_t.h"
#include "sgx_trts.h"

namespace nsgx::libos {
namespace {

constexpr int kSigill = 4, kSigtrap = 5, kSigbus = 7, kSigfpe = 8, kSigkill = 9, kSigsegv = 11, kSigpipe = 13,
              kSigalrm = 14, kSigchld = 17, kSigcont = 18, kSigstop = 19, kSigtstp = 20, kSigttin = 21, kSigttou = 22,
              kSigurg = 23, kSigwinch = 28;
constexpr uint32_t kMaxThreads = 1024;  // beyond the threads' table: thread_slot answers nullptr
constexpr uint64_t kMinSigstksz = 2048;
constexpr long kSysPause = 34, kSysRtSigsuspend = 130, kSysRtSigtimedwait = 128;  // never restarted
constexpr long kSysNanosleep = 35, kSysClockNanosleep = 230;  // never restarted (signal(7))
// The descriptor waits: never restarted after a handler (signal(7)), but
// restarted when no handler ran — poll's and select's ERESTARTNOHAND; on
// Linux an epoll wait answers a plain EINTR then, which needs a signal
// pending for the thread and so, but for a stop and continue, a handler:
// the EINTR without one here is the host's nudge's, never the program's.
constexpr long kSysPoll = 7, kSysSelect = 23, kSysPselect6 = 270, kSysPpoll = 271, kSysEpollWait = 232,
               kSysEpollPwait = 281, kSysEpollPwait2 = 441;
bool restarts_after_handler(long nr) {
  switch (nr) {
    case kSysPause:
    case kSysRtSigsuspend:
    case kSysRtSigtimedwait:
    case kSysNanosleep:
    case kSysClockNanosleep:
    case kSysPoll:
    case kSysSelect:
    case kSysPselect6:
    case kSysPpoll:
    case kSysEpollWait:
    case kSysEpollPwait:
    case kSysEpollPwait2:
      return false;
    default:
      return true;
  }
}
constexpr long kSysFutex = 202;                               // restarted only without a timeout
// After rt_sigreturn, RAX is the interrupted context's, not a result: an
// EINTR there is no call to restart (Linux: orig_ax -1 after sigreturn).
constexpr long kSysRtSigreturn = 15;
constexpr long kNotSyscall = -1;                              // deliver_signals after an interrupt
constexpr uint64_t kSpareStack = uint64_t{64} * 1024;
constexpr uint64_t kHandlerStackSpan = uint64_t{256} * 1024, kHandlerStackRoom = 8192;
constexpr uint64_t kSsAutodisarm = 1u << 31;

constexpr uint64_t bit(int sig) { return 1ull << (sig - 1); }
constexpr uint64_t kUnblockable = bit(kSigkill) | bit(kSigstop);
// What the host may request: the signals another process (or the
// terminal) can send natively. Never a fault's signal: those come only
// from the enclave's own exceptions. SIGALRM is the enclave's own timer's.
constexpr uint64_t kForwardable = bit(1) | bit(2) | bit(3) | bit(10) | bit(12) | bit(13) | bit(15) | bit(kSigchld) |
                                  bit(kSigcont) | bit(kSigurg) | bit(kSigwinch);

long fail(int e) { return -static_cast<long>(e); }

SpinLock g_sig_lock;
KernelSigaction g_actions[kNsig + 1];  // [sig], under g_sig_lock
uint64_t g_process_pending = 0;        // kill, the host's requests, the alarm: under g_sig_lock
int32_t g_process_code[kNsig + 1];     // si_code of each process-pending signal
int32_t g_process_pid[kNsig + 1];      // its si_pid: the program's own, or 0 (the host's: a sender unknown inside)
int32_t g_chld_status = 0;             // SIGCHLD's si_status when its si_code is a child's end (CLD_*)
// Untrusted, two words (libos_signals_init): the host's requests, one bit
// per signal, and the latest SIGCHLD's record (child_signal.h).
uint64_t* g_host_word = nullptr;

// The real-time alarm (ITIMER_REAL), on the monotonic clock, in ns; 0: off.
SpinLock g_alarm_lock;
uint64_t g_alarm_deadline = 0, g_alarm_interval = 0;

bool in_enclave(uint64_t addr, uint64_t len) {
  return !near_null(addr) && addr + len > addr && sgx_is_within_enclave(reinterpret_cast<const void*>(addr), len);
}

bool valid(uint64_t sig) { return sig >= 1 && sig <= kNsig; }

bool default_ignores(int sig) {
  // Stop signals too: there is no job control inside (docs/libos.md).
  return sig == kSigchld || sig == kSigurg || sig == kSigwinch || sig == kSigcont || sig == kSigstop ||
         sig == kSigtstp || sig == kSigttin || sig == kSigttou;
}

// The sigaction table `t` acts by: a vfork child's own copy (threads.h,
// vfork_actions), else the process's.
KernelSigaction* actions_of(const ProgramThread* t) {
  return t != nullptr && t->vfork_actions != nullptr ? t->vfork_actions : g_actions;
}

// Under g_sig_lock.
bool ignored(int sig) {
  const uint64_t h = g_actions[sig].handler;
  return h == 1 || (h == 0 && default_ignores(sig));
}

// The alarm's clock, read at every system call's return while it is armed:
// the program's own CLOCK_MONOTONIC (syscalls_time.h), so that it costs no
// OCALL where the enclave's clock answers from the TSC, and never goes back.
bool monotonic_ns(uint64_t& ns) {
  struct timespec ts;
  if (clock_checked(CLOCK_MONOTONIC, ts) != 0 || ts.tv_sec < 0) return false;
  ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return true;
}

// Under g_sig_lock: an ignored signal is dropped when it is sent — unless
// it is blocked or waited for: Linux never ignores a blocked signal
// (kernel/signal.c sig_ignored; its action may change before it is
// unblocked), which is what sigwait and sigtimedwait on SIGCHLD, whose
// default is to ignore it, rely on. Blocked by any thread here (Linux
// asks the thread it was sent to, for kill the leader).
bool dropped(int sig) {
  if (!ignored(sig)) return false;
  for (uint32_t i = 0; i < kMaxThreads; ++i) {
    const ProgramThread* th = thread_slot(i);
    if (th != nullptr && ((th->sig.mask | th->sig.waiting) & bit(sig)) != 0) return false;
  }
  return true;
}

}  // namespace

// Makes `sig` pending for the process (kill, the host, the alarm): dropped
// at once when ignored, as Linux does (dropped()).
void post_process(int sig, int32_t code, int32_t pid) {
  if (sig < 1 || sig > kNsig) return;
  SpinGuard g(g_sig_lock);
  if (dropped(sig)) return;
  g_process_pending |= bit(sig);
  g_process_code[sig] = code;
  g_process_pid[sig] = pid;
}

bool children_reaped_automatically() {
  SpinGuard g(g_sig_lock);
  return g_actions[kSigchld].handler == 1 || (g_actions[kSigchld].flags & kSaNocldwait) != 0;
}

void post_child_end(const ChildEnd& end) {
  SpinGuard g(g_sig_lock);
  if (dropped(kSigchld)) return;
  g_process_pending |= bit(kSigchld);
  g_process_code[kSigchld] = end.code;
  g_process_pid[kSigchld] = end.pid;
  g_chld_status = end.status;
}

namespace {

// The host's requests and an expired alarm become pending signals.
void collect() {
  if (g_host_word != nullptr) {
    const uint64_t asked = __atomic_exchange_n(g_host_word, 0, __ATOMIC_ACQ_REL) & kForwardable;
    for (int sig = 1; sig <= kNsig; ++sig) {
      if ((asked & bit(sig)) == 0) continue;
      // Children that end while SIGCHLD is SIG_IGN or SA_NOCLDWAIT are
      // reaped now, never zombies (syscalls_spawn.h).
      if (sig == kSigchld && children_reaped_automatically()) reap_ended_children();
      // SIGCHLD from a child's end says which child and how, if the host's
      // record of it is one (parsed: the host may write anything).
      const std::optional<ChildEnd> end =
          sig == kSigchld ? parse_child_end(__atomic_exchange_n(g_host_word + 1, 0, __ATOMIC_ACQ_REL)) : std::nullopt;
      if (end)
        post_child_end(*end);
      else
        post_process(sig, kSiUser, 0);
    }
  }
  if (__atomic_load_n(&g_alarm_deadline, __ATOMIC_ACQUIRE) == 0) return;
  uint64_t now = 0;
  if (!monotonic_ns(now)) return;
  bool fire = false;
  {
    SpinGuard g(g_alarm_lock);
    if (g_alarm_deadline != 0 && now >= g_alarm_deadline) {
      fire = true;
      g_alarm_deadline = g_alarm_interval == 0 ? 0 : now + g_alarm_interval;
    }
  }
  if (fire) post_process(kSigalrm, kSiKernel, 0);
}

// Under g_sig_lock: takes the lowest of `want` pending for `t` (its own
// first, then the process's); 0 if none. Its siginfo in `info`.
int take_locked(ProgramThread* t, uint64_t want, SigInfo& info) {
  const uint64_t own = __atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE) & want;
  const uint64_t any = own != 0 ? own : g_process_pending & want;
  if (any == 0) return 0;
  const int sig = __builtin_ctzll(any) + 1;
  memset(&info, 0, sizeof info);
  info.signo = sig;
  if (own != 0) {
    __atomic_and_fetch(&t->sig.pending, ~bit(sig), __ATOMIC_ACQ_REL);
    info.code = kSiTkill;
    info.u.kill.pid = g_program.pid;
  } else {
    g_process_pending &= ~bit(sig);
    info.code = g_process_code[sig];
    info.u.kill.pid = g_process_pid[sig];
    if (sig == kSigchld && info.code >= kCldExited && info.code <= kCldDumped) info.u.child.status = g_chld_status;
  }
  return sig;
}

// Takes the lowest pending signal `t` does not block (its own first, then
// the process's); 0 if none. Its siginfo in `info`.
int take(ProgramThread* t, SigInfo& info) {
  SpinGuard g(g_sig_lock);
  return take_locked(t, ~t->sig.mask, info);
}

[[noreturn]] void die(int sig) {
  if (g_program.trace) say("nsgx libos: the program is killed by signal " + std::to_string(sig) + "\n");
  exit_group_by_signal(sig);
}

bool on_altstack(const ThreadSignals& s, uint64_t sp) {
  return (s.altstack.flags & kSsDisable) == 0 && sp > s.altstack.sp && sp - s.altstack.sp <= s.altstack.size;
}

// Enters the handler of `sig` on `t`: the frame below the program's stack
// (or on its alternate stack), RIP at the handler. False if the frame
// does not fit in enclave memory or the action has no restorer (Linux
// x86-64 then kills with SIGSEGV).
bool enter_handler(sgx_cpu_context_t& c, ProgramThread* t, int sig, const SigInfo& info, const KernelSigaction& a,
                   uint64_t old_mask, uint64_t trapno, uint64_t cr2) {
  if ((a.flags & kSaRestorer) == 0 || !in_enclave(a.restorer, 1)) return false;
  ThreadSignals& s = t->sig;
  uint64_t sp = c.rsp;
  const bool was_on = on_altstack(s, sp);
  if ((a.flags & kSaOnstack) && (s.altstack.flags & kSsDisable) == 0 && !was_on) {
    sp = s.altstack.sp + s.altstack.size;
  } else {
    sp -= 128;  // the psABI's red zone
  }
  // The main thread's handlers run on the stack the program ran on, just
  // below it (sdk/trts/exception.c puts the exception's record there, and
  // this code's own frames follow): the frame goes below them, with room
  // for what the handlers still call before they resume the program.
  const auto here = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
  if (here < sp && sp - here < kHandlerStackSpan) sp = here - kHandlerStackRoom;
  const uint64_t fp = (sp - kFxsaveSize) & ~63ull;
  const uint64_t frame =
      ((fp - sizeof(SigFrame)) & ~15ull) - 8;  // (RSP + 8) 16-aligned at the handler, as after a call
  if (fp < sizeof(SigFrame) + 64 || !in_enclave(frame, fp + kFxsaveSize - frame)) return false;
  SigFrame f;
  memset(&f, 0, sizeof f);
  f.pretcode = a.restorer;
  f.uc.stack = s.altstack;
  if (was_on) f.uc.stack.flags = kSsOnstack;
  SigContext& m = f.uc.mcontext;
  m.r8 = c.r8, m.r9 = c.r9, m.r10 = c.r10, m.r11 = c.r11, m.r12 = c.r12, m.r13 = c.r13, m.r14 = c.r14, m.r15 = c.r15;
  m.rdi = c.rdi, m.rsi = c.rsi, m.rbp = c.rbp, m.rbx = c.rbx, m.rdx = c.rdx, m.rax = c.rax, m.rcx = c.rcx;
  m.rsp = c.rsp, m.rip = c.rip, m.eflags = c.rflags;
  m.cs = 0x33, m.ss = 0x2b;  // Linux's user selectors
  m.trapno = trapno, m.cr2 = cr2, m.oldmask = old_mask;
  m.fpstate = fp;
  f.uc.sigmask = old_mask;
  f.info = info;
  if (s.interrupted)  // the program's state as the interrupt found it (signals_interrupt)
    memcpy(reinterpret_cast<void*>(fp),
           s.interrupted_fx + ((16 - (reinterpret_cast<uint64_t>(s.interrupted_fx) & 15)) & 15), kFxsaveSize);
  else if (s.fx_pending)  // an rt_sigreturn's state, loaded only last (finish_signals): the program's, not
                          // the registers' — which still hold the returning handler's
    memcpy(reinterpret_cast<void*>(fp), s.fx + ((16 - (reinterpret_cast<uint64_t>(s.fx) & 15)) & 15), kFxsaveSize);
  else
    __builtin_ia32_fxsave64(reinterpret_cast<void*>(fp));
  memcpy(reinterpret_cast<void*>(frame), &f, sizeof f);
  if ((a.flags & kSaOnstack) && (s.altstack.flags & kSsAutodisarm) != 0 && !was_on)
    s.altstack = KernelStack{0, kSsDisable, 0, 0};
  c.rsp = frame;
  c.rip = a.handler;
  c.rdi = static_cast<uint64_t>(sig);
  c.rsi = frame + offsetof(SigFrame, info);
  c.rdx = frame + offsetof(SigFrame, uc);
  c.rax = 0;
  c.rflags &= ~(0x400ull | 0x100ull | 0x10000ull);  // DF, TF, RF clear in the handler
  // The handler's mask adds to the one in effect — rt_sigsuspend's or a
  // descriptor wait's while they replace the thread's — not to the one
  // the frame restores (Linux's signal_delivered: current->blocked).
  s.mask = (s.mask | a.mask | ((a.flags & kSaNodefer) ? 0 : bit(sig))) & ~kUnblockable;
  return true;
}

// Acts on `sig` for `t`: its default action or its handler. A fault
// (`forced`) that is blocked or ignored kills, as Linux's force_sig.
void act(sgx_cpu_context_t& c, ProgramThread* t, int sig, const SigInfo& info, uint64_t old_mask, bool forced,
         uint64_t trapno, uint64_t cr2) {
  KernelSigaction a;
  {
    SpinGuard g(g_sig_lock);
    KernelSigaction* const table = actions_of(t);
    if (forced && (table[sig].handler == 1 || (t->sig.mask & bit(sig)) != 0)) table[sig] = KernelSigaction{};
    a = table[sig];
    if (a.handler > 1 && (a.flags & kSaResethand)) table[sig] = KernelSigaction{};
  }
  if (a.handler == 1) return;
  if (a.handler == 0) {
    if (default_ignores(sig)) return;
    die(sig);
  }
  if (!enter_handler(c, t, sig, info, a, old_mask, trapno, cr2)) die(kSigsegv);
}

// The exceptions that are the program's faults, as Linux maps the vectors
// (arch/x86/kernel/traps.c).
bool signal_of(uint32_t vector, int& sig, int32_t& code) {
  switch (vector) {
    case 0:                     // #DE
      sig = kSigfpe, code = 1;  // FPE_INTDIV
      return true;
    case 16:  // #MF
    case 19:  // #XM
      sig = kSigfpe, code = 0;
      return true;
    case 1:  // #DB
    case 3:  // #BP
      sig = kSigtrap, code = kSiKernel;
      return true;
    case 6:                     // #UD that is no system call
      sig = kSigill, code = 2;  // ILL_ILLOPN
      return true;
    case 13:  // #GP
      sig = kSigsegv, code = kSiKernel;
      return true;
    case 14:                     // #PF
      sig = kSigsegv, code = 1;  // SEGV_MAPERR
      return true;
    case 17:                    // #AC
      sig = kSigbus, code = 1;  // BUS_ADRALN
      return true;
    default:
      return false;
  }
}

bool program_code(uint64_t rip) {
  return in_region(rip, 1) && program_owns_page(page_index(reinterpret_cast<void*>(rip)));
}

// Phase 2 for every exception the system calls' handler left: a fault in
// the program's own code becomes its signal. Faults of the library OS's
// own code are not the program's: left to crash the enclave.
extern "C" int libos_fault_handler(sgx_exception_info_t* info) {
  sgx_cpu_context_t& c = info->cpu_context;
  int sig = 0;
  int32_t code = 0;
  if (!signal_of(info->exception_vector, sig, code)) return EXCEPTION_CONTINUE_SEARCH;
  ProgramThread* t = this_thread();
  if (t == nullptr) return EXCEPTION_CONTINUE_SEARCH;
  if (t->program_rsp != 0) {  // the first phase moved it (threads.h)
    c.rsp = t->program_rsp;
    t->program_rsp = 0;
  }
  if (!program_code(c.rip)) return EXCEPTION_CONTINUE_SEARCH;
  SigInfo si;
  memset(&si, 0, sizeof si);
  si.signo = sig;
  si.code = code;
  uint64_t cr2 = 0;
  if (sig == kSigsegv && code != kSiKernel) {
    // 0 unless MISCSELECT.EXINFO: the enclave learns no more of a #PF.
    cr2 = info->exinfo.faulting_address;
    si.u.addr = cr2;
    if (info->exinfo.error_code & 1) si.code = 2;  // SEGV_ACCERR: the page was present
  } else if (sig == kSigfpe || sig == kSigill || sig == kSigbus) {
    si.u.addr = c.rip;  // the faulting instruction, as Linux reports it
  }
  act(c, t, sig, si, t->sig.mask, true, info->exception_vector, cr2);
  return EXCEPTION_CONTINUE_EXECUTION;
}

// A write to a pipe or stream socket whose reader is gone also sends the
// writer SIGPIPE (pipe(7), send(2)), unless a send asked MSG_NOSIGNAL.
// The library OS's own sends always pass MSG_NOSIGNAL to the host, which
// ignores SIGPIPE: the signal is raised here, from the EPIPE. The
// arguments are still in the context (the answer replaced only RAX, RCX
// and R11).
bool raises_sigpipe(long nr, const sgx_cpu_context_t& c) {
  constexpr long kWrite = 1, kWritev = 20, kSendto = 44, kSendmsg = 46;
  constexpr uint64_t kMsgNosignal = 0x4000;
  switch (nr) {
    case kWrite:
    case kWritev:
      return true;
    case kSendto:
      return (c.r10 & kMsgNosignal) == 0;
    case kSendmsg:
      return (c.rdx & kMsgNosignal) == 0;
    default:
      return false;
  }
}

bool read_set(uint64_t p, uint64_t& set) {
  if (!in_enclave(p, 8)) return false;
  memcpy(&set, reinterpret_cast<const void*>(p), 8);
  return true;
}

bool write_out(uint64_t p, const void* v, uint64_t n) {
  if (!in_enclave(p, n)) return false;
  memcpy(reinterpret_cast<void*>(p), v, n);
  return true;
}

// A deliverable signal is pending for `t` (after collecting the host's and
// the alarm's).
bool deliverable(ProgramThread* t) {
  collect();
  SpinGuard g(g_sig_lock);
  return ((__atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE) | g_process_pending) & ~t->sig.mask) != 0;
}

uint8_t* aligned_fx(uint8_t* area) { return area + ((16 - (reinterpret_cast<uint64_t>(area) & 15)) & 15); }

// The program's context goes back with the program's FS: an OCALL made on
// the way (the alarm's clock) left the TCS's FS in effect; without an FS
// gate the return goes through libos_fs_stub's #UD, whose first phase
// loads it (docs/libos.md, "The FS base across OCALLs"; as the system
// calls do).
void resume_with_program_fs(ProgramThread* t, sgx_cpu_context_t& c) {
  if (!program_fs_in_effect(t)) {
    t->resume_rip = c.rip;
    c.rip = reinterpret_cast<uint64_t>(libos_fs_stub);
  }
}

// Phase 2 of an interrupt that signals_interrupt kept: the same delivery
// as at a system call's return, on the same stacks as a fault's.
extern "C" int libos_interrupt_handler(sgx_exception_info_t* info) {
  if (info->exception_valid != 0 ||
      info->exception_vector != static_cast<sgx_exception_vector_t>(NSGX_INTERRUPT_VECTOR))
    return EXCEPTION_CONTINUE_SEARCH;
  ProgramThread* t = this_thread();
  if (t == nullptr || !t->sig.interrupted) return EXCEPTION_CONTINUE_SEARCH;
  sgx_cpu_context_t& c = info->cpu_context;
  if (t->program_rsp != 0) {  // the first phase moved it (threads.h)
    c.rsp = t->program_rsp;
    t->program_rsp = 0;
  }
  const uint64_t rip = c.rip, rsp = c.rsp;
  deliver_signals(c, kNotSyscall);
  t->sig.interrupted = false;
  if (c.rip == rip && c.rsp == rsp) {
    // No handler entered (nothing deliverable after all, or ignored): the
    // program continues with its FPU state as interrupted, loaded last —
    // the library OS's code since may have used the SSE registers.
    memcpy(aligned_fx(t->sig.fx), aligned_fx(t->sig.interrupted_fx), kFxsaveSize);
    t->sig.fx_pending = true;
  }
  resume_with_program_fs(t, c);
  finish_signals();
  return EXCEPTION_CONTINUE_EXECUTION;
}

// Might a signal be deliverable to `t`? Read without the locks and without
// the clock (the first phase makes no OCALL): a request from the host, an
// armed alarm, or a pending signal `t` does not block. The second phase
// decides under the locks.
bool might_deliver(const ProgramThread* t) {
  if (g_host_word != nullptr && __atomic_load_n(g_host_word, __ATOMIC_ACQUIRE) != 0) return true;
  if (__atomic_load_n(&g_alarm_deadline, __ATOMIC_ACQUIRE) != 0) return true;
  const uint64_t pending =
      __atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE) | __atomic_load_n(&g_process_pending, __ATOMIC_ACQUIRE);
  return (pending & ~t->sig.mask) != 0;
}

}  // namespace

bool signal_deliverable(ProgramThread* t) { return deliverable(t); }

int signals_interrupt(ProgramThread* t, nsgx_ssa_state_t* st) {
  // Only the program's own instructions: the library OS's code, its
  // system-call stubs and the trusted runtime keep their invariants
  // (locks, the FS stub's pending RIP) — a signal for them waits for the
  // next system call's return.
  if (t->sig.interrupted || !program_code(st->rip) || !might_deliver(t)) return 0;
  const auto* xs = static_cast<const uint8_t*>(nsgx_first_phase_xsave());
  if (xs == nullptr || !sgx_is_within_enclave(xs, kFxsaveSize + 64)) return 0;
  uint8_t* fx = aligned_fx(t->sig.interrupted_fx);
  memcpy(fx, xs, kFxsaveSize);
  // XSTATE_BV (the XSAVE header, SDM Vol. 1 13.4.2): a component in its
  // initial state may not have been written — its initial values here.
  uint64_t bv;
  memcpy(&bv, xs + kFxsaveSize, 8);
  if ((bv & 1) == 0) {  // x87: FCW 0x37F, the rest 0 (SDM Vol. 1 13.6)
    memset(fx, 0, 24);
    fx[0] = 0x7f, fx[1] = 0x03;
    memset(fx + 32, 0, 128);
  }
  if ((bv & 2) == 0) memset(fx + 160, 0, 256);  // SSE: XMM0-15 zero
  const uint64_t hsp = handler_stack_for(t, st->rsp);
  if (hsp != 0) {
    t->program_rsp = st->rsp;
    st->rsp = hsp;
  }
  t->sig.interrupted = true;
  return NSGX_FIRST_PHASE_SECOND;
}

void signals_main_stack(ProgramThread* main, uint64_t here, uint64_t size) {
  if (main == nullptr || size < 2 * kSpareStack) return;
  main->sig.stack_low = here - size;
  main->sig.stack_high = here + kSpareStack;  // the ECALL's frames above, at most
  main->sig.spare_sp = (here - size + 2 * kSpareStack) & ~15ull;
}

uint64_t handler_stack_for(const ProgramThread* t, uint64_t rsp) {
  if (t->handler_sp != 0) return t->handler_sp;
  if (t->sig.spare_sp != 0 && (rsp < t->sig.stack_low || rsp > t->sig.stack_high)) return t->sig.spare_sp;
  return 0;
}

static_assert(kForkActions == kNsig + 1, "signals.h: one action per signal, [0] unused");

void signals_copy_actions(KernelSigaction* out) {
  SpinGuard g(g_sig_lock);
  memcpy(out, g_actions, sizeof g_actions);
}

void signals_set_actions(const KernelSigaction* in) {
  SpinGuard g(g_sig_lock);
  memcpy(g_actions, in, sizeof g_actions);
}

uint64_t signals_ignored(const ProgramThread* t) {
  SpinGuard g(g_sig_lock);
  const KernelSigaction* table = actions_of(t);
  uint64_t set = 0;
  for (int sig = 1; sig <= kNsig; ++sig)
    if (table[sig].handler == 1) set |= bit(sig);
  return set;
}

void signals_after_execve(ProgramThread* main, uint64_t ignored, uint64_t blocked) {
  SpinGuard g(g_sig_lock);
  for (int sig = 1; sig <= kNsig; ++sig)
    if ((ignored & bit(sig)) != 0 && (kUnblockable & bit(sig)) == 0) g_actions[sig] = KernelSigaction{1, 0, 0, 0};
  if (main != nullptr) main->sig.mask = blocked & ~kUnblockable;
}

bool install_signal_handlers() {
  return sgx_register_exception_handler(0, libos_fault_handler) != nullptr &&
         sgx_register_exception_handler(0, libos_interrupt_handler) != nullptr;
}

long sys_rt_sigaction(uint64_t sig, uint64_t act_p, uint64_t oact, uint64_t size) {
  if (size != 8 || !valid(sig)) return fail(EINVAL);
  KernelSigaction n{};
  if (act_p != 0) {
    if (!in_enclave(act_p, sizeof n)) return fail(EFAULT);
    memcpy(&n, reinterpret_cast<const void*>(act_p), sizeof n);
    if (sig == kSigkill || sig == kSigstop) return fail(EINVAL);
    n.mask &= ~kUnblockable;
  }
  if (oact != 0 && !in_enclave(oact, sizeof n)) return fail(EFAULT);
  // A vfork child changes its own copy (threads.h, vfork_actions); the
  // process's table, which its parent and the other threads use, stays.
  KernelSigaction* const table = actions_of(this_thread());
  KernelSigaction old;
  {
    SpinGuard g(g_sig_lock);
    old = table[sig];
    if (act_p != 0) {
      table[sig] = n;
      // Ignoring a signal discards it where pending (POSIX; Linux's
      // sigaction), for the process and every thread.
      if (table == g_actions && ignored(static_cast<int>(sig))) {
        g_process_pending &= ~bit(static_cast<int>(sig));
        for (uint32_t i = 0; i < kMaxThreads; ++i)
          if (ProgramThread* th = thread_slot(i); th != nullptr)
            __atomic_and_fetch(&th->sig.pending, ~bit(static_cast<int>(sig)), __ATOMIC_ACQ_REL);
      }
    }
  }
  if (oact != 0) memcpy(reinterpret_cast<void*>(oact), &old, sizeof old);
  return 0;
}

long sys_rt_sigprocmask(uint64_t how, uint64_t set, uint64_t oset, uint64_t size) {
  if (size != 8) return fail(EINVAL);
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  uint64_t n = 0;
  if (set != 0 && !read_set(set, n)) return fail(EFAULT);
  if (set != 0 && how > 2) return fail(EINVAL);
  const uint64_t old = t->sig.mask;
  if (oset != 0 && !write_out(oset, &old, 8)) return fail(EFAULT);
  if (set != 0) {
    uint64_t m = how == 0 ? old | n : how == 1 ? old & ~n : n;  // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
    t->sig.mask = m & ~kUnblockable;
  }
  return 0;
}

long sys_rt_sigpending(uint64_t set, uint64_t size) {
  if (size > 8) return fail(EINVAL);
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  collect();
  uint64_t p;
  {
    SpinGuard g(g_sig_lock);
    p = (__atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE) | g_process_pending) & t->sig.mask;
  }
  return write_out(set, &p, size) ? 0 : fail(EFAULT);
}

long sys_sigaltstack(uint64_t ss, uint64_t oss, uint64_t rsp) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  ThreadSignals& s = t->sig;
  const bool on = on_altstack(s, rsp);
  KernelStack old = s.altstack;
  if (on) old.flags = kSsOnstack;
  old.flags &= ~static_cast<int32_t>(kSsAutodisarm) | (on ? 0 : static_cast<int32_t>(kSsAutodisarm));
  if (ss != 0) {
    KernelStack n;
    if (!in_enclave(ss, sizeof n)) return fail(EFAULT);
    memcpy(&n, reinterpret_cast<const void*>(ss), sizeof n);
    if (on) return fail(EPERM);
    const uint32_t mode = static_cast<uint32_t>(n.flags) & ~static_cast<uint32_t>(kSsAutodisarm);
    if (mode != 0 && mode != static_cast<uint32_t>(kSsOnstack) && mode != static_cast<uint32_t>(kSsDisable))
      return fail(EINVAL);
    if (mode == static_cast<uint32_t>(kSsDisable)) {
      s.altstack = KernelStack{0, kSsDisable, 0, 0};
    } else {
      if (n.size < kMinSigstksz) return fail(ENOMEM);
      if (!in_enclave(n.sp, n.size)) return fail(EFAULT);  // a stack the handler could not run on inside
      // A handler's frame and its faults' first phases land on untouched
      // pages of it: a mapping zero-filled on demand is accepted now.
      commit_deferred(n.sp, n.size);
      s.altstack = KernelStack{n.sp, static_cast<int32_t>(static_cast<uint32_t>(n.flags) & kSsAutodisarm), 0, n.size};
    }
  }
  if (oss != 0 && !write_out(oss, &old, sizeof old)) return fail(EFAULT);
  return 0;
}

long sys_kill(int64_t pid, uint64_t sig) {
  // This process, or -1 ("every process it may signal": here, itself
  // only). Groups (0, < -1) are syscalls_pgrp.cc's, children
  // syscalls_spawn.cc's.
  if (pid != static_cast<int64_t>(g_program.pid) && pid != -1) return fail(ESRCH);
  if (sig == 0) return 0;
  if (!valid(sig)) return fail(EINVAL);
  post_process(static_cast<int>(sig), kSiUser, g_program.pid);
  wake_for_signal(nullptr);  // a thread waiting in the host looks at it
  (void)libos_interrupt_ocall();  // and one that computes (docs/libos.md "Interrupts")
  return 0;
}

long sys_tgkill(int64_t tgid, int64_t tid, uint64_t sig) {
  if (tid <= 0 || (tgid != -1 && tgid <= 0)) return fail(EINVAL);
  if (tgid != -1 && tgid != static_cast<int64_t>(g_program.pid)) return fail(ESRCH);
  if (sig > kNsig) return fail(EINVAL);
  bool found = false;
  const ProgramThread* woken = nullptr;
  {
    SpinGuard g(g_sig_lock);
    for (uint32_t i = 0; i < kMaxThreads && !found; ++i) {
      ProgramThread* th = thread_slot(i);
      if (th == nullptr || th->tid != tid) continue;
      found = true;
      if (sig != 0 && !ignored(static_cast<int>(sig))) {
        __atomic_or_fetch(&th->sig.pending, bit(static_cast<int>(sig)), __ATOMIC_ACQ_REL);
        woken = th;
      }
    }
  }
  if (woken != nullptr) wake_for_signal(woken);  // its wait in the host looks at it
  // Another thread may compute without system calls: interrupted, it
  // looks at its signals (docs/libos.md "Interrupts"). A thread's signal
  // to itself is delivered at this call's return.
  if (woken != nullptr && woken != this_thread()) (void)libos_interrupt_ocall();
  return found ? 0 : fail(ESRCH);
}

long signals_wait_mask(uint64_t set, uint64_t size) {
  if (set == 0) return 0;
  if (size != 8) return fail(EINVAL);
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  uint64_t n = 0;
  if (!read_set(set, n)) return fail(EFAULT);
  t->sig.suspend_mask = t->sig.mask;
  t->sig.suspended = true;
  t->sig.mask = n & ~kUnblockable;
  return 0;
}

long sys_rt_sigsuspend(uint64_t set, uint64_t size) {
  if (size != 8) return fail(EINVAL);
  if (set == 0) return fail(EFAULT);  // no set is no mask to the descriptor waits, not to this
  if (const long e = signals_wait_mask(set, size); e != 0) return e;
  ProgramThread* t = this_thread();
  // Waits in the host 10 ms at a time (a host signal ends the wait early),
  // looking for a deliverable signal after each: the host can delay it, no
  // more. exit_group from another thread ends the wait too.
  while (!deliverable(t)) {
    check_exit_group();
    const struct timespec pause = {0, 10000000};
    (void)::nanosleep(&pause, nullptr);
  }
  return fail(EINTR);  // deliver_signals runs the handler with the old mask saved, then puts it back
}

long signals_wait_done(long r) {
  ProgramThread* t = this_thread();
  // EINTR: deliver_signals runs the handler under the wait's mask, the
  // frame holding the thread's own, as after rt_sigsuspend.
  if (t != nullptr && t->sig.suspended && r != fail(EINTR)) {
    t->sig.mask = t->sig.suspend_mask;
    t->sig.suspended = false;
  }
  return r;
}

// sigwait, sigwaitinfo and sigtimedwait (rt_sigtimedwait(2)). While it
// waits, the set counts as unblocked for this thread (Linux's
// real_blocked): what arrives for it is taken here, not delivered. A
// signal outside the set that this thread does not block ends the wait
// with EINTR, its handler run; the call is never restarted (signal(7)).
// The wait is in the host 10 ms at a time, as rt_sigsuspend's, against
// the program's own monotonic clock.
long sys_rt_sigtimedwait(uint64_t set, uint64_t info, uint64_t timeout, uint64_t size) {
  if (size != 8) return fail(EINVAL);
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  uint64_t want = 0;
  if (!read_set(set, want)) return fail(EFAULT);
  want &= ~kUnblockable;
  if (info != 0 && !in_enclave(info, sizeof(SigInfo))) return fail(EFAULT);  // before a signal is taken
  uint64_t deadline = 0;
  if (timeout != 0) {
    struct timespec ts;
    if (!in_enclave(timeout, sizeof ts)) return fail(EFAULT);
    memcpy(&ts, reinterpret_cast<const void*>(timeout), sizeof ts);
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return fail(EINVAL);
    uint64_t now = 0;
    if (!monotonic_ns(now)) return fail(EIO);
    const uint64_t span = static_cast<uint64_t>(ts.tv_sec) > (UINT64_MAX - now) / 1000000000ull
                              ? UINT64_MAX - now
                              : static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
    deadline = now + span;
  }
  for (;;) {
    check_exit_group();
    collect();
    SigInfo si;
    int sig;
    bool other;
    {
      SpinGuard g(g_sig_lock);
      sig = take_locked(t, want, si);  // whatever its mask
      // One that acts (an ignored one pending because another thread
      // blocks it interrupts nothing).
      uint64_t acting = (__atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE) | g_process_pending) & ~t->sig.mask & ~want;
      for (int s = 1; s <= kNsig; ++s)
        if ((acting & bit(s)) != 0 && ignored(s)) acting &= ~bit(s);
      other = acting != 0;
      t->sig.waiting = sig == 0 && !other ? want : 0;
    }
    if (sig != 0) {
      if (info != 0) memcpy(reinterpret_cast<void*>(info), &si, sizeof si);
      return sig;
    }
    if (other) return fail(EINTR);  // deliver_signals runs its handler
    uint64_t left = 10000000;
    if (timeout != 0) {
      uint64_t now = 0;
      if (!monotonic_ns(now) || now >= deadline) {
        SpinGuard g(g_sig_lock);
        t->sig.waiting = 0;
        return fail(EAGAIN);
      }
      if (deadline - now < left) left = deadline - now;
    }
    const struct timespec pause = {0, static_cast<long>(left)};
    (void)::nanosleep(&pause, nullptr);
  }
}

long sys_pause() {
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  const uint64_t m = t->sig.mask;
  return sys_rt_sigsuspend(reinterpret_cast<uint64_t>(&m), 8);
}

namespace {
struct Itimerval {
  int64_t interval_sec, interval_usec, value_sec, value_usec;
};
constexpr uint64_t kUsec = 1000, kSec = 1000000000;

// The alarm's time left and interval, in ns.
void alarm_left(uint64_t& left, uint64_t& interval) {
  uint64_t deadline = 0;
  {
    SpinGuard g(g_alarm_lock);
    deadline = g_alarm_deadline;
    interval = g_alarm_interval;
  }
  left = 0;
  if (deadline == 0) return;
  uint64_t now = 0;
  left =
      !monotonic_ns(now) || now >= deadline ? 1000 : deadline - now;  // due: 1 µs, as Linux reports one not yet fired
}

long arm(uint64_t value_ns, uint64_t interval_ns) {
  uint64_t now = 0;
  if (value_ns != 0 && !monotonic_ns(now)) return fail(EIO);
  {
    SpinGuard g(g_alarm_lock);
    g_alarm_interval = value_ns == 0 ? 0 : interval_ns;
    __atomic_store_n(&g_alarm_deadline, value_ns == 0 ? 0 : now + value_ns, __ATOMIC_RELEASE);
  }
  // The host's timer only wakes this enclave when the deadline passes (a
  // thread that computes makes no system call to look at the clock): it
  // interrupts the threads inside, whose entry reads the clock here. Set
  // after the deadline, from a later clock reading, so it never fires
  // before it; early, late or never is the host's choice, only the
  // signal's timing depends on it.
  (void)libos_timer_kick_ocall(value_ns, value_ns == 0 ? 0 : interval_ns);
  return 0;
}
}  // namespace

long sys_alarm(uint64_t seconds) {
  uint64_t left = 0, interval = 0;
  alarm_left(left, interval);
  const uint32_t s = static_cast<uint32_t>(seconds);  // unsigned int
  if (const long r = arm(static_cast<uint64_t>(s) * kSec, 0); r < 0) return r;
  // Linux rounds the time left to the nearest second, at least 1 if any.
  uint64_t secs = (left + kSec / 2) / kSec;
  if (secs == 0 && left != 0) secs = 1;
  return static_cast<long>(secs);
}

long sys_getitimer(uint64_t which, uint64_t value) {
  if (which != 0) return fail(EINVAL);  // ITIMER_REAL only: no CPU-time timers inside
  uint64_t left = 0, interval = 0;
  alarm_left(left, interval);
  const Itimerval v = {static_cast<int64_t>(interval / kSec), static_cast<int64_t>(interval % kSec / kUsec),
                       static_cast<int64_t>(left / kSec), static_cast<int64_t>(left % kSec / kUsec)};
  return write_out(value, &v, sizeof v) ? 0 : fail(EFAULT);
}

long sys_setitimer(uint64_t which, uint64_t value, uint64_t old) {
  if (which != 0) return fail(EINVAL);
  Itimerval n{};
  if (value != 0) {
    if (!in_enclave(value, sizeof n)) return fail(EFAULT);
    memcpy(&n, reinterpret_cast<const void*>(value), sizeof n);
  }
  if (n.value_usec < 0 || n.value_usec >= 1000000 || n.interval_usec < 0 || n.interval_usec >= 1000000 ||
      n.value_sec < 0 || n.interval_sec < 0 || n.value_sec > (1ll << 32) || n.interval_sec > (1ll << 32))
    return fail(EINVAL);
  if (old != 0) {
    if (const long r = sys_getitimer(0, old); r < 0) return r;
  }
  const uint64_t v = static_cast<uint64_t>(n.value_sec) * kSec + static_cast<uint64_t>(n.value_usec) * kUsec;
  const uint64_t i = static_cast<uint64_t>(n.interval_sec) * kSec + static_cast<uint64_t>(n.interval_usec) * kUsec;
  return arm(v, i);
}

void sys_rt_sigreturn(sgx_cpu_context_t& c) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return;
  // The handler's `ret` popped pretcode: the ucontext is at RSP, in
  // enclave memory (a frame outside it is refused, never read).
  const uint64_t ucp = c.rsp;
  if (!in_enclave(ucp, sizeof(KernelUcontext))) die(kSigsegv);
  KernelUcontext uc;
  memcpy(&uc, reinterpret_cast<const void*>(ucp), sizeof uc);
  const SigContext& m = uc.mcontext;
  if (m.fpstate != 0 && ((m.fpstate & 15) != 0 || !in_enclave(m.fpstate, kFxsaveSize))) die(kSigsegv);
  c.r8 = m.r8, c.r9 = m.r9, c.r10 = m.r10, c.r11 = m.r11, c.r12 = m.r12, c.r13 = m.r13, c.r14 = m.r14, c.r15 = m.r15;
  c.rdi = m.rdi, c.rsi = m.rsi, c.rbp = m.rbp, c.rbx = m.rbx, c.rdx = m.rdx, c.rax = m.rax, c.rcx = m.rcx;
  c.rsp = m.rsp, c.rip = m.rip;
  // Only the flags a program may set (Linux's FIX_EFLAGS without TF and
  // RF: no single-stepping inside an enclave).
  constexpr uint64_t kUserFlags = 0x40000 | 0x800 | 0x400 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1;
  c.rflags = (c.rflags & ~kUserFlags) | (m.eflags & kUserFlags);
  t->sig.mask = uc.sigmask & ~kUnblockable;
  // The alternate stack as the frame recorded it (Linux's restore_altstack);
  // a bad one is ignored, as there.
  if (!on_altstack(t->sig, c.rsp)) {
    KernelStack& a = t->sig.altstack;
    if ((uc.stack.flags & kSsDisable) != 0)
      a = KernelStack{0, kSsDisable, 0, 0};
    else if (uc.stack.size >= kMinSigstksz && in_enclave(uc.stack.sp, uc.stack.size))
      a = KernelStack{uc.stack.sp, static_cast<int32_t>(static_cast<uint32_t>(uc.stack.flags) & kSsAutodisarm), 0,
                      uc.stack.size};
  }
  if (m.fpstate != 0) {
    uint8_t* fx = t->sig.fx + ((16 - (reinterpret_cast<uint64_t>(t->sig.fx) & 15)) & 15);
    memcpy(fx, reinterpret_cast<const void*>(m.fpstate), kFxsaveSize);
    // MXCSR's reserved bits would make FXRSTOR #GP: kept to MXCSR_MASK.
    alignas(16) uint8_t cur[kFxsaveSize];
    __builtin_ia32_fxsave64(cur);
    uint32_t mask, mxcsr;
    memcpy(&mask, cur + 28, 4);
    if (mask == 0) mask = 0xffbf;  // SDM Vol. 1, 11.6.6: the default MXCSR_MASK
    memcpy(&mxcsr, fx + 24, 4);
    mxcsr &= mask;
    memcpy(fx + 24, &mxcsr, 4);
    t->sig.fx_pending = true;
  }
}

void deliver_signals(sgx_cpu_context_t& c, long nr) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return;
  if (static_cast<int64_t>(c.rax) == -EPIPE && raises_sigpipe(nr, c)) {
    SpinGuard g(g_sig_lock);
    if (!ignored(kSigpipe)) __atomic_or_fetch(&t->sig.pending, bit(kSigpipe), __ATOMIC_ACQ_REL);
  }
  collect();
  const uint64_t old_mask = t->sig.suspended ? t->sig.suspend_mask : t->sig.mask;
  const bool interrupted_call = nr >= 0 && nr != kSysRtSigreturn && static_cast<int64_t>(c.rax) == -EINTR;
  for (;;) {
    SigInfo info;
    const int sig = take(t, info);
    if (sig == 0) break;
    KernelSigaction a;
    {
      SpinGuard g(g_sig_lock);
      a = actions_of(t)[sig];
    }
    if (a.handler > 1 && interrupted_call && (a.flags & kSaRestart) && restarts_after_handler(nr) &&
        !(nr == kSysFutex && c.r10 != 0)) {
      // Interrupted: the handler returns to the `syscall` again (pause,
      // rt_sigsuspend, the sleeps and the descriptor waits never restart,
      // as on Linux).
      c.rip -= 2;
      c.rax = static_cast<uint64_t>(nr);
    }
    act(c, t, sig, info, old_mask, false, 0, 0);
    if (a.handler > 1) {
      t->sig.suspended = false;  // the frame holds the mask rt_sigsuspend (or a wait's) replaced
      return;
    }
  }
  if (t->sig.suspended) {
    t->sig.mask = t->sig.suspend_mask;
    t->sig.suspended = false;
  }
  // No handler ran for this thread, yet the call answered EINTR: the
  // host's nudge after another thread took the request
  // (libos/host/signals.cc), or a signal this thread ignores or blocks.
  // Linux interrupts no call for those: it is restarted. Not the calls the
  // library OS itself ends with EINTR only for a deliverable signal, or
  // when it gives up (a futex wait without a trustworthy clock).
  if (interrupted_call && nr != kSysPause && nr != kSysRtSigsuspend && nr != kSysRtSigtimedwait &&
      nr != kSysNanosleep && nr != kSysClockNanosleep && nr != kSysFutex) {
    c.rip -= 2;
    c.rax = static_cast<uint64_t>(nr);
  }
}

void finish_signals() {
  ProgramThread* t = this_thread();
  if (t == nullptr || !t->sig.fx_pending) return;
  t->sig.fx_pending = false;
  __builtin_ia32_fxrstor64(t->sig.fx + ((16 - (reinterpret_cast<uint64_t>(t->sig.fx) & 15)) & 15));
}

// The host's request word (libos.edl): in untrusted memory, 8-byte aligned;
// set once, before the program runs.
extern "C" void libos_signals_init(uint64_t* word) {
  const auto p = reinterpret_cast<uint64_t>(word);
  if (word == nullptr || (p & 7) != 0 || !sgx_is_outside_enclave(word, 16) || g_host_word != nullptr) return;
  g_host_word = word;
}

}  // namespace nsgx::libos
