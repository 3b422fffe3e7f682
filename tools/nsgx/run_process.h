// `nsgx run`'s process (docs/libos.md, "Signals" and "Processes"): it
// becomes the library OS host by execve, so the process a shell, a
// terminal, timeout(1) or a CI runner started and signals is the
// program's own host process. No process stands between them to forward
// signals (which reached the program twice whenever the group was
// signalled) or to be left behind.
#pragma once

#include <signal.h>

#include <string>
#include <vector>

namespace nsgx::cli {

// Starts a cleaner, a process of its own session outside this process's
// children, that removes `dir` once the last host process of the run has
// ended — or this process, if it never becomes one. This process holds it
// at libos/host/descriptors.h kImageHoldFd, close-on-exec until exec_host
// (so the helpers that build the enclave do not). False (errno) if it
// could not.
bool hold_directory(const std::string& dir);

// Replaces this process by argv[0] with argv, the hold (if any) passed on
// and SIGCHLD's action put back to `chld` (run() sets SIG_DFL meanwhile,
// so that its own waits see their children even when it was started with
// SIGCHLD ignored). Returns only when it could not: the error.
std::string exec_host(const std::vector<std::string>& argv, const struct sigaction& chld);

}  // namespace nsgx::cli
