// The host descriptors every library OS host process agrees on (docs/
// libos.md "Processes"), shared with `nsgx run`, which becomes the first
// one (tools/nsgx/run_process.cc).
#pragma once

namespace nsgx::libos_host {

// The descriptor a started host process reads its request from: above the
// library OS's descriptors (0..1023, libos/enclave/file_table.h kMaxFds),
// which the host puts at their numbers.
constexpr int kRequestFd = 1024;

// A fork child's second descriptor (spawn_ocalls.cc): its hello goes to
// the parent's host and the parent's confirmation comes back on it.
constexpr int kForkChannelFd = 1025;

// The write end of a pipe whose read end a cleaner holds: `nsgx run`
// without --enclave builds the enclave in a temporary directory, and the
// cleaner removes it once the last copy of this descriptor is closed —
// when every host process of the run has ended, however it ended. It is
// not close-on-exec: execve's new host keeps it, and every started
// process's host gets it at the same number (spawn_ocalls.cc) — when the
// environment's NSGX_LIBOS_IMAGE_HOLD names it, as `nsgx run` sets it.
// Not there when the run used a directory `nsgx libos build` wrote.
constexpr int kImageHoldFd = 1026;

// Where the host keeps descriptors it is about to put in place for a new
// process (their copies, the checkpoint), so that none is overwritten:
// F_DUPFD takes the lowest free one from here. F_DUPFD refuses (EINVAL) a
// floor at or above RLIMIT_NOFILE, and a user's session usually has a
// soft limit of 1024 (`ulimit -n`) — with which every spawn and fork
// failed for users other than root (libos_unpriv_*, "the secret in fork
// checkpoints") — so the host raises its soft limit first
// (raise_descriptor_limit; spawn_test.sh runs with a soft limit of 1024).
constexpr int kFirstSpareFd = kImageHoldFd + 1;

// Raises this process's RLIMIT_NOFILE soft limit to the hard limit (at
// most 1 Mi): the program inside may hold kMaxFds descriptors, each a host
// descriptor here, and a new process's are put at their numbers with the
// request above them. A hard limit below kFirstSpareFd + kMaxFds leaves
// spawns of programs with many descriptors failing (EMFILE), said then.
void raise_descriptor_limit();

}  // namespace nsgx::libos_host
