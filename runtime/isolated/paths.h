// Where the isolated backend's pieces are: the monitor's socket and the
// executables of the monitor and the enclave host.
#pragma once

#include <string>

#include "base/result.h"

namespace nsgx::isolated {

// $NSGX_MONITOR_SOCKET, else $XDG_RUNTIME_DIR/nsgx/monitor.sock, else
// /tmp/nsgx-UID/monitor.sock.
std::string default_socket_path();
// Creates the socket's directory (0700) if needed; refuses one that others can write.
Status make_socket_dir(const std::string& socket_path);
// $NSGX_MONITOR, else nsgx-monitor where the build put it.
std::string monitor_path();
// $NSGX_ENCLAVE_HOST, else nsgx-enclave-host beside the running executable,
// else where the build put it.
std::string enclave_host_path();

}  // namespace nsgx::isolated
