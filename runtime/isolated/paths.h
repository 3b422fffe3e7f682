// Where the isolated backend's pieces are, and whom to trust there: the
// monitor's sockets, the identity each must be served by, and the
// executables of the monitor and the enclave host.
//
// Two kinds of monitor serve applications (docs/threat-model.md):
//  - the system monitor: a service under its own system user
//    (kMonitorUser), socket kSystemSocket in a directory of that user or
//    root, state in kSystemStateDir; the boundary the isolated backend
//    promises holds only here;
//  - a monitor of the user's own (a private one the untrusted runtime
//    starts, or a daemon the user runs): no isolation from that user.
//
//   auto m = connect_monitor(SocketCandidate{path, MonitorKind::kSystem}, &why);
//   if (m.fd < 0 && m.refused) ...  // something untrusted answers there
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace nsgx::isolated {

inline constexpr const char* kSystemSocket = "/run/nsgx/monitor.sock";
inline constexpr const char* kSystemStateDir = "/var/lib/nsgx";
// The system user the system monitor and its enclave hosts run as.
inline constexpr const char* kMonitorUser = "nsgx-monitor";
// The group whose members may use the system monitor (besides root).
inline constexpr const char* kClientGroup = "nsgx";

enum class MonitorKind {
  kSystem,   // served by root or kMonitorUser
  kUser,     // a daemon of this user (or whoever NSGX_MONITOR_SOCKET names, if root or kMonitorUser)
  kPrivate,  // started by this process on a socketpair
};
// "system monitor (user nsgx-monitor)", "private monitor (no isolation from your user)", ...
std::string describe(MonitorKind kind);

// The uid of kMonitorUser, if that user exists.
std::optional<uid_t> monitor_uid();

struct SocketCandidate {
  std::string path;
  MonitorKind kind;
};
// Where to look for a daemon, in order: $NSGX_MONITOR_SOCKET alone if set
// (kUser: served by this user, root or kMonitorUser); else kSystemSocket
// (kSystem), then $XDG_RUNTIME_DIR/nsgx/monitor.sock (kUser: this user
// only). No location in a directory others can write.
std::vector<SocketCandidate> socket_candidates();

struct Connected {
  int fd = -1;
  // True when a socket exists there but fails authentication (its directory
  // or the peer's credentials): the caller must not fall back silently.
  bool refused = false;
  uid_t peer_uid = static_cast<uid_t>(-1);
};
// Connects to `c` and authenticates the monitor: the socket's directory is
// owned by an identity allowed for `c.kind` and not writable by group or
// others, and the peer's SO_PEERCRED uid is one allowed for `c.kind`.
// fd < 0 with refused false: nothing serves there (try the next one).
Connected connect_monitor(const SocketCandidate& c, std::string* why);

struct FoundMonitor {
  Connected conn;  // fd < 0: none serves (or one was refused: conn.refused)
  // What serves: kSystem when the peer is root or kMonitorUser (and this
  // user is neither), kUser for this user's own daemon; kPrivate if none.
  MonitorKind kind = MonitorKind::kPrivate;
  std::string path;
};
// Tries socket_candidates() in order; stops at the first that serves or
// that is refused.
FoundMonitor find_monitor(std::string* why);

// The daemon socket a user's own `nsgx-monitor` listens on by default:
// $NSGX_MONITOR_SOCKET, else $XDG_RUNTIME_DIR/nsgx/monitor.sock; empty if
// neither is set.
std::string user_socket_path();
// Creates the socket's directory (0700) if needed; refuses one that is not
// this user's or that others can write.
Status make_socket_dir(const std::string& socket_path);

// Whether this build honours NSGX_MONITOR, NSGX_ENCLAVE_HOST and
// NSGX_STATE_DIR (test builds; CMake option NSGX_ENV_OVERRIDES).
constexpr bool env_overrides() { return NSGX_ENV_OVERRIDES != 0; }
// $NSGX_MONITOR (test builds), else PREFIX/libexec/nestedsgx/nsgx-monitor
// for installed code (base/install_layout.h), else where the build put it.
std::string monitor_path();
// $NSGX_ENCLAVE_HOST (test builds, and only if `use_env`), else
// nsgx-enclave-host beside the running executable, else the installed one
// (installed code), else where the build put it.
std::string enclave_host_path(bool use_env = true);

// Checks that no one but root (and `also`, if given) can replace `path`:
// it and every directory above it are owned by root (or `also`) and
// writable by no one else. For executables the system monitor runs.
Status check_root_owned(const std::string& path, std::optional<uid_t> also = std::nullopt);

}  // namespace nsgx::isolated
