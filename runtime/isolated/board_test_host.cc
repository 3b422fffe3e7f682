// The enclave host that board_test has the monitor's server start: it hands
// its channel (descriptor 3) to the test, its parent, and waits to be
// killed. The test then plays the enclave host — a hostile one — on that
// channel and on the request board the monitor shares with it.
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include "runtime/isolated/channel.h"

int main() {
  using namespace nsgx::isolated;
  const int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  // An abstract name ([0] == 0) the test bound: "nsgx-board-host-<its pid>".
  const int n = std::snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "nsgx-board-host-%d", static_cast<int>(getppid()));
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(n));
  const int channel = 3;
  if (connect(s, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      send_message(s, Header{Op::kHostHello, 0, 0}, {}, {&channel, 1}) != 0)  // the op is only a label here
    return 1;
  close(channel);
  for (;;) pause();  // the server kills it when the enclave goes
}
