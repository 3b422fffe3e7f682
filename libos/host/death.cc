// Dying by the program's signal (death.h).
#include "libos/host/death.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace nsgx::libos_host {

void die_by_signal(int sig) {
  std::fflush(stdout);  // std::cout shares stdout's buffer (sync_with_stdio is left on)
  std::fflush(stderr);
  const struct rlimit none = {0, 0};
  (void)setrlimit(RLIMIT_CORE, &none);
  struct sigaction a = {};
  a.sa_handler = SIG_DFL;
  (void)sigaction(sig, &a, nullptr);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  (void)sigprocmask(SIG_UNBLOCK, &s, nullptr);
  (void)raise(sig);
  _exit(128 + sig);
}

}  // namespace nsgx::libos_host
