// fork (syscalls_fork.h; docs/libos.md "Processes", fork).
//
// The checkpoint, in fork_channel.h's stream (every length and count
// checked by the child before use; any failure refuses the child, 126):
//   u32 'NSFC', u32 version
//   u64 enclave base, u64 region pages        (must be the child's own)
//   u32 parent pid
//   u64 brk start, brk, brk end
//   memory: runs of (u64 first page, u64 count, u8 state), a count of 0
//     ends them; an accepted page's 4096 bytes follow its run's entry
//   u32 copies, each (string path, u64 address, u64 size)
//   u32 descriptors, each (i32 fd, u8 kind, u8 stream (a device's:
//     which), u8 cloexec, u8 0, i32 domain (a device's or a directory's:
//     its flags), u64 offset (a directory's: its position), u32 copy
//     index or UINT32_MAX, and a directory's path as a string)
//   19 u64: RAX..R15, RFLAGS, RIP, FS base (the child's at its start)
//   u64 CLONE_CHILD_SETTID address, u64 CLONE_CHILD_CLEARTID address (or 0)
//   u64 signal mask, KernelStack alternate stack, 65 KernelSigaction
//   string working directory
//   u64 stack low, u64 stack high (0, 0: none), its bytes
//   u32 'END.'
#include "libos/enclave/syscalls_fork.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "libos/enclave/child_signal.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/fork_channel.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscalls.h"
#include "libos/enclave/syscalls_dir.h"
#include "libos/enclave/syscalls_path.h"
#include "libos/enclave/syscalls_spawn.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "libos/enclave/xstate.h"
#include "libos_t.h"
#include "sdk/common/global_data.h"
#include "sgx_trts.h"

extern "C" volatile nsgx_global_data_t g_global_data;

namespace nsgx::libos {
namespace {

constexpr uint32_t kMagic = 0x4346534e;  // "NSFC"
constexpr uint32_t kVersion = 1;
constexpr uint32_t kEndMagic = 0x2e444e45;  // "END."
constexpr int kCannotRun = 126;
constexpr uint64_t kRedZone = 128;      // the psABI's, below the program's RSP (3.2.2)
constexpr size_t kMaxCopies = 4096, kMaxPath = 4096;
constexpr uint32_t kNoCopy = UINT32_MAX;
// The child's registers as the checkpoint carries them: nsgx_ssa_state_t's
// words up to its FS base, in its order.
constexpr size_t kRegs = 19;
static_assert(offsetof(nsgx_ssa_state_t, fs_base) == (kRegs - 1) * 8 &&
                  offsetof(nsgx_ssa_state_t, rip) == size_t{17} * 8,
              "nsgx_first_phase.h: RAX..R15, RFLAGS, RIP, FS base");
// <linux/sched.h>
constexpr uint64_t kCsignal = 0xff, kCloneParentSettid = 0x100000, kCloneChildCleartid = 0x200000,
                   kCloneChildSettid = 0x1000000;

long fail(int e) { return -static_cast<long>(e); }

// The trusted runtime's thread data: this TCS's stack [limit, base)
// (sdk/trts/trts_internal.h: TD_STACK_BASE 8, TD_STACK_LIMIT 16).
void tcs_stack(uint64_t& limit, uint64_t& base) {
  __asm__ volatile("mov %%gs:8, %0" : "=r"(base));
  __asm__ volatile("mov %%gs:16, %0" : "=r"(limit));
}

bool host_backed(const Fd& f) {
  if (f.kind == FdKind::kHostStdio || f.kind == FdKind::kHost) return true;
  return f.kind == FdKind::kStream && f.stream != StreamKind::kEpoll;
}

struct ForkArgs {
  uint64_t stack = 0;  // clone's new stack, 0: the same
  uint64_t settid = 0, cleartid = 0;
};

// A page's state as the child gets it: nothing for a free page (one
// accepted before and released is accepted again in the child when used).
uint8_t carried_state(uint64_t page) {
  const uint8_t st = page_state_of(page);
  return (st & page_state::kUsed) != 0 ? st : 0;
}

// The memory: runs of pages in one state; accepted pages' bytes inline.
void write_memory(ForkWriter& w) {
  const uint64_t pages = region_pages();
  uint8_t* const base = region_base();
  for (uint64_t i = 0; i < pages;) {
    const uint8_t st = carried_state(i);
    uint64_t j = i + 1;
    while (j < pages && carried_state(j) == st) ++j;
    if (st != 0) {
      w.u64(i);
      w.u64(j - i);
      w.u8(st);
      if (st & page_state::kAccepted)
        for (uint64_t k = i; k < j; ++k) w.put(base + k * kPage, kPage);
    }
    i = j;
  }
  w.u64(0);
  w.u64(0);
  w.u8(0);
}

long do_fork(const sgx_cpu_context_t& c, const ForkArgs& a) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return fail(EINVAL);
  if (t->vfork != nullptr) {  // a fork inside a vfork child: not offered
    if (g_program.trace) say("nsgx libos: fork inside a vfork child is not implemented: EAGAIN\n");
    return fail(EAGAIN);
  }
  // The main thread's program stack on the TCS's: [RSP - red zone, here).
  uint64_t lo = 0, hi = 0;
  if (t == thread_slot(0) && g_program.stack_here != 0) {
    uint64_t limit, top;
    tcs_stack(limit, top);
    if (c.rsp < limit + kRedZone || c.rsp > g_program.stack_here) {
      say("nsgx libos: fork on a stack other than the main thread's (an alternate signal stack) is not "
          "implemented: ENOSYS\n");
      return fail(ENOSYS);
    }
    lo = (c.rsp - kRedZone) & ~uint64_t{15};
    hi = g_program.stack_here;
  }
  ForkKeys keys;
  if (!fork_keys_new(keys)) return fail(EAGAIN);
  std::vector<libos_inherited_fd> host_fds;
  int64_t pid = 0;
  uint64_t checkpoint_bytes = 0;
  uint8_t hello[kForkHelloBytes];
  {
    // No descriptor changes until the host has the child's descriptors,
    // no mapping changes while the checkpoint is taken (spin_lock.h: held
    // across fork's OCALLs). Other threads' plain writes to memory
    // meanwhile may reach the child in part (docs).
    SpinGuard fg(g_fd_lock);
    g_memory_lock.lock();
    ForkWriter w(keys);
    if (!w.start()) {
      g_memory_lock.unlock();
      return fail(EAGAIN);
    }
    w.u32(kMagic);
    w.u32(kVersion);
    w.u64(enclave_base());
    w.u64(region_pages());
    w.u32(static_cast<uint32_t>(g_program.pid));
    w.u64(g_program.brk_start);
    w.u64(g_program.brk);
    w.u64(g_program.brk_end);
    write_memory(w);
    std::vector<const TrustedCopy*> copies;
    for (size_t i = 0;; ++i) {
      const TrustedCopy* tc = trusted_copy_at(i);
      if (tc == nullptr) break;
      copies.push_back(tc);
    }
    w.u32(static_cast<uint32_t>(copies.size()));
    for (const TrustedCopy* tc : copies) {
      w.str(tc->path);
      w.u64(reinterpret_cast<uint64_t>(tc->data));
      w.u64(tc->size);
    }
    std::vector<int> fds;
    for (int i = 0; i < kMaxFds; ++i) {
      const Fd* f = fd_at(i);
      if (f == nullptr) continue;
      if (f->kind == FdKind::kTrusted || f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory ||
          host_backed(*f)) {
        fds.push_back(i);
      } else if (g_program.trace) {
        say("nsgx libos: fork: descriptor " + std::to_string(i) +
            " (a protected file or an epoll set) is not given to the child\n");
      }
    }
    w.u32(static_cast<uint32_t>(fds.size()));
    for (int i : fds) {
      const Fd* f = fd_at(i);
      uint32_t copy = kNoCopy;
      for (size_t k = 0; k < copies.size(); ++k)
        if (f->kind == FdKind::kTrusted && copies[k] == f->copy) copy = static_cast<uint32_t>(k);
      w.u32(static_cast<uint32_t>(i));
      w.u8(static_cast<uint8_t>(f->kind));
      w.u8(f->kind == FdKind::kDevice ? static_cast<uint8_t>(f->device) : static_cast<uint8_t>(f->stream));
      w.u8(f->cloexec ? 1 : 0);
      w.u8(0);
      w.u32(f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory ? f->flags
                                                                         : static_cast<uint32_t>(f->domain));
      w.u64(f->kind == FdKind::kTrusted || f->kind == FdKind::kHost ? f->offset
            : f->kind == FdKind::kDirectory                      ? f->dir_pos
                                                                 : 0);
      w.u32(copy);
      if (f->kind == FdKind::kDirectory) w.str(*f->dir);
      if (f->kind != FdKind::kTrusted && f->kind != FdKind::kDevice && f->kind != FdKind::kDirectory)
        host_fds.push_back(libos_inherited_fd{i, f->host});
    }
    // The child's registers: the parent's at the `syscall`, RAX 0, RIP
    // after it, RCX and R11 as SYSCALL leaves them.
    const uint64_t rip = c.rip + 2;
    const uint64_t regs[kRegs] = {
        0,    // RAX
        rip,  // RCX
        c.rdx,
        c.rbx,
        a.stack != 0 ? a.stack : c.rsp,  // RSP
        c.rbp,
        c.rsi,
        c.rdi,
        c.r8,
        c.r9,
        c.r10,
        c.rflags,  // R11
        c.r12,
        c.r13,
        c.r14,
        c.r15,
        c.rflags,
        rip,
        t->program_fs,
    };
    for (uint64_t v : regs) w.u64(v);
    w.u64(a.settid);
    w.u64(a.cleartid);
    w.u64(t->sig.mask);
    w.put(&t->sig.altstack, sizeof t->sig.altstack);
    KernelSigaction actions[kForkActions];
    signals_copy_actions(actions);
    w.put(actions, sizeof actions);
    w.str(current_cwd());
    w.u64(lo);
    w.u64(hi);
    if (hi != 0) w.put(reinterpret_cast<const void*>(lo), hi - lo);
    w.u32(kEndMagic);
    checkpoint_bytes = w.bytes();
    const bool written = w.finish();
    g_memory_lock.unlock();
    if (!written) {
      if (g_program.trace) say("nsgx libos: fork: the host took no checkpoint: EAGAIN\n");
      return fail(EAGAIN);
    }
    if (libos_fork_start_ocall(&pid, enclave_base(), host_fds.data(), host_fds.size(), hello) != SGX_SUCCESS)
      return fail(EAGAIN);
  }
  if (pid < 0) {
    if (g_program.trace) say("nsgx libos: fork: no child started: " + std::to_string(pid) + "\n");
    return pid >= -4095 ? pid : fail(EIO);
  }
  // Iago: a pid the kernel could give, not ours, not a child's; a hello
  // from an enclave that decrypted this checkpoint; one confirmation.
  uint8_t confirm[kForkMacBytes];
  if (!fork_check_hello(keys, hello, confirm)) {
    say("nsgx libos: fork: the child's hello is not authentic: EIO\n");
    return fail(EIO);
  }
  const long r = adopt_child(pid, "fork");
  if (r < 0) return r;
  if (g_program.trace)
    say("nsgx libos: fork: child " + std::to_string(r) + " from a checkpoint of " + std::to_string(checkpoint_bytes) +
        " bytes\n");
  int64_t cr = -1;
  if (libos_fork_confirm_ocall(&cr, static_cast<int32_t>(pid), confirm) != SGX_SUCCESS || cr != 0) {
    // The child waits for it and refuses to run without it: it ends (126)
    // and wait4 reports that.
    if (g_program.trace) say("nsgx libos: fork: the host did not pass the confirmation on\n");
  }
  return r;
}

// The child's restoration, before its program runs.
struct Restored {
  uint64_t lo = 0, hi = 0;    // the program stack to put in place
  uint8_t* staged = nullptr;  // its bytes meanwhile (region pages)
  uint64_t staged_pages = 0;
};

bool refuse(const std::string& why) {
  say("nsgx run: fork child: " + why + "\n");
  return false;
}

bool read_memory(ForkReader& r) {
  const uint64_t pages = region_pages();
  uint8_t* const base = region_base();
  uint64_t next = 0;
  for (;;) {
    uint64_t first, n;
    uint8_t st;
    if (!r.u64(first) || !r.u64(n) || !r.u8(st)) return refuse(r.failure());
    if (n == 0) return first == 0 && st == 0 ? true : refuse("the checkpoint's memory is malformed");
    if (first < next || first >= pages || n > pages - first || st == 0)
      return refuse("the checkpoint's memory is malformed");
    for (uint64_t k = first; k < first + n; ++k) {
      if (!restore_page_state(k, st)) return refuse("a page of the checkpoint cannot be restored");
      if ((st & page_state::kAccepted) && !r.get(base + k * kPage, kPage)) return refuse(r.failure());
    }
    next = first + n;
  }
}

bool accepted_range(uint64_t addr, uint64_t size) {
  const uint64_t len = size == 0 ? 1 : size;
  if (!in_region(addr, len)) return false;
  const uint64_t first = page_index(reinterpret_cast<void*>(addr));
  const uint64_t last = page_index(reinterpret_cast<void*>(addr + len - 1));
  for (uint64_t p = first; p <= last; ++p)
    if ((page_state_of(p) & page_state::kAccepted) == 0) return false;
  return true;
}

__attribute__((noinline)) bool restore(int32_t host_pid, Restored& out) {
  ForkKeys keys;
  ForkReader r;
  std::string why;
  if (!r.start(keys, why)) return refuse(why);
  uint32_t magic, version, ppid;
  uint64_t base, pages, brk_start, brk, brk_end;
  if (!r.u32(magic) || !r.u32(version) || !r.u64(base) || !r.u64(pages) || !r.u32(ppid) || !r.u64(brk_start) ||
      !r.u64(brk) || !r.u64(brk_end))
    return refuse(r.failure());
  if (magic != kMagic || version != kVersion) return refuse("the checkpoint's format is not this library OS's");
  if (base != enclave_base() || pages != region_pages())
    return refuse("the enclave is not at the parent's base (the program's pointers are absolute)");
  if (ppid < 1 || ppid >= static_cast<uint32_t>(kPidLimit) || host_pid <= 1 || host_pid >= kPidLimit ||
      static_cast<uint32_t>(host_pid) == ppid)
    return refuse("the pids are not valid");
  if (!read_memory(r)) return false;
  if (brk_start > brk || brk > brk_end || brk_start % kPage != 0 || brk_end % kPage != 0 ||
      !in_region(brk_start, brk_end - brk_start))
    return refuse("the checkpoint's brk is malformed");
  uint32_t ncopies;
  if (!r.u32(ncopies) || ncopies > kMaxCopies) return refuse("the checkpoint's trusted files are malformed");
  std::vector<const TrustedCopy*> copies;
  for (uint32_t i = 0; i < ncopies; ++i) {
    std::string path;
    uint64_t data, size;
    if (!r.str(path, kMaxPath) || !r.u64(data) || !r.u64(size)) return refuse(r.failure());
    // A trusted file of this manifest, its bytes in pages that came with
    // the checkpoint (the parent checked their hash).
    if (g_program.manifest->trusted(path) == nullptr || data % kPage != 0 || !accepted_range(data, size))
      return refuse("the checkpoint's trusted files are malformed");
    const TrustedCopy* tc = adopt_trusted_copy(path, reinterpret_cast<uint8_t*>(data), size);
    if (tc == nullptr) return refuse("out of memory");
    copies.push_back(tc);
  }
  uint32_t nfds;
  if (!r.u32(nfds) || nfds > static_cast<uint32_t>(kMaxFds))
    return refuse("the checkpoint's descriptors are malformed");
  bool seen[kMaxFds] = {};
  for (uint32_t i = 0; i < nfds; ++i) {
    uint32_t fd, domain, copy;
    uint8_t kind, stream, cloexec, pad;
    uint64_t offset;
    if (!r.u32(fd) || !r.u8(kind) || !r.u8(stream) || !r.u8(cloexec) || !r.u8(pad) || !r.u32(domain) ||
        !r.u64(offset) || !r.u32(copy))
      return refuse(r.failure());
    if (fd >= static_cast<uint32_t>(kMaxFds) || seen[fd] || cloexec > 1 || pad != 0 ||
        offset > static_cast<uint64_t>(INT64_MAX))
      return refuse("the checkpoint's descriptors are malformed");
    seen[fd] = true;
    Fd d;
    d.cloexec = cloexec != 0;
    d.offset = offset;
    d.domain = static_cast<int>(domain);
    switch (kind) {
      case static_cast<uint8_t>(FdKind::kTrusted):
        if (copy >= copies.size()) return refuse("the checkpoint's descriptors are malformed");
        d.kind = FdKind::kTrusted;
        d.copy = copies[copy];
        break;
      case static_cast<uint8_t>(FdKind::kHostStdio):
      case static_cast<uint8_t>(FdKind::kHost):
        d.kind = static_cast<FdKind>(kind);
        break;
      case static_cast<uint8_t>(FdKind::kDevice):
        // The stream byte names the device, the domain word its flags.
        if (!device_from(stream, d.device)) return refuse("the checkpoint's descriptors are malformed");
        d.kind = FdKind::kDevice;
        d.flags = domain & (O_ACCMODE | O_APPEND | O_NONBLOCK);
        d.domain = 0;
        break;
      case static_cast<uint8_t>(FdKind::kDirectory): {
        // Its path follows (a directory inside: the parent's), the offset
        // word its position, the domain word its flags.
        std::string path;
        if (!r.str(path, kMaxPath)) return refuse(r.failure());
        // The library OS's own, or one the host lists (not asked again:
        // the checkpoint is authentic, and a directory removed since is
        // still a descriptor on Linux).
        if (!is_directory(path) && !host_listed(path)) return refuse("the checkpoint's descriptors are malformed");
        d.kind = FdKind::kDirectory;
        d.dir = intern_directory(path);
        if (d.dir == nullptr) return refuse("no memory for the checkpoint's directories");
        d.dir_pos = offset;
        d.offset = 0;
        d.flags = domain & (O_DIRECTORY | O_NONBLOCK);
        d.domain = 0;
        break;
      }
      case static_cast<uint8_t>(FdKind::kStream):
        if (stream != static_cast<uint8_t>(StreamKind::kPipe) && stream != static_cast<uint8_t>(StreamKind::kEventfd) &&
            stream != static_cast<uint8_t>(StreamKind::kSocket))
          return refuse("the checkpoint's descriptors are malformed");
        d.kind = FdKind::kStream;
        d.stream = static_cast<StreamKind>(stream);
        break;
      default:
        return refuse("the checkpoint's descriptors are malformed");
    }
    if (d.kind != FdKind::kTrusted) {
      if (copy != kNoCopy) return refuse("the checkpoint's descriptors are malformed");
      // The host put a host-backed one at the same number (libos_spawn.edl);
      // above 2 a stdio one is a dup of its own, not the host's stdio.
      if (d.kind != FdKind::kDevice && d.kind != FdKind::kDirectory) d.host = static_cast<int>(fd);
      d.owned = d.kind == FdKind::kHostStdio && fd > 2;
    }
    set_fd(static_cast<int>(fd), d);
  }
  uint64_t regs[kRegs], settid, cleartid, mask;
  for (auto& v : regs)
    if (!r.u64(v)) return refuse(r.failure());
  KernelStack alt;
  KernelSigaction actions[kForkActions];
  std::string cwd;
  if (!r.u64(settid) || !r.u64(cleartid) || !r.u64(mask) || !r.get(&alt, sizeof alt) ||
      !r.get(actions, sizeof actions) || !r.str(cwd, kMaxPath))
    return refuse(r.failure());
  const uint64_t rip = regs[17], rsp = regs[4];
  if (!sgx_is_within_enclave(reinterpret_cast<const void*>(rip), 1) ||
      !sgx_is_within_enclave(reinterpret_cast<const void*>(rsp - 1), 1) ||
      (settid != 0 && (settid % 4 != 0 || !accepted_range(settid, 4))) ||
      (cleartid != 0 && (cleartid % 4 != 0 || !accepted_range(cleartid, 4))))
    return refuse("the checkpoint's registers are malformed");
  uint64_t lo, hi;
  if (!r.u64(lo) || !r.u64(hi)) return refuse(r.failure());
  uint64_t limit, top;
  tcs_stack(limit, top);
  if (hi != 0) {
    // The main thread's program stack, at the same addresses of this
    // TCS's stack (staged in region pages until this thread's own frames
    // are above it: run_forked).
    if (lo >= hi || lo < limit || hi > top || hi - lo > g_global_data.stack_size)
      return refuse("the checkpoint's stack is malformed");
    out.staged_pages = (hi - lo + kPage - 1) / kPage;
    out.staged = static_cast<uint8_t*>(alloc_pages(hi - lo, false));
    if (out.staged == nullptr) return refuse("no room to stage the program's stack");
    if (!r.get(out.staged, hi - lo)) return refuse(r.failure());
    out.lo = lo;
    out.hi = hi;
  } else if (lo != 0) {
    return refuse("the checkpoint's stack is malformed");
  }
  uint32_t end_magic;
  if (!r.u32(end_magic) || end_magic != kEndMagic || !r.at_end()) return refuse("the checkpoint is malformed");
  // Once only: the parent confirms this child's fresh nonce, and no other.
  uint8_t hello[kForkHelloBytes], confirm[kForkMacBytes];
  int64_t hr = -1;
  if (!fork_hello(keys, hello) || libos_fork_hello_ocall(&hr, hello, confirm) != SGX_SUCCESS || hr != 0 ||
      !fork_check_confirm(keys, hello, confirm))
    return refuse("the parent did not confirm this child (a checkpoint is run once)");
  g_program.pid = host_pid;
  g_program.ppid = static_cast<int32_t>(ppid);
  g_program.brk_start = brk_start;
  g_program.brk = brk;
  g_program.brk_end = brk_end;
  g_program.stack_size = g_global_data.stack_size;
  g_program.stack_here = hi;
  set_cwd(cwd);
  if (!xstate_init(why)) return refuse(why);
  if (!threads_init(g_program.max_threads) || !install_syscall_handlers())
    return refuse("cannot install the system call handlers");
  signals_set_actions(actions);
  ProgramThread* m = this_thread();
  m->sig.mask = mask;
  m->sig.altstack = alt;
  uint64_t here;
  __asm__ volatile("mov %%rsp, %0" : "=r"(here));
  signals_main_stack(m, hi != 0 ? hi : here, g_program.stack_size);
  nsgx_ssa_state_t& s = m->start;
  s = nsgx_ssa_state_t{};
  memcpy(&s, regs, sizeof regs);  // RAX..R15, RFLAGS, RIP, FS base: the first kRegs words
  m->resume_rip = rip;
  m->program_fs = regs[18];
  m->clear_child_tid = cleartid;
  if (settid != 0) __atomic_store_n(reinterpret_cast<int32_t*>(settid), host_pid, __ATOMIC_SEQ_CST);
  return true;
}

}  // namespace

long sys_fork(const sgx_cpu_context_t& c) { return do_fork(c, ForkArgs{}); }

long fork_clone(const sgx_cpu_context_t& c) {
  const uint64_t flags = c.rdi & 0xffffffff, stack = c.rsi, ptid = c.rdx, ctid = c.r10;
  if ((flags & ~(kCsignal | kCloneParentSettid | kCloneChildCleartid | kCloneChildSettid)) != 0 ||
      (flags & kCsignal) > 64) {
    if (g_program.trace) say("nsgx libos: clone flags " + std::to_string(flags) + " without CLONE_VM: EINVAL\n");
    return fail(EINVAL);
  }
  auto program_word = [](uint64_t p) { return p % 4 == 0 && in_region(p, 4); };
  if ((flags & kCloneParentSettid) && !program_word(ptid)) return fail(EFAULT);
  if ((flags & (kCloneChildSettid | kCloneChildCleartid)) && !program_word(ctid)) return fail(EFAULT);
  if (stack != 0 && !sgx_is_within_enclave(reinterpret_cast<const void*>(stack - 1), 1)) return fail(EINVAL);
  ForkArgs a;
  a.stack = stack;
  a.settid = (flags & kCloneChildSettid) ? ctid : 0;
  a.cleartid = (flags & kCloneChildCleartid) ? ctid : 0;
  const long r = do_fork(c, a);
  if (r > 0 && (flags & kCloneParentSettid))
    __atomic_store_n(reinterpret_cast<int32_t*>(ptid), static_cast<int32_t>(r), __ATOMIC_SEQ_CST);
  return r;
}

int run_forked(int32_t host_pid) {
  Restored st;
  if (!restore(host_pid, st)) return kCannotRun;
  ProgramThread* m = this_thread();
  if (st.hi != 0) {
    // This thread's frames must lie above the stack it puts in place: the
    // parent's libos_run made room (libos_enclave.cc).
    uint64_t here;
    __asm__ volatile("mov %%rsp, %0" : "=r"(here));
    if (here < st.hi + kPage) {
      say("nsgx run: fork child: its frames reach the parent's program stack\n");
      return kCannotRun;
    }
    memcpy(reinterpret_cast<void*>(st.lo), st.staged, st.hi - st.lo);
    release_pages(page_index(st.staged), st.staged_pages);
  }
  return static_cast<int>(libos_enter_thread(&m->start, m->jb));
}

}  // namespace nsgx::libos
