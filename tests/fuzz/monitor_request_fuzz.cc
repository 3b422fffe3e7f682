// Fuzzes nsgx-monitor's request handling as an application reaches it: a
// real Server serving a real SOCK_SEQPACKET connection, after a valid Hello
// with a sealed window memfd (so every enclave operation is reachable:
// CREATE with fuzzed SECS, ADD_PAGES, INIT with fuzzed SIGSTRUCTs, the SGX2
// page operations, ADD_TCS, DESTROY, STATUS, QUOTE_INFO, QUOTE). The input is
// a sequence of messages, each [u16 length][header (16 bytes) + body]; every
// one must get its reply, and the server must clean up after the
// connection: no enclave, host or EPC page may be left behind.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "runtime/isolated/channel.h"
#include "runtime/isolated/protocol.h"
#include "runtime/isolated/server.h"

namespace {

using namespace nsgx::isolated;

constexpr std::uint64_t kWindowBase = 0x100000000000ull;
constexpr std::uint64_t kWindowSize = 1 << 20;

Server& server() {
  static Server* s = [] {
    ServerOptions o;
    o.epc_pages = 512;
    o.host_path = "/nonexistent/nsgx-enclave-host";  // an EINIT that passes cannot start a host: -EIO
    o.host_timeout_ms = 200;
    char dir[] = "/tmp/nsgx-fuzz-XXXXXX";
    o.state_dir = mkdtemp(dir) != nullptr ? dir : "/tmp";
    nsgx::monitor::PlatformSecrets secrets{};
    for (std::size_t i = 0; i < 16; ++i) secrets.seal_root[i] = secrets.report_root[i] = static_cast<std::uint8_t>(i);
    return new Server(o, secrets);
  }();
  return *s;
}

int window_fd() {
  static const int fd = [] {
    const int f = memfd_create("nsgx-fuzz-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f < 0 || ftruncate(f, kWindowSize) != 0 || fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK) != 0) std::abort();
    return f;
  }();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Server& s = server();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  std::thread t([&] { s.serve(sv[0]); });  // serve() closes its end
  const int c = sv[1];
  Message m;
  const Hello hello{kProtocolVersion, 0, kWindowBase, kWindowSize};
  const int wfd = window_fd();
  if (send_message(c, Header{Op::kHello, 1, 0}, bytes_of(hello), {&wfd, 1}) != 0 || recv_message(c, m) != 1 ||
      m.header.op != Op::kReply)
    std::abort();
  std::size_t off = 0;
  std::uint32_t tag = 2;
  while (off + 2 <= size) {
    std::uint16_t len = 0;
    std::memcpy(&len, data + off, 2);
    off += 2;
    len = static_cast<std::uint16_t>(std::min<std::size_t>(len, size - off));
    if (len < sizeof(Header)) {
      off += len;
      continue;
    }
    Header h{};
    std::memcpy(&h, data + off, sizeof h);
    h.tag = tag++;
    const std::span<const std::uint8_t> body(data + off + sizeof h, len - sizeof h);
    off += len;
    if (send_message(c, h, body) != 0) break;
    // Every request is answered, and the answer names it.
    if (recv_message(c, m) != 1) std::abort();
    if (m.header.op != Op::kReply || m.header.tag != h.tag) std::abort();
  }
  close(c);
  t.join();
  const StatusInfo st = s.status();
  if (st.enclaves != 0 || st.hosts != 0 || st.free_pages != st.epc_pages) std::abort();  // a leak
  return 0;
}
