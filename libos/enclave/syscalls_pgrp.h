// Process groups and sessions (docs/libos.md, "Process groups and
// sessions"). Every program process is a host process (its pid is the host
// process's, spawn_request.h), so its group and session are the host
// process's: the kernel keeps them, the host asks on the enclave's behalf
// (libos_pgrp_ocall), and the enclave checks each answer (a pid the kernel
// could give; setsid's new session is this process's own pid). A group
// decides no trust: which processes a signal or a wait reaches is the
// host's to decide on Linux too, and the children table still filters what
// a wait may answer.
//
// A vfork child (syscalls_spawn.h) has no host process until its execve:
// its setpgid(0, pgid) and setsid() — what glibc's posix_spawn does for
// POSIX_SPAWN_SETPGROUP and POSIX_SPAWN_SETSID — are recorded in its
// VforkGroup and applied by the host when it starts the new process
// (libos_spawn_ocall), before the program runs there, as Linux applies
// them before the child's execve.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

// What a vfork child asked for its process (unchanged: -1 and false).
struct VforkGroup {
  int32_t pgroup = -1;       // setpgid(0, pgroup): 0 a new group led by the child, > 0 an existing one
  bool new_session = false;  // setsid(): a new session and group led by the child
};

// A pid or group as the program names it, as the host does: `nsgx run`'s
// program is pid 1 inside and its host process has another id; every
// other process's pid inside is its host pid.
int32_t pid_to_host(int32_t pid);

long sys_getpgid(int64_t pid);  // getpgrp is getpgid(0)
long sys_getsid(int64_t pid);
long sys_setpgid(int64_t pid, int64_t pgid);
long sys_setsid();

// This process's group as the host numbers it (the host's answer,
// checked), or -errno; ESRCH in a vfork child that asked for another
// group or session (it exists once its execve has started the process).
long own_host_pgid();
// kill(pid, sig) for pid 0 (this process's group) or below -1 (group
// -pid): the host signals the group. When it is this process's own, the
// signal is also posted inside (as sys_kill's to itself, delivered before
// this call returns); the host drops its own copy of the signals it
// forwards (libos/host/signals.cc), so each arrives once. A signal the
// host does not forward, to its own group, reaches this process only
// (syscalls_pgrp.cc, through_host).
long kill_group(int64_t pid, uint64_t sig);

}  // namespace nsgx::libos
