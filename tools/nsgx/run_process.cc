// `nsgx run`'s process (run_process.h).
#include "tools/nsgx/run_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "libos/host/descriptors.h"

namespace nsgx::cli {
namespace {

using libos_host::kImageHoldFd;

// The cleaner: waits until every copy of the pipe's write end is closed
// (read answers 0), then removes `dir`. Its own session, so that no
// terminal, group kill or hangup aimed at the run ends it first; every
// signal it can block blocked; nothing of the run's descriptors kept, so
// that `$(nsgx run …)` and pipes see their end when the program's do.
[[noreturn]] void clean_after(int read_end, const std::string& dir) {
  (void)setsid();
  sigset_t all;
  sigfillset(&all);
  (void)sigprocmask(SIG_BLOCK, &all, nullptr);
  const int r = fcntl(read_end, F_DUPFD_CLOEXEC, 3);  // above stdio, which /dev/null replaces
  const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) (void)(null >= 0 ? dup2(null, fd) : close(fd));
  for (int fd = 3; fd < r; ++fd) (void)close(fd);
  (void)closefrom(r + 1);
  char b;
  while (read(r, &b, 1) < 0 && errno == EINTR) {
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  _exit(0);
}

// Starts the cleaner and leaves this process holding the write end at
// kImageHoldFd; false (errno) if it could not. The cleaner is a grandchild
// whose parent has already exited, so it is nobody's child here: the
// host's waits are the program's, and a child it did not start would
// answer them.
bool start_cleaner(const std::string& dir) {
  libos_host::raise_descriptor_limit();  // kImageHoldFd is above a session's usual 1024
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return false;
  const pid_t c = fork();
  if (c == 0) {
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
  if (c < 0 || w != c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    close(p[1]);
    errno = c < 0 ? e : EAGAIN;
    return false;
  }
  // Not close-on-exec: the host keeps it. Where the descriptor limit
  // stays below kImageHoldFd, at its own number: the first host holds the
  // directory, and its processes would fail anyway (their request goes at
  // libos_host::kRequestFd, 1024).
  if (dup2(p[1], kImageHoldFd) == kImageHoldFd) {
    close(p[1]);
    return true;
  }
  return fcntl(p[1], F_SETFD, 0) == 0;
}

}  // namespace

std::string exec_host(const std::vector<std::string>& argv, const std::string& dir) {
  if (!dir.empty() && !start_cleaner(dir)) return std::string("cannot start the cleaner: ") + std::strerror(errno);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  execv(args[0], args.data());
  return "cannot start " + argv[0] + ": " + std::strerror(errno);
}

}  // namespace nsgx::cli
