// The host's side of the library OS's signals (signals.h).
#include "libos/host/signals.h"

#include <signal.h>

#include <cstdint>
#include <initializer_list>

#include "libos_u.h"

namespace nsgx::libos_host {
namespace {

uint64_t* g_word = nullptr;  // in the window on the isolated backend: shared with the enclave

void on_signal(int sig) { __atomic_or_fetch(g_word, uint64_t{1} << (sig - 1), __ATOMIC_SEQ_CST); }

}  // namespace

bool forward_signals(sgx_enclave_id_t eid) {
  g_word = static_cast<uint64_t*>(nsgx_untrusted_alloc(sizeof(uint64_t)));
  if (g_word == nullptr) return false;
  *g_word = 0;
  if (libos_signals_init(eid, g_word) != SGX_SUCCESS) return false;
  // The signals that end a process by default interrupt this process's
  // blocking calls (no SA_RESTART): the OCALL answers EINTR and the
  // enclave delivers the signal on its way back (restarting the call if
  // the program's handler asks). Those ignored by default restart here,
  // so that a program that does not handle them sees no EINTR.
  for (const int sig : {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM}) {
    struct sigaction a = {};
    if (sigaction(sig, nullptr, &a) != 0) return false;
    if (a.sa_handler == SIG_IGN) continue;  // ignored by whoever started us: never arrives, as natively
    a.sa_handler = on_signal;
    a.sa_flags = 0;
    sigfillset(&a.sa_mask);
    if (sigaction(sig, &a, nullptr) != 0) return false;
  }
  for (const int sig : {SIGCHLD, SIGCONT, SIGURG, SIGWINCH}) {
    struct sigaction a = {};
    if (sigaction(sig, nullptr, &a) != 0) return false;
    if (a.sa_handler == SIG_IGN) continue;  // ignored by whoever started us: never arrives, as natively
    a.sa_handler = on_signal;
    a.sa_flags = SA_RESTART;
    sigfillset(&a.sa_mask);
    if (sigaction(sig, &a, nullptr) != 0) return false;
  }
  return true;
}

uint64_t* forwarded_signal_word() { return g_word; }

}  // namespace nsgx::libos_host
