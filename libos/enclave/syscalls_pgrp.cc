// Process groups and sessions (syscalls_pgrp.h).
#include "libos/enclave/syscalls_pgrp.h"

#include <errno.h>

#include <string>

#include "libos/enclave/child_signal.h"
#include "libos/enclave/host_io.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_spawn.h"
#include "libos_t.h"

namespace nsgx::libos {
namespace {

using sc::err;

// libos_spawn.edl's libos_pgrp_ocall operations.
constexpr int32_t kOpGetpgid = 0, kOpGetsid = 1, kOpSetpgid = 2, kOpSetsid = 3, kOpGetpid = 4;

// <linux/signal.h>: the signals a process may send (1..64; 0 only checks).
constexpr uint64_t kMaxSignal = 64;

// The signals a group kill of the caller's own group sends through the
// host: those the host catches and forwards (libos/host/signals.cc: HUP,
// INT, QUIT, USR1, USR2, TERM, CHLD, CONT, URG, WINCH), so that the host
// can drop its own copy, and SIGKILL and SIGSTOP, which act on the host
// process as on the program. Any other would act on the host process by
// its default (SIGALRM would end it, the inproc backend's SIGSEGV would
// reach its fault handler): those reach this process only.
constexpr bool through_host(uint64_t sig) {
  constexpr uint64_t kSet = (1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 9) | (1ULL << 11) | (1ULL << 14) |
                            (1ULL << 16) | (1ULL << 17) | (1ULL << 22) | (1ULL << 27) |  // bit sig - 1
                            (1ULL << 8) | (1ULL << 18);                                  // SIGKILL, SIGSTOP
  return sig == 0 || (sig <= kMaxSignal && ((kSet >> (sig - 1)) & 1) != 0);
}

// An errno as the kernel gives one (-4095..-1), else EIO.
long host_errno(int64_t r) { return r < 0 && r >= -4095 ? static_cast<long>(r) : err(EIO); }

long refuse(const char* what, int64_t r) {
  if (g_program.trace)
    say(std::string("nsgx libos: ") + what + ": the host answered " + std::to_string(r) + ", not an id: EIO\n");
  return err(EIO);
}

// An id the kernel could give (1 is init's, whose group and session other
// processes may be in).
bool plausible_id(int64_t r) { return r >= 1 && r < kPidLimit; }

// This process's host pid, asked once (0 until then, -1 if the host's
// answer was no pid: then ids are not mapped). `nsgx run`'s program is
// pid 1 inside (a pid namespace's init, docs/libos.md "Processes") while
// its host process has another id; every other process's pid inside is
// its host pid.
int32_t g_host_self = 0;

int32_t host_self() {
  int32_t h = __atomic_load_n(&g_host_self, __ATOMIC_ACQUIRE);
  if (h != 0) return h;
  int64_t r = 0;
  h = libos_pgrp_ocall(&r, kOpGetpid, 0, 0) == SGX_SUCCESS && plausible_id(r) ? static_cast<int32_t>(r) : -1;
  __atomic_store_n(&g_host_self, h, __ATOMIC_RELEASE);
  return h;
}

// An id from the host as the program sees it: this process's host pid is
// its pid inside.
long from_host(int64_t id) { return id == host_self() ? g_program.pid : static_cast<long>(id); }

// The host's getpgid(pid) or getsid(pid) (pid a host pid), as the program
// sees it, or -errno.
long host_id(int32_t op, int32_t pid, const char* what) {
  int64_t r = 0;
  if (libos_pgrp_ocall(&r, op, pid, 0) != SGX_SUCCESS) return err(EIO);
  if (r < 0) return host_errno(r);
  return plausible_id(r) ? from_host(r) : refuse(what, r);
}

// pid_t is an int: the kernel reads only the low 32 bits of the argument.
int32_t as_pid(int64_t v) { return static_cast<int32_t>(v); }

// A vfork child's own pid as it sees it: getpid answers the parent's
// (syscalls_spawn.h), so that is "itself" here too.
bool is_self(int32_t pid) { return pid == 0 || pid == g_program.pid; }

}  // namespace

int32_t pid_to_host(int32_t pid) {
  if (pid != g_program.pid) return pid;
  const int32_t h = host_self();
  return h > 0 ? h : pid;
}

long sys_getpgid(int64_t pid) {
  const int32_t p = as_pid(pid);
  if (VforkGroup* v = vfork_group(); v != nullptr && is_self(p)) {
    if (v->new_session || v->pgroup == 0) return g_program.pid;
    if (v->pgroup > 0) return v->pgroup;
  }
  return host_id(kOpGetpgid, pid_to_host(p), "getpgid");
}

long sys_getsid(int64_t pid) {
  const int32_t p = as_pid(pid);
  if (VforkGroup* v = vfork_group(); v != nullptr && is_self(p) && v->new_session) return g_program.pid;
  return host_id(kOpGetsid, pid_to_host(p), "getsid");
}

long sys_setpgid(int64_t pid, int64_t pgid) {
  const int32_t p = as_pid(pid), g = as_pid(pgid);
  if (g < 0) return err(EINVAL);
  if (VforkGroup* v = vfork_group(); v != nullptr) {
    // The vfork child's: recorded for its execve. It has no children (a
    // vfork child's vfork is refused), and a session leader may not move
    // (setpgid(2): EPERM). A group it cannot join makes the host's start
    // of the new process, and so execve, fail with EPERM.
    if (!is_self(p)) return err(ESRCH);
    if (v->new_session) return err(EPERM);
    v->pgroup = g == g_program.pid ? 0 : g;
    return 0;
  }
  int64_t r = 0;
  if (libos_pgrp_ocall(&r, kOpSetpgid, pid_to_host(p), pid_to_host(g)) != SGX_SUCCESS) return err(EIO);
  return r == 0 ? 0 : r < 0 ? host_errno(r) : refuse("setpgid", r);
}

long sys_setsid() {
  if (VforkGroup* v = vfork_group(); v != nullptr) {
    // A new process leads no group until its setpgid(0, 0) makes it
    // one, and a group leader may not make a session (setsid(2)).
    if (v->new_session || v->pgroup == 0) return err(EPERM);
    v->new_session = true;
    v->pgroup = -1;
    return g_program.pid;
  }
  int64_t r = 0;
  if (libos_pgrp_ocall(&r, kOpSetsid, 0, 0) != SGX_SUCCESS) return err(EIO);
  if (r < 0) return host_errno(r);
  // The new session's id is the caller's pid (setsid(2)): its pid inside,
  // but for `nsgx run`'s program, pid 1, whose host pid the host says.
  const int32_t h = g_program.pid != 1 ? g_program.pid : host_self();
  return h > 0 && r == h ? g_program.pid : refuse("setsid", r);
}

long own_host_pgid() {
  if (VforkGroup* v = vfork_group(); v != nullptr && (v->new_session || v->pgroup >= 0))
    return err(ESRCH);  // the group it asked for does not exist yet
  int64_t r = 0;
  if (libos_pgrp_ocall(&r, kOpGetpgid, 0, 0) != SGX_SUCCESS) return err(EIO);
  if (r < 0) return host_errno(r);
  return plausible_id(r) ? static_cast<long>(r) : refuse("getpgid", r);
}

long kill_group(int64_t pid, uint64_t sig) {
  const int32_t p = as_pid(pid);
  if (p == INT32_MIN) return err(ESRCH);  // -INT_MIN is no group (kill(2))
  if (sig > kMaxSignal) return err(EINVAL);
  const long own = own_host_pgid();
  if (own < 0) return own;
  // Host ids from here: 0 is the host's own group, as the program's 0 is.
  // -p >= 2, and no pid but 1 maps to 1: never the host's kill(-1).
  const int32_t group = p == 0 ? 0 : pid_to_host(-p);
  if (group == 1 || group < 0) return err(ESRCH);
  const bool own_group = group == 0 || group == own;
  if (own_group && !through_host(sig)) return sys_kill(g_program.pid, sig);
  int64_t r = 0;
  if (libos_kill_ocall(&r, -group, static_cast<int32_t>(sig)) != SGX_SUCCESS) return err(EIO);
  if (r != 0) return r < 0 ? host_errno(r) : err(EIO);
  // This process is in its own group: the signal is posted inside, as
  // kill(getpid(), sig) does, so that it is delivered before this call
  // returns; the host forwards no copy of it (a signal from itself).
  if (own_group && sig != 0) return sys_kill(g_program.pid, sig);
  return 0;
}

}  // namespace nsgx::libos
