// Fuzzes nsgx-monitor's side of the enclave-host channel: what a hostile
// enclave host (one whose enclave took it over) can send the monitor. A
// real Server starts a real "host" for a real, initialized enclave (signed
// here with a key made once), and the fuzzer, holding that host's channel,
// plays it: the start-up handshake, then a sequence of messages from the
// input — EREPORT, EGETKEY, EACCEPT, EACCEPTCOPY, EMODPE, faults (EAUG),
// acknowledgements, and anything else, with any tag. Every request with a
// proper tag must be answered with that tag; a protocol violation may end
// the host; and after the application's connection closes, no enclave,
// host or EPC page may be left.
//
// Input: a sequence of [u16 length][header (16 bytes) + body]; the header's
// handle is ignored by the monitor on this channel.
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "arch/sgx/secs.h"
#include "arch/sgx/sigstruct.h"
#include "arch/sgx/tcs.h"
#include "identity/enclave_builder.h"
#include "identity/sigstruct.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/protocol.h"
#include "runtime/isolated/server.h"

namespace {

using namespace nsgx;
using namespace nsgx::isolated;

constexpr std::uint64_t kWindowBase = 0x100000000000ull, kWindowSize = 1 << 20;
constexpr std::uint64_t kBase = 0x200000000000ull, kSize = 0x10000;
constexpr std::uint32_t kMailboxes = 2;  // one TCS and a spare

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "host_request_fuzz: %s\n", what);
  std::abort();
}

// The enclave: a TCS at 0, code at 0x1000 (RX), its SSA at 0x2000 (RW).
struct Page {
  std::uint64_t offset, flags;
  std::array<std::uint8_t, 4096> data{};
};
std::vector<Page> pages() {
  std::vector<Page> p(3);
  sgx::Tcs tcs{};
  tcs.ossa = 0x2000;
  tcs.nssa = 1;
  tcs.oentry = 0x1000;
  p[0].offset = 0;
  p[0].flags = 0x100;  // PT_TCS
  std::memcpy(p[0].data.data(), &tcs, sizeof tcs);
  p[1].offset = 0x1000;
  p[1].flags = 0x205;  // PT_REG, R|X
  p[1].data[0] = 0xc3;
  p[2].offset = 0x2000;
  p[2].flags = 0x203;  // PT_REG, R|W
  return p;
}

sgx::Secs secs() {
  sgx::Secs s{};
  s.size = kSize;
  s.base_addr = kBase;
  s.ssa_frame_size = 1;
  s.attributes = {sgx::attr::kMode64Bit | sgx::attr::kDebug, sgx::xfrm::kLegacy};
  return s;
}

// Its SIGSTRUCT, over the measurement the monitor will compute.
const sgx::Sigstruct& sigstruct() {
  static const sgx::Sigstruct ss = [] {
    identity::MeasuringBuilder mb;
    if (!mb.ecreate(1, kSize)) fail("measure");
    for (const Page& p : pages())
      if (!mb.add_page(p.offset, p.flags, std::span<const std::uint8_t, 4096>(p.data), 0xffff)) fail("measure");
    identity::SigstructFields f;
    const auto mr = mb.mrenclave();
    std::memcpy(f.enclave_hash.data(), mr.data(), 32);
    sgx::Sigstruct s = identity::make_sigstruct(f);
    auto key = crypto::RsaPrivateKey::generate(3072, 3);
    if (!key || !identity::sign_sigstruct(s, *key)) fail("sign");
    return s;
  }();
  return ss;
}

std::string fake_host_path() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) fail("readlink");
  std::string p(self, static_cast<std::size_t>(n));
  return p.substr(0, p.rfind('/') + 1) + "host_request_fuzz_host";
}

Server& server() {
  static Server* s = [] {
    ServerOptions o;
    o.epc_pages = 256;
    o.host_path = fake_host_path();
    o.host_timeout_ms = 2000;
    char dir[] = "/tmp/nsgx-hostfuzz-XXXXXX";
    o.state_dir = mkdtemp(dir) != nullptr ? dir : "/tmp";
    monitor::PlatformSecrets secrets{};
    for (std::size_t i = 0; i < 16; ++i) secrets.seal_root[i] = secrets.report_root[i] = static_cast<std::uint8_t>(i);
    return new Server(o, secrets);
  }();
  return *s;
}

// Where fake hosts hand over their channels.
int host_listener() {
  static const int fd = [] {
    const int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const int n = std::snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "nsgx-fuzz-host-%d", static_cast<int>(getpid()));
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(n));
    if (bind(l, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(l, 4) != 0) fail("host listener");
    return l;
  }();
  return fd;
}

int window_fd() {
  static const int fd = [] {
    const int f = memfd_create("nsgx-fuzz-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f < 0 || ftruncate(f, kWindowSize) != 0 || fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK) != 0) fail("window");
    return f;
  }();
  return fd;
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) > 0;
}

// The application's view of the window: the mailboxes, where the server
// marks a host it has given up on (Mailbox::lost).
Mailbox* mailbox() {
  static void* const v = mmap(nullptr, kWindowSize, PROT_READ | PROT_WRITE, MAP_SHARED, window_fd(), 0);
  if (v == MAP_FAILED) fail("window view");
  return static_cast<Mailbox*>(v);
}

// Waits for a message on the host channel: 1 there is one, 0 the server
// has given the host up (it stops reading its channel then).
int wait_message(int ch) {
  for (int i = 0; i < 100; ++i) {
    if (readable(ch, 50)) return 1;
    if (mailbox()->lost.load() != 0) return readable(ch, 0) ? 1 : 0;
  }
  fail("a host request went unanswered");
}

Reply call(int c, Op op, std::uint64_t handle, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
  Message m;
  if (send_message2(c, Header{op, 1, handle}, a, b) != 0 || recv_message(c, m) != 1) fail("application request");
  return parse<Reply>(m.body).value_or(Reply{-EPROTO, 0, 0});
}

// Plays the host's start: the fuzzer takes the channel from the fake host,
// says HostHello, receives the memory (and closes it) and the mappings,
// and says it is ready. The channel, or -1.
int take_host() {
  if (!readable(host_listener(), 5000)) return -1;
  const int s = accept4(host_listener(), nullptr, nullptr, SOCK_CLOEXEC);
  Message hello;
  if (s < 0 || recv_message(s, hello) != 1) fail("fake host");
  close(s);
  const int ch = hello.take_fd(0);
  if (ch < 0) fail("fake host channel");
  // HostHello; the server answers with HostStart (three descriptors, closed
  // with the Message), the initial kMap runs, then kHostReady.
  if (send_message(ch, Header{Op::kHostHello, 0, 0}) != 0) fail("host hello");
  for (;;) {
    Message m;
    if (!readable(ch, 5000) || recv_message(ch, m) != 1) fail("host start");
    if (m.header.op == Op::kHostReady) break;
  }
  if (send_message(ch, Header{Op::kHostReady, 0, 0}) != 0) fail("host ready");
  return ch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Server& s = server();
  const sgx::Sigstruct& ss = sigstruct();
  (void)host_listener();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) fail("socketpair");
  std::thread t([&] { s.serve(sv[0]); });
  const int c = sv[1];
  const Hello hello{kProtocolVersion, 0, kWindowBase, kWindowSize};
  const int wfd = window_fd();
  Message m;
  if (send_message(c, Header{Op::kHello, 1, 0}, bytes_of(hello), {&wfd, 1}) != 0 || recv_message(c, m) != 1)
    fail("hello");
  Create cr{};
  const sgx::Secs sc = secs();
  std::memcpy(cr.secs, &sc, sizeof sc);
  const Reply created = call(c, Op::kCreate, 0, bytes_of(cr));
  if (created.err != 0) fail("create");
  const std::uint64_t handle = created.value;
  for (const Page& p : pages()) {
    const AddPages a{p.offset, p.flags, 1, 1};
    if (call(c, Op::kAddPages, handle, bytes_of(a), p.data).err != 0) fail("add pages");
  }
  std::memset(static_cast<void*>(mailbox()), 0, kMailboxes * kMailboxStride);
  Init in{};
  std::memcpy(in.sigstruct, &ss, sizeof ss);
  in.mailboxes = kMailboxes;
  in.mailbox_addr = kWindowBase;
  // INIT waits for the host: send it, play the host's start, then read its reply.
  if (send_message(c, Header{Op::kInit, 1, handle}, bytes_of(in)) != 0) fail("init");
  const int ch = take_host();
  if (ch < 0 || recv_message(c, m) != 1 || parse<Reply>(m.body).value_or(Reply{-1, 0, 0}).err != 0) fail("init reply");

  std::size_t off = 0;
  bool alive = true;
  while (alive && off + 2 <= size) {
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
    const std::span<const std::uint8_t> body(data + off + sizeof h, len - sizeof h);
    off += len;
    if (send_message(ch, h, body) != 0) break;
    // A worker's request (tag 1..mailboxes) is answered with its tag, unless
    // the server has given up on the host (a protocol violation before it);
    // anything else (acknowledgements of nothing) gets no answer, or ends
    // the host if it breaks the protocol.
    const bool request = h.tag >= 1 && h.tag <= kMailboxes && h.op != Op::kMapDone;
    while (request) {
      Message r;
      const int got = wait_message(ch) == 1 ? recv_message(ch, r) : 0;
      if (got != 1) {
        alive = false;  // the monitor stopped the host
        break;
      }
      if (r.header.op == Op::kReply) {
        if (r.header.tag != h.tag) fail("a reply with the wrong tag");
        break;
      }
      // A command for the host (kMap): acknowledge it.
      if (r.header.tag != 0 && send_message(ch, Header{Op::kMapDone, r.header.tag, 0}) != 0) alive = false;
    }
  }
  close(c);
  t.join();
  close(ch);
  const StatusInfo st = s.status();
  if (st.enclaves != 0 || st.hosts != 0 || st.free_pages != st.epc_pages) fail("a leak");
  return 0;
}
