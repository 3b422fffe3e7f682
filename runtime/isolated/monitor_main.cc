// nsgx-monitor: the isolated backend's security monitor as a process.
//
//   nsgx-monitor [--socket PATH]       serve every application of this user
//   nsgx-monitor --fd N                serve the one connection on descriptor N
//                                      (the private monitor an application starts)
//
// Platform secrets live in the state directory (0700, file 0600), created on
// first start, so sealed data survives restarts. SIGTERM/SIGINT stop it
// cleanly: every enclave host is stopped, the socket removed.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "runtime/common/config.h"
#include "runtime/common/platform_secrets.h"
#include "runtime/isolated/paths.h"
#include "runtime/isolated/server.h"

using namespace nsgx;

int main(int argc, char** argv) {
  // Nothing of this process may be read by another process of the user:
  // no ptrace, no /proc/PID/mem or /proc/PID/fd, no core dumps.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"nsgx-monitor: the isolated backend's security monitor"};
  std::string socket_path, state_dir, epc_size, host_path;
  int serve_fd = -1;
  app.add_option("--socket", socket_path, "listen on this UNIX socket (default: " + isolated::default_socket_path() + ")");
  app.add_option("--fd", serve_fd, "serve the single connection on this descriptor, then exit");
  app.add_option("--state-dir", state_dir,
                 "where the platform secrets and the attestation key live (default: $NSGX_STATE_DIR, ...)");
  app.add_option("--epc-size", epc_size, "EPC size, e.g. 128M (default: $NSGX_EPC_SIZE or 128M)");
  app.add_option("--host", host_path, "the nsgx-enclave-host executable");
  CLI11_PARSE(app, argc, argv);

  auto config = runtime::config_from_env();
  if (!config) {
    std::fprintf(stderr, "nsgx-monitor: %s\n", config.error().message().c_str());
    return 2;
  }
  if (!state_dir.empty()) config->state_dir = state_dir;
  if (!epc_size.empty()) {
    const std::uint64_t bytes = runtime::parse_size(epc_size.c_str());
    if (bytes < 16 * 4096 || bytes > (1ull << 36)) {
      std::fprintf(stderr, "nsgx-monitor: --epc-size must be between 64K and 64G\n");
      return 2;
    }
    config->epc_pages = static_cast<std::uint32_t>(bytes / 4096);
  }
  auto secrets = runtime::load_or_create_secrets(config->state_dir, "monitor-platform.secrets");
  if (!secrets) {
    std::fprintf(stderr, "nsgx-monitor: platform secrets: %s\n", secrets.error().message().c_str());
    return 1;
  }
  isolated::ServerOptions options;
  options.epc_pages = config->epc_pages;
  options.launch = config->launch;
  options.state_dir = config->state_dir;
  options.host_path = host_path.empty() ? isolated::enclave_host_path() : host_path;
  if (access(options.host_path.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "nsgx-monitor: enclave host %s: %s\n", options.host_path.c_str(), std::strerror(errno));
    return 1;
  }
  isolated::Server server(options, *secrets);

  if (serve_fd >= 0) {
    // A private monitor: it lives as long as its application's connection.
    server.serve(serve_fd);
    return 0;
  }

  if (socket_path.empty()) socket_path = isolated::default_socket_path();
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
  if (b != 0 || listen(lfd, 64) != 0) {
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

  std::fprintf(stderr, "nsgx-monitor: serving %s (EPC %u pages, state %s)\n", socket_path.c_str(), options.epc_pages,
               config->state_dir.c_str());
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
}
