// `nsgx run`'s process (run_process.h).
#include "tools/nsgx/run_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "libos/host/descriptors.h"

namespace nsgx::cli {
namespace {

using libos_host::kImageHoldFd;

// The cleaner: waits until every copy of the pipe's write end is closed
// (read answers 0), then removes `dir`. Its own session, so that no
// terminal, group kill or hangup aimed at the run ends it first; every
// signal it can block blocked (they already were, from before its fork);
// nothing of the run's descriptors kept, so that `$(nsgx run …)` and
// pipes see their end when the program's do. When it cannot wait, it
// leaves the directory: removing what may still be in use is worse.
[[noreturn]] void clean_after(int read_end, const std::string& dir) {
  (void)setsid();
  const int r = fcntl(read_end, F_DUPFD_CLOEXEC, 3);  // above stdio, which /dev/null replaces
  if (r < 0) _exit(1);
  const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) (void)(null >= 0 ? dup2(null, fd) : close(fd));
  for (int fd = 3; fd < r; ++fd) (void)close(fd);
  (void)closefrom(r + 1);
  char b[64];
  for (;;) {
    const ssize_t n = read(r, b, sizeof b);
    if (n == 0) break;
    if (n < 0 && errno != EINTR) _exit(1);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  _exit(0);
}

}  // namespace

bool hold_directory(const std::string& dir) {
  libos_host::raise_descriptor_limit();  // kImageHoldFd is above a session's usual 1024
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return false;
  // Every signal blocked from before the fork, so that none ends the
  // cleaner before it has made itself safe (a ^C during the build).
  sigset_t all, old;
  sigfillset(&all);
  (void)sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t c = fork();
  if (c == 0) {
    // A grandchild whose parent has already exited is nobody's child
    // here: the host's waits are the program's, and a child it did not
    // start would answer them.
    const pid_t g = fork();
    if (g == 0) clean_after(p[0], dir);
    _exit(g < 0 ? 1 : 0);
  }
  const int e = errno;
  close(p[0]);
  int status = 0;
  pid_t w = -1;
  if (c > 0)
    while ((w = waitpid(c, &status, 0)) < 0 && errno == EINTR) {
    }
  (void)sigprocmask(SIG_SETMASK, &old, nullptr);
  if (c < 0 || w != c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    close(p[1]);
    errno = c < 0 ? e : EAGAIN;
    return false;
  }
  // Where the descriptor limit stays below kImageHoldFd, at its own
  // number: the first host holds the directory, and its new processes
  // would fail anyway (their request goes at libos_host::kRequestFd, 1024).
  int hold = p[1];
  if (dup3(p[1], kImageHoldFd, O_CLOEXEC) == kImageHoldFd) {
    close(p[1]);
    hold = kImageHoldFd;
  }
  // Marked for the host and its descendants: they keep this descriptor
  // (libos/host/spawn_ocalls.cc), not some other one that happens to sit
  // at its number.
  setenv("NSGX_LIBOS_IMAGE_HOLD", std::to_string(hold).c_str(), 1);
  return true;
}

std::string exec_host(const std::vector<std::string>& argv, const struct sigaction& chld) {
  if (const char* h = std::getenv("NSGX_LIBOS_IMAGE_HOLD"); h != nullptr) {
    // The hold passes to the host (not close-on-exec from here on).
    if (fcntl(std::atoi(h), F_SETFD, 0) != 0)
      return std::string("cannot pass the enclave's hold: ") + std::strerror(errno);
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  (void)sigaction(SIGCHLD, &chld, nullptr);
  execv(args[0], args.data());
  const int e = errno;
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  (void)sigaction(SIGCHLD, &dfl, nullptr);
  return "cannot start " + argv[0] + ": " + std::strerror(e);
}

}  // namespace nsgx::cli
