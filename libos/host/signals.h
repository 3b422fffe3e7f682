// The host's side of the library OS's signals (docs/libos.md, "Signals"):
// signals sent to this process are forwarded into the enclave as requests,
// and a program killed by a signal kills this process by the same signal.
#pragma once

#include <cstdint>

#include "sgx_urts.h"

namespace nsgx::libos_host {

// Gives the enclave the words where this process's handlers record the
// signals they receive (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,
// SIGTERM, SIGCHLD, SIGCONT, SIGURG, SIGWINCH) and the latest SIGCHLD's
// child end (libos/enclave/child_signal.h). False if it cannot.
bool forward_signals(sgx_enclave_id_t eid);

// The first of the words forward_signals gave the enclave (nullptr
// before): the hostile test host (hostile_ocalls.cc) writes lies into them.
uint64_t* forwarded_signal_word();

}  // namespace nsgx::libos_host
