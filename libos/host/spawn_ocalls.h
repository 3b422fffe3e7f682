// The library OS host's side of processes (libos_spawn.edl, docs/libos.md
// "Processes"): new host processes for spawned programs, execve's
// replacement of the enclave in this process, waitpid and kill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nsgx::libos_host {

// The descriptor a started host process reads its request from: above the
// library OS's descriptors (0..1023, libos/enclave/file_table.h kMaxFds),
// which the host puts at their numbers.
constexpr int kRequestFd = 1024;

// A fork child's second descriptor (spawn_ocalls.cc): its hello goes to
// the parent's host and the parent's confirmation comes back on it.
constexpr int kForkChannelFd = 1025;

// Where the host keeps descriptors it is about to put in place for a new
// process (their copies, the checkpoint), so that none is overwritten:
// F_DUPFD takes the lowest free one from here. F_DUPFD refuses (EINVAL) a
// floor at or above RLIMIT_NOFILE, and a user's session usually has a
// soft limit of 1024 (`ulimit -n`) — with which every spawn and fork
// failed for users other than root (libos_unpriv_*, "the secret in fork
// checkpoints") — so the host raises its soft limit first
// (raise_descriptor_limit; spawn_test.sh runs with a soft limit of 1024).
constexpr int kFirstSpareFd = kForkChannelFd + 1;

// Raises this process's RLIMIT_NOFILE soft limit to the hard limit (at
// most 1 Mi): the program inside may hold kMaxFds descriptors, each a host
// descriptor here, and a new process's are put at their numbers with the
// request above them. A hard limit below kFirstSpareFd + kMaxFds leaves
// spawns of programs with many descriptors failing (EMFILE), said then.
void raise_descriptor_limit();

// Records the enclave image and trace level new processes are started with.
void init_spawn(const char* image, int trace);
// Reads the request of a started host process from kRequestFd; false if
// there is none.
bool read_request(std::vector<uint8_t>& out);
// A fork child's host process: the checkpoint is read from kRequestFd as
// the enclave asks for it (libos_fork_get_ocall).

// After the enclave's program ended: true if it called execve.
bool exec_pending();
// Replaces this process by a new host for the pending execve (the enclave
// is destroyed first); returns only on failure, with a message.
void exec_now();

}  // namespace nsgx::libos_host
