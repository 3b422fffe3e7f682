// Processes (docs/libos.md, "Processes"): a new program runs in a new
// enclave of the same image and manifest, which the untrusted host starts
// on this enclave's request (libos_spawn.edl); its executable must be a
// trusted file of the manifest, hash-checked here and again by the new
// enclave.
//
// - vfork, and clone(CLONE_VM | CLONE_VFORK) as glibc's posix_spawn issues
//   it: the child runs on the calling thread, in this enclave's memory
//   (as Linux's vfork child does), with a descriptor table of its own,
//   until its execve (the new enclave is started; the parent resumes with
//   its pid) or its exit (the parent resumes; the status waits for wait4).
// - execve outside a vfork child: the host replaces this enclave by a new
//   one in the same process once the program has ended here.
// - wait4, waitid: the host's waitpid on the child's host process, every
//   answer checked (a child of ours, a well-formed status).
// - fork (clone without CLONE_VM): syscalls_fork.h.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "libos/enclave/spawn_request.h"
#include "libos/enclave/syscalls_pgrp.h"
#include "sgx_trts_exception.h"

namespace nsgx::libos {

// clone: vfork-style (CLONE_VM | CLONE_VFORK) is answered here, without
// CLONE_VM a fork (fork_clone), everything else a thread (sys_clone). May
// replace `c` with the parent's or the child's registers.
long spawn_clone(sgx_cpu_context_t& c);
long sys_vfork(sgx_cpu_context_t& c);
long sys_execve(sgx_cpu_context_t& c, uint64_t path, uint64_t argv, uint64_t envp);
// exit/exit_group of a vfork child: true, the parent resumed in `c`, its
// answer in `r`; false if this thread runs no vfork child.
bool vfork_child_exit(sgx_cpu_context_t& c, uint64_t status, long& r);
// wait4: a child's end from the children table (a vfork child's, or one a
// signal's reaping kept) or the host's waitpid, checked to name a running
// child of ours (Iago). While SIGCHLD is SIG_IGN or SA_NOCLDWAIT
// (children_reaped_automatically), as Linux: the children that end are
// reaped, and it waits until none is left, then answers ECHILD (WNOHANG:
// 0 while some run).
long sys_wait4(int64_t pid, uint64_t status, uint64_t options, uint64_t rusage);
long sys_waitid(uint64_t idtype, uint64_t id, uint64_t info, uint64_t options, uint64_t rusage);
long sys_getppid();
// The process group and session this thread's vfork child asked for
// (syscalls_pgrp.h), or nullptr if the thread runs no vfork child.
VforkGroup* vfork_group();
// Takes every child that has ended from the host without waiting and
// forgets it (no zombie): for SIGCHLD's arrival while children are reaped
// automatically.
void reap_ended_children();
// A new child process the host started (a spawn's or a fork's), its pid
// `r` as the host answered: taken if the kernel could give it and it is
// neither ours nor a child's already (Iago), else EIO with a message
// naming `what`. The pid or -errno.
long adopt_child(int64_t r, const char* what);
// kill: a child of this process (the host signals its host process); for
// any other pid ENOSYS — the hook the signals' kill calls first.
long spawn_kill(int64_t pid, uint64_t sig);

// The new enclave's side: its descriptors from the request, whose host
// descriptors the host put at the same numbers (libos_spawn.edl).
void install_inherited(const SpawnRequest& r);

}  // namespace nsgx::libos
