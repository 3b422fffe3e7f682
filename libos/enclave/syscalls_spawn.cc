// Processes (syscalls_spawn.h, docs/libos.md "Processes").
#include "libos/enclave/syscalls_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "libos/enclave/child_signal.h"
#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/host_io.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/shebang.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_fork.h"
#include "libos/enclave/syscalls_io.h"
#include "libos/enclave/syscalls_path.h"
#include "libos/enclave/syscalls_pgrp.h"
#include "libos/enclave/threads.h"
#include "libos_t.h"

namespace nsgx::libos {

// The parent's state while its vfork child runs on its thread.
struct VforkFrame {
  sgx_cpu_context_t parent;  // its registers at the `syscall` (RIP on it)
  uint64_t handler_sp = 0;   // its ProgramThread::handler_sp
  uint64_t mask = 0;         // its signal mask (the child changes the thread's)
  Fd table[kMaxFds];         // the child's descriptors
  KernelSigaction actions[kForkActions];  // the child's sigaction table
  VforkGroup group;                       // the child's setpgid/setsid, for its execve
  std::string cwd;                        // the parent's working directory (the child's chdir is its own)
};

namespace {

using sc::err;

// <linux/sched.h>
constexpr uint64_t kCloneVm = 0x100, kCloneVfork = 0x4000, kCsignal = 0xff;
// <linux/wait.h>
constexpr uint64_t kWnohang = 1, kWuntraced = 2, kWexited = 4, kWcontinued = 8, kWnowait = 0x01000000,
                   kWnothread = 0x20000000, kWall = 0x40000000, kWclone = 0x80000000;
constexpr uint64_t kPAll = 0, kPPid = 1, kPPgid = 2;
// Host pids are below Linux's PID_MAX_LIMIT (2^22, <linux/threads.h>); a
// vfork child that exits without execve never had a host process and gets
// a number above it.
constexpr int kMaxChildren = 64;

enum class ChildState : uint8_t { kFree, kRunning, kZombie };
struct Child {
  int32_t pid = 0;
  ChildState state = ChildState::kFree;
  int32_t status = 0;  // kZombie: its wait status
};
Child g_children[kMaxChildren];  // under g_children_lock
int32_t g_next_local_pid = kPidLimit + 1;
SpinLock g_children_lock;

Child* child_of(int32_t pid) {
  for (auto& c : g_children)
    if (c.state != ChildState::kFree && c.pid == pid) return &c;
  return nullptr;
}

// Ends the host reaped for a wait for any child before they were ours (a
// fork or spawn in another thread had not recorded its child yet; or the
// host's own process, host_wait): the latest kEarly, under
// g_children_lock. A child recorded later whose pid is here is a zombie
// with that status at once.
constexpr int kEarly = 8;
struct EarlyEnd {
  int32_t pid = 0;
  int32_t status = 0;
};
EarlyEnd g_early[kEarly];
int g_early_next = 0;

bool add_child(int32_t pid, ChildState st, int32_t status) {
  SpinGuard g(g_children_lock);
  if (child_of(pid) != nullptr) return false;
  if (st == ChildState::kRunning)
    for (auto& e : g_early)
      if (e.pid == pid) {
        st = ChildState::kZombie;
        status = e.status;
        e = EarlyEnd{};
      }
  for (auto& c : g_children)
    if (c.state == ChildState::kFree) {
      c = Child{pid, st, status};
      return true;
    }
  return false;
}

// A wait status as Linux makes it (<bits/waitstatus.h>): exited (code in
// bits 8..15, low byte 0) or killed (signal 1..64 in bits 0..6, the core
// flag in bit 7, nothing above). Stopped and continued children are never
// reported here (no WUNTRACED/WCONTINUED is passed to the host).
bool well_formed_status(int32_t st) {
  if (st < 0 || st > 0xffff) return false;
  const int32_t sig = st & 0x7f;
  if (sig == 0) return (st & 0xff) == 0;
  return sig <= 64 && (st & ~0xff) == 0;
}

// The program's vector of strings (argv, envp) at `p`: at most kMaxStrings,
// each inside the enclave; `total` counts their bytes.
bool user_strings(uint64_t p, std::vector<std::string>& out, size_t& total) {
  if (p == 0) return true;  // Linux takes a null argv or envp as empty
  for (size_t i = 0;; ++i) {
    if (i == kMaxStrings || !sc::user_buffer(p + i * 8, 8)) return false;
    uint64_t s;
    memcpy(&s, reinterpret_cast<const void*>(p + i * 8), 8);
    if (s == 0) return true;
    std::string v;
    for (uint64_t k = 0;; ++k) {
      if (total + k >= kMaxRequest / 2 || !sc::user_buffer(s + k, 1)) return false;
      const char ch = *reinterpret_cast<const char*>(s + k);
      if (ch == 0) break;
      v.push_back(ch);
    }
    total += v.size() + 1;
    out.push_back(std::move(v));
  }
}

// What execve carries into the new program: descriptors without
// FD_CLOEXEC that have a host descriptor and no state inside, and the
// library OS's devices (no state at all: `2>/dev/null` before an exec).
bool inheritable(const Fd& f) {
  if (f.cloexec) return false;
  if (f.kind == FdKind::kHostStdio || f.kind == FdKind::kHost || f.kind == FdKind::kDevice) return true;
  return f.kind == FdKind::kStream && f.stream != StreamKind::kEpoll;
}

// A vfork child's table: a copy of the parent's (Linux copies it for a
// child without CLONE_FILES). Host-backed descriptors are the host's dups
// (a close in the child must not close the parent's); trusted files,
// devices and directories are copied (no host state); a protected file is
// the same open file (one more reference: a shared offset, as Linux's);
// epoll sets are not given to the child (their registrations are the
// parent's): they are closed in it.
long copy_table(Fd* out) {
  SpinGuard g(g_fd_lock);
  for (int i = 0; i < kMaxFds; ++i) {
    const Fd* f = fd_at(i);
    if (f == nullptr) continue;
    if (f->kind == FdKind::kTrusted || f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory) {
      out[i] = *f;
    } else if (f->kind == FdKind::kEncrypted) {
      out[i] = *f;
      encrypted_ref(f->enc);  // the same open file, as Linux's copied table refers to
    } else if (Fd probe = *f; probe.cloexec = false, inheritable(probe)) {
      const long h = host_dup(f->host);  // checked there: a new host descriptor
      if (h < 0) {
        for (int k = 0; k < i; ++k)
          if (out[k].kind != FdKind::kFree) release_fd(-1, out[k]);
        return h;
      }
      out[i] = *f;
      out[i].host = static_cast<int>(h);
      out[i].owned = true;  // the vfork child's dup: closed when it closes or ends
    }
  }
  return 0;
}

long vfork_start(sgx_cpu_context_t& c, uint64_t flags, uint64_t stack) {
  ProgramThread* t = this_thread();
  if (t == nullptr) return err(EINVAL);
  if (t->vfork != nullptr) {  // a vfork child's own vfork: not offered
    if (g_program.trace) say("nsgx libos: vfork inside a vfork child is not implemented: EAGAIN\n");
    return err(EAGAIN);
  }
  if (stack != 0 && !sc::user_buffer(stack - 1, 1)) return err(EINVAL);
  (void)flags;
  auto* frame = new (std::nothrow) VforkFrame;
  if (frame == nullptr) return err(ENOMEM);
  if (const long r = copy_table(frame->table); r < 0) {
    delete frame;
    return r;
  }
  frame->parent = c;
  frame->cwd = current_cwd();
  frame->handler_sp = t->handler_sp;
  frame->mask = t->sig.mask;
  signals_copy_actions(frame->actions);
  t->vfork = frame;
  t->fds = frame->table;
  t->vfork_actions = frame->actions;
  if (stack != 0) {
    c.rsp = stack;
    // The child runs on a stack the program gave: the SDK's phase-2
    // handlers must run on this TCS's stack (as a started thread's,
    // threads.h). On the main thread that is below the parent's frame and
    // red zone, which stay untouched until it resumes.
    if (t->handler_sp == 0) t->handler_sp = (frame->parent.rsp - 1024) & ~uint64_t{15};
  }
  return 0;  // the child's answer
}

// The vfork child is done: its descriptors go, the parent resumes in `c`.
void vfork_end(ProgramThread* t, sgx_cpu_context_t& c) {
  VforkFrame* frame = t->vfork;
  {
    SpinGuard g(g_fd_lock);
    for (auto& f : frame->table)
      if (f.kind != FdKind::kFree) {
        release_fd(-1, f);  // its host descriptors (never an epoll set's registrations: -1)
        f = Fd{};
      }
  }
  t->fds = nullptr;
  t->vfork = nullptr;
  t->vfork_actions = nullptr;
  t->handler_sp = frame->handler_sp;
  t->sig.mask = frame->mask;
  set_cwd(frame->cwd);
  c = frame->parent;
  delete frame;
}

// The program's execve arguments, checked and collected: the path must be
// a trusted file of the manifest whose bytes match its SHA-256 (checked
// here, so a refused program is execve's error, and again by the new
// enclave, which reads the file itself).
long collect(uint64_t pathp, uint64_t argvp, uint64_t envp, SpawnRequest& req, std::vector<libos_inherited_fd>& fds) {
  if (const long r = resolve_path(-100 /* AT_FDCWD */, pathp, req.path); r < 0) return r;
  size_t total = req.path.size();
  if (!user_strings(argvp, req.argv, total) || !user_strings(envp, req.envp, total)) return err(EFAULT);
  // The path as the program gave it: a script's interpreter gets it as
  // its argument (binfmt_script).
  std::string given;
  if (!sc::user_string(pathp, given)) return err(EFAULT);
  for (int depth = 0;; ++depth) {
    const TrustedFile* tf = g_program.manifest->trusted(req.path);
    std::string why;
    if (tf == nullptr) {
      say("nsgx libos: execve " + req.path + ": not a trusted file of the manifest: EACCES\n");
      return err(EACCES);
    }
    const TrustedCopy* copy;
    {
      SpinGuard g(g_fd_lock);  // the copies' list (file_table.cc), as openat holds it
      copy = load_trusted(*tf, why);
    }
    if (copy == nullptr) {
      say("nsgx libos: execve " + why + ": EACCES\n");
      return err(EACCES);
    }
    // A script (shebang.h): its interpreter, a trusted file too (checked
    // by the next round), runs with [interpreter, argument, path, argv[1..]].
    Shebang sb;
    const ShebangResult kind = parse_shebang(copy->data, copy->size, sb);
    if (kind == ShebangResult::kNotScript) break;
    if (kind == ShebangResult::kMalformed) return err(ENOEXEC);
    if (depth == kShebangDepth) return err(ELOOP);
    std::vector<std::string> argv{sb.interpreter};
    if (!sb.argument.empty()) argv.push_back(sb.argument);
    argv.push_back(given);
    if (!req.argv.empty()) argv.insert(argv.end(), req.argv.begin() + 1, req.argv.end());
    for (const auto& a : argv) total += a.size() + 1;
    if (total > kMaxRequest / 2) return err(E2BIG);
    req.argv = std::move(argv);
    given = sb.interpreter;
    if (const long r = resolve_string(given, req.path); r < 0) return r;
  }
  req.ppid = g_program.pid;
  req.cwd = current_cwd();
  if (const ProgramThread* t = this_thread(); t != nullptr) {  // what execve keeps (Linux's execve(2))
    req.ignored = signals_ignored(t);
    req.blocked = t->sig.mask;
  }
  for (int i = 0; i < kMaxFds; ++i) {
    const Fd* f = fd_at(i);
    if (f != nullptr && f->kind == FdKind::kEncrypted && !f->cloexec) {
      // A protected file: flushed, so that the new enclave, which opens it
      // anew by its path, reads what this one wrote; carried with its
      // offset and flags (an unlinked one cannot be found: not carried).
      InheritedFd e;
      e.fd = i;
      e.kind = FdKind::kEncrypted;
      if (!encrypted_path_of(f->enc, e.path)) continue;
      if (const long r = encrypted_fsync(f->enc); r < 0) return r;
      const long off = encrypted_lseek(f->enc, 0, SEEK_CUR);
      if (off < 0) return off;
      e.offset = static_cast<uint64_t>(off);
      e.flags = static_cast<uint32_t>(encrypted_status_flags(f->enc));
      req.fds.push_back(std::move(e));
      continue;
    }
    if (f == nullptr || !inheritable(*f)) continue;
    req.fds.push_back(InheritedFd{
        i, f->kind, f->stream, f->domain, f->kind == FdKind::kHost ? f->offset : 0, f->device, f->flags, {}});
    if (f->kind != FdKind::kDevice) fds.push_back(libos_inherited_fd{i, f->host});
  }
  return 0;
}

// The host's answer `r` (a pid) and `st` to a wait for `want` (-1: any;
// 0, -pgid: one in a group, which only the host knows):
// it must name a running child of ours (the one asked for, if one was)
// with a well-formed status (Iago). Under g_children_lock.
bool host_answer_ok_locked(int64_t r, int32_t st, int32_t want) {
  const Child* ch = r > 0 && r < kPidLimit ? child_of(static_cast<int32_t>(r)) : nullptr;
  if (ch != nullptr && ch->state == ChildState::kRunning && (want <= 0 || r == want) && well_formed_status(st))
    return true;
  if (g_program.trace)
    say("nsgx libos: wait: the host answered pid " + std::to_string(r) + " status " + std::to_string(st) +
        ", not a child's: EIO\n");
  return false;
}

// Whether a child asked for (`want`; -1, 0, -pgid: any) is running. Under g_children_lock.
bool running_locked(int32_t want) {
  return std::ranges::any_of(g_children, [want](const Child& ch) {
    return ch.state == ChildState::kRunning && (want <= 0 || ch.pid == want);
  });
}

// One wait in the host for `want` (as waitpid's pid): the child that ended (its
// slot freed) with its status, 0 if `nohang` and none has, or -errno
// (EIO: the host's answer is not a running child's).
// A wait for any child (-1, 0, -pgid) may reap one of the host's own
// processes — on isolated, a private monitor whose host image re-exec'd
// (a fork child's placement retry) ended as a zombie child of the next
// image — whose pid is no child of ours: that answer is passed over and
// the host asked again, a bounded number of times (then EIO). It is kept
// (g_early): the pid may be a child a fork or spawn in another thread is
// about to record, which then becomes a zombie with that status.
constexpr int kForeignReaps = 16;

long host_wait(int32_t want, bool nohang, int32_t& status) {
  for (int foreign = 0;; ++foreign) {
    int32_t st = 0;
    int64_t r = 0;
    if (libos_wait_ocall(&r, want, nohang ? 1 : 0, &st) != SGX_SUCCESS) return err(EIO);
    if (r == 0 && nohang) return 0;
    if (r < 0) return r >= -4095 ? r : err(EIO);
    SpinGuard g(g_children_lock);
    if (want <= 0 && foreign < kForeignReaps && r < kPidLimit && child_of(static_cast<int32_t>(r)) == nullptr) {
      if (well_formed_status(st)) {  // kept, should a child of this pid be recorded after all
        g_early[g_early_next] = EarlyEnd{static_cast<int32_t>(r), st};
        g_early_next = (g_early_next + 1) % kEarly;
      }
      if (g_program.trace)
        say("nsgx libos: wait: the host reaped pid " + std::to_string(r) +
            ", not a child of the program: asked again\n");
      continue;
    }
    if (!host_answer_ok_locked(r, st, want)) return err(EIO);
    *child_of(static_cast<int32_t>(r)) = Child{};
    status = st;
    return r;
  }
}

long wait_common(int64_t pid, uint64_t options, int32_t& out_pid, int32_t& out_status) {
  out_pid = 0;
  // pid_t: the kernel reads 32 bits. > 0 that child; -1 any; 0 and
  // -pgid a child in this process's group or in group pgid, which the
  // host's waitpid picks (its answer still checked to be a child of ours).
  auto want = static_cast<int32_t>(pid);
  if (want == INT32_MIN) return err(ESRCH);  // -INT_MIN is no group (wait4(2))
  // A vfork child that exited without execve never left this process's
  // group (its setpgid was for its execve): it answers 0 and -own group.
  bool zombies_match = want >= -1;
  if (want < -1) {
    want = -pid_to_host(-want);  // the group as the host numbers it
    const long own = own_host_pgid();
    if (own < 0) return own;
    zombies_match = -want == own;
  }
  {
    SpinGuard g(g_children_lock);
    bool any = false;
    for (auto& ch : g_children) {
      if (ch.state == ChildState::kFree || (want > 0 && ch.pid != want)) continue;
      if (ch.state == ChildState::kZombie && !zombies_match) continue;
      any = true;
      if (ch.state == ChildState::kZombie) {
        out_pid = ch.pid;
        out_status = ch.status;
        ch = Child{};
        return out_pid;
      }
    }
    if (!any) return err(ECHILD);
  }
  const bool nohang = (options & kWnohang) != 0;
  if (!children_reaped_automatically()) {
    const long r = host_wait(want, nohang, out_status);
    if (r > 0) out_pid = static_cast<int32_t>(r);
    return r;
  }
  // Children reaped automatically (sys_wait4's comment): every running
  // child that ends is forgotten; ECHILD once none of those asked for
  // runs, 0 for WNOHANG while some do. (Zombies from before SIGCHLD was
  // ignored were answered above first, as Linux does.)
  for (;;) {
    {
      SpinGuard g(g_children_lock);
      if (!running_locked(want)) return err(ECHILD);
    }
    int32_t st;
    if (const long r = host_wait(want, nohang, st); r <= 0) return r;
  }
}

}  // namespace

long spawn_clone(sgx_cpu_context_t& c) {
  const uint64_t flags = c.rdi & 0xffffffff;  // clone's flags are 32 bits (the kernel ignores the rest)
  if ((flags & kCloneVm) == 0) return fork_clone(c);
  if ((flags & kCloneVfork) == 0) return sys_clone(c);
  // glibc's posix_spawn: CLONE_VM | CLONE_VFORK and SIGCHLD, its own stack.
  if ((flags & ~(kCloneVm | kCloneVfork | kCsignal)) != 0) {
    if (g_program.trace) say("nsgx libos: clone flags " + std::to_string(flags) + " with CLONE_VFORK: EINVAL\n");
    return err(EINVAL);
  }
  return vfork_start(c, flags, c.rsi);
}

long sys_vfork(sgx_cpu_context_t& c) { return vfork_start(c, kCloneVm | kCloneVfork, 0); }

long adopt_child(int64_t r, const char* what) {
  // Iago: a pid the kernel could give, and not one of our children already.
  if (r <= 1 || r >= kPidLimit || r == g_program.pid || !add_child(static_cast<int32_t>(r), ChildState::kRunning, 0)) {
    say(std::string("nsgx libos: ") + what + ": the host answered pid " + std::to_string(r) +
        " for the new process: EIO\n");
    return err(EIO);
  }
  return static_cast<long>(r);
}

long sys_execve(sgx_cpu_context_t& c, uint64_t path, uint64_t argv, uint64_t envp) {
  SpawnRequest req;
  std::vector<libos_inherited_fd> fds;
  if (const long r = collect(path, argv, envp, req, fds); r < 0) return r;
  ProgramThread* t = this_thread();
  if (t == nullptr) return err(EINVAL);
  if (t->vfork != nullptr) {
    // A vfork child's execve: a new process; the parent resumes with its pid.
    req.pid = 0;  // the host process's
    const std::vector<uint8_t> b = encode_request(req);
    int64_t r = 0;
    const VforkGroup& grp = t->vfork->group;
    const int32_t pgroup = grp.pgroup > 0 ? pid_to_host(grp.pgroup) : grp.pgroup;
    if (libos_spawn_ocall(&r, b.data(), b.size(), fds.data(), fds.size(), pgroup, grp.new_session ? 1 : 0) !=
        SGX_SUCCESS)
      return err(EAGAIN);
    if (r < 0) return r >= -4095 ? r : err(EIO);
    if (const long a = adopt_child(r, "execve"); a < 0) return a;
    vfork_end(t, c);
    return r;
  }
  // This process's execve: the host replaces the enclave once the program
  // has ended here (as exit_group: every thread leaves).
  req.pid = g_program.pid;
  const std::vector<uint8_t> b = encode_request(req);
  int64_t r = 0;
  if (libos_exec_ocall(&r, b.data(), b.size(), fds.data(), fds.size()) != SGX_SUCCESS) return err(EAGAIN);
  if (r < 0) return r >= -4095 ? r : err(EIO);
  sys_exit_group(0);
}

bool vfork_child_exit(sgx_cpu_context_t& c, uint64_t status, long& r) {
  ProgramThread* t = this_thread();
  if (t == nullptr || t->vfork == nullptr) return false;
  int32_t pid;
  {
    SpinGuard g(g_children_lock);
    pid = g_next_local_pid++;
  }
  // A zombie until waited for, unless children are reaped automatically.
  if (!children_reaped_automatically() &&
      !add_child(pid, ChildState::kZombie, static_cast<int32_t>((status & 0xff) << 8))) {
    say("nsgx libos: more than 64 children: a vfork child's status is lost\n");
  }
  vfork_end(t, c);
  // Its end is the parent's SIGCHLD, as natively (vfork's exit signal).
  post_child_end(ChildEnd{kCldExited, pid, static_cast<int32_t>(status & 0xff)});
  r = pid;
  return true;
}

long sys_wait4(int64_t pid, uint64_t status, uint64_t options, uint64_t rusage) {
  if ((options & ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWall | kWclone)) != 0) return err(EINVAL);
  if (status != 0 && !sc::user_buffer(status, 4)) return err(EFAULT);
  if (rusage != 0 && !sc::user_buffer(rusage, 144)) return err(EFAULT);
  int32_t p, st;
  const long r = wait_common(pid, options, p, st);
  if (r > 0) {
    if (status != 0) memcpy(reinterpret_cast<void*>(status), &st, 4);
    if (rusage != 0) memset(reinterpret_cast<void*>(rusage), 0, 144);  // not measured: zeros
  }
  return r;
}

long sys_waitid(uint64_t idtype, uint64_t id, uint64_t info, uint64_t options, uint64_t rusage) {
  // WNOWAIT (leave the child waitable) is not offered: the host's waitpid reaps.
  if ((options & ~(kWnohang | kWexited | kWuntraced | kWcontinued | kWnothread | kWall | kWclone)) != 0 ||
      (options & kWexited) == 0)
    return err(EINVAL);
  (void)kWnowait;
  int64_t pid;
  if (idtype == kPAll)
    pid = -1;
  else if (idtype == kPPgid && id < static_cast<uint64_t>(INT32_MAX))  // 0: this process's group (Linux 5.4)
    pid = -static_cast<int64_t>(pid_to_host(static_cast<int32_t>(id)));  // never -1 ("any") for pid 1's group
  else if (idtype == kPPid && id > 0 && id < static_cast<uint64_t>(INT32_MAX))
    pid = static_cast<int64_t>(id);
  else
    return err(EINVAL);
  if (info != 0 && !sc::user_buffer(info, 128)) return err(EFAULT);
  if (rusage != 0 && !sc::user_buffer(rusage, 144)) return err(EFAULT);
  int32_t p, st;
  const long r = wait_common(pid, options, p, st);
  if (r < 0) return r;
  if (info != 0) {
    // siginfo_t for SIGCHLD (<bits/types/siginfo_t.h>): si_signo, si_errno,
    // si_code, then si_pid, si_uid, si_status at 16, 20, 24.
    int32_t si[32] = {};
    if (r > 0) {
      const bool killed = (st & 0x7f) != 0;
      si[0] = 17;                                  // SIGCHLD
      si[2] = killed ? ((st & 0x80) ? 3 : 2) : 1;  // CLD_DUMPED, CLD_KILLED, CLD_EXITED
      si[4] = p;
      si[6] = killed ? (st & 0x7f) : ((st >> 8) & 0xff);
    }
    memcpy(reinterpret_cast<void*>(info), si, sizeof si);
  }
  if (rusage != 0) memset(reinterpret_cast<void*>(rusage), 0, 144);
  return 0;
}

long sys_getppid() { return g_program.ppid; }

VforkGroup* vfork_group() {
  ProgramThread* t = this_thread();
  return t != nullptr && t->vfork != nullptr ? &t->vfork->group : nullptr;
}

void reap_ended_children() {
  for (int i = 0; i < kMaxChildren; ++i) {
    {
      SpinGuard g(g_children_lock);
      if (!running_locked(-1)) return;
    }
    int32_t st;
    if (host_wait(-1, true, st) <= 0) return;
  }
}

long spawn_kill(int64_t pid, uint64_t sig) {
  if (pid <= 1 || pid >= INT32_MAX) return err(ENOSYS);  // the signals' (own process, groups)
  {
    SpinGuard g(g_children_lock);
    const Child* ch = child_of(static_cast<int32_t>(pid));
    if (ch == nullptr) return err(ENOSYS);
    if (sig > 64) return err(EINVAL);
    if (ch->state == ChildState::kZombie) return 0;  // as Linux: a zombie can be signalled
  }
  int64_t r = 0;
  if (libos_kill_ocall(&r, static_cast<int32_t>(pid), static_cast<int32_t>(sig)) != SGX_SUCCESS) return err(EIO);
  return r == 0 || (r < 0 && r >= -4095) ? r : err(EIO);
}

void install_inherited(const SpawnRequest& r) {
  // Protected files opened for writing first: a file's first open decides
  // whether the host file is open for writing (encrypted_files.cc).
  std::vector<const InheritedFd*> order;
  for (const auto& f : r.fds)
    if (f.kind == FdKind::kEncrypted && (f.flags & O_ACCMODE) != O_RDONLY) order.push_back(&f);
  for (const auto& f : r.fds)
    if (f.kind != FdKind::kEncrypted || (f.flags & O_ACCMODE) == O_RDONLY) order.push_back(&f);
  for (const InheritedFd* fp : order) {
    const InheritedFd& f = *fp;
    if (f.kind == FdKind::kEncrypted) {
      // Opened anew: the path must be one of this manifest's protected
      // files, and what the host holds there is checked as at any open.
      const EncryptedPath* e = g_program.manifest->encrypted(f.path);
      EncryptedHandle* h = nullptr;
      if (e == nullptr || encrypted_open(*e, f.path, f.flags & (O_ACCMODE | O_APPEND), 0, &h) < 0) {
        say("nsgx libos: descriptor " + std::to_string(f.fd) + " (protected file " + f.path +
            ") could not be inherited: closed\n");
        continue;
      }
      if (f.offset <= static_cast<uint64_t>(INT64_MAX))
        (void)encrypted_lseek(h, static_cast<int64_t>(f.offset), SEEK_SET);
      Fd d;
      d.kind = FdKind::kEncrypted;
      d.enc = h;
      set_fd(f.fd, d);
      continue;
    }
    Fd d;
    d.kind = f.kind;
    d.host = f.kind == FdKind::kDevice ? -1 : f.fd;  // the host put it at the same number (libos_spawn.edl)
    d.owned = f.kind == FdKind::kHostStdio && f.fd > 2;  // a dup of its own, not the host's stdio
    d.device = f.device;
    d.flags = f.flags;
    d.stream = f.stream;
    d.domain = f.domain;
    d.offset = f.offset;
    set_fd(f.fd, d);
  }
}

}  // namespace nsgx::libos
