// The host's side of the library OS's signals (docs/libos.md, "Signals"):
// signals sent to this process are forwarded into the enclave as requests,
// and a program killed by a signal kills this process by the same signal.
#pragma once

#include <cstdint>

#include "sgx_urts.h"

namespace nsgx::libos_host {

// The signal state the program inherits, as execve keeps it (signal(7)):
// the signals whoever started this process ignored and blocked, bit
// sig − 1. Read before the host changes any; every signal is then
// unblocked here, because the host catches them for the program, whose
// own mask the enclave keeps (a signal blocked in the host would never
// reach it, even after the program unblocked it).
struct StartSignals {
  uint64_t ignored = 0, blocked = 0;
};
StartSignals take_start_signals();

// Gives the enclave the words where this process's handlers record the
// signals they receive (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,
// SIGTERM, SIGCHLD, SIGCONT, SIGURG, SIGWINCH) and the latest SIGCHLD's
// child end (libos/enclave/child_signal.h). False if it cannot.
bool forward_signals(sgx_enclave_id_t eid);

// The first of the words forward_signals gave the enclave (nullptr
// before): the hostile test host (hostile_ocalls.cc) writes lies into them.
uint64_t* forwarded_signal_word();

}  // namespace nsgx::libos_host
