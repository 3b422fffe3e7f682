// Dying as the program inside died (docs/libos.md, "Signals"): the
// library OS host (nsgx-libos-host), which `nsgx run` becomes, ends so, and
// the shell sees the program's WIFSIGNALED status.
#pragma once

namespace nsgx::libos_host {

// Ends this process by `sig` with its default action after flushing
// stdio: the disposition is reset to SIG_DFL and the signal unblocked, so
// a handler or a blocked mask left by whoever started us cannot keep the
// process alive. No core file (RLIMIT_CORE 0): on inproc the process's
// memory holds the enclave's. _exit(128 + sig) if the signal's default
// action does not end a process (the enclave never asks for one).
[[noreturn]] void die_by_signal(int sig);

}  // namespace nsgx::libos_host
