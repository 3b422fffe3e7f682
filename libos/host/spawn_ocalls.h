// The library OS host's side of processes (libos_spawn.edl, docs/libos.md
// "Processes"): new host processes for spawned programs, execve's
// replacement of the enclave in this process, waitpid and kill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "libos/host/descriptors.h"

namespace nsgx::libos_host {

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
