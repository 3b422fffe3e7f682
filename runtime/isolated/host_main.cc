// nsgx-enclave-host: one enclave's process (BRIEF §2: VMPL0 ring 3).
//
// Started by nsgx-monitor with its channel on descriptor 3. It makes itself
// non-dumpable before it gets anything, then receives the enclave's memfd
// and the application's window, maps ELRANGE at the enclave's linear range
// with the EPCM permissions the monitor sends (TCS pages and pages the
// enclave may not touch stay PROT_NONE) and the window at the application's
// address, starts one thread per TCS and locks itself with seccomp:
//   1. any system call made from ELRANGE traps (SIGSYS) and becomes an
//      AEX with #UD, as SYSCALL inside an SGX enclave raises #UD;
//   2. the host's own code keeps only its channel (sendmsg/recvmsg on fd 3),
//      futex for the mailboxes, and memory and signal management.
// Each TCS thread waits on its mailbox for EENTER/ERESUME, runs enclave
// code natively, and turns the enclave's traps into SGX semantics: ENCLU
// leaves (EEXIT here, or through the exit gate without a trap; EREPORT,
// EGETKEY, EACCEPT, EACCEPTCOPY, EMODPE through the monitor, which knows
// the enclave's identity), faults the
// driver fixes (EAUG on first touch), and AEX with the SSA frame written.
// After an AEX it makes the SGX SDK's exception entry and ERESUME itself
// when the application asked for that (the exception turnaround,
// docs/isolated.md), through the same entry path as every request.
//
// Everything here runs in a process whose only other code is the enclave's;
// the enclave can corrupt its own host, which harms nobody but itself.
//
// FS and GS: a TCS's bases are fixed (SDM EENTER/ERESUME load them from the
// TCS), and each worker thread serves one TCS, so a worker sets them once
// with arch_prctl — which every kernel preserves across context switches,
// unlike a base written with WRFSBASE where AT_HWCAP2 lacks FSGSBASE — and
// holds them for its lifetime (runtime/common/fsgs.h, FsgsMode::kHold). No
// switch and no system call per entry; in exchange, a worker's code after
// that point (its loop, the signal dispatcher, the monitor requests) uses
// no TLS: no errno (raw system calls), no malloc, no locks of libc, no stack
// protector, and the binary is linked with -z now so that no lazy PLT
// binding (which takes TLS-based locks) runs on a worker.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/report.h"
#include "arch/sgx/ssa.h"
#include "arch/sgx/tcs.h"
#include "base/low_memory.h"
#include "monitor/ssa_frame.h"
#include "monitor/types.h"
#include "runtime/common/cpu_context.h"
#include "runtime/common/enclu_leaves.h"
#include "runtime/common/exit_gate.h"
#include "runtime/common/fsgs.h"
#include "runtime/common/thread_slot.h"
#include "runtime/isolated/app_memory.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/host_sandbox.h"
#include "runtime/isolated/mailbox.h"
#include "runtime/isolated/rsp.h"

extern "C" {
std::uint32_t nsgx_fsgs_mode = static_cast<std::uint32_t>(nsgx::runtime::FsgsMode::kHold);
std::uint64_t nsgx_altstack_lo = 0;
std::uint64_t nsgx_altstack_span = 0;
long nsgx_host_enter(void* block, const void* regs);
long nsgx_host_resume(void* block);
extern const char nsgx_host_exit_landing[];
extern const char nsgx_host_resume_trap[];
// host_entry.S: the exit gates, one 16-byte stub per thread slot, and how
// many slots there are (stubs beyond it refuse).
extern const char nsgx_host_gates[];
extern const char nsgx_host_gates_end[];
extern const char nsgx_host_fs_gates[];
extern const char nsgx_host_fs_gates_end[];
std::uint64_t nsgx_host_gate_count = 0;
}

namespace nsgx::isolated {
namespace {

using runtime::Exception;
using runtime::raw_syscall;
constexpr int kChannel = 3;
constexpr std::uint64_t kPage = sgx::kPageSize;

void say(const char* what) {
  raw_syscall(SYS_write, 2, reinterpret_cast<long>(what), static_cast<long>(std::strlen(what)));
}

[[noreturn]] void die(const char* what) {
  // Only write(2) and exit are certain to be allowed at any point; both raw,
  // since a worker runs with the enclave's FS.
  say("nsgx-enclave-host: ");
  say(what);
  say("\n");
  for (;;) raw_syscall(SYS_exit_group, 70);
}

// A host system call the sandbox refused, by number, so that whoever reads
// the monitor's log (server.cc relay_host_stderr) knows which; the number
// formatted here, without the C library (as die()).
[[noreturn]] void die_refused(const siginfo_t* info) {
  char digits[24];
  std::size_t i = sizeof digits;
  digits[--i] = 0;
  auto v = static_cast<std::uint32_t>(info->si_syscall);
  do {
    digits[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 0);
  say("nsgx-enclave-host: a system call of the host itself was refused (seccomp): number ");
  say(digits + i);
  say("\n");
  for (;;) raw_syscall(SYS_exit_group, 70);
}

// One message to the monitor, without libc (see the FS/GS note above).
// SOCK_SEQPACKET: each sendmsg is one whole message, whatever the thread.
int raw_send(const Header& h, std::span<const std::uint8_t> body) {
  if (sizeof h + body.size() > kMaxMessage) return -EMSGSIZE;
  iovec iov[2] = {{const_cast<Header*>(&h), sizeof h}, {const_cast<std::uint8_t*>(body.data()), body.size()}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  for (;;) {
    const long r = raw_syscall(SYS_sendmsg, kChannel, reinterpret_cast<long>(&m), MSG_NOSIGNAL);
    if (r >= 0) return 0;
    if (r != -EINTR) return static_cast<int>(r);
  }
}

enum ExitCode : long { kExitEexit = 1, kExitAex = 2, kExitFault = 3 };

struct EnterRegs {
  std::uint64_t rip, rax, rbx, rcx, rdx, rdi, rsi, r8, r9, rsp, rbp;
};
static_assert(offsetof(EnterRegs, rsp) == 72 && offsetof(EnterRegs, rbp) == 80, "host_entry.S reads these offsets");

struct Worker;
struct HostBlock {
  runtime::SlotHeader header;  // in_enclave: the dispatcher's (no base switching here)
  std::uint64_t host_rsp = 0;  // offset 40: saved by nsgx_host_enter/resume
  Worker* worker = nullptr;
  // The exit gate this worker offers at EENTER (R9 points here; host
  // memory, which the application cannot write).
  nsgx_exit_gate gate{};
  nsgx_exit_gate gate_no_fs{};  // the same without its FS gate (MailGate::kNoFsGate)
#ifdef NSGX_HOST_GATE_TESTING
  nsgx_exit_gate test_gate{};  // a broken copy, for MailGate::kTest*
#endif
};
static_assert(offsetof(HostBlock, header.in_enclave) == 16 && offsetof(HostBlock, header.cur_fs) == 24 &&
                  offsetof(HostBlock, host_rsp) == 40,
              "host_entry.S writes these offsets");
static_assert(runtime::kSlotSize == std::size_t{1} << 18, "host_entry.S: SLOT_SHIFT");
// host_entry.S builds the gate's ucontext_t by hand.
static_assert(offsetof(ucontext_t, uc_mcontext.gregs) == 40 && offsetof(ucontext_t, uc_mcontext.fpregs) == 224 &&
                  REG_R8 == 0 && REG_R11 == 3 && REG_R15 == 7 && REG_RDI == 8 && REG_RBP == 10 && REG_RBX == 11 &&
                  REG_RDX == 12 && REG_RAX == 13 && REG_RCX == 14 && REG_RSP == 15 && REG_RIP == 16 && REG_EFL == 17 &&
                  sizeof(ucontext_t) <= 1024,
              "host_entry.S: the gate frame");
constexpr std::size_t kGateStub = 16;       // host_entry.S: one stub per 16 bytes
constexpr std::uint32_t kGateStubs = 4096;  // host_entry.S: GATE_STUBS, the most mailboxes

// A monitor reply to a worker: the largest is EREPORT's (Reply + REPORT).
constexpr std::size_t kMaxReply = 1024;

struct Worker {
  std::uint32_t index = 0;
  std::uint64_t tcs = 0;
  Mailbox* mb = nullptr;
  HostBlock* block = nullptr;
  // The exit the dispatcher saw.
  std::uint64_t rdi = 0, rsi = 0, rdx = 0, r8 = 0, r9 = 0, rsp = 0, rbp = 0;
  Exception ex;
  std::uint64_t ex_rip = 0;  // the RIP the last AEX saved
  bool ex_interrupt = false;  // the last AEX was an interrupt (no EXITINFO), not `ex`
  // Interrupts (docs/isolated.md "Interrupts"): the mailbox request this
  // worker serves (its signal handler compares the application's ask with
  // it), the last ask it took (the interrupter thread reads it), and its
  // thread id, which the interrupter signals.
  std::atomic<std::uint32_t> serving{0};
  std::atomic<std::uint64_t> interrupt_taken{0};
  std::atomic<std::int32_t> tid{0};
  std::uint32_t leaf_retries = 0;  // a leaf re-run after its operand's #PF was fixed
  bool via_gate = false;           // the latest EEXIT came through the exit gate
  std::uint64_t enter_ursp = 0;    // URSP of this TCS's latest EENTER (the exception turnaround's)
  SpinBudget spin;                 // this worker's mailbox waits (mailbox.h)
  AppMemory::Progress app_progress;  // this thread's faults on application memory that changed nothing
  // ERESUME's state, loaded by the dispatcher at the resume trap.
  bool resume_pending = false;
  monitor::CpuState resume_state;
  std::array<std::uint8_t, 4096> resume_xsave{};
  std::size_t resume_xsave_len = 0;
  // Whether the bases this worker holds are the ones its block records
  // (block->header.cur_fs/cur_gs: TCS.OFSBASE/OGSBASE + the enclave base,
  // an SSA frame's after ERESUME, or what the enclave loaded through the
  // FS gate, host_entry.S); false after a base the kernel refused.
  bool bases_ok = false;
  // The monitor's answer to this worker's request: written by the channel
  // thread, then `reply_ready` set and woken (a private futex: no libc lock,
  // which would use TLS).
  std::atomic<std::uint32_t> reply_ready{0};
  std::size_t reply_len = 0;
  std::array<std::uint8_t, kMaxReply> reply{};
  SpinBudget board_spin;  // this worker's waits for the board's answers (board_rpc)
  // A debug enclave's debugger (the stub below): where this thread waits
  // for it, whether it has a stop the debugger has not been told of, the
  // stop's signal, and whether its next ERESUME single-steps (TF).
  std::atomic<std::uint32_t> dbg_parked{0};  // kDbgAtAex or kDbgBeforeEntry while waiting
  std::atomic<std::uint32_t> dbg_stopped{0};  // stopped as the debugger sees it: the gate holds it
  std::atomic<std::uint32_t> dbg_owed{0};     // a stop the debugger asked for, not yet queued
  std::atomic<std::uint32_t> dbg_pending{0};  // a stop reply queued, not yet sent
  std::atomic<std::uint32_t> dbg_inside{0};   // between the gate and the end of an entry
  std::uint32_t dbg_signal = 0;
  bool dbg_step = false;
};
// The signal the interrupter thread sends a worker (tgkill, this process
// only) to interrupt the enclave code it runs. A standard signal, so that
// many asks before one delivery coalesce into one; SIGURG, ignored by
// default, so that one arriving before the handler is harmless (every
// thread blocks it until then), and passed on silently by gdb.
constexpr int kInterruptSignal = SIGURG;
// The interrupter asks again this often while an ask is not taken yet
// (the worker was in the host's own code, or at CSSA 1, when signalled).
constexpr long kInterruptRetryNs = 1'000'000;
pid_t g_pid = 0;

constexpr std::uint32_t kDbgAtAex = 1;        // stopped by an AEX: its state is SSA frame CSSA-1
constexpr std::uint32_t kDbgBeforeEntry = 2;  // held outside the enclave while the debugger has it stopped

struct Host {
  HostStart cfg{};
  std::uint64_t low = 0;         // ELRANGE's bytes below vm.mmap_min_addr (base 0 only): never mapped, never added
  std::uint8_t* view = nullptr;  // the enclave memfd, read/write, for the host's own use
  std::atomic<std::int8_t>* prot = nullptr;      // per ELRANGE page: the enclave's view
  std::vector<std::unique_ptr<Worker>> workers;  // per mailbox; null for a spare
  // The same, for the debugging stub's thread: published once a worker is
  // made (the channel thread makes workers for TCSs added later).
  std::unique_ptr<std::atomic<Worker*>[]> published;
  std::uint8_t* slots = nullptr;                 // the thread slots, one per mailbox
  ThreadSlot* threads = nullptr;                 // the monitor's thread table: which TCS each worker is inside
  BoardBell* bell = nullptr;                     // the request board after it (protocol.h)
  BoardSlot* board = nullptr;
  AppMemory app;                                 // the application's memory, mirrored on demand
} g;

// The host's own memory goes into the host area the application reserved
// (protocol.h kHostAreaSize): enclave code reads and writes the
// application's addresses through this process (app_memory.h), so a
// mapping of the host's at an address the application uses would show
// the enclave host memory there instead. Only what the kernel and the
// loader place at exec (this binary, its libraries, the main stack and
// heap) stays outside; docs/isolated.md puts a number on it. A guard page
// separates the mappings. Falls back to anywhere if the area is full or
// taken (an application that did not reserve it harms only its enclave).
struct HostArea {
  std::uint64_t next = 0, end = 0;
} g_area;

void* area_map(std::size_t bytes, int prot, int flags, int fd, std::uint64_t align = kPage) {
  bytes = (bytes + kPage - 1) & ~(kPage - 1);
  const std::uint64_t at = (g_area.next + align - 1) & ~(align - 1);
  if (g_area.next != 0 && at >= g_area.next && bytes <= g_area.end - at && at + bytes + kPage <= g_area.end) {
    void* p = mmap(reinterpret_cast<void*>(at), bytes, prot, flags | MAP_FIXED_NOREPLACE, fd, 0);
    if (p == reinterpret_cast<void*>(at)) {
      g_area.next = at + bytes + kPage;
      return p;
    }
    if (p != MAP_FAILED) munmap(p, bytes);
  }
  void* p = mmap(nullptr, bytes, prot, flags, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void* area_anon(std::size_t bytes) {
  return area_map(bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
}

// A new thread's start: its function and argument, and whether it has
// reached the function (start_thread waits for that).
struct ThreadStart {
  void* (*fn)(void*);
  void* arg;
  std::atomic<std::uint32_t> running{0};
};

void* thread_entry(void* p) {
  auto* s = static_cast<ThreadStart*>(p);
  void* (*const fn)(void*) = s->fn;
  void* const arg = s->arg;
  s->running.store(1, std::memory_order_release);  // then only its address: a stray wake is harmless
  raw_syscall(SYS_futex, reinterpret_cast<long>(&s->running), FUTEX_WAKE_PRIVATE, 1);
  return fn(arg);
}

// Starts `fn(arg)` on a thread of its own, on a stack in the host area
// (std::thread's would be anywhere), and returns once the thread runs it.
// Waiting matters for the sandbox (run()): the C library's and a
// sanitizer's thread start-up make system calls in the new thread that the
// host filter refuses (ASan's asks sched_getaffinity, through
// pthread_getattr_np), so a worker started before the filter must be past
// its start-up before the filter lands on every thread (TSYNC). Without
// the wait, a worker the scheduler had not run yet died of SIGSYS and the
// enclave was lost at its first ECALL.
void start_thread(void* (*fn)(void*), void* arg) {
  constexpr std::size_t kStack = std::size_t{512} * 1024;
  void* stack = area_anon(kStack + kPage);
  if (stack == nullptr || mprotect(stack, kPage, PROT_NONE) != 0) die("thread stack");
  pthread_attr_t attr;
  pthread_t t;
  ThreadStart start{fn, arg};
  if (pthread_attr_init(&attr) != 0 ||
      pthread_attr_setstack(&attr, static_cast<std::uint8_t*>(stack) + kPage, kStack) != 0 ||
      pthread_create(&t, &attr, thread_entry, &start) != 0)
    die("thread");
  pthread_attr_destroy(&attr);
  pthread_detach(t);
  while (start.running.load(std::memory_order_acquire) == 0)
    raw_syscall(SYS_futex, reinterpret_cast<long>(&start.running), FUTEX_WAIT_PRIVATE, 0, 0);
}

bool in_elrange(std::uint64_t addr, std::uint64_t len = 1) {
  return addr >= g.cfg.base && len <= g.cfg.size && addr - g.cfg.base <= g.cfg.size - len;
}

// The protection the enclave has on every page of [addr, addr+len).
bool accessible(std::uint64_t addr, std::uint64_t len, int want) {
  if (!in_elrange(addr, len) || len == 0) return false;
  for (std::uint64_t p = addr & ~(kPage - 1); p < addr + len; p += kPage)
    if ((g.prot[(p - g.cfg.base) / kPage].load(std::memory_order_relaxed) & want) != want) return false;
  return true;
}

std::uint8_t* at(std::uint64_t addr) { return g.view + (addr - g.cfg.base); }

// In the protection table: the page is a TCS one may enter on.
constexpr std::int8_t kTableTcs = 0x40;

bool debug_enclave() { return (g.cfg.attributes & sgx::attr::kDebug) != 0; }

// A debug enclave's code pages (executable, not writable, at start) are
// mapped MAP_PRIVATE, so that a debugger's software breakpoints — ptrace
// writes, which the kernel refuses in a shared mapping without PROT_WRITE
// (mm/gup.c check_vma_flags()) — land in this process's copy while the
// EPC keeps what was measured; as on inproc (runtime/inproc/runtime.cc,
// sync_page_locked), and as SGX lets a debugger write only a debug
// enclave (EDBGWR). One bit per page says which are private.
constexpr std::int8_t kTablePrivate = 0x20;

void map_private_code(int memfd) {
  for (std::uint64_t i = 0; i < g.cfg.size / kPage; ++i) {
    const std::int8_t e = g.prot[i].load(std::memory_order_relaxed);
    if ((e & PROT_EXEC) == 0 || (e & (PROT_WRITE | kTableTcs)) != 0) continue;
    void* p = mmap(reinterpret_cast<void*>(g.cfg.base + i * kPage), kPage, e & (PROT_READ | PROT_EXEC),
                   MAP_PRIVATE | MAP_FIXED, memfd, static_cast<off_t>(i * kPage));
    if (p == MAP_FAILED) die("debug enclave: private code page");
    g.prot[i].store(static_cast<std::int8_t>(e | kTablePrivate), std::memory_order_relaxed);
  }
}

void apply_map(std::uint64_t addr, std::uint64_t pages, int prot) {
  if ((addr & (kPage - 1)) != 0 || pages == 0 || pages > g.cfg.size / kPage || !in_elrange(addr, pages * kPage) ||
      (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | kProtTcs)) != 0)
    die("bad mapping from the monitor");
  const int mapped = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
  // A private code page of a debug enclave that becomes writable (EMODPE)
  // or a TCS shares the EPC again, so that what the enclave writes is
  // what the monitor sees: the EPC page is mapped anew from the shared
  // view (mremap of a shared mapping with old size 0 duplicates it;
  // mapping a descriptor is no longer allowed here).
  if ((mapped & PROT_WRITE) != 0 || (prot & kProtTcs) != 0) {
    for (std::uint64_t i = 0; i < pages; ++i) {
      const std::uint64_t page = addr + i * kPage;
      if ((g.prot[(page - g.cfg.base) / kPage].load(std::memory_order_relaxed) & kTablePrivate) == 0) continue;
      if (raw_syscall(SYS_mremap, reinterpret_cast<long>(at(page)), 0, static_cast<long>(kPage),
                      MREMAP_MAYMOVE | MREMAP_FIXED, static_cast<long>(page)) != static_cast<long>(page))
        die("debug enclave: sharing a code page again");
    }
  }
  const auto entry = static_cast<std::int8_t>(mapped | ((prot & kProtTcs) ? kTableTcs : 0));
  const bool shared = (mapped & PROT_WRITE) != 0 || (prot & kProtTcs) != 0;
  // The table is what the mapping is (every change goes through here): a
  // run that already has these rights needs no system call — the reply to
  // a fault on a page that is only EAUGed (pending, still PROT_NONE) is one.
  bool same = true;
  for (std::uint64_t i = 0; i < pages && same; ++i)
    same = g.prot[(addr - g.cfg.base) / kPage + i].load(std::memory_order_relaxed) == entry;
  if (same) return;
  if (raw_syscall(SYS_mprotect, static_cast<long>(addr), static_cast<long>(pages * kPage), mapped) != 0)
    die("mprotect");
  for (std::uint64_t i = 0; i < pages; ++i) {
    auto& slot = g.prot[(addr - g.cfg.base) / kPage + i];
    const bool still_private = !shared && (slot.load(std::memory_order_relaxed) & kTablePrivate) != 0;
    slot.store(static_cast<std::int8_t>(entry | (still_private ? kTablePrivate : 0)), std::memory_order_relaxed);
  }
}

bool is_tcs(std::uint64_t addr) {
  return in_elrange(addr, kPage) && (g.prot[(addr - g.cfg.base) / kPage].load(std::memory_order_relaxed) & kTableTcs);
}

// One request to the monitor, answered on this worker's slot; the reply's
// body, valid until the worker's next request. The monitor answers every
// request or closes the channel (and then this process ends).
std::span<std::uint8_t> rpc(Worker& w, Op op, std::span<const std::uint8_t> body) {
  w.reply_ready.store(0, std::memory_order_relaxed);
  if (raw_send(Header{op, w.index + 1, 0}, body) != 0) die("monitor channel");
  while (w.reply_ready.load(std::memory_order_acquire) == 0)
    raw_syscall(SYS_futex, reinterpret_cast<long>(&w.reply_ready), FUTEX_WAIT_PRIVATE, 0, 0);
  return {w.reply.data(), w.reply_len};
}

std::uint32_t g_spin = 0;  // mailbox and board spin rounds before sleeping (HostStart.spin)

// A request through the board (protocol.h BoardSlot: kFault, kEaccept,
// kEacceptcopy, kEmodpe): as rpc(), without the channel. The answer is
// copied into the worker's reply buffer as the channel's would be: Reply,
// then the 4-byte protection.
std::span<std::uint8_t> board_rpc(Worker& w, Op op, std::span<const std::uint8_t> body) {
  BoardSlot& slot = g.board[w.index];
  if (body.size() > sizeof slot.body) die("board request too large");
  slot.op = op;
  slot.size = static_cast<std::uint32_t>(body.size());
  std::memcpy(slot.body, body.data(), body.size());
  const std::uint32_t number = slot.request.load(std::memory_order_relaxed) + 1;
  slot.request.store(number, std::memory_order_seq_cst);
  g.bell->doorbell.fetch_add(1, std::memory_order_seq_cst);
  if (g.bell->monitor_sleeping.load(std::memory_order_seq_cst) != 0) (void)futex(&g.bell->doorbell, FUTEX_WAKE, 1);
  // The monitor answers every request or is gone (then the channel thread
  // ends this process).
  for (std::uint32_t seen; (seen = slot.response.load(std::memory_order_acquire)) != number;)
    (void)wait_change(slot.response, seen, slot.host_sleeping, g_spin, 0, 0, &w.board_spin);
  std::memcpy(w.reply.data(), &slot.reply, sizeof slot.reply);
  std::memcpy(w.reply.data() + sizeof slot.reply, &slot.prot, sizeof slot.prot);
  w.reply_len = sizeof slot.reply + sizeof slot.prot;
  return {w.reply.data(), w.reply_len};
}

void worker_loop(Worker& w);
void* worker_main(void* w) {
  worker_loop(*static_cast<Worker*>(w));
  return nullptr;
}

// The worker for mailbox `slot`, serving the TCS at `tcs` (not started).
Worker* make_worker(std::uint32_t slot, std::uint64_t tcs) {
  std::uint8_t* mem = g.slots + std::size_t{slot} * runtime::kSlotSize;
  if (mprotect(mem, kPage, PROT_READ | PROT_WRITE) != 0 ||
      mprotect(mem + runtime::kAltStackOffset, runtime::kSlotSize - runtime::kAltStackOffset,
               PROT_READ | PROT_WRITE) != 0)
    die("thread slot");
  if (!in_elrange(tcs, kPage) || (tcs & (kPage - 1)) != 0) die("TCS outside ELRANGE");
  auto w = std::make_unique<Worker>();
  w->index = slot;
  w->tcs = tcs;
  w->mb = mailbox_at(g.cfg.mailbox_addr, slot);
  w->block = new (mem) HostBlock();
  w->block->worker = w.get();
  w->block->gate = {NSGX_EXIT_GATE_MAGIC, NSGX_EXIT_GATE_VERSION, NSGX_EXIT_GATE_SIZE,
                    reinterpret_cast<std::uint64_t>(nsgx_host_gates) + std::uint64_t{slot} * kGateStub,
                    reinterpret_cast<std::uint64_t>(nsgx_host_fs_gates) + std::uint64_t{slot} * kGateStub};
  w->block->gate_no_fs = w->block->gate;
  w->block->gate_no_fs.fs_gate = 0;
  g.workers[slot] = std::move(w);
  g.published[slot].store(g.workers[slot].get(), std::memory_order_release);
  return g.workers[slot].get();
}

// The monitor's messages: mapping changes (acknowledged), new TCSs and replies.
void channel_loop() {
  for (;;) {
    Message m;
    if (recv_message(kChannel, m) != 1) _exit(0);  // the monitor is gone: so is the enclave
    if (m.header.op == Op::kMap) {
      auto run = parse<MapRun>(m.body);
      if (!run) die("short map message");
      apply_map(run->addr, run->pages, run->prot);
      if (m.header.tag != 0 && send_message(kChannel, Header{Op::kMapDone, m.header.tag, 0}) != 0) _exit(0);
    } else if (m.header.op == Op::kHostAddTcs) {
      auto a = parse<AddTcs>(m.body);
      if (!a || a->slot >= g.workers.size() || g.workers[a->slot]) die("bad TCS from the monitor");
      start_thread(worker_main, make_worker(a->slot, a->addr));
      if (send_message(kChannel, Header{Op::kMapDone, m.header.tag, 0}) != 0) _exit(0);
    } else if (m.header.op == Op::kReply && m.header.tag >= 1 && m.header.tag <= g.workers.size() &&
               g.workers[m.header.tag - 1]) {
      Worker& w = *g.workers[m.header.tag - 1];
      if (m.body.size() > w.reply.size()) die("oversized reply from the monitor");
      std::memcpy(w.reply.data(), m.body.data(), m.body.size());
      w.reply_len = m.body.size();
      w.reply_ready.store(1, std::memory_order_release);
      raw_syscall(SYS_futex, reinterpret_cast<long>(&w.reply_ready), FUTEX_WAKE_PRIVATE, 1);
    }
  }
}

// ------------------------------------------------------------------ SGX state

sgx::Tcs* tcs_of(const Worker& w) { return reinterpret_cast<sgx::Tcs*>(at(w.tcs)); }

// The linear address of SSA frame `frame`'s first page, if the whole frame
// is enclave memory the enclave can read and write (SDM: else the
// instruction faults).
bool ssa_frame(const sgx::Tcs& t, std::uint32_t frame, std::uint64_t& first) {
  const std::uint64_t pages = g.cfg.ssa_frame_size;
  const std::uint64_t off = t.ossa + std::uint64_t{frame} * pages * kPage;
  if (off < t.ossa || off >= g.cfg.size || pages * kPage > g.cfg.size - off) return false;
  first = g.cfg.base + off;
  return accessible(first, pages * kPage, PROT_READ | PROT_WRITE);
}

sgx::Gprsgx* gprsgx_at(std::uint64_t frame_first) {
  return reinterpret_cast<sgx::Gprsgx*>(at(frame_first) + sgx::gprsgx_offset(g.cfg.ssa_frame_size));
}

// Leaves the enclave: the signal returns into nsgx_host_exit_landing.
// The worker's FS/GS stay the enclave's (held, see above).
void exit_to_host(Worker& w, ucontext_t* uc, long code) {
  HostBlock* b = w.block;
  runtime::set(uc, REG_RIP, reinterpret_cast<std::uint64_t>(nsgx_host_exit_landing));
  runtime::set(uc, REG_RSP, b->host_rsp);
  runtime::set(uc, REG_RAX, static_cast<std::uint64_t>(code));
  runtime::set(uc, REG_EFL, 0x202);
  runtime::reset_fp(uc);
  __atomic_store_n(&b->header.in_enclave, 0u, __ATOMIC_RELEASE);
}

// AEX (SDM 36.4.1): the state goes to SSA frame CSSA, CSSA+1, the thread
// leaves. An interrupt's AEX reports no exception: EXITINFO.VALID stays
// clear (SDM Vol. 3D 37.9.1.1), no EXINFO.
void aex(Worker& w, ucontext_t* uc, const Exception& ex, bool interrupt = false) {
  sgx::Tcs* t = tcs_of(w);
  std::uint64_t first = 0;
  w.ex = ex;
  w.ex_interrupt = interrupt;
  if (t->cssa >= t->nssa || !ssa_frame(*t, t->cssa, first)) {
    // No frame to save into: the thread cannot come back (SGX would shut
    // the enclave down); the application sees a failed entry.
    exit_to_host(w, uc, kExitFault);
    return;
  }
  // The frame's contents as the monitor writes them (monitor/ssa_frame.h).
  const auto s = runtime::state_of(uc, w.block->header.cur_fs, w.block->header.cur_gs);
  const monitor::ExitEvent event{
      .vector = ex.vector, .type = ex.type, .report = !interrupt, .address = ex.address, .error_code = ex.error_code};
  sgx::Gprsgx* gpr = gprsgx_at(first);
  *gpr = monitor::aex_gprsgx(*gpr, s, event);
  w.ex_rip = s.rip;
  if (const auto info = monitor::aex_exinfo(g.cfg.misc_select, event))
    std::memcpy(at(first) + sgx::exinfo_offset(g.cfg.ssa_frame_size), &*info, sizeof *info);
  auto img = runtime::xsave_image(uc);
  std::memcpy(at(first), img.data(), std::min(monitor::ssa_xsave_room(g.cfg.ssa_frame_size), img.size()));
  t->cssa += 1;
  exit_to_host(w, uc, kExitAex);
}

// The driver's part of a #PF at `addr` (EAUG on a first touch, a stale
// mapping): the monitor decides. True when fixed (the access is retried);
// otherwise `code` becomes the error code to report.
bool driver_fault(Worker& w, std::uint64_t addr, std::uint32_t error_code, std::uint32_t& code) {
  const FaultReq req{addr, error_code, 0};
  const auto body = board_rpc(w, Op::kFault, bytes_of(req));
  auto r = parse<Reply>(body);
  if (!r || body.size() != sizeof(Reply) + 4) die("fault: bad monitor reply");
  std::int32_t prot;
  std::memcpy(&prot, body.data() + sizeof(Reply), 4);
  apply_map(addr & ~(kPage - 1), 1, prot);
  code = r->status;
  return r->value == 1;
}

// The monitor's answer to a leaf as the monitor's own result type
// (status: LeafKind; value: the SGX status or the #PF address).
monitor::LeafResult leaf_result(const Reply& r) {
  monitor::LeafResult out;
  out.kind = static_cast<monitor::LeafKind>(r.status);
  if (out.kind == monitor::LeafKind::kStatus) out.status = static_cast<sgx::Status>(r.value);
  if (out.kind == monitor::LeafKind::kPf) out.address = r.value;
  if (out.kind > monitor::LeafKind::kPf) die("leaf: bad monitor reply");
  return out;
}

// The enclave host's part of the ENCLU leaves (runtime/common/enclu_leaves.h):
// operands are read and written through the host's view of enclave memory
// once the protection table says the enclave may; a page the enclave may
// not touch yet is a #PF that goes to the driver (the monitor), as on
// hardware: fixed (EAUG on a first touch, ELDU), the leaf runs again.
struct HostLeaves {
  Worker& w;
  ucontext_t* uc;

  static bool in_elrange(std::uint64_t a, std::uint64_t n) { return nsgx::isolated::in_elrange(a, n); }
  runtime::Access operand(std::uint64_t a, std::uint64_t n, int want, Exception& ex) {
    if (accessible(a, n, want)) return runtime::Access::kOk;
    const std::uint32_t native = sgx::pf_error::kUser | ((want & PROT_WRITE) ? sgx::pf_error::kWrite : 0u);
    for (std::uint64_t p = a & ~(kPage - 1); p < a + n; p += kPage) {
      if (accessible(p, 1, want)) continue;
      std::uint32_t code = 0;
      if (driver_fault(w, p, native, code) && w.leaf_retries++ < 8) return runtime::Access::kRetry;
      ex = {sgx::vector::kPf, code | sgx::pf_error::kSgx, p};
      w.leaf_retries = 0;
      return runtime::Access::kFault;
    }
    return runtime::Access::kOk;
  }
  runtime::Access load(std::uint64_t a, MutableByteSpan out, Exception& ex) {
    const runtime::Access r = operand(a, out.size(), PROT_READ, ex);
    if (r == runtime::Access::kOk) std::memcpy(out.data(), at(a), out.size());
    return r;
  }
  runtime::Access store(std::uint64_t a, ByteSpan in, Exception& ex) {
    const runtime::Access r = operand(a, in.size(), PROT_WRITE, ex);
    if (r == runtime::Access::kOk) std::memcpy(at(a), in.data(), in.size());
    return r;
  }
  monitor::LeafResult ereport(const sgx::TargetInfo& ti, const runtime::ReportData& data, sgx::Report& rep) {
    EreportReq req{};
    std::memcpy(req.target_info, &ti, sizeof req.target_info);
    std::memcpy(req.report_data, data.data(), sizeof req.report_data);
    const auto body = rpc(w, Op::kEreport, bytes_of(req));
    auto r = parse<Reply>(body);
    if (!r || r->err != 0) die("EREPORT: bad monitor reply");
    const monitor::LeafResult res = leaf_result(*r);
    if (res && body.size() != sizeof(Reply) + sizeof rep) die("EREPORT: bad monitor reply");
    if (res) std::memcpy(&rep, body.data() + sizeof(Reply), sizeof rep);
    return res;
  }
  monitor::LeafResult egetkey(const sgx::KeyRequest& kr, runtime::Key& key) {
    EgetkeyReq req{};
    std::memcpy(req.key_request, &kr, sizeof req.key_request);
    const auto body = rpc(w, Op::kEgetkey, bytes_of(req));
    auto r = parse<Reply>(body);
    if (!r || r->err != 0) die("EGETKEY: bad monitor reply");
    const monitor::LeafResult res = leaf_result(*r);
    if (res) {
      if (body.size() != sizeof(Reply) + key.size()) die("EGETKEY: bad monitor reply");
      std::memcpy(key.data(), body.data() + sizeof(Reply), key.size());
      explicit_bzero(body.data() + sizeof(Reply), key.size());
    }
    return res;
  }
  monitor::LeafResult page_leaf(sgx::Enclu leaf, std::uint64_t page, std::uint64_t src, const sgx::Secinfo& si,
                                bool& retry) {
    PageOpReq req{};
    req.addr = page;
    req.src = src;
    std::memcpy(req.secinfo, &si, sizeof req.secinfo);
    const Op op = leaf == sgx::Enclu::kEaccept  ? Op::kEaccept
                  : leaf == sgx::Enclu::kEmodpe ? Op::kEmodpe
                                                : Op::kEacceptcopy;
    const auto body = board_rpc(w, op, bytes_of(req));
    auto r = parse<Reply>(body);
    if (!r || r->err != 0 || body.size() != sizeof(Reply) + 4) die("page leaf: bad monitor reply");
    std::int32_t prot;
    std::memcpy(&prot, body.data() + sizeof(Reply), 4);
    apply_map(page, 1, prot);
    const monitor::LeafResult res = leaf_result(*r);
    if (res.kind == monitor::LeafKind::kPf && w.leaf_retries < 4) {
      // The page is not there yet (EACCEPT of an SGX2 page before any
      // touch): the #PF goes to the driver, which EAUGs it, and the leaf
      // runs again (RIP unchanged), as after the kernel's fault handler.
      // Fixed when the page is there now: accessible, or an EPCM
      // violation (the SGX bit: EAUGed, pending) that the leaf itself
      // judges when it runs again.
      std::uint32_t code = 0;
      if (driver_fault(w, res.address, sgx::pf_error::kUser | sgx::pf_error::kWrite, code) ||
          (code & sgx::pf_error::kSgx) != 0) {
        ++w.leaf_retries;
        retry = true;
        return res;
      }
    }
    w.leaf_retries = 0;
    return res;
  }
  bool eexit(ucontext_t* c, std::uint64_t target, std::uint64_t /*next_rip: the host lands its own way*/,
             Exception& ex) {
    if (in_elrange(target, 1)) {  // SDM EEXIT: the target must be outside ELRANGE
      ex = {sgx::vector::kGp, 0, 0};
      return false;
    }
    w.rdi = runtime::ureg(c, REG_RDI), w.rsi = runtime::ureg(c, REG_RSI), w.rdx = runtime::ureg(c, REG_RDX);
    w.r8 = runtime::ureg(c, REG_R8), w.r9 = runtime::ureg(c, REG_R9);
    w.rsp = runtime::ureg(c, REG_RSP), w.rbp = runtime::ureg(c, REG_RBP);
    exit_to_host(w, c, kExitEexit);
    return true;
  }
};

constexpr std::uint64_t kTrapFlag = 0x100;  // RFLAGS.TF

// Whether a thread inside the enclave stands just past a SYSCALL that
// never reached the kernel's seccomp trap handler here: the two bytes
// before RIP are SYSCALL (0F 05) in ELRANGE and RCX holds RIP, which
// SYSCALL itself writes (SDM SYSCALL: RCX <- RIP of the next instruction).
bool dropped_syscall_trap(ucontext_t* uc) {
  const std::uint64_t rip = runtime::ureg(uc, REG_RIP);
  const std::uint64_t insn = rip - runtime::kSyscallInsnLength;
  if (runtime::ureg(uc, REG_RCX) != rip || !in_elrange(insn, 2) || !accessible(insn, 2, PROT_READ)) return false;
  const std::uint8_t* p = at(insn);
  return p[0] == 0x0f && p[1] == 0x05;
}

void enclave_signal(Worker& w, int sig, siginfo_t* info, ucontext_t* uc) {
  const std::uint64_t rip = runtime::ureg(uc, REG_RIP);
  Exception ex = runtime::exception_of_signal(sig, info, uc);
  if (ex.vector == sgx::vector::kDb && !in_elrange(rip)) {
    // A debugger's single step that left the enclave (through the exit
    // gate, host code): not the enclave's; the step ends here, unseen.
    runtime::set(uc, REG_EFL, runtime::ureg(uc, REG_EFL) & ~kTrapFlag);
    return;
  }
  if (sig == SIGSYS) {
    // A system call from enclave code (the first filter traps them all):
    // SYSCALL is #UD inside an enclave, reported at the instruction. One
    // from anywhere else is the host's own, refused by the second filter
    // while it served the enclave (a fault of its own, nested): not the
    // enclave's to see, and the host cannot go on.
    if (!in_elrange(rip - runtime::kSyscallInsnLength, runtime::kSyscallInsnLength)) die_refused(info);
    runtime::set(uc, REG_RIP, rip - runtime::kSyscallInsnLength);
    aex(w, uc, {sgx::vector::kUd, 0, 0});
    return;
  }
  if (runtime::instruction_trap(sig, info, uc) && in_elrange(rip, 2) && accessible(rip, 2, PROT_READ)) {
    runtime::Insn insn;
    const std::uint64_t n = std::min<std::uint64_t>(sizeof insn.bytes, g.cfg.base + g.cfg.size - rip);
    std::uint64_t ok = 0;
    while (ok < n && accessible(rip + ok, 1, PROT_READ)) ++ok;
    std::memcpy(insn.bytes, at(rip), ok);
    insn.ok = ok >= 2;
    // INT n: #GP natively, #UD in an enclave (cpu_context.h).
    if (sig == SIGSEGV && runtime::is_int_n(insn)) {
      aex(w, uc, {sgx::vector::kUd, 0, 0});
      return;
    }
    insn.ok = ok >= 3;
    if (const std::size_t len = runtime::enclu_length(insn, 0xd7); len != 0) {
      HostLeaves leaves{w, uc};
      const runtime::LeafOutcome o = runtime::run_enclu_leaf(leaves, uc, len, ex);
      if (o != runtime::LeafOutcome::kRetry) w.leaf_retries = 0;
      if (o != runtime::LeafOutcome::kFault) return;
      aex(w, uc, ex);
      return;
    }
  }
  if (ex.vector == sgx::vector::kPf && in_elrange(ex.address) && ex.address - g.cfg.base >= g.low) {
    // The driver's part of a fault (EAUG on a first touch, a stale mapping):
    // the monitor decides; the enclave retries, unaware, when it is fixed.
    // Not below vm.mmap_min_addr (an enclave at 0: a NULL dereference),
    // where no page can be mapped: the enclave's own #PF, as on SGX, where
    // the kernel has nothing to map there either.
    if (driver_fault(w, ex.address, ex.error_code, ex.error_code)) return;
  } else if (ex.vector == sgx::vector::kPf) {
    switch (g.app.fault(ex.address, ex.error_code, w.app_progress)) {
      case AppMemory::Fault::kMapped:
        return;  // the application's page, now mirrored: the access is retried
      case AppMemory::Fault::kStuck:
        // Only this enclave's host ends; the monitor, the application (its
        // ECALL fails with SGX_ERROR_ENCLAVE_LOST) and other enclaves go on.
        die("application memory: a fault persists on a page already mapped for the access (stopping this enclave)");
      case AppMemory::Fault::kNotMirrored:
        break;
    }
  }
  aex(w, uc, ex);
}

// Whether the application's ask `v` (Mailbox::interrupt) is one this
// worker has still to take for the request it serves.
bool interrupt_asked(const Worker& w, std::uint64_t v, std::uint32_t request) {
  return (v >> 32) == request && v != w.interrupt_taken.load(std::memory_order_acquire);
}

// The interrupter's signal on a worker: an interrupt AEX, as a host
// interrupt makes one on SGX — when the application asked for one during
// the request this worker serves, and the signal really interrupted
// enclave code: not the host's own code with `in_enclave` set (its entry
// stub, the exit gate), and at CSSA 0 with a frame left for the exception
// entry that follows (an exception entry in progress finishes first; an
// enclave with one SSA frame is never interrupted: it could not be
// entered for it). Otherwise nothing happens here, and the interrupter
// asks again while the application's ask stands.
void interrupt_signal(Worker& w, ucontext_t* uc) {
  if (__atomic_load_n(&w.block->header.in_enclave, __ATOMIC_ACQUIRE) == 0 || !in_elrange(runtime::ureg(uc, REG_RIP)) ||
      !is_tcs(w.tcs))
    return;
  const sgx::Tcs* t = tcs_of(w);
  if (t->cssa != 0 || t->nssa < 2) return;
  const std::uint64_t v = w.mb->interrupt.load(std::memory_order_acquire);
  if (!interrupt_asked(w, v, w.serving.load(std::memory_order_relaxed))) return;
  w.interrupt_taken.store(v, std::memory_order_release);
  aex(w, uc, Exception{}, true);
}

}  // namespace
}  // namespace nsgx::isolated

using namespace nsgx;
using namespace nsgx::isolated;

// The exit gate's C part (host_entry.S, nsgx_host_gate_common): the EEXIT
// the enclave asked for, through the same leaf and the same exit as a
// trapping ENCLU (enclu_leaves.h, HostLeaves::eexit, exit_to_host), on the
// worker's stack; `uc` ends as the context to continue in. The worker's
// loop then leaves the monitor's thread table exactly as after a trap.
extern "C" void nsgx_host_gate_exit(void* block, void* uc_v) {
  auto* b = static_cast<HostBlock*>(block);
  auto* uc = static_cast<ucontext_t*>(uc_v);
  if (b->worker == nullptr) die("exit gate of a slot without a worker");
  Worker& w = *b->worker;
  HostLeaves leaves{w, uc};
  Exception ex;
  w.leaf_retries = 0;
  if (runtime::run_gate_eexit(leaves, uc, ex) == runtime::LeafOutcome::kExited) {
    w.via_gate = true;
    return;
  }
  aex(w, uc, ex);  // #GP at the ENCLU the gate stands for
}

extern "C" void nsgx_signal_dispatch(int sig, void* info_v, void* uc_v, void* block, runtime::SignalBases* /*bases: held, never switched*/) {
  auto* info = static_cast<siginfo_t*>(info_v);
  auto* uc = static_cast<ucontext_t*>(uc_v);
  auto* b = static_cast<HostBlock*>(block);
  const std::uint64_t rip = runtime::ureg(uc, REG_RIP);
  // An interrupt: only this process's interrupter sends one (tgkill, so
  // SI_TKILL with this pid — which no other process can forge, Linux
  // refuses it in rt_tgsigqueueinfo); any other is ignored.
  if (sig == kInterruptSignal) {
    if (info->si_code == SI_TKILL && info->si_pid == g_pid && b != nullptr && b->worker != nullptr)
      interrupt_signal(*b->worker, uc);
    return;
  }
  // Exceptions come only from the kernel (SDM: the OS cannot make an enclave
  // see an exception that did not happen). A signal another process sent
  // (kill, tgkill, sigqueue: si_code <= 0) — or a SIGSYS that is not
  // seccomp's — is no exception: ignored, the thread goes on where it was.
  // Except that it may stand for one: Linux keeps one pending instance of
  // a standard signal, so seccomp's SIGSYS for the enclave's SYSCALL is
  // dropped when a forged one is pending, and the thread stands just past
  // the SYSCALL, which did not run — the enclave would take its own call
  // number in RAX for the answer. SYSCALL leaves its mark (RCX = the next
  // RIP): such a thread gets the #UD it is owed.
  if (sig == SIGSYS && info->si_code <= 0 && b != nullptr && b->worker != nullptr && b->header.in_enclave &&
      dropped_syscall_trap(uc)) {
    runtime::set(uc, REG_RIP, rip - runtime::kSyscallInsnLength);
    aex(*b->worker, uc, {sgx::vector::kUd, 0, 0});
    return;
  }
  if (info->si_code <= 0 || (sig == SIGSYS && info->si_code != runtime::kSysSeccomp)) return;
  if (b != nullptr && b->worker != nullptr) {
    Worker& w = *b->worker;
    if (b->header.in_enclave) {
      enclave_signal(w, sig, info, uc);
      return;
    }
    if (sig == SIGTRAP && rip == reinterpret_cast<std::uint64_t>(nsgx_host_resume_trap) + 1 && w.resume_pending) {
      // ERESUME: the SSA frame's state becomes the thread's.
      w.resume_pending = false;
      runtime::load_state(uc, w.resume_state);
      runtime::restore_fp(uc, ByteSpan(w.resume_xsave.data(), w.resume_xsave_len));
      if (w.dbg_step) {
        // The debugger's single step (debug enclaves only, Stub::resume):
        // TF, which the SSA's RFLAGS never carries in (load_state).
        w.dbg_step = false;
        runtime::set(uc, REG_EFL, runtime::ureg(uc, REG_EFL) | kTrapFlag);
      }
      __atomic_store_n(&b->header.in_enclave, 1u, __ATOMIC_RELEASE);
      return;
    }
  }
  if (sig == SIGSYS) die_refused(info);
  die("fault in the host's own code");
}

namespace nsgx::isolated {
namespace {

// R8/R9 for an EENTER: this worker's exit-gate offer, or zero — never the
// application's values, which would let it choose where an enclave thread
// of this process jumps when it leaves (docs/isolated.md, "The exit gate").
void gate_offer(Worker& w, MailGate mode, std::uint64_t& r8, std::uint64_t& r9) {
  r8 = r9 = 0;
  if (mode == MailGate::kOffer || mode == MailGate::kNoFsGate) {
    r8 = NSGX_EXIT_GATE_OFFER;
    r9 = reinterpret_cast<std::uint64_t>(mode == MailGate::kOffer ? &w.block->gate : &w.block->gate_no_fs);
    return;
  }
#ifdef NSGX_HOST_GATE_TESTING
  // Offers the enclave must refuse (sdk/tests/exit_gate_test.cc).
  nsgx_exit_gate& d = w.block->test_gate;
  d = w.block->gate;
  r8 = NSGX_EXIT_GATE_OFFER;
  r9 = reinterpret_cast<std::uint64_t>(&d);
  switch (mode) {
    case MailGate::kTestInside:
      d.gate = g.cfg.base + tcs_of(w)->oentry;
      break;
    case MailGate::kTestFsInside:
      d.fs_gate = g.cfg.base + tcs_of(w)->oentry;
      break;
    case MailGate::kTestMagic:
      d.magic ^= 1;
      break;
    case MailGate::kTestVersion:
      d.version += 1;
      break;
    case MailGate::kTestOffer:
      r8 ^= 1;
      break;
    default:
      r8 = r9 = 0;
      break;
  }
#endif
}

// Makes the thread's bases `fs` and `gs` if they are not already: a
// comparison when they are, `arch_prctl` (which the sandbox allows for
// exactly these two) when not. False if the kernel refuses a base (not a
// user address: the entry would #GP).
bool hold(Worker& w, std::uint64_t fs, std::uint64_t gs) {
  runtime::SlotHeader& held = w.block->header;
  if (w.bases_ok && fs == held.cur_fs && gs == held.cur_gs) return true;
  // Each base only if it changes: a GS write costs ~18,000 cycles here
  // (docs/inproc.md), and a program's own FS changes nothing about GS.
  const bool fs_ok = (w.bases_ok && fs == held.cur_fs) || runtime::set_fs_base(fs) == 0;
  const bool gs_ok = (w.bases_ok && gs == held.cur_gs) || runtime::set_gs_base(gs) == 0;
  held.cur_fs = fs;
  held.cur_gs = gs;
  w.bases_ok = fs_ok && gs_ok;
  return w.bases_ok;
}

// EENTER's bases: the enclave base + TCS.OFSBASE/OGSBASE (SDM EENTER). They
// differ from the ones held only after an ERESUME with other bases (below)
// or if the TCS page itself was replaced (trimmed, removed and made a TCS
// again).
bool hold_bases(Worker& w, const sgx::Tcs& t) { return hold(w, g.cfg.base + t.ofs_base, g.cfg.base + t.ogs_base); }

// The SGX SDK's EENTER command for an OCALL's return (docs/sdk-abi.md).
constexpr std::uint64_t kEcmdOret = static_cast<std::uint64_t>(-2);

// An OCALL's return to a thread whose exit came through the exit gate
// keeps the FS base that exit left (runtime/common/exit_gate.h, "FS at an
// OCALL's return"): only our trusted runtime takes the gate, and it reaches
// its thread data through GS alone, so the base that is kept is the one
// the enclave's own code ran on — a library OS's program's — and the two
// arch_prctl calls (~7,000 cycles each here) that loading the TCS's and
// then the program's again would cost are saved. Every other entry loads
// the TCS's, as EENTER does (SDM): an ECALL, an exception's entry, any
// entry after a trapping EEXIT or an AEX, and every entry of an enclave
// built by Intel's SDK, which never takes the gate.
bool hold_entry_bases(Worker& w, const sgx::Tcs& t, std::uint64_t rdi) {
  if (rdi == kEcmdOret && w.via_gate && w.bases_ok) return hold(w, w.block->header.cur_fs, g.cfg.base + t.ogs_base);
  return hold_bases(w, t);
}

[[noreturn]] void worker_loop_held(Worker& w);

void worker_loop(Worker& w) {
  // Only synchronous exceptions reach this thread.
  HostBlock* b = w.block;
  stack_t ss{};
  ss.ss_sp = reinterpret_cast<std::uint8_t*>(b) + runtime::kAltStackOffset;
  ss.ss_size = runtime::kSlotSize - runtime::kAltStackOffset;
  if (sigaltstack(&ss, nullptr) != 0) die("sigaltstack");
  // The interrupter's signal, on workers only (every other thread blocks
  // it), with the thread id the interrupter sends it to.
  w.tid.store(static_cast<std::int32_t>(raw_syscall(SYS_gettid)), std::memory_order_release);
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, kInterruptSignal);
  if (pthread_sigmask(SIG_UNBLOCK, &interrupt, nullptr) != 0) die("interrupt signal");
  // From here on the thread runs with the enclave's FS and never returns
  // into libc's thread code.
  (void)hold_bases(w, *tcs_of(w));
  worker_loop_held(w);
}

// The registers of one EENTER as the application (or the turnaround) asks for it.
struct EnterArgs {
  std::uint64_t rdi = 0, rsi = 0, rdx = 0, ursp = 0, urbp = 0;
};

// One EENTER or ERESUME on this worker's TCS, with the SDM's checks and the
// monitor's thread table around it — the one path every entry takes, the
// application's and the exception turnaround's alike: kExitEexit,
// kExitAex (the state is in the worker) or kExitFault (refused, or no
// frame to save an AEX into).
long transition(Worker& w, MailOp op, MailGate gate, const EnterArgs& in) {
  HostBlock* b = w.block;
  std::uint64_t r8 = 0, r9 = 0;
  sgx::Tcs* t = tcs_of(w);
  long code = kExitFault;
  std::uint64_t first = 0;
  // Inside from here on, as the monitor sees it — published before the
  // TCS is checked, so that a revocation (EMODT) racing with this entry
  // either sees this thread inside or is seen here (protocol.h, ThreadSlot).
  ThreadSlot& slot = g.threads[w.index];
  slot.inside_tcs.store(w.tcs, std::memory_order_seq_cst);
  if (slot.revoked_tcs.load(std::memory_order_seq_cst) == w.tcs || !is_tcs(w.tcs) ||
      (op == MailOp::kEenter && !hold_entry_bases(w, *t, in.rdi))) {
    // SDM EENTER/ERESUME: #GP unless the page is a valid TCS (it may have
    // been trimmed since this thread was started for it); or the bases
    // could not be held: a fault below.
  } else if (op == MailOp::kEenter && t->cssa < t->nssa && ssa_frame(*t, t->cssa, first)) {
    // SDM EENTER: URSP/URBP into the current frame; RAX = CSSA, RBX = TCS.
    sgx::Gprsgx* gpr = gprsgx_at(first);
    gpr->ursp = in.ursp;
    gpr->urbp = in.urbp;
    w.enter_ursp = in.ursp;
    gate_offer(w, gate, r8, r9);
    w.via_gate = false;
    // RCX: where EENTER came from (SDM EENTER), the target the runtime's
    // EEXIT names. The host lands its own way, but the target must lie
    // outside ELRANGE (EEXIT's check, HostLeaves::eexit): 0 is not, for an
    // enclave at base 0 (a library OS non-PIE program's).
    const std::uint64_t from = reinterpret_cast<std::uint64_t>(nsgx_host_exit_landing);
    const EnterRegs r{g.cfg.base + t->oentry, t->cssa, w.tcs, from, in.rdx, in.rdi, in.rsi, r8, r9, in.ursp, in.urbp};
    g.app.sync();  // what the application wrote before this entry
    w.app_progress = {};
    code = nsgx_host_enter(b, &r);
    g.app.sync();  // what the enclave wrote, before the application learns of the exit
  } else if (op == MailOp::kEresume && t->cssa > 0 && t->cssa <= t->nssa && ssa_frame(*t, t->cssa - 1, first)) {
    // The frame, read once (other threads of the enclave may write it).
    w.resume_state = monitor::eresume_state(*gprsgx_at(first));
    // SDM ERESUME (64-bit): FS and GS from the frame's GPRSGX.FSBASE/
    // GSBASE — what AEX saved, or what the enclave wrote there meanwhile
    // (a library OS sets a program's FS this way, docs/libos.md). A base
    // the kernel refuses is the #GP of a failed ERESUME.
    if (hold(w, w.resume_state.fs_base, w.resume_state.gs_base)) {
      w.resume_xsave_len = std::min(monitor::ssa_xsave_room(g.cfg.ssa_frame_size), w.resume_xsave.size());
      std::memcpy(w.resume_xsave.data(), at(first), w.resume_xsave_len);
      t->cssa -= 1;
      w.resume_pending = true;
      w.via_gate = false;
      g.app.sync();
      w.app_progress = {};
      code = nsgx_host_resume(b);
      g.app.sync();
    }
  }
  slot.inside_tcs.store(0, std::memory_order_seq_cst);
  return code;
}

// ------------------------------------------------------------------ debugging
//
// A debug enclave's gdb remote-protocol stub (docs/threat-model.md
// "Debugging", docs/monitor-interface.md "Debugging"). Only a debug
// enclave's host has a debugging channel (the monitor sends it with
// kHostDebug), and only the enclave's owner is lent the other end. The stub
// is this process's, so what a debugger asks for runs in the enclave's own
// sandboxed host — never in the monitor — and reaches only what SGX's
// EDBGRD/EDBGWR and a debug enclave's SSA give a debugger on hardware:
// ELRANGE (code through the host's private copy, so breakpoints never
// reach the EPC) and the state of this enclave's threads stopped at an AEX.
// It has no command that runs anything, opens a file or touches a process.
//
// Threads stop one by one (gdb's non-stop protocol; gdb shows all-stop on
// top of it with `maint set target-non-stop on`): a worker that takes an
// AEX for #BP or #DB (int3, a single step) or a fault stops there, its
// registers in its SSA frame; a worker the debugger asks to stop stops
// before its next entry — at once if it is outside the enclave, else when
// its entry ends (there is no way to interrupt enclave code from here).
// A stopped worker enters nothing until the debugger resumes it. Single
// step: TF on the ERESUME (SDM: a debug enclave may be single-stepped); a
// #DB that lands outside ELRANGE (the step left through the exit gate) is
// not a stop. Resumed, #BP and #DB go on with ERESUME; a fault goes on to
// the application as without a debugger.
struct DebugState {
  int fd = -1;                              // the debugging channel; -1: not a debug enclave
  std::atomic<std::uint32_t> session{0};    // a debugger talks on the channel
  std::atomic<std::uint32_t> run_gen{0};    // futex: stopped workers wait for it to change
  std::atomic<std::uint32_t> event_gen{0};  // futex: the stub waits for a worker's stop
} g_dbg;

void dbg_wake(std::atomic<std::uint32_t>& word) {
  word.fetch_add(1, std::memory_order_seq_cst);
  raw_syscall(SYS_futex, reinterpret_cast<long>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX);
}

void dbg_wait(std::atomic<std::uint32_t>& word, std::uint32_t seen, long timeout_ns = 0) {
  timespec ts{0, timeout_ns};
  raw_syscall(SYS_futex, reinterpret_cast<long>(&word), FUTEX_WAIT_PRIVATE, static_cast<long>(seen),
              timeout_ns > 0 ? reinterpret_cast<long>(&ts) : 0);
}

bool debugging() { return g_dbg.fd >= 0 && g_dbg.session.load(std::memory_order_seq_cst) != 0; }

// Queues a stop reply for `w` (the stub sends it).
void queue_stop(Worker& w, std::uint32_t sig) {
  w.dbg_signal = sig;
  w.dbg_pending.store(1, std::memory_order_seq_cst);
  dbg_wake(g_dbg.event_gen);
}

// Before any entry: a stopped worker waits here until resumed. `inside`
// is published before `stopped` is read, and the stub sets `stopped`
// before it reads `inside` (both sequentially consistent): either the stub
// sees this worker inside and leaves the stop to its exit, or this worker
// sees the stop and does not enter.
void debug_gate(Worker& w) {
  w.dbg_inside.store(1, std::memory_order_seq_cst);
  for (;;) {
    const std::uint32_t gen = g_dbg.run_gen.load(std::memory_order_seq_cst);
    if (!debugging() || w.dbg_stopped.load(std::memory_order_seq_cst) == 0) break;
    w.dbg_inside.store(0, std::memory_order_seq_cst);
    w.dbg_parked.store(kDbgBeforeEntry, std::memory_order_seq_cst);
    dbg_wait(g_dbg.run_gen, gen);
    w.dbg_parked.store(0, std::memory_order_seq_cst);
    w.dbg_inside.store(1, std::memory_order_seq_cst);
  }
}

// After an entry: a stop the debugger asked for while this worker was
// inside is due now (it is outside until its next gate).
void debug_left(Worker& w) {
  w.dbg_inside.store(0, std::memory_order_seq_cst);
  std::uint32_t owed = 1;
  if (debugging() && w.dbg_owed.compare_exchange_strong(owed, 0, std::memory_order_seq_cst)) queue_stop(w, 0);
}

// gdb's signal for an exception vector: what Linux delivers natively.
std::uint32_t signal_of(std::uint8_t vector) {
  switch (vector) {
    case sgx::vector::kDb:
    case sgx::vector::kBp:
      return SIGTRAP;
    case sgx::vector::kUd:
      return SIGILL;
    case sgx::vector::kDe:
    case sgx::vector::kMf:
    case sgx::vector::kXm:
      return SIGFPE;
    case sgx::vector::kAc:
      return SIGBUS;
    default:
      return SIGSEGV;
  }
}

// After an AEX: a stop for the debugger, if one is attached; returns once
// it resumes the thread (false: no debugger, nothing happened).
bool debug_stop(Worker& w) {
  if (!debugging()) return false;
  w.dbg_stopped.store(1, std::memory_order_seq_cst);
  w.dbg_owed.store(0, std::memory_order_seq_cst);  // this stop answers any asked for
  w.dbg_parked.store(kDbgAtAex, std::memory_order_seq_cst);
  queue_stop(w, signal_of(w.ex.vector));
  for (;;) {
    const std::uint32_t gen = g_dbg.run_gen.load(std::memory_order_seq_cst);
    if (!debugging() || w.dbg_stopped.load(std::memory_order_seq_cst) == 0) break;
    dbg_wait(g_dbg.run_gen, gen);
  }
  w.dbg_parked.store(0, std::memory_order_seq_cst);
  return true;
}

// ---- the stub's view of the enclave (the stub thread only)

// The stopped thread's SSA frame (CSSA-1), if it is stopped at an AEX.
sgx::Gprsgx* stopped_gpr(Worker* w, std::uint8_t** xsave = nullptr) {
  if (w == nullptr || w->dbg_parked.load(std::memory_order_seq_cst) != kDbgAtAex) return nullptr;
  const sgx::Tcs* t = tcs_of(*w);
  std::uint64_t first = 0;
  if (t->cssa == 0 || !ssa_frame(*t, t->cssa - 1, first)) return nullptr;
  if (xsave != nullptr) *xsave = at(first);
  return gprsgx_at(first);
}

// gdb's amd64 registers in the order of the target description below:
// (GPRSGX offset or -1, size) per register number.
struct RegSlot {
  int gpr;        // offset in GPRSGX, -1: not there
  int fx;         // offset in the SSA's XSAVE legacy region (FXSAVE layout), -1: not there
  unsigned size;  // bytes in the 'g' packet
};
constexpr int kGpr(std::size_t off) { return static_cast<int>(off); }
constexpr RegSlot kRegs[] = {
    {kGpr(offsetof(sgx::Gprsgx, rax)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rbx)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rcx)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rdx)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rsi)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rdi)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rbp)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rsp)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r8)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r9)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r10)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r11)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r12)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r13)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r14)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, r15)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, rip)), -1, 8},  // 16
    {kGpr(offsetof(sgx::Gprsgx, rflags)), -1, 4},
    {-1, -1, 4},
    {-1, -1, 4},
    {-1, -1, 4},
    {-1, -1, 4},
    {-1, -1, 4},
    {-1, -1, 4},  // cs ss ds es fs gs
    {-1, 32, 10},
    {-1, 48, 10},
    {-1, 64, 10},
    {-1, 80, 10},  // st0-st7 (FXSAVE: 16 bytes apart)
    {-1, 96, 10},
    {-1, 112, 10},
    {-1, 128, 10},
    {-1, 144, 10},
    {-1, 0, 4},
    {-1, 2, 4},
    {-1, -1, 4},
    {-1, 12, 4},
    {-1, 8, 4},
    {-1, 20, 4},
    {-1, 16, 4},
    {-1, 6, 4},  // 32: fctrl..fop
    {-1, 160, 16},
    {-1, 176, 16},
    {-1, 192, 16},
    {-1, 208, 16},
    {-1, 224, 16},
    {-1, 240, 16},  // 40: xmm0-15
    {-1, 256, 16},
    {-1, 272, 16},
    {-1, 288, 16},
    {-1, 304, 16},
    {-1, 320, 16},
    {-1, 336, 16},
    {-1, 352, 16},
    {-1, 368, 16},
    {-1, 384, 16},
    {-1, 400, 16},
    {-1, 24, 4},  // 56: mxcsr
    {-1, -1, 8},  // 57: orig_rax
    {kGpr(offsetof(sgx::Gprsgx, fs_base)), -1, 8},
    {kGpr(offsetof(sgx::Gprsgx, gs_base)), -1, 8},  // 58, 59
};
constexpr std::size_t kRegCount = sizeof kRegs / sizeof kRegs[0];
static_assert(kRegCount == 60, "the target description's registers");
// FXSAVE's fop and the x87 control words are 16 bits; gdb's are 32.
constexpr unsigned fx_width(int fx) {
  return fx == 0 || fx == 2 || fx == 6 || fx == 12 || fx == 20 ? 2 : fx == 8 || fx == 16 ? 4 : 0;
}

// The target description (GDB manual, "Target Descriptions"; the features
// gdb's amd64 support looks for: i386.core, .sse, .linux, .segments).
std::string target_xml() {
  static const char* const kNames[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  std::string x =
      "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target>"
      "<architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi><feature name=\"org.gnu.gdb.i386.core\">";
  int n = 0;
  const auto reg = [&](const std::string& name, int bits, const char* type, const char* group = nullptr) {
    x += "<reg name=\"" + name + "\" bitsize=\"" + std::to_string(bits) + "\" type=\"" + type + "\" regnum=\"" +
         std::to_string(n++) + "\"" + (group ? std::string(" group=\"") + group + "\"" : std::string()) + "/>";
  };
  for (const char* r : kNames)
    reg(r, 64, std::string_view(r) == "rbp" || std::string_view(r) == "rsp" ? "data_ptr" : "int64");
  reg("rip", 64, "code_ptr");
  reg("eflags", 32, "int32");
  for (const char* r : {"cs", "ss", "ds", "es", "fs", "gs"}) reg(r, 32, "int32");
  for (int i = 0; i < 8; ++i) reg("st" + std::to_string(i), 80, "i387_ext");
  for (const char* r : {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"})
    reg(r, 32, "int", "float");
  x += "</feature><feature name=\"org.gnu.gdb.i386.sse\">";
  for (int i = 0; i < 16; ++i) reg("xmm" + std::to_string(i), 128, "uint128", "vector");
  reg("mxcsr", 32, "int", "vector");
  x += "</feature><feature name=\"org.gnu.gdb.i386.linux\">";
  reg("orig_rax", 64, "int");
  x += "</feature><feature name=\"org.gnu.gdb.i386.segments\">";
  reg("fs_base", 64, "int");
  reg("gs_base", 64, "int");
  x += "</feature></target>";
  return x;
}

// One register's bytes (little-endian) for a stopped thread, or 'x's
// ("unavailable") for a thread that is not stopped at an AEX — except its
// RIP, which is where it will enter next (`entry`: TCS.OENTRY), so that
// gdb has a place to show for every thread (it refuses a connection whose
// current thread has no PC).
void append_reg(std::string& out, std::size_t n, const sgx::Gprsgx* gpr, const std::uint8_t* fx, std::uint64_t entry) {
  const RegSlot& r = kRegs[n];
  std::array<std::uint8_t, 16> v{};
  if (gpr == nullptr && n == 16 && entry != 0) {
    std::memcpy(v.data(), &entry, 8);
    rsp::append_hex(out, std::span<const std::uint8_t>(v.data(), 8));
    return;
  }
  if (gpr == nullptr) {
    out.append(std::size_t{r.size} * 2, 'x');
    return;
  }
  if (r.gpr >= 0) {
    std::memcpy(v.data(), reinterpret_cast<const std::uint8_t*>(gpr) + r.gpr, r.size);
  } else if (r.fx >= 0) {
    const unsigned width = r.size == 4 ? fx_width(r.fx) : r.size;
    if (r.fx == 24)
      std::memcpy(v.data(), fx + 24, 4);  // mxcsr
    else
      std::memcpy(v.data(), fx + r.fx, width);
  } else if (n == 18 || n == 19) {
    v[0] = n == 18 ? 0x33 : 0x2b;  // the user code and stack selectors of 64-bit Linux
  } else if (n == 57) {
    std::memset(v.data(), 0xff, 8);  // orig_rax: no system call in progress
  } else if (n == 34) {
    // ftag: FXSAVE keeps one "valid" bit per register; gdb wants the full
    // tag word (11 = empty).
    std::uint16_t tag = 0;
    for (int i = 0; i < 8; ++i) tag = static_cast<std::uint16_t>(tag | ((fx[4] >> i & 1) ? 0 : 3) << (2 * i));
    std::memcpy(v.data(), &tag, 2);
  }
  rsp::append_hex(out, std::span<const std::uint8_t>(v.data(), r.size));
}

// Writes one register of a stopped thread: the GPRSGX ones only (what
// ERESUME loads; the x87/SSE state and the selectors are read-only here).
bool write_reg(std::size_t n, sgx::Gprsgx* gpr, std::span<const std::uint8_t> v) {
  if (n >= kRegCount || gpr == nullptr || v.size() != kRegs[n].size) return false;
  if (kRegs[n].gpr < 0) return false;
  std::uint64_t val = 0;
  std::memcpy(&val, v.data(), v.size());
  std::memcpy(reinterpret_cast<std::uint8_t*>(gpr) + kRegs[n].gpr, &val, n == 17 ? 8 : v.size());
  return true;
}

// Memory: ELRANGE only, page by page as the enclave's own view allows.
// Reads: a page the enclave can read (or a TCS) from the view of the EPC,
// a private code page from the copy that holds the breakpoints. Writes: a
// page the enclave can write (the EPC, as EDBGWR), or a private code page
// (the copy; made writable for the moment of the write). Anything else —
// outside ELRANGE, a page the enclave does not have — is refused.
std::size_t read_enclave(std::uint64_t addr, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t a = addr + done;
    if (a < addr || !in_elrange(a)) break;
    const std::uint64_t page = a & ~(kPage - 1);
    const std::int8_t e = g.prot[(page - g.cfg.base) / kPage].load(std::memory_order_relaxed);
    if ((e & (PROT_READ | kTableTcs)) == 0) break;
    const std::size_t n = std::min<std::uint64_t>(out.size() - done, page + kPage - a);
    std::memcpy(out.data() + done, (e & kTablePrivate) != 0 ? reinterpret_cast<const std::uint8_t*>(a) : at(a), n);
    done += n;
  }
  return done;
}

bool write_enclave(std::uint64_t addr, std::span<const std::uint8_t> in) {
  if (in.empty()) return in_elrange(addr);
  if (!in_elrange(addr, in.size())) return false;
  for (std::uint64_t p = addr & ~(kPage - 1); p < addr + in.size(); p += kPage) {
    const std::int8_t e = g.prot[(p - g.cfg.base) / kPage].load(std::memory_order_relaxed);
    if ((e & kTablePrivate) == 0 && (e & PROT_WRITE) == 0) return false;
  }
  std::size_t done = 0;
  while (done < in.size()) {
    const std::uint64_t a = addr + done, page = a & ~(kPage - 1);
    const std::size_t n = std::min<std::uint64_t>(in.size() - done, page + kPage - a);
    const std::int8_t e = g.prot[(page - g.cfg.base) / kPage].load(std::memory_order_relaxed);
    if ((e & kTablePrivate) != 0) {
      const int prot = e & (PROT_READ | PROT_EXEC);
      if (raw_syscall(SYS_mprotect, static_cast<long>(page), static_cast<long>(kPage), prot | PROT_WRITE) != 0)
        return false;
      std::memcpy(reinterpret_cast<std::uint8_t*>(a), in.data() + done, n);
      raw_syscall(SYS_mprotect, static_cast<long>(page), static_cast<long>(kPage), prot);
    } else {
      std::memcpy(at(a), in.data() + done, n);
    }
    done += n;
  }
  return true;
}

// Where a thread enters the enclave next: base + TCS.OENTRY (SDM EENTER).
std::uint64_t entry_of(Worker* w) {
  if (w == nullptr || !is_tcs(w->tcs)) return 0;
  return g.cfg.base + tcs_of(*w)->oentry;
}

std::string rsp_id(const Worker* w) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", w != nullptr ? w->index + 1 : 1);
  return buf;
}

// The workers made so far (the stub's thread reads them as published).
std::vector<Worker*> workers() {
  std::vector<Worker*> out;
  for (std::size_t i = 0; i < g.workers.size(); ++i)
    if (Worker* w = g.published[i].load(std::memory_order_acquire)) out.push_back(w);
  return out;
}

class Stub {
 public:
  void run();

 private:
  static void send_raw(std::string_view bytes);
  void reply(std::string_view payload);
  void packet(std::string_view p);
  void end_session();
  static Worker* take_pending();
  std::string stop_text(Worker& w);
  void flush_stops();
  static bool vcont(std::string_view actions);
  static void request_stop(Worker& w);
  static void release(Worker& w, bool step);
  static Worker* worker(std::uint64_t id);
  Worker* selected(std::uint64_t id) const;

  rsp::Reader reader_;
  bool non_stop_ = false;                      // QNonStop:1 (stops are notifications)
  bool notified_ = false;                      // non-stop: a %Stop notification awaits vStopped
  bool waiting_ = false;                       // all-stop: a resume awaits its stop reply
  std::uint64_t g_thread_ = 0, c_thread_ = 0;  // Hg/Hc; 0: any
  Worker* last_ = nullptr;                     // the thread of the latest stop
  std::string out_;
};

Worker* Stub::worker(std::uint64_t id) {
  if (id == 0 || id > g.workers.size()) return nullptr;
  return g.published[id - 1].load(std::memory_order_acquire);
}

Worker* Stub::selected(std::uint64_t id) const {
  if (Worker* w = worker(id)) return w;
  if (last_ != nullptr) return last_;
  for (Worker* w : workers())
    if (w) return w;
  return nullptr;
}

void Stub::send_raw(std::string_view bytes) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  (void)sendmsg(g_dbg.fd, &m, MSG_NOSIGNAL);  // a debugger gone is the monitor's to notice (session end)
}

void Stub::reply(std::string_view payload) {
  out_.clear();
  rsp::frame(payload, out_);
  send_raw(out_);
}

std::string Stub::stop_text(Worker& w) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "T%02xthread:%x;", w.dbg_signal & 0xff, w.index + 1);
  last_ = &w;
  return buf;
}

Worker* Stub::take_pending() {
  for (Worker* w : workers()) {
    std::uint32_t one = 1;
    if (w && w->dbg_pending.compare_exchange_strong(one, 0, std::memory_order_seq_cst)) return w;
  }
  return nullptr;
}

// Queued stops to the debugger: in non-stop mode one notification at a
// time (the rest answer its vStopped), in all-stop mode the answer to the
// resume that waits for it.
void Stub::flush_stops() {
  if (non_stop_ ? notified_ : !waiting_) return;
  Worker* w = take_pending();
  if (w == nullptr) return;
  const std::string text = stop_text(*w);
  if (non_stop_) {
    out_ = "%";
    rsp::frame("Stop:" + text, out_);
    out_.erase(1, 1);  // "%Stop:...#cs": a notification is framed by '%', not '$'
    send_raw(out_);
    notified_ = true;
  } else {
    waiting_ = false;
    reply(text);
  }
}

// vCont;t: stopped at once if outside the enclave (it will wait at its
// next entry), else when its entry ends (debug_left) or at an AEX.
void Stub::request_stop(Worker& w) {
  if (w.dbg_stopped.load(std::memory_order_seq_cst) != 0) return;
  w.dbg_owed.store(1, std::memory_order_seq_cst);
  w.dbg_stopped.store(1, std::memory_order_seq_cst);
  std::uint32_t owed = 1;
  if (w.dbg_inside.load(std::memory_order_seq_cst) == 0 &&
      w.dbg_owed.compare_exchange_strong(owed, 0, std::memory_order_seq_cst))
    queue_stop(w, 0);
}

// vCont;c or s: a thread whose stop the debugger has been told of goes on
// (a stop not yet told stays, so that none is lost).
void Stub::release(Worker& w, bool step) {
  if (w.dbg_stopped.load(std::memory_order_seq_cst) == 0 || w.dbg_pending.load(std::memory_order_seq_cst) != 0) return;
  w.dbg_step = step && stopped_gpr(&w) != nullptr;
  w.dbg_owed.store(0, std::memory_order_seq_cst);
  w.dbg_stopped.store(0, std::memory_order_seq_cst);
}

// vCont;ACTION[:THREAD]...: for each thread the leftmost action that names
// it or no thread (GDB manual, "vCont").
bool Stub::vcont(std::string_view actions) {
  struct Action {
    char what;
    std::uint64_t thread;  // 0: every thread
  };
  std::array<Action, 16> list{};
  std::size_t n = 0;
  while (!actions.empty()) {
    if (actions[0] != ';' || n == list.size()) return false;
    actions.remove_prefix(1);
    const std::size_t next = actions.find(';');
    std::string_view a = actions.substr(0, next);
    actions = next == std::string_view::npos ? std::string_view() : actions.substr(next);
    if (a.empty()) return false;
    const char what = a[0];
    if (what != 'c' && what != 'C' && what != 's' && what != 'S' && what != 't') return false;
    a.remove_prefix(1);
    if (what == 'C' || what == 'S') {  // the signal: not delivered (an enclave has no signals)
      const std::size_t colon = a.find(':');
      std::uint64_t sig = 0;
      if (!rsp::parse_hex(a.substr(0, colon), sig)) return false;
      a = colon == std::string_view::npos ? std::string_view() : a.substr(colon);
    }
    std::uint64_t id = 0;
    if (!a.empty()) {
      if (a[0] != ':') return false;
      a.remove_prefix(1);
      if (a != "-1" && (!rsp::parse_hex(a, id) || worker(id) == nullptr)) return false;
    }
    list[n++] = {static_cast<char>(what == 'C' ? 'c' : what == 'S' ? 's' : what), id};
  }
  if (n == 0) return false;
  for (Worker* w : workers()) {
    if (!w) continue;
    for (std::size_t i = 0; i < n; ++i) {
      if (list[i].thread != 0 && list[i].thread != w->index + 1) continue;
      if (list[i].what == 't')
        request_stop(*w);
      else
        release(*w, list[i].what == 's');
      break;
    }
  }
  dbg_wake(g_dbg.run_gen);
  return true;
}

void Stub::end_session() {
  for (Worker* w : workers())
    if (w) {
      w->dbg_step = false;
      w->dbg_pending.store(0, std::memory_order_seq_cst);
      w->dbg_owed.store(0, std::memory_order_seq_cst);
      w->dbg_stopped.store(0, std::memory_order_seq_cst);
    }
  reader_ = rsp::Reader();
  non_stop_ = notified_ = waiting_ = false;
  g_thread_ = c_thread_ = 0;
  last_ = nullptr;
  g_dbg.session.store(0, std::memory_order_seq_cst);
  dbg_wake(g_dbg.run_gen);
}

void Stub::packet(std::string_view p) {
  const char cmd = p.empty() ? '\0' : p[0];
  const std::string_view args = p.empty() ? p : p.substr(1);
  std::string r;
  if (p == "?") {
    // Every stopped thread once more: the first now, the rest by vStopped.
    for (Worker* w : workers())
      if (w && w->dbg_stopped.load(std::memory_order_seq_cst) != 0 && w->dbg_owed.load() == 0)
        w->dbg_pending.store(1, std::memory_order_seq_cst);
    if (Worker* w = take_pending()) {
      notified_ = non_stop_;
      return reply(stop_text(*w));
    }
    if (non_stop_) return reply("OK");  // every thread runs
    Worker* w = selected(0);            // all-stop: the target is "stopped" at a thread's entry point
    return reply("T00thread:" + rsp_id(w) + ";");
  }
  if (p == "vStopped") {
    if (Worker* w = take_pending()) return reply(stop_text(*w));
    notified_ = false;
    return reply("OK");
  }
  if (p.starts_with("qSupported")) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "PacketSize=%zx;qXfer:features:read+;QNonStop+", rsp::kMaxPacket);  // in hex
    return reply(buf);
  }
  if (p == "QNonStop:1" || p == "QNonStop:0") {
    non_stop_ = p.back() == '1';
    return reply("OK");
  }
  if (p.starts_with("qXfer:features:read:target.xml:")) {
    const std::string_view range = p.substr(std::string_view("qXfer:features:read:target.xml:").size());
    const std::size_t comma = range.find(',');
    std::uint64_t off = 0, len = 0;
    if (comma == std::string_view::npos || !rsp::parse_hex(range.substr(0, comma), off) ||
        !rsp::parse_hex(range.substr(comma + 1), len))
      return reply("E01");
    const std::string xml = target_xml();
    len = std::min<std::uint64_t>(len, rsp::kMaxPacket - 1);
    if (off >= xml.size()) return reply("l");
    const std::string_view part = std::string_view(xml).substr(off, len);
    return reply((off + part.size() >= xml.size() ? "l" : "m") + std::string(part));
  }
  if (p == "qAttached") return reply("1");
  if (p == "qC") return reply("QC" + rsp_id(selected(g_thread_)));
  if (p == "qfThreadInfo") {
    r = "m";
    for (Worker* w : workers())
      if (w) r += rsp_id(w) + ",";
    if (r.size() > 1) r.pop_back();
    return reply(r.size() > 1 ? r : std::string("l"));
  }
  if (p == "qsThreadInfo") return reply("l");
  if (p == "vCont?") return reply("vCont;c;C;s;S;t");
  if (p.starts_with("vCont;")) {
    if (!vcont(p.substr(5))) return reply("E01");
    if (non_stop_) return reply("OK");
    waiting_ = true;  // all-stop: the answer is the next stop
    return;
  }
  if (cmd == 'H' && args.size() >= 2) {
    std::uint64_t id = 0;
    const std::string_view ids = args.substr(1);
    if (ids != "-1" && ids != "0" && (!rsp::parse_hex(ids, id) || worker(id) == nullptr)) return reply("E01");
    (args[0] == 'g' ? g_thread_ : c_thread_) = id;
    return reply("OK");
  }
  if (cmd == 'T') {
    std::uint64_t id = 0;
    return reply(rsp::parse_hex(args, id) && worker(id) != nullptr ? "OK" : "E01");
  }
  if (cmd == 'g' && args.empty()) {
    std::uint8_t* fx = nullptr;
    Worker* w = selected(g_thread_);
    const sgx::Gprsgx* gpr = stopped_gpr(w, &fx);
    for (std::size_t n = 0; n < kRegCount; ++n) append_reg(r, n, gpr, fx, entry_of(w));
    return reply(r);
  }
  if (cmd == 'p') {
    std::uint64_t n = 0;
    if (!rsp::parse_hex(args, n) || n >= kRegCount) return reply("E01");
    std::uint8_t* fx = nullptr;
    Worker* w = selected(g_thread_);
    const sgx::Gprsgx* gpr = stopped_gpr(w, &fx);
    append_reg(r, n, gpr, fx, entry_of(w));
    return reply(r);
  }
  if (cmd == 'P') {
    const std::size_t eq = args.find('=');
    std::uint64_t n = 0;
    std::array<std::uint8_t, 16> v{};
    if (eq == std::string_view::npos || !rsp::parse_hex(args.substr(0, eq), n) || n >= kRegCount ||
        !rsp::decode_hex(args.substr(eq + 1), std::span(v.data(), kRegs[n].size)))
      return reply("E01");
    return reply(write_reg(n, stopped_gpr(selected(g_thread_)), std::span(v.data(), kRegs[n].size)) ? "OK" : "E01");
  }
  if (cmd == 'G') {
    sgx::Gprsgx* gpr = stopped_gpr(selected(g_thread_));
    if (gpr == nullptr) return reply("E01");
    sgx::Gprsgx copy = *gpr;
    std::size_t pos = 0;
    for (std::size_t n = 0; n < kRegCount; ++n) {
      const std::size_t hex = std::size_t{kRegs[n].size} * 2;
      if (pos + hex > args.size()) return reply("E01");
      std::array<std::uint8_t, 16> v{};
      const std::string_view h = args.substr(pos, hex);
      pos += hex;
      if (h.find('x') != std::string_view::npos || kRegs[n].gpr < 0) continue;
      if (!rsp::decode_hex(h, std::span(v.data(), kRegs[n].size))) return reply("E01");
      write_reg(n, &copy, std::span(v.data(), kRegs[n].size));
    }
    if (pos != args.size()) return reply("E01");
    *gpr = copy;
    return reply("OK");
  }
  if (cmd == 'm') {
    const auto m = rsp::parse_memory(args, false);
    if (!m) return reply("E01");
    std::array<std::uint8_t, rsp::kMaxMemory> buf{};
    const std::size_t n = read_enclave(m->addr, std::span(buf.data(), m->length));
    if (n == 0 && m->length != 0) return reply("E14");  // EFAULT: not enclave memory the debugger may read
    rsp::append_hex(r, std::span<const std::uint8_t>(buf.data(), n));
    return reply(r);
  }
  if (cmd == 'M') {
    const auto m = rsp::parse_memory(args, true);
    if (!m) return reply("E01");
    std::array<std::uint8_t, rsp::kMaxMemory> buf{};
    if (!rsp::decode_hex(m->hex, std::span(buf.data(), m->length))) return reply("E01");
    return reply(write_enclave(m->addr, std::span<const std::uint8_t>(buf.data(), m->length)) ? "OK" : "E14");
  }
  if (cmd == 'D' || p == "vKill" || cmd == 'k') {
    if (cmd != 'k') reply("OK");
    end_session();
    return;
  }
  // Everything else — file I/O (vFile), running programs (vRun), monitor
  // commands (qRcmd), Z breakpoints (gdb writes int3 with M instead), the
  // plain c/s of protocols older than vCont — is not offered: the empty
  // reply, "unsupported".
  reply("");
}

void Stub::run() {
  std::array<char, 8192> buf{};
  for (;;) {
    iovec iov{buf.data(), buf.size()};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    long n;
    if (g_dbg.session.load(std::memory_order_seq_cst) != 0) {
      // A session: the debugger's bytes, or a worker's stop to pass on.
      const std::uint32_t seen = g_dbg.event_gen.load(std::memory_order_seq_cst);
      flush_stops();
      n = recvmsg(g_dbg.fd, &m, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        dbg_wait(g_dbg.event_gen, seen, 20'000'000);
        continue;
      }
    } else {
      n = recvmsg(g_dbg.fd, &m, 0);
      if (n < 0 && errno == EINTR) continue;
    }
    if (n <= 0) {  // the monitor is gone; so is this process soon
      end_session();
      return;
    }
    const std::string_view got(buf.data(), static_cast<std::size_t>(n));
    if (got == std::string_view(kDebugSessionEnd, sizeof kDebugSessionEnd - 1)) {
      end_session();
      continue;
    }
    g_dbg.session.store(1, std::memory_order_seq_cst);
    for (const char c : got) {
      const rsp::Event ev = reader_.push(c);
      switch (ev.kind) {
        case rsp::Event::kPacket:
          send_raw("+");
          packet(ev.payload);
          break;
        case rsp::Event::kBadChecksum:
        case rsp::Event::kTooLong:
          send_raw("-");
          break;
        case rsp::Event::kInterrupt:
          // All-stop's interrupt: every thread is asked to stop; the first
          // that does answers the resume.
          for (Worker* w : workers())
            if (w) request_stop(*w);
          break;
        default:
          break;
      }
    }
  }
}

void* debug_main(void*) {
  static Stub stub;
  stub.run();
  return nullptr;
}

// One entry as the application or the turnaround asks for it, with the
// debugger's stops around it (a production enclave: transition() alone).
long entry(Worker& w, MailOp op, MailGate gate, const EnterArgs& in) {
  if (g_dbg.fd < 0) return transition(w, op, gate, in);
  debug_gate(w);
  long code = transition(w, op, gate, in);
  // An interrupt is no stop: the debugger never sees it.
  while (code == kExitAex && !w.ex_interrupt && debug_stop(w)) {
    // #BP and #DB are the debugger's: the thread resumes where it is (the
    // debugger may have moved it). A fault goes on as without a debugger.
    if (w.ex.vector != sgx::vector::kBp && w.ex.vector != sgx::vector::kDb) break;
    code = transition(w, MailOp::kEresume, gate, in);
  }
  debug_left(w);
  return code;
}

void worker_loop_held(Worker& w) {
  Mailbox& mb = *w.mb;
  // Requests already answered end at `response`; one the application
  // posted before this thread started is pending, not missed.
  std::uint32_t seen = mb.response.load();
  bool posted_while_busy = false;
  for (;;) {
    wait_change(mb.request, seen, mb.host_sleeping, g_spin, 0, kYieldRounds, &w.spin);
    seen = mb.request.load(std::memory_order_acquire);
    w.serving.store(seen, std::memory_order_relaxed);  // read by this thread's interrupt handler only
    if (posted_while_busy) {
      // EENTER on a busy TCS faults (SDM EENTER: #GP(0) if TCS.BUSY); this
      // thread could not look while it ran the enclave, so the request
      // posted meanwhile is answered now, never run on the TCS in use.
      posted_while_busy = false;
      mb.exit = MailExit::kFault;
      mb.turnarounds = 0;
      mb.except_entered = 0;
      publish(mb.response, seen, mb.app_sleeping);
      continue;
    }
    // The application may change the mailbox at any time: read it once.
    const MailOp op = mb.op;
    const MailGate gate = mb.gate;
    const MailTurnaround turn = mb.turnaround;
    const EnterArgs in{mb.rdi, mb.rsi, mb.rdx, mb.ursp, mb.urbp};
    long code = entry(w, op, gate, in);
    // The exception turnaround (docs/isolated.md): what the application
    // would do after this AEX — the SDK's exception entry on the same TCS,
    // then ERESUME if that entry's EEXIT says "handled" — done here, each
    // step through transition() as the application's requests are. Any
    // other outcome of the exception entry (a status other than success,
    // an OCALL, an AEX of its own, EENTER refused) is the application's
    // to see, as the answer to the exception entry it did not have to ask
    // for.
    // An interrupt's AEX (docs/isolated.md "Interrupts") takes the same
    // way: the exception entry is the enclave's chance to act on it — the
    // trusted runtime sees EXITINFO.VALID clear — and "handled" resumes.
    std::uint32_t turned = 0;
    bool entered = false;
    Exception aex_ex;
    bool aex_interrupt = false;
    std::uint64_t aex_rip = 0;
    while (code == kExitAex && turn == MailTurnaround::kSdk) {
      aex_ex = w.ex;
      aex_interrupt = w.ex_interrupt;
      aex_rip = w.ex_rip;
      code = entry(w, MailOp::kEenter, gate, EnterArgs{kTurnaroundEnterRdi, 0, 0, w.enter_ursp, w.enter_ursp});
      if (code != kExitEexit || w.rdi != kTurnaroundExitRdi || (w.rsi & 0xffffffffu) != 0) {
        entered = true;
        break;
      }
      if (!aex_interrupt) ++turned;  // exceptions only (nsgx_enclave_exception_counts)
      code = entry(w, MailOp::kEresume, gate, EnterArgs{0, 0, 0, w.enter_ursp, w.enter_ursp});
    }
    // The AEX the application learns of, for its crash report: the one
    // that started an exception entry whose EEXIT is reported, otherwise
    // the one reported.
    const bool report_aex = code == kExitAex || (entered && code == kExitEexit);
    const Exception& ex = code == kExitAex ? w.ex : aex_ex;
    const bool interrupt = code == kExitAex ? w.ex_interrupt : aex_interrupt;
    if (report_aex) {
      mb.vector = interrupt ? kInterruptVector : ex.vector;
      mb.error_code = static_cast<std::uint16_t>(ex.error_code);
      mb.address = ex.address;
      // The faulting RIP, for a debug enclave only (its debugger may read the
      // SSA anyway): NSGX_DEBUG's crash report in the application.
      const bool debug = (g.cfg.attributes & sgx::attr::kDebug) != 0;
      mb.fault_rip = debug ? (code == kExitAex ? w.ex_rip : aex_rip) - g.cfg.base : 0;
      mb.fault_rip_valid = debug ? 1 : 0;
    }
    if (code == kExitEexit) {
      mb.out_rdi = w.rdi, mb.out_rsi = w.rsi, mb.out_rdx = w.rdx, mb.out_r8 = w.r8, mb.out_r9 = w.r9;
      mb.out_rsp = w.rsp, mb.out_rbp = w.rbp;
      mb.via_gate = w.via_gate ? 1 : 0;
      mb.exit = MailExit::kEexit;
    } else if (code == kExitAex) {
      mb.exit = MailExit::kAex;
    } else {
      mb.exit = MailExit::kFault;
    }
    mb.turnarounds = turned;
    mb.except_entered = entered ? 1 : 0;
    // An application that follows the protocol posts only after an answer.
    posted_while_busy = mb.request.load(std::memory_order_acquire) != seen;
    publish(mb.response, seen, mb.app_sleeping);
  }
}

// The interrupter (docs/isolated.md "Interrupts"): sleeps on the
// enclave's doorbell (mailbox 0) and, for each worker whose application
// asked to interrupt the request it serves and which runs enclave code,
// sends that worker kInterruptSignal; the worker's handler takes the AEX
// (interrupt_signal). While an ask stands untaken — the worker was in its
// own code or at CSSA 1, or between two entries of the request — it looks
// again every kInterruptRetryNs. Asks for requests already answered are
// void. Raw system calls only: futex and tgkill to this process, which
// the sandbox leaves.
void* interrupter_main(void*) {
  Mailbox& bell = *mailbox_at(g.cfg.mailbox_addr, 0);
  for (;;) {
    const std::uint32_t rung = bell.doorbell.load(std::memory_order_acquire);
    bool standing = false;
    for (std::size_t i = 0; i < g.workers.size(); ++i) {
      Worker* w = g.published[i].load(std::memory_order_acquire);
      if (w == nullptr) continue;
      // The application's words, each read once (it may write them at any
      // time: a false ask costs only its own enclave an interrupt).
      const std::uint32_t request = w->mb->request.load(std::memory_order_acquire);
      const std::uint64_t v = w->mb->interrupt.load(std::memory_order_acquire);
      if (request == w->mb->response.load(std::memory_order_acquire) || !interrupt_asked(*w, v, request)) continue;
      // An enclave with one SSA frame is never interrupted (interrupt_signal):
      // its asks never stand. A thread at CSSA 1 is not signalled (its
      // handler would decline); it is looked at again.
      if (!is_tcs(w->tcs) || tcs_of(*w)->nssa < 2) continue;
      standing = true;
      const std::int32_t tid = w->tid.load(std::memory_order_acquire);
      if (tid > 0 && __atomic_load_n(&w->block->header.in_enclave, __ATOMIC_ACQUIRE) != 0 && tcs_of(*w)->cssa == 0)
        raw_syscall(SYS_tgkill, g_pid, tid, kInterruptSignal);
    }
    const timespec retry{0, kInterruptRetryNs};
    futex(&bell.doorbell, FUTEX_WAIT, rung, standing ? &retry : nullptr);
  }
}

int run() {
  // Before anything else: no other process of the user may read this one.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() == 1) return 1;
  sigset_t all;
  sigfillset(&all);
  for (int s : {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS}) sigdelset(&all, s);
  pthread_sigmask(SIG_SETMASK, &all, nullptr);  // inherited by every thread

  if (send_message(kChannel, Header{Op::kHostHello, 0, 0}) != 0) return 1;
  Message start;
  if (recv_message(kChannel, start) != 1 || start.header.op != Op::kHostStart) die("no start message");
  auto cfg = parse<HostStart>(start.body);
  if (!cfg) die("short start message");
  g.cfg = *cfg;
  const int memfd = start.take_fd(0), winfd = start.take_fd(1), tfd = start.take_fd(2);
  if (memfd < 0 || winfd < 0 || tfd < 0) die("no enclave memory");
  const int app_fd = (g.cfg.flags & kHostAppMemory) != 0 ? start.take_fd(3) : -1;
  if ((g.cfg.flags & kHostAppMemory) != 0 && app_fd < 0) die("no application memory");
  const int maps_fd = (g.cfg.flags & kHostAppMaps) != 0 ? start.take_fd(4) : -1;
  if ((g.cfg.flags & kHostAppMaps) != 0 && (app_fd < 0 || maps_fd < 0)) die("no application maps");
  // A debug enclave's debugging channel, after the others (protocol.h
  // kHostDebug); a production enclave must not have one.
  if ((g.cfg.flags & kHostDebug) != 0) {
    g_dbg.fd = start.take_fd(std::size_t{3} + (app_fd >= 0 ? 1u : 0u) + (maps_fd >= 0 ? 1u : 0u));
    if (g_dbg.fd < 0 || !debug_enclave()) die("a debugging channel, but not for a debug enclave");
  }
  if (g.cfg.size < 2 * kPage || (g.cfg.size & (g.cfg.size - 1)) != 0 || (g.cfg.base & (g.cfg.size - 1)) != 0 ||
      g.cfg.ssa_frame_size == 0 || g.cfg.tcs_count == 0 || g.cfg.mailboxes < g.cfg.tcs_count ||
      g.cfg.mailboxes > 4096 || start.body.size() != sizeof(HostStart) + std::size_t{g.cfg.tcs_count} * 8 ||
      g.cfg.mailbox_addr < g.cfg.window_base ||
      g.cfg.mailbox_addr - g.cfg.window_base + std::uint64_t{g.cfg.mailboxes} * kMailboxStride > g.cfg.window_size)
    die("bad start message");
  g_spin = g.cfg.spin;
  static_assert(kGateStubs >= 4096, "a gate for every mailbox the start message may ask for");
  if (static_cast<std::size_t>(nsgx_host_gates_end - nsgx_host_gates) != std::size_t{kGateStubs} * kGateStub ||
      static_cast<std::size_t>(nsgx_host_fs_gates_end - nsgx_host_fs_gates) != std::size_t{kGateStubs} * kGateStub)
    die("the exit gates are not 16 bytes apart");
  nsgx_host_gate_count = g.cfg.mailboxes;

  // ELRANGE at the enclave's addresses, nothing accessible yet; the window
  // at the application's; a private view for the host's own reads/writes.
  // At base 0 (a library OS non-PIE program's enclave) the bytes below
  // vm.mmap_min_addr stay unmapped: nothing of the enclave is there.
  g.low = unmappable_prefix(g.cfg.base, g.cfg.size);
  if (g.low == g.cfg.size) die("ELRANGE lies below vm.mmap_min_addr");
  void* e = mmap(reinterpret_cast<void*>(g.cfg.base + g.low), g.cfg.size - g.low, PROT_NONE,
                 MAP_SHARED | MAP_FIXED_NOREPLACE, memfd, static_cast<off_t>(g.low));
  if (e != reinterpret_cast<void*>(g.cfg.base + g.low)) die("ELRANGE collides with the host's own mappings");
  void* wv = mmap(reinterpret_cast<void*>(g.cfg.window_base), g.cfg.window_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_FIXED_NOREPLACE, winfd, 0);
  if (wv != reinterpret_cast<void*>(g.cfg.window_base)) die("the window collides with the host's own mappings");
  if (g.cfg.window_size <= ~std::uint64_t{0} - g.cfg.window_base - kHostAreaSize) {
    g_area.next = g.cfg.window_base + g.cfg.window_size;
    g_area.end = g_area.next + kHostAreaSize;
  }
  void* v = area_map(g.cfg.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd);
  if (v == nullptr) die("enclave view");
  g.view = static_cast<std::uint8_t*>(v);
  void* tv = area_map(thread_table_bytes(g.cfg.mailboxes), PROT_READ | PROT_WRITE, MAP_SHARED, tfd);
  if (tv == nullptr) die("thread table");
  g.threads = static_cast<ThreadSlot*>(tv);
  g.bell = reinterpret_cast<BoardBell*>(static_cast<std::uint8_t*>(tv) + board_offset(g.cfg.mailboxes));
  g.board = reinterpret_cast<BoardSlot*>(g.bell + 1);
  close(winfd);
  close(tfd);
  void* pt = area_anon(g.cfg.size / kPage);  // zero: nothing accessible yet
  if (pt == nullptr) die("protection table");
  g.prot = static_cast<std::atomic<std::int8_t>*>(pt);
  // 16 MiB of the application's pages between two transitions at most.
  if (app_fd >= 0 && !g.app.init(app_fd, maps_fd, (g.cfg.flags & kHostAppMapsText) != 0, g.cfg.base, g.cfg.size,
                                 g.cfg.window_base, g.cfg.window_size, 4096, area_anon))
    die("application memory");

  // The initial mappings, then "go".
  for (;;) {
    Message m;
    if (recv_message(kChannel, m) != 1) die("monitor gone during start");
    if (m.header.op == Op::kHostReady) break;
    auto run = parse<MapRun>(m.body);
    if (m.header.op != Op::kMap || !run) die("unexpected message during start");
    apply_map(run->addr, run->pages, run->prot);
  }
  if (debug_enclave()) map_private_code(memfd);
  close(memfd);

  // Thread slots, one per mailbox (spares serve TCSs added later): block
  // page, guard page, alternate signal stack; a slot's pages become
  // accessible when a worker takes it.
  const std::size_t n = g.cfg.mailboxes;
  const std::size_t span = n * runtime::kSlotSize;
  auto* raw = static_cast<std::uint8_t*>(
      area_map(span + runtime::kSlotSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1));
  if (raw == nullptr) die("thread slots");
  g.slots = reinterpret_cast<std::uint8_t*>((reinterpret_cast<std::uint64_t>(raw) + runtime::kSlotSize - 1) &
                                            ~(runtime::kSlotSize - 1));
  nsgx_altstack_lo = reinterpret_cast<std::uint64_t>(g.slots);
  nsgx_altstack_span = span;
  g.workers.resize(n);
  g.published = std::make_unique<std::atomic<Worker*>[]>(n);
  const auto* tcs = reinterpret_cast<const std::uint64_t*>(start.body.data() + sizeof(HostStart));
  for (std::uint32_t i = 0; i < g.cfg.tcs_count; ++i) make_worker(i, tcs[i]);
  struct sigaction sa {};
  sa.sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(&nsgx_signal_trampoline);
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  // An interrupt never lands in the handling of an exception (its AEX, a
  // leaf, a fault the monitor fixes); it waits for the handler's return.
  // Nor does another of these: any process of the host's user can send
  // them (tgkill), and a stream of them nested on the alternate stack
  // would overflow it (the kernel then kills the host). Blocked, each
  // waits for the handler's return and a stream costs one frame at a
  // time. The price: a fault of the handler's own (a bug, or a system
  // call seccomp refuses) kills the host by its signal, not with the
  // dispatcher's message (docs/isolated.md, "Signals from other processes").
  constexpr int kExceptionSignals[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS};
  sigaddset(&sa.sa_mask, kInterruptSignal);
  for (int s : kExceptionSignals) sigaddset(&sa.sa_mask, s);
  for (int s : kExceptionSignals) sigaction(s, &sa, nullptr);
  // The interrupter's signal: not while one is handled (sa_mask), and a
  // host call it lands in goes on (SA_RESTART).
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(kInterruptSignal, &sa, nullptr);
  g_pid = getpid();

  for (auto& w : g.workers)
    if (w) start_thread(worker_main, w.get());
  start_thread(interrupter_main, nullptr);
  // A debug enclave's host may be traced by a debugger of its uid
  // (docs/threat-model.md "Debugging"): SGX lets a debugger read and write
  // a debug enclave (EDBGRD/EDBGWR), never a production one, whose host
  // stays non-dumpable. Under the system monitor that uid is
  // nsgx-monitor's, which no user holds; under a user's own monitor it is
  // the enclave's owner's, and no one else's.
  // (prctl is not among the calls the sandbox leaves, so before it.)
  if (debug_enclave()) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  if (g_dbg.fd >= 0) start_thread(debug_main, nullptr);
  // The sandbox (host_sandbox.h): from here on no system call from
  // ELRANGE, and the host's own code keeps only what it needs.
  if (const char* why = install_elrange_filter(g.cfg.base, g.cfg.size)) die(why);
  const AppMemory::Protections prot = g.app.protections();
  if (const char* why = install_host_filter(kChannel, app_fd, prot != AppMemory::Protections::kNone ? maps_fd : -1,
                                            prot == AppMemory::Protections::kText, debug_enclave(), g_dbg.fd))
    die(why);
  if (send_message(kChannel, Header{Op::kHostReady, 0, 0}) != 0) return 1;
  channel_loop();
  return 0;
}

}  // namespace
}  // namespace nsgx::isolated

int main() { return nsgx::isolated::run(); }
