// Signals inside the library OS (docs/libos.md, "Signals"): the process's
// sigaction table, each thread's mask, pending sets and alternate stack,
// and delivery — a frame built on the program's stack in enclave memory,
// as Linux x86-64 builds it (signal_frame.h), entered by rewriting the
// context the exception handler resumes. Delivered at safe points: the
// return of every system call (signals the program sent itself, the
// alarm, and signals the host forwards as a request), and at once for a
// fault in program code (SIGSEGV, SIGFPE, SIGILL, SIGTRAP, SIGBUS).
// Default actions as Linux: ignore, or end the program as killed by the
// signal (libos_run answers kKilledBySignal | sig; the host re-raises it).
#pragma once

#include <stdint.h>

#include "libos/enclave/child_signal.h"
#include "libos/enclave/signal_frame.h"
#include "nsgx_first_phase.h"
#include "sgx_trts_exception.h"

namespace nsgx::libos {

// libos_run's answer when the program was killed by a signal: this bit
// plus the signal's number (an exit status is 0..255).
constexpr int kKilledBySignal = 0x100;

// One thread's signal state (threads.h keeps it in the thread's slot).
struct ThreadSignals {
  uint64_t mask = 0;     // blocked, bit sig - 1
  uint64_t pending = 0;  // sent to this thread (tgkill), atomic
  KernelStack altstack = {0, kSsDisable, 0, 0};
  uint64_t suspend_mask = 0;  // rt_sigsuspend: the mask to restore once a handler ran
  bool suspended = false;
  uint64_t waiting = 0;     // rt_sigtimedwait's set while it waits (Linux's real_blocked), under g_sig_lock
  bool fx_pending = false;  // rt_sigreturn: an FPU state to load last
  // The main thread's own (TCS) stack, where the program's main stack
  // lives, and a spare area at its bottom where the exception handlers
  // run while the program is on another stack (its alternate signal
  // stack): the SDK's handlers run only on the thread's own stack.
  uint64_t stack_low = 0, stack_high = 0, spare_sp = 0;
  uint8_t fx[kFxsaveSize + 16] = {};  // its 16-byte aligned copy lies inside
  // An interrupt's second phase is running (signals_interrupt): the
  // program's FPU state as the interrupt's AEX saved it, FXSAVE's layout.
  bool interrupted = false;
  uint8_t interrupted_fx[kFxsaveSize + 16] = {};
};

struct ProgramThread;
// The main thread's stack: [here - size, here + its callers' frames].
void signals_main_stack(ProgramThread* main, uint64_t here, uint64_t size);
// Where the first phase moves a thread's frame for the phase-2 handlers
// when the program's RSP is `rsp`: a started thread's handler stack, the
// main thread's spare area when the program is off its stack, else 0
// (stay on it).
uint64_t handler_stack_for(const ProgramThread* t, uint64_t rsp);

// The first phase of an entry after an interrupt (nsgx_first_phase.h,
// NSGX_INTERRUPT_VECTOR: the host re-entered instead of ERESUMEing, as it
// does when a signal arrived for a thread inside): when the interrupted
// RIP is the program's own code and a signal may be deliverable to `t`,
// keeps the program's FPU state and asks for the second phase
// (NSGX_FIRST_PHASE_SECOND), whose handler delivers it as at a system
// call's return; else 0 (resume as interrupted: the library OS's own code
// is never interrupted by a signal, which waits for the next safe point).
int signals_interrupt(ProgramThread* t, nsgx_ssa_state_t* st);
// A signal is deliverable to `t` now (the host's requests and the alarm
// collected): a wait ends with EINTR.
bool signal_deliverable(ProgramThread* t);

// fork (syscalls_fork.h): the process's sigaction table, kForkActions
// entries ([0] unused), copied out for a checkpoint and in for its child.
constexpr int kForkActions = 65;
void signals_copy_actions(KernelSigaction* out);
void signals_set_actions(const KernelSigaction* in);

// execve (syscalls_spawn.cc): the signals `t` ignores (SIG_IGN, bit
// sig - 1) — which, with its mask, the new program keeps, as on Linux —
// and, in the new program's enclave, those dispositions and the main
// thread's mask put in place (the request's, checked: never SIGKILL or
// SIGSTOP).
uint64_t signals_ignored(const ProgramThread* t);
void signals_after_execve(ProgramThread* main, uint64_t ignored, uint64_t blocked);

// Registers the fault handler (after the system calls'). False if the
// trusted runtime refuses it.
bool install_signal_handlers();

// The system calls (Linux's semantics; docs/libos.md's table).
long sys_rt_sigaction(uint64_t sig, uint64_t act, uint64_t oact, uint64_t size);
long sys_rt_sigprocmask(uint64_t how, uint64_t set, uint64_t oset, uint64_t size);
long sys_rt_sigpending(uint64_t set, uint64_t size);
long sys_sigaltstack(uint64_t ss, uint64_t oss, uint64_t rsp);
long sys_kill(int64_t pid, uint64_t sig);
long sys_tgkill(int64_t tgid, int64_t tid, uint64_t sig);
long sys_rt_sigsuspend(uint64_t set, uint64_t size);
long sys_rt_sigtimedwait(uint64_t set, uint64_t info, uint64_t timeout, uint64_t size);
// ppoll, pselect6, epoll_pwait and epoll_pwait2: their signal mask
// (`set`, `size` bytes; none if 0) is the thread's for the wait, as
// rt_sigsuspend's. signals_wait_mask puts it in place (0, or EINVAL for a
// size but 8, EFAULT); signals_wait_done(r) takes the wait's answer and
// puts the thread's own mask back unless it is EINTR — then the handler
// runs under the wait's mask and the frame holds the thread's, which
// rt_sigreturn restores (fs/select.c, set_user_sigmask and
// restore_saved_sigmask_unless).
long signals_wait_mask(uint64_t set, uint64_t size);
long signals_wait_done(long r);
long sys_pause();
long sys_alarm(uint64_t seconds);
long sys_setitimer(uint64_t which, uint64_t value, uint64_t old);
long sys_getitimer(uint64_t which, uint64_t value);
// rt_sigreturn: the context the handler's frame holds, checked, into `c`
// (a frame that cannot be read kills the program with SIGSEGV).
void sys_rt_sigreturn(sgx_cpu_context_t& c);

// Makes `sig` pending for the process with this si_code and si_pid (what
// kill does; for the library OS's own senders, e.g. SIGCHLD when a child
// process ends): dropped at once if the program ignores it.
void post_process(int sig, int32_t code, int32_t pid);
// Whether the program's children are reaped at their end, without
// becoming zombies (sigaction(2): SIGCHLD's action SIG_IGN, or
// SA_NOCLDWAIT): then wait blocks until every child has ended and fails
// with ECHILD.
bool children_reaped_automatically();
// Makes SIGCHLD pending for a child's end (child_signal.h): si_code,
// si_pid and si_status as Linux reports them. Dropped if ignored.
void post_child_end(const ChildEnd& end);

// At the return of system call `nr` (its answer in c.rax, RIP after the
// `syscall`): takes the host's requests and the alarm, then delivers one
// pending unblocked signal — its default action, or its handler's frame
// (restarting the call first when it was interrupted under SA_RESTART).
void deliver_signals(sgx_cpu_context_t& c, long nr);
// Last, once nothing else runs before the program: loads the FPU state an
// rt_sigreturn restored (the library OS's own code may use the SSE
// registers until then).
void finish_signals();

}  // namespace nsgx::libos
