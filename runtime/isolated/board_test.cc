// The request board (protocol.h BoardSlot): the memory an enclave host
// shares with the monitor for its first-touch requests (kFault: EAUG,
// kEaccept, kEacceptcopy, kEmodpe). A real Server starts a fake host
// (board_test_host) for a real, initialized enclave, and the test plays
// that host — a hostile one — on the board: every request gets a clear
// answer in its slot, the answers are what the channel's would be, the
// two round trips the board saves are really saved (a first touch is told
// "pending" at once; an EACCEPT of a page never added is served with its
// EAUG), and a second enclave of the same monitor goes on untouched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
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

namespace nsgx::isolated {
namespace {

constexpr std::uint64_t kWindowBase = 0x100000000000ull, kWindowSize = 1 << 20;
constexpr std::uint64_t kBaseA = 0x200000000000ull, kBaseB = 0x210000000000ull, kSize = 0x10000;
constexpr std::uint32_t kMailboxes = 2;  // one TCS and a spare
namespace sf = sgx::secinfo_flags;

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

sgx::Secs secs(std::uint64_t base) {
  sgx::Secs s{};
  s.size = kSize;
  s.base_addr = base;
  s.ssa_frame_size = 1;
  s.attributes = {sgx::attr::kMode64Bit | sgx::attr::kDebug, sgx::xfrm::kLegacy};
  return s;
}

// Its SIGSTRUCT (MRENCLAVE covers offsets, not the base: one for both).
sgx::Sigstruct sigstruct() {
  identity::MeasuringBuilder mb;
  EXPECT_TRUE(mb.ecreate(1, kSize));
  for (const Page& p : pages())
    EXPECT_TRUE(mb.add_page(p.offset, p.flags, std::span<const std::uint8_t, 4096>(p.data), 0xffff));
  identity::SigstructFields f;
  const auto mr = mb.mrenclave();
  std::memcpy(f.enclave_hash.data(), mr.data(), 32);
  sgx::Sigstruct s = identity::make_sigstruct(f);
  auto key = crypto::RsaPrivateKey::generate(3072, 3);
  EXPECT_TRUE(key && identity::sign_sigstruct(s, *key));
  return s;
}

std::string fake_host_path() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  std::string p(self, static_cast<std::size_t>(n));
  return p.substr(0, p.rfind('/') + 1) + "board_test_host";
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) > 0;
}

// One enclave's host, as the test plays it: its channel and its board.
struct FakeHost {
  int channel = -1;
  std::uint8_t* table = nullptr;
  BoardBell* bell = nullptr;
  BoardSlot* slot = nullptr;  // mailbox slot 0's
  ~FakeHost() {
    if (table != nullptr) munmap(table, thread_table_bytes(kMailboxes));
    if (channel >= 0) close(channel);
  }
};

struct BoardAnswer {
  bool answered = false;
  Reply reply{};
  std::int32_t prot = 0;
};

class BoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.epc_pages = 256;
    o.host_path = fake_host_path();
    o.host_timeout_ms = 5000;
    char dir[] = "/tmp/nsgx-board-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    state_dir_ = dir;
    o.state_dir = state_dir_;
    monitor::PlatformSecrets secrets{};
    server_ = std::make_unique<Server>(o, secrets);
    listener_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const int n =
        std::snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "nsgx-board-host-%d", static_cast<int>(getpid()));
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(n));
    ASSERT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&a), len), 0);
    ASSERT_EQ(listen(listener_, 4), 0);
    window_ = memfd_create("nsgx-board-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_GE(window_, 0);
    ASSERT_EQ(ftruncate(window_, kWindowSize), 0);
    ASSERT_EQ(fcntl(window_, F_ADD_SEALS, F_SEAL_SHRINK), 0);  // the server takes sealed windows only
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    serving_ = std::thread([this, fd = sv[0]] { server_->serve(fd); });
    app_ = sv[1];
    const Hello hello{kProtocolVersion, 0, kWindowBase, kWindowSize};
    Message m;
    ASSERT_EQ(send_message(app_, Header{Op::kHello, 1, 0}, bytes_of(hello), {&window_, 1}), 0);
    ASSERT_EQ(recv_message(app_, m), 1);
  }
  void TearDown() override {
    if (app_ >= 0) close(app_);
    if (serving_.joinable()) serving_.join();
    if (server_) {
      // Nothing left behind by either enclave, whatever the host did.
      const StatusInfo st = server_->status();
      EXPECT_EQ(st.enclaves, 0u);
      EXPECT_EQ(st.hosts, 0u);
      EXPECT_EQ(st.free_pages, st.epc_pages);
    }
    server_.reset();
    if (listener_ >= 0) close(listener_);
    if (window_ >= 0) close(window_);
    if (!state_dir_.empty()) (void)rmdir(state_dir_.c_str());
  }

  Reply call(Op op, std::uint64_t handle, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) const {
    Message m;
    if (send_message2(app_, Header{op, 1, handle}, a, b) != 0 || recv_message(app_, m) != 1)
      return Reply{-EPROTO, 0, 0};
    return parse<Reply>(m.body).value_or(Reply{-EPROTO, 0, 0});
  }

  // An initialized enclave at `base` whose host the test plays; its
  // mailboxes from slot `first_mailbox` of the window.
  void launch(std::uint64_t base, std::uint32_t first_mailbox, FakeHost& host) {
    Create cr{};
    const sgx::Secs sc = secs(base);
    std::memcpy(cr.secs, &sc, sizeof sc);
    const Reply created = call(Op::kCreate, 0, bytes_of(cr));
    ASSERT_EQ(created.err, 0);
    for (const Page& p : pages()) {
      const AddPages a{p.offset, p.flags, 1, 1};
      ASSERT_EQ(call(Op::kAddPages, created.value, bytes_of(a), p.data).err, 0);
    }
    Init in{};
    static const sgx::Sigstruct ss = sigstruct();
    std::memcpy(in.sigstruct, &ss, sizeof ss);
    in.mailboxes = kMailboxes;
    in.mailbox_addr = kWindowBase + std::uint64_t{first_mailbox} * kMailboxStride;
    // INIT waits for the host: send it, play the host's start, then read its reply.
    ASSERT_EQ(send_message(app_, Header{Op::kInit, 1, created.value}, bytes_of(in)), 0);
    ASSERT_TRUE(readable(listener_, 10000)) << "the fake host did not call";
    const int s = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    Message hello;
    ASSERT_TRUE(s >= 0 && recv_message(s, hello) == 1);
    close(s);
    host.channel = hello.take_fd(0);
    ASSERT_GE(host.channel, 0);
    ASSERT_EQ(send_message(host.channel, Header{Op::kHostHello, 0, 0}), 0);
    Message start;
    ASSERT_TRUE(readable(host.channel, 5000) && recv_message(host.channel, start) == 1);
    ASSERT_EQ(start.header.op, Op::kHostStart);
    const int tfd = start.take_fd(2);  // the EPC memfd, the window, the thread table
    ASSERT_GE(tfd, 0);
    void* t = mmap(nullptr, thread_table_bytes(kMailboxes), PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
    close(tfd);
    ASSERT_NE(t, MAP_FAILED);
    host.table = static_cast<std::uint8_t*>(t);
    host.bell = reinterpret_cast<BoardBell*>(host.table + board_offset(kMailboxes));
    host.slot = reinterpret_cast<BoardSlot*>(host.bell + 1);
    for (;;) {
      Message m;
      ASSERT_TRUE(readable(host.channel, 5000) && recv_message(host.channel, m) == 1);
      if (m.header.op == Op::kHostReady) break;
    }
    ASSERT_EQ(send_message(host.channel, Header{Op::kHostReady, 0, 0}), 0);
    Message reply;
    ASSERT_EQ(recv_message(app_, reply), 1);
    ASSERT_EQ(parse<Reply>(reply.body).value_or(Reply{-1, 0, 0}).err, 0);
  }

  // A request on the host's board, as board_rpc (host_main.cc) makes it,
  // with `size` bytes of `body` claimed; the answer, if one comes in 10 s.
  static BoardAnswer ask(FakeHost& h, Op op, std::span<const std::uint8_t> body, std::uint32_t size) {
    BoardSlot& s = *h.slot;
    s.op = op;
    s.size = size;
    std::memcpy(s.body, body.data(), std::min(body.size(), sizeof s.body));
    const std::uint32_t number = s.request.load() + 1;
    s.request.store(number);
    h.bell->doorbell.fetch_add(1);
    syscall(SYS_futex, &h.bell->doorbell, FUTEX_WAKE, 1, nullptr, nullptr, 0);
    BoardAnswer a;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (s.response.load() != number && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    if (s.response.load() != number) return a;
    a.answered = true;
    std::memcpy(&a.reply, &s.reply, sizeof a.reply);
    std::memcpy(&a.prot, &s.prot, sizeof a.prot);
    return a;
  }
  static BoardAnswer fault(FakeHost& h, std::uint64_t addr, std::uint32_t code) {
    const FaultReq r{addr, code, 0};
    return ask(h, Op::kFault, bytes_of(r), sizeof r);
  }
  static BoardAnswer eaccept(FakeHost& h, std::uint64_t addr, std::uint64_t flags) {
    PageOpReq r{};
    r.addr = addr;
    const sgx::Secinfo si{flags, {}};
    std::memcpy(r.secinfo, &si, sizeof si);
    return ask(h, Op::kEaccept, bytes_of(r), sizeof r);
  }

  std::unique_ptr<Server> server_;
  std::string state_dir_;
  int listener_ = -1, window_ = -1, app_ = -1;
  std::thread serving_;
};

constexpr std::uint64_t kPendingReg = sf::kR | sf::kW | sf::kPending | sf::page_type(sgx::PageType::kReg);
constexpr std::uint32_t kWriteFault = 2 | 4;  // W | U, not present
constexpr std::uint32_t kLeafOk = 0, kLeafStatus = 1;

TEST_F(BoardTest, FirstTouchesTakeOneRequestEach) {
  FakeHost a;
  ASSERT_NO_FATAL_FAILURE(launch(kBaseA, 0, a));
  // A first touch: EAUGed, and told at once that the page is pending (a #PF
  // with the SGX bit, not accessible), not to retry and ask again.
  const BoardAnswer touched = fault(a, kBaseA + 0x5010, kWriteFault);
  ASSERT_TRUE(touched.answered);
  EXPECT_EQ(touched.reply.err, 0);
  EXPECT_EQ(touched.reply.value, 0u) << "not fixed: the page is pending";
  EXPECT_EQ(touched.reply.status, 0x8000u | 1u | kWriteFault) << "SGX | P | W | U";
  EXPECT_EQ(touched.prot, 0);
  const BoardAnswer accepted = eaccept(a, kBaseA + 0x5000, kPendingReg);
  ASSERT_TRUE(accepted.answered);
  EXPECT_EQ(accepted.reply.err, 0);
  EXPECT_EQ(accepted.reply.status, kLeafOk);
  EXPECT_EQ(accepted.prot, PROT_READ | PROT_WRITE);
  // EACCEPT of a page never touched: its EAUG in the same request.
  const BoardAnswer fresh = eaccept(a, kBaseA + 0x6000, kPendingReg);
  ASSERT_TRUE(fresh.answered);
  EXPECT_EQ(fresh.reply.err, 0);
  EXPECT_EQ(fresh.reply.status, kLeafOk) << "kind " << fresh.reply.status << " value " << fresh.reply.value;
  EXPECT_EQ(fresh.prot, PROT_READ | PROT_WRITE);
  // The same page again: nothing awaits acceptance (SDM EACCEPT).
  const BoardAnswer again = eaccept(a, kBaseA + 0x6000, kPendingReg);
  ASSERT_TRUE(again.answered);
  EXPECT_EQ(again.reply.status, kLeafStatus);
  EXPECT_EQ(again.reply.value, static_cast<std::uint64_t>(sgx::Status::kPageAttributesMismatch));
}

TEST_F(BoardTest, HostileRequestsGetClearAnswersAndTheOtherEnclaveGoesOn) {
  FakeHost a, b;
  ASSERT_NO_FATAL_FAILURE(launch(kBaseA, 0, a));
  ASSERT_NO_FATAL_FAILURE(launch(kBaseB, kMailboxes, b));
  const FaultReq any{kBaseA + 0x7000, kWriteFault, 0};
  // Ops the board does not carry, and sizes that do not fit.
  for (const Op op : {Op::kEreport, Op::kEgetkey, Op::kHostReady, Op::kMap, static_cast<Op>(0xdead)}) {
    const BoardAnswer r = ask(a, op, bytes_of(any), sizeof any);
    ASSERT_TRUE(r.answered);
    EXPECT_EQ(r.reply.err, -ENOSYS) << static_cast<std::uint32_t>(op);
  }
  for (const std::uint32_t size : {std::uint32_t{sizeof(BoardSlot::body) + 1}, 0x7fffffffu, 0xffffffffu}) {
    const BoardAnswer r = ask(a, Op::kEaccept, bytes_of(any), size);
    ASSERT_TRUE(r.answered);
    EXPECT_EQ(r.reply.err, -ENOSYS) << size;
  }
  const BoardAnswer short_one = ask(a, Op::kEaccept, bytes_of(any), 3);
  ASSERT_TRUE(short_one.answered);
  EXPECT_EQ(short_one.reply.err, -EINVAL);
  // Addresses outside ELRANGE: nothing is added, in this enclave or another.
  for (const std::uint64_t addr : {kBaseA + kSize, kBaseA - 0x1000, kBaseB + 0x5000, ~std::uint64_t{0xfff}}) {
    const BoardAnswer f = fault(a, addr, kWriteFault);
    ASSERT_TRUE(f.answered);
    EXPECT_EQ(f.reply.err, 0);
    EXPECT_EQ(f.reply.value, 0u) << std::hex << addr;
    const BoardAnswer e = eaccept(a, addr, kPendingReg);
    ASSERT_TRUE(e.answered);
    EXPECT_NE(e.reply.status, kLeafOk) << std::hex << addr;
  }
  // A page EADDed at build: never EAUGed over, nothing to accept.
  const BoardAnswer added = eaccept(a, kBaseA + 0x2000, kPendingReg);
  ASSERT_TRUE(added.answered);
  EXPECT_EQ(added.reply.status, kLeafStatus);
  EXPECT_EQ(added.reply.value, static_cast<std::uint64_t>(sgx::Status::kPageAttributesMismatch));
  // The TCS: not a page to touch or accept.
  EXPECT_EQ(fault(a, kBaseA, kWriteFault).reply.value, 0u);
  EXPECT_NE(eaccept(a, kBaseA, kPendingReg).reply.status, kLeafOk);
  // Request numbers that jump, and a doorbell rung without requests.
  a.slot->request.fetch_add(1000);
  for (int i = 0; i < 100000; ++i) a.bell->doorbell.fetch_add(1);
  syscall(SYS_futex, &a.bell->doorbell, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  const BoardAnswer after = fault(a, kBaseA + 0x3000, kWriteFault);
  ASSERT_TRUE(after.answered);
  EXPECT_EQ(after.reply.status & 0x8000u, 0x8000u) << "EAUGed: pending";
  // The other enclave was never touched and answers as ever.
  const BoardAnswer other = eaccept(b, kBaseB + 0x5000, kPendingReg);
  ASSERT_TRUE(other.answered);
  EXPECT_EQ(other.reply.status, kLeafOk);
  EXPECT_EQ(other.prot, PROT_READ | PROT_WRITE);
  const StatusInfo st = server_->status();
  EXPECT_EQ(st.enclaves, 2u);
  EXPECT_EQ(st.hosts, 2u);
}

}  // namespace
}  // namespace nsgx::isolated
