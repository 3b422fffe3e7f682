// The host's side of the library OS's signals (docs/libos.md, "Signals"):
// signals sent to this process are forwarded into the enclave as requests,
// and a program killed by a signal kills this process by the same signal.
#pragma once

#include <signal.h>

#include <cstdint>

#include "sgx_urts.h"

namespace nsgx::libos_host {

// The signal state the program inherits, as execve keeps it (signal(7)):
// the signals whoever started this process ignored and blocked, bit
// sig − 1 (the host's claim to the enclave, as argv is). Read before the
// host changes any. The signals the host catches are then blocked until
// forward_signals unblocks them with its handlers in place: the host
// catches them for the program, whose own mask the enclave keeps (one
// blocked in the host would never reach it, even after the program
// unblocked it). Any other signal keeps the mask we were started with.
struct StartSignals {
  uint64_t ignored = 0, blocked = 0;
};
StartSignals take_start_signals();

// The signals this process handles for the program (those
// forward_signals catches, the kick and the nudge): blocked from its start
// until its handlers are in place, and so in a new host process it starts
// (spawn_ocalls.cc) until that one's are.
sigset_t host_signals();

// Gives the enclave the words where this process's handlers record the
// signals they receive (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,
// SIGTERM, SIGCHLD, SIGCONT, SIGURG, SIGWINCH) and the latest SIGCHLD's
// child end (libos/enclave/child_signal.h). False if it cannot.
bool forward_signals(sgx_enclave_id_t eid);

// The first of the words forward_signals gave the enclave (nullptr
// before): the hostile test host (hostile_ocalls.cc) writes lies into them.
uint64_t* forwarded_signal_word();

}  // namespace nsgx::libos_host
