#include "runtime/isolated/paths.h"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/install_layout.h"

#ifndef NSGX_ISOLATED_BIN_DIR
#error "NSGX_ISOLATED_BIN_DIR: the directory of nsgx-monitor and nsgx-enclave-host"
#endif

namespace nsgx::isolated {

namespace {

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The identities that may serve a socket of `kind` (and own its directory).
bool trusted_for(MonitorKind kind, uid_t uid) {
  const auto mon = monitor_uid();
  const bool system = uid == 0 || (mon && uid == *mon);
  switch (kind) {
    case MonitorKind::kSystem: return system;
    case MonitorKind::kUser: return uid == getuid() || system;
    case MonitorKind::kPrivate: return uid == getuid();
  }
  return false;
}

}  // namespace

std::string describe(MonitorKind kind) {
  switch (kind) {
    case MonitorKind::kSystem: return std::string("system monitor (user ") + kMonitorUser + ")";
    case MonitorKind::kUser: return "your own monitor daemon (no isolation from your user)";
    case MonitorKind::kPrivate: return "private monitor (no isolation from your user)";
  }
  return "?";
}

std::optional<uid_t> monitor_uid() {
  // getpwnam_r: the untrusted runtime may be called from several threads.
  passwd pw{}, *res = nullptr;
  char buf[4096];
  if (getpwnam_r(kMonitorUser, &pw, buf, sizeof buf, &res) != 0 || res == nullptr) return std::nullopt;
  return pw.pw_uid;
}

std::vector<SocketCandidate> socket_candidates() {
  if (const char* s = std::getenv("NSGX_MONITOR_SOCKET"); s && *s) return {{s, MonitorKind::kUser}};
  std::vector<SocketCandidate> out{{kSystemSocket, MonitorKind::kSystem}};
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && r[0] == '/')
    out.push_back({std::string(r) + "/nsgx/monitor.sock", MonitorKind::kUser});
  return out;
}

Connected connect_monitor(const SocketCandidate& c, std::string* why) {
  Connected out;
  const auto refuse = [&](const std::string& reason) {
    if (why) *why = "the monitor socket " + c.path + " is not trusted: " + reason;
    out.refused = true;
    if (out.fd >= 0) close(out.fd);
    out.fd = -1;
    return out;
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (c.path.empty() || c.path.size() >= sizeof addr.sun_path) {
    if (why) *why = "socket path too long: " + c.path;
    return out;
  }
  struct stat sst {};
  if (lstat(c.path.c_str(), &sst) != 0) {
    if (why) *why = c.path + ": " + std::strerror(errno);
    return out;  // nothing there
  }
  if (!S_ISSOCK(sst.st_mode)) return refuse("not a socket");
  // The directory: only the monitor's identity may create or replace names
  // in it (a world-writable one such as /tmp lets anyone bind first).
  const std::string dir = dir_of(c.path);
  struct stat dst {};
  if (lstat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) return refuse(dir + " is not a directory");
  if (!trusted_for(c.kind, dst.st_uid)) return refuse(dir + " belongs to uid " + std::to_string(dst.st_uid));
  if ((dst.st_mode & 022) != 0) return refuse(dir + " is writable by group or others");
  std::strcpy(addr.sun_path, c.path.c_str());
  out.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (out.fd < 0 || ::connect(out.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (why) *why = c.path + ": " + std::strerror(errno);
    if (out.fd >= 0) close(out.fd);
    out.fd = -1;
    return out;  // stale or not ours to use (EACCES): try the next one
  }
  // The peer: SO_PEERCRED names the credentials of the process that called
  // listen() on that socket — the kernel's word, which no one can forge.
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(out.fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
    return refuse("no peer credentials");
  if (!trusted_for(c.kind, cred.uid)) return refuse("served by uid " + std::to_string(cred.uid));
  out.peer_uid = cred.uid;
  return out;
}

FoundMonitor find_monitor(std::string* why) {
  FoundMonitor f;
  for (const auto& c : socket_candidates()) {
    f.conn = connect_monitor(c, why);
    if (f.conn.refused) return f;
    if (f.conn.fd < 0) continue;
    f.path = c.path;
    const bool system_peer = f.conn.peer_uid == 0 || f.conn.peer_uid == monitor_uid();
    f.kind = c.kind == MonitorKind::kSystem || (system_peer && f.conn.peer_uid != getuid()) ? MonitorKind::kSystem
                                                                                           : MonitorKind::kUser;
    return f;
  }
  return f;
}

std::string user_socket_path() {
  if (const char* s = std::getenv("NSGX_MONITOR_SOCKET"); s && *s) return s;
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && r[0] == '/') return std::string(r) + "/nsgx/monitor.sock";
  return {};
}

Status make_socket_dir(const std::string& socket_path) {
  const auto slash = socket_path.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  const std::string dir = socket_path.substr(0, slash);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Error(dir + ": " + std::strerror(errno));
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Error(dir + ": not a directory");
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
    return Error(dir + ": owned by another user or writable by others");
  return {};
}

std::string monitor_path() {
#if NSGX_ENV_OVERRIDES
  if (const char* s = std::getenv("NSGX_MONITOR"); s && *s) return s;
#endif
  return installed_or_build("nsgx-monitor", std::string(NSGX_ISOLATED_BIN_DIR) + "/nsgx-monitor");
}

std::string enclave_host_path([[maybe_unused]] bool use_env) {
#if NSGX_ENV_OVERRIDES
  if (const char* s = std::getenv("NSGX_ENCLAVE_HOST"); use_env && s && *s) return s;
#endif
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string dir(self);
    dir.resize(dir.rfind('/'));
    std::string p = dir + "/nsgx-enclave-host";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return installed_or_build("nsgx-enclave-host", std::string(NSGX_ISOLATED_BIN_DIR) + "/nsgx-enclave-host");
}

Status check_root_owned(const std::string& path, std::optional<uid_t> also) {
  if (path.empty() || path[0] != '/') return Error(path + ": not an absolute path");
  std::string p = path;
  for (;;) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) return Error(p + ": " + std::strerror(errno));
    if (S_ISLNK(st.st_mode)) {
      // A link is as safe as its directory (checked next) and its target.
      char target[PATH_MAX];
      const ssize_t n = readlink(p.c_str(), target, sizeof target - 1);
      if (n <= 0) return Error(p + ": unreadable link");
      target[n] = 0;
      const std::string t = target[0] == '/' ? std::string(target) : dir_of(p) + "/" + target;
      NSGX_RETURN_IF_ERROR(check_root_owned(t, also));
    } else {
      const bool owner_ok = st.st_uid == 0 || (also && st.st_uid == *also);
      // A sticky directory (/tmp) still lets others add names, not replace ours.
      const bool writable = (st.st_mode & 022) != 0 && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && p != path);
      if (!owner_ok || writable)
      {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        return Error(p + ": can be changed by someone other than root (owner uid " + std::to_string(st.st_uid) +
                     ", mode " + mode + ")");
      }
    }
    if (p == "/") return {};
    p = dir_of(p);
  }
}

}  // namespace nsgx::isolated
