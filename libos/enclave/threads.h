// The program's threads (docs/libos.md, "Threads"): one program thread per
// enclave thread (TCS). The main thread is the one that entered libos_run;
// clone asks the host to start another (the SDK's enclave-pthread OCALL: a
// host thread that enters on a free TCS with ECMD_ECALL_PTHREAD) and that
// thread enters the program where the parent's `syscall` left off. Futexes
// are queued and checked here, under an in-enclave lock; a waiting thread
// sleeps on its own untrusted event, which the host may only delay or set
// early (every wake-up is re-checked here).
//
// Per-thread state lives in a table indexed by enclave thread, found
// through the trusted runtime's thread data (%gs:0, the TD's pointer to
// itself), never through %fs: the program's FS is live in the handlers.
#pragma once

#include <stdint.h>
#include <time.h>

#include "libos/enclave/program_entry.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/spin_lock.h"
#include "nsgx_first_phase.h"
#include "sgx_trts_exception.h"

namespace nsgx::libos {

struct Fd;          // file_table.h
struct VforkFrame;  // syscalls_spawn.cc

// The system calls' locks (spin_lock.h gives the order).
extern SpinLock g_memory_lock;  // brk and the mappings' system calls
extern SpinLock g_fd_lock;      // the descriptor table's changes (openat, close)

// One program thread; a slot of the table, reused once the thread is gone.
struct ProgramThread {
  uint64_t td = 0;          // the enclave thread's TD running it, 0 while the slot is free or starting
  int state = 0;            // threads.cc's kFree / kStarting / kRunning, under the threads' lock
  int32_t tid = 0;          // gettid; the main thread's is the process id
  uint64_t program_fs = 0;  // the program's FS base (ARCH_SET_FS or clone's TLS), 0 before one
  uint64_t resume_rip = 0;  // where libos_fs_stub's #UD resumes, 0 if none pending
  // A started thread runs on a stack the program gave, where the SDK's
  // phase-2 handlers refuse to run: its first phase moves the frame's RSP
  // to handler_sp (this TCS's stack, below the thread's entry) and keeps
  // the program's in program_rsp, which the second phase puts back. 0 for
  // the main thread (it runs on its TCS's stack).
  uint64_t handler_sp = 0;
  uint64_t program_rsp = 0;
  uint64_t jb[kLibosJumpBufferWords] = {};  // where leaving the program returns to
  uint64_t clear_child_tid = 0;             // set_tid_address / CLONE_CHILD_CLEARTID
  uint64_t robust_list = 0;                 // set_robust_list's head (recorded; not walked at exit)
  nsgx_ssa_state_t start = {};              // a started thread's first registers (RIP, FS included)
  // Waiting on a futex, under the threads' lock.
  uint64_t futex_addr = 0;
  uint32_t futex_bitset = 0;
  bool waiting = false, woken = false;
  ThreadSignals sig;  // mask, pending, alternate stack (signals.cc)
  // A vfork child runs on this thread until its execve or exit
  // (syscalls_spawn.cc): the parent's saved state, and the child's own
  // descriptor table, which file_table.cc uses for this thread meanwhile.
  VforkFrame* vfork = nullptr;
  Fd* fds = nullptr;
  // ... and the child's own sigaction table (kForkActions entries, in the
  // frame): a vfork child shares the parent's memory but not its signal
  // handlers (no CLONE_SIGHAND), and glibc's posix_spawn child resets
  // every handler before its execve — which the parent's must survive.
  KernelSigaction* vfork_actions = nullptr;
  // The host's last answer for this thread's CPU time (syscalls_time.cc:
  // it never goes back); only the thread itself reads or writes it.
  struct timespec last_cpu = {0, 0};
};

// Makes this enclave thread the program's main thread (tid = the process
// id, g_program.pid) in a table of `max_threads` program threads. False if out of memory.
bool threads_init(uint32_t max_threads);
// The program thread this enclave thread runs, or nullptr.
ProgramThread* this_thread();
// At every system call: if a thread has called exit_group, this thread
// leaves the program (does not return).
void check_exit_group();
// Whether the program's FS base is in effect for `t` (or `t` has none
// yet), loading it if not: any OCALL on the way back to the program
// returned through EENTER, which loads the TCS's FS (docs/libos.md, "The
// FS base across OCALLs"). The backend's FS gate loads it at the cost of
// one system call (nsgx_set_fs_base); false where no gate is offered (SGX
// hardware, the trap path) or it failed: the caller then returns to the
// program through libos_fs_stub, whose #UD's first phase loads it into the
// SSA frame for the ERESUME — an exception round trip. `fs_gate_loads`
// and `fs_stub_returns` count each way.
bool program_fs_in_effect(ProgramThread* t);
extern uint64_t g_fs_gate_loads;    // atomic
extern uint64_t g_fs_stub_returns;  // atomic
// The slot at `i` (0: the main thread) while a thread holds it, else
// nullptr; `i` beyond the table is nullptr too.
ProgramThread* thread_slot(uint32_t i);
// Wakes `t`'s wait in the host (a futex wait, nanosleep, pause), or every
// thread's when `t` is nullptr: a signal was sent to it; the wait looks
// at its pending signals and answers EINTR (signals.cc).
void wake_for_signal(const ProgramThread* t);
// Ends the program as killed by `sig` (signals.cc's default actions):
// exit_group whose status libos_run answers as kKilledBySignal | sig.
[[noreturn]] void exit_group_by_signal(int sig);

// The system calls (Linux's semantics, docs/libos.md's table).
long sys_clone(const sgx_cpu_context_t& c);
[[noreturn]] void sys_exit(uint64_t status);
[[noreturn]] void sys_exit_group(uint64_t status);
long sys_futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout, uint64_t val3);
long sys_nanosleep(uint64_t req, uint64_t rem);
long sys_clock_nanosleep(uint64_t clk, uint64_t flags, uint64_t req, uint64_t rem);
long sys_sched_yield();
long sys_sched_getaffinity(uint64_t pid, uint64_t len, uint64_t mask);
long sys_set_robust_list(uint64_t head, uint64_t len);
long sys_set_tid_address(uint64_t p);
long sys_gettid();

}  // namespace nsgx::libos
