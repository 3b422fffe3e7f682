#include "runtime/isolated/paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#ifndef NSGX_ISOLATED_BIN_DIR
#error "NSGX_ISOLATED_BIN_DIR: the directory of nsgx-monitor and nsgx-enclave-host"
#endif

namespace nsgx::isolated {

std::string default_socket_path() {
  if (const char* s = std::getenv("NSGX_MONITOR_SOCKET"); s && *s) return s;
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && *r) return std::string(r) + "/nsgx/monitor.sock";
  return "/tmp/nsgx-" + std::to_string(getuid()) + "/monitor.sock";
}

Status make_socket_dir(const std::string& socket_path) {
  const auto slash = socket_path.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  const std::string dir = socket_path.substr(0, slash);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Error(dir + ": " + std::strerror(errno));
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Error(dir + ": not a directory");
  if (st.st_uid != getuid() || (st.st_mode & 022) != 0)
    return Error(dir + ": owned by another user or writable by others");
  return {};
}

std::string monitor_path() {
  if (const char* s = std::getenv("NSGX_MONITOR"); s && *s) return s;
  return std::string(NSGX_ISOLATED_BIN_DIR) + "/nsgx-monitor";
}

std::string enclave_host_path() {
  if (const char* s = std::getenv("NSGX_ENCLAVE_HOST"); s && *s) return s;
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string dir(self);
    dir.resize(dir.rfind('/'));
    const std::string p = dir + "/nsgx-enclave-host";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return std::string(NSGX_ISOLATED_BIN_DIR) + "/nsgx-enclave-host";
}

}  // namespace nsgx::isolated
