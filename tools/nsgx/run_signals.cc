// `nsgx run`'s process and signals (run_signals.h).
#include "tools/nsgx/run_signals.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

namespace nsgx::cli {
namespace {

volatile sig_atomic_t g_child = 0;

void forward(int sig, siginfo_t* info, void*) {
  // Not forwarded: what reached the child too, which would arrive twice —
  // a terminal's ^C, ^\ and size change go to the whole foreground group
  // (SI_KERNEL; tty_ioctl(4)), which holds the child unless its program
  // left it; and the child's own signal: the program's kill of its own
  // group (kill(0, sig)), which is this process's group too. (SIGHUP
  // from a hangup may go to this process alone, the session's leader.)
  const bool terminal = info != nullptr && info->si_code == SI_KERNEL && sig != SIGHUP;
  if (terminal || (info != nullptr && info->si_code == SI_USER && info->si_pid == g_child)) return;
  if (g_child > 0) (void)kill(g_child, sig);
}

constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGCONT, SIGWINCH};

}  // namespace

int run_forwarding(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  // Handlers first, with the signals blocked until the child's pid is
  // known: none sent meanwhile is lost.
  sigset_t all, old;
  sigemptyset(&all);
  for (const int s : kForwarded) sigaddset(&all, s);
  (void)sigprocmask(SIG_BLOCK, &all, &old);
  struct sigaction prev[sizeof kForwarded / sizeof kForwarded[0]];
  for (size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i) {
    (void)sigaction(kForwarded[i], nullptr, &prev[i]);
    if (prev[i].sa_handler == SIG_IGN) continue;  // ignored here, ignored by the child too (inherited across exec)
    struct sigaction a = {};
    a.sa_sigaction = forward;
    a.sa_flags = SA_RESTART | SA_SIGINFO;
    (void)sigaction(kForwarded[i], &a, nullptr);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    for (size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i)
      (void)sigaction(kForwarded[i], &prev[i], nullptr);
    (void)sigprocmask(SIG_SETMASK, &old, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  g_child = pid;
  (void)sigprocmask(SIG_SETMASK, &old, nullptr);
  int status = -1;
  if (pid > 0) {
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        status = -1;
        break;
      }
    }
  }
  g_child = 0;
  for (size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i)
    (void)sigaction(kForwarded[i], &prev[i], nullptr);
  return status;
}

}  // namespace nsgx::cli
