// nsgx-monitor: the isolated backend's security monitor as a process.
//
//   nsgx-monitor --system [--socket PATH] [--state-dir DIR]
//                                      the system monitor (root, or systemd with
//                                      User=nsgx-monitor): serves root and the
//                                      members of group nsgx as user nsgx-monitor,
//                                      state in /var/lib/nsgx, socket /run/nsgx/
//   nsgx-monitor [--socket PATH]       a daemon of this user, for this user's
//                                      applications (no isolation from the user)
//   nsgx-monitor --fd N                serve the one connection on descriptor N
//                                      (the private monitor an application starts)
//
// Platform secrets live in the state directory (0700, file 0600), created on
// first start, so sealed data survives restarts. SIGTERM/SIGINT stop it
// cleanly: every enclave host is stopped, the socket removed.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "base/cli/command_line.h"
#include "runtime/common/config.h"
#include "runtime/common/platform_secrets.h"
#include "runtime/isolated/paths.h"
#include "runtime/isolated/server.h"

using namespace nsgx;

namespace {

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

// A directory that exists, owned by uid:gid with exactly `mode`, and is not
// a link: created if missing, corrected if root may correct it.
Status own_dir(const std::string& dir, uid_t uid, gid_t gid, mode_t mode) {
  if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return Error(dir + ": " + std::strerror(errno));
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Error(dir + ": not a directory");
  if ((st.st_uid != uid || st.st_gid != gid) && chown(dir.c_str(), uid, gid) != 0)
    return Error(dir + ": chown: " + std::strerror(errno));
  if ((st.st_mode & 07777) != mode && chmod(dir.c_str(), mode) != 0)
    return Error(dir + ": chmod: " + std::strerror(errno));
  return {};
}

// The system monitor's identity: started as root, it prepares its
// directories and becomes kMonitorUser for good (its enclave hosts inherit
// that uid, so no process of an application's user can ever ptrace or
// /proc them); started as kMonitorUser (systemd User=), it only checks.
// Every other identity is refused: the boundary rests on it.
Status become_system_monitor(const std::string& state_dir, const std::string& socket_path, gid_t& client_gid) {
  const passwd* pw = getpwnam(isolated::kMonitorUser);
  const group* gr = getgrnam(isolated::kClientGroup);
  if (pw == nullptr || gr == nullptr)
    return Error(std::string("user ") + isolated::kMonitorUser + " or group " + isolated::kClientGroup +
                 " missing: run scripts/install-service (or see docs/isolated.md) as root first");
  if (pw->pw_uid == 0) return Error(std::string(isolated::kMonitorUser) + " must not be root");
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  client_gid = gr->gr_gid;
  const std::string run_dir = parent_dir(socket_path);
  if (geteuid() == 0) {
    NSGX_RETURN_IF_ERROR(own_dir(state_dir, uid, gid, 0700));
    NSGX_RETURN_IF_ERROR(own_dir(run_dir, uid, client_gid, 0750));
    const gid_t groups[1] = {client_gid};
    if (setgroups(1, groups) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
      return Error(std::string("cannot become ") + isolated::kMonitorUser + ": " + std::strerror(errno));
    if (setuid(0) == 0 || geteuid() == 0) return Error("root privileges could not be dropped");
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // a credential change resets it
  } else if (geteuid() == uid) {
    // systemd made the directories (StateDirectory=, RuntimeDirectory=);
    // the socket's gets the clients' group (SupplementaryGroups=nsgx).
    NSGX_RETURN_IF_ERROR(own_dir(state_dir, uid, gid, 0700));
    NSGX_RETURN_IF_ERROR(own_dir(run_dir, uid, client_gid, 0750));
  } else {
    return Error(std::string("--system runs as root or as ") + isolated::kMonitorUser + ", not as uid " +
                 std::to_string(geteuid()));
  }
  return {};
}

// Every descriptor a connection or an enclave host needs counts against
// RLIMIT_NOFILE: take the hard limit.
void raise_nofile() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

// A function-try-block: an exception nothing else caught ends the daemon
// with a message and status 1 rather than std::terminate's abort.
int main(int argc, char** argv) try {
  // Nothing of this process may be read by another process of the user:
  // no ptrace, no /proc/PID/mem or /proc/PID/fd, no core dumps.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"nsgx-monitor: the isolated backend's security monitor"};
  app.name("nsgx-monitor");
  nsgx::cli::set_version(app, "nsgx-monitor");
  std::string socket_path, state_dir, epc_size, host_path, user_epc;
  std::vector<std::string> allow_signers;
  bool system = false, no_debug = false;
  int serve_fd = -1;
  std::uint32_t max_enclaves = 64, max_connections = 64, max_threads = 1024;
  app.add_flag("--system", system,
               "the system monitor: runs as user nsgx-monitor, serves root and group nsgx, ignores its environment "
               "(default socket " + std::string(isolated::kSystemSocket) + ", state " + isolated::kSystemStateDir + ")");
  app.add_option("--socket", socket_path, "listen on this UNIX socket (default: --system's, else $XDG_RUNTIME_DIR/nsgx/monitor.sock)");
  app.add_option("--fd", serve_fd, "serve the single connection on this descriptor, then exit");
  app.add_option("--state-dir", state_dir, "where the platform secrets and the attestation key live");
  app.add_option("--epc-size", epc_size, "EPC size, e.g. 128M (default: $NSGX_EPC_SIZE or 128M)");
  app.add_option("--user-epc", user_epc,
                 "EPC one user may hold over all its connections, e.g. 64M (default: half the EPC for a daemon)");
  app.add_option("--max-enclaves", max_enclaves,
                 "enclaves one user may hold at once over all its connections (default 64)");
  app.add_option("--max-connections", max_connections, "connections one user may hold at once (default 64)");
  app.add_option("--max-threads", max_threads,
                 "enclave threads (TCSs served by enclave hosts) one user may have at once (default 1024)");
  app.add_option("--allow-signer", allow_signers, "launch only enclaves of this MRSIGNER (hex; repeatable)");
  app.add_flag("--no-debug", no_debug, "refuse debug enclaves");
  app.add_option("--host", host_path, "the nsgx-enclave-host executable");
  // Exit status: 0 stopped cleanly, 1 could not start or serve, 2 usage.
  if (const auto rc = nsgx::cli::parse_command_line(app, argc, argv)) return *rc;

  // The system monitor takes nothing from whoever started it but its
  // command line: no NSGX_STATE_DIR, NSGX_ENCLAVE_HOST, LD_* or locale.
  if (system) clearenv();
  auto config = runtime::config_from_env();
  if (!config) {
    std::fprintf(stderr, "nsgx-monitor: %s\n", config.error().message().c_str());
    return 2;
  }
  for (const auto& hex : allow_signers) {
    auto bytes = from_hex(hex);
    if (!bytes || bytes->size() != 32) {
      std::fprintf(stderr, "nsgx-monitor: --allow-signer: 64 hex digits expected\n");
      return 2;
    }
    identity::Mrsigner m{};
    std::memcpy(m.data(), bytes->data(), 32);
    config->launch.allowed_signers.push_back(m);
  }
  if (no_debug) config->launch.allow_debug = false;
  if (system) {
    if (serve_fd >= 0) {
      std::fprintf(stderr, "nsgx-monitor: --system serves a socket, not --fd\n");
      return 2;
    }
    config->state_dir = state_dir.empty() ? isolated::kSystemStateDir : state_dir;
    if (socket_path.empty()) socket_path = isolated::kSystemSocket;
  } else if (!state_dir.empty()) {
    config->state_dir = state_dir;
  }
  if (!epc_size.empty()) {
    const std::uint64_t bytes = runtime::parse_size(epc_size.c_str());
    if (bytes < std::uint64_t{16} * 4096 || bytes > (1ull << 36)) {
      std::fprintf(stderr, "nsgx-monitor: --epc-size must be between 64K and 64G\n");
      return 2;
    }
    config->epc_pages = static_cast<std::uint32_t>(bytes / 4096);
  }
  gid_t client_gid = 0;
  if (system) {
    if (auto st = become_system_monitor(config->state_dir, socket_path, client_gid); !st) {
      std::fprintf(stderr, "nsgx-monitor: %s\n", st.error().message().c_str());
      return 1;
    }
  }
  raise_nofile();
  auto secrets = runtime::load_or_create_secrets(config->state_dir, "monitor-platform.secrets");
  if (!secrets) {
    std::fprintf(stderr, "nsgx-monitor: platform secrets: %s\n", secrets.error().message().c_str());
    return 1;
  }
  isolated::ServerOptions options;
  options.epc_pages = config->epc_pages;
  options.launch = config->launch;
  options.state_dir = config->state_dir;
  options.host_path = host_path.empty() ? isolated::enclave_host_path(/*use_env=*/!system) : host_path;
  if (access(options.host_path.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "nsgx-monitor: enclave host %s: %s\n", options.host_path.c_str(), std::strerror(errno));
    return 1;
  }
  if (system) {
    // Enclave hosts run as this user with the enclaves' memory: whoever can
    // replace their executable owns every enclave.
    if (auto st = isolated::check_root_owned(options.host_path); !st) {
      std::fprintf(stderr, "nsgx-monitor: enclave host: %s (install with scripts/install-service)\n",
                   st.error().message().c_str());
      return 1;
    }
    options.client_gid = client_gid;
  }
  if (serve_fd < 0) {
    // A daemon serves many applications and, as the system monitor, many
    // users: no user may take all of it, however many connections it opens.
    options.max_enclaves_per_user = max_enclaves;
    options.max_connections_per_user = max_connections;
    options.max_threads_per_user = max_threads;
    options.user_epc_pages = options.epc_pages / 2;
    if (!user_epc.empty()) {
      const std::uint64_t bytes = runtime::parse_size(user_epc.c_str());
      if (bytes < std::uint64_t{16} * 4096 || bytes / 4096 > options.epc_pages) {
        std::fprintf(stderr, "nsgx-monitor: --user-epc must be between 64K and the EPC size\n");
        return 2;
      }
      options.user_epc_pages = static_cast<std::uint32_t>(bytes / 4096);
    }
  }
  isolated::Server server(options, *secrets);

  if (serve_fd >= 0) {
    // A private monitor: it lives as long as its application's connection.
    server.serve(serve_fd);
    return 0;
  }

  if (socket_path.empty()) socket_path = isolated::user_socket_path();
  if (socket_path.empty()) {
    std::fprintf(stderr, "nsgx-monitor: no socket: give --socket, or set XDG_RUNTIME_DIR\n");
    return 2;
  }
  if (auto st = isolated::make_socket_dir(socket_path); !st) {
    std::fprintf(stderr, "nsgx-monitor: %s\n", st.error().message().c_str());
    return 1;
  }
  const int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "nsgx-monitor: socket path too long\n");
    return 2;
  }
  std::strcpy(addr.sun_path, socket_path.c_str());
  // A socket left by a monitor that died is replaced; a live one is not.
  if (connect(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::fprintf(stderr, "nsgx-monitor: a monitor already serves %s\n", socket_path.c_str());
    return 1;
  }
  unlink(socket_path.c_str());
  const mode_t old = umask(077);
  const int b = bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  // The system socket: its directory (0750, group nsgx) admits the clients'
  // group; the socket itself must then be writable by that group.
  const bool shared = system && (chown(socket_path.c_str(), static_cast<uid_t>(-1), client_gid) != 0 ||
                                 chmod(socket_path.c_str(), 0660) != 0);
  if (b != 0 || shared || listen(lfd, 64) != 0) {
    std::fprintf(stderr, "nsgx-monitor: %s: %s\n", socket_path.c_str(), std::strerror(errno));
    return 1;
  }

  // Signals go to one thread, which shuts the monitor down.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    ::shutdown(lfd, SHUT_RDWR);
  }).detach();

  std::fprintf(stderr, "nsgx-monitor: %s serving %s as uid %u (EPC %u pages, state %s)\n",
               system ? "system monitor" : "daemon", socket_path.c_str(), static_cast<unsigned>(geteuid()),
               options.epc_pages, config->state_dir.c_str());
  // One thread per connection, detached: it ends when its application goes
  // (a long-lived daemon must not keep one per application ever served);
  // wait_idle() is the join.
  for (;;) {
    const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {  // out of descriptors: let some connections end
        usleep(100 * 1000);
        continue;
      }
      break;  // shut down
    }
    std::thread([&server, fd] { server.serve(fd); }).detach();
  }
  server.shutdown();
  server.wait_idle();
  unlink(socket_path.c_str());
  close(lfd);
  std::fprintf(stderr, "nsgx-monitor: stopped\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nsgx-monitor: error: %s\n", e.what());
  return 1;
} catch (...) {
  std::fprintf(stderr, "nsgx-monitor: error: unexpected exception\n");
  return 1;
}
