// `nsgx run`'s process and signals (docs/libos.md, "Signals"): the
// library OS host runs as a child; signals sent to `nsgx run` reach it,
// and a program killed by a signal kills `nsgx run` by the same signal.
#pragma once

#include <string>
#include <vector>

namespace nsgx::cli {

// Runs argv[0] with argv, forwarding SIGHUP, SIGINT, SIGQUIT, SIGUSR1,
// SIGUSR2, SIGTERM, SIGCONT and SIGWINCH to it while it runs. Returns its
// wait status, or -1 if it could not be started.
int run_forwarding(const std::vector<std::string>& argv);

}  // namespace nsgx::cli
