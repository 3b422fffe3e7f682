// `nsgx run`'s process (docs/libos.md, "Signals" and "Processes"): it
// becomes the library OS host by execve, so the process a shell, a
// terminal, timeout(1) or a CI runner started and signals is the
// program's own host process. No process stands between them to forward
// signals (which reached the program twice whenever the group was
// signalled) or to be left behind.
#pragma once

#include <string>
#include <vector>

namespace nsgx::cli {

// Replaces this process by argv[0] with argv. When `dir` is not empty,
// first starts a cleaner, a process of its own session outside this
// process's children, that removes `dir` once the last host process of
// the run has ended (libos/host/descriptors.h kImageHoldFd). Returns only
// when it could not: the error, with `dir` left to the caller.
std::string exec_host(const std::vector<std::string>& argv, const std::string& dir);

}  // namespace nsgx::cli
