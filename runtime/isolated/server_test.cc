// The monitor's server in this process, reached over real SOCK_SEQPACKET
// connections as applications reach it: what a client can make the
// monitor hold (quotas per user over all its connections; descriptors and
// mappings only when an enclave has memory). The same attacks as
// unprivileged users of a system monitor: tests/trust_boundary_test.sh.
#include "runtime/isolated/server.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "arch/sgx/secs.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/protocol.h"

namespace nsgx::isolated {
namespace {

constexpr std::uint64_t kWindowBase = 0x100000000000ull, kWindowSize = 1 << 20;

int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory itself
}

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    o.host_path = "/nonexistent/nsgx-enclave-host";
    char dir[] = "/tmp/nsgx-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    state_dir_ = dir;
    o.state_dir = state_dir_;
    monitor::PlatformSecrets secrets{};
    server_ = std::make_unique<Server>(o, secrets);
  }
  void TearDown() override {
    for (int c : conns_) close(c);
    for (auto& t : threads_) t.join();
    server_.reset();
    if (!state_dir_.empty()) (void)rmdir(state_dir_.c_str());
  }
  // A new application connection (this process's uid), after its Hello.
  int connect() {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    threads_.emplace_back([this, fd = sv[0]] { server_->serve(fd); });
    conns_.push_back(sv[1]);
    const int wfd = memfd_create("server-test-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    EXPECT_EQ(ftruncate(wfd, kWindowSize), 0);
    EXPECT_EQ(fcntl(wfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    const Hello hello{kProtocolVersion, 0, kWindowBase, kWindowSize};
    EXPECT_EQ(request(sv[1], Op::kHello, 0, bytes_of(hello), {}, wfd).err, 0);
    close(wfd);
    return sv[1];
  }
  Reply request(int c, Op op, std::uint64_t handle, std::span<const std::uint8_t> a,
                std::span<const std::uint8_t> b = {}, int fd = -1) {
    Message m;
    const int sent =
        fd >= 0 ? send_message(c, Header{op, 1, handle}, a, {&fd, 1}) : send_message2(c, Header{op, 1, handle}, a, b);
    if (sent != 0 || recv_message(c, m) != 1) return Reply{-EPROTO, 0, 0};
    return parse<Reply>(m.body).value_or(Reply{-EPROTO, 0, 0});
  }
  // ECREATE of a two-page enclave at `base`: its handle, or -errno.
  std::int64_t create(int c, std::uint64_t base) {
    sgx::Secs secs{};
    secs.size = 0x2000;
    secs.base_addr = base;
    secs.ssa_frame_size = 1;
    secs.attributes = {sgx::attr::kMode64Bit | sgx::attr::kDebug, 3};
    Create cr{};
    std::memcpy(cr.secs, &secs, sizeof secs);
    const Reply r = request(c, Op::kCreate, 0, bytes_of(cr));
    return r.err != 0 ? r.err : static_cast<std::int64_t>(r.value);
  }
  int add_page(int c, std::uint64_t handle, std::uint64_t offset) {
    const std::vector<std::uint8_t> page(4096, 1);
    const AddPages a{offset, 0x207, 0, 1};  // PT_REG, RWX
    return request(c, Op::kAddPages, handle, bytes_of(a), page).err;
  }
  int destroy(int c, std::uint64_t handle) { return request(c, Op::kDestroy, handle, {}).err; }

  std::unique_ptr<Server> server_;
  std::string state_dir_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
};

TEST_F(ServerTest, EnclavesAndEpcCountPerUserOverAllItsConnections) {
  ServerOptions o;
  o.epc_pages = 64;
  o.max_enclaves_per_user = 3;
  o.user_epc_pages = 5;
  o.max_connections_per_user = 4;
  start(o);
  const int a = connect(), b = connect();
  const std::int64_t a1 = create(a, 0x200000000000ull), a2 = create(a, 0x200000002000ull);
  const std::int64_t b1 = create(b, 0x200000004000ull);
  ASSERT_GT(a1, 0);
  ASSERT_GT(a2, 0);
  ASSERT_GT(b1, 0);
  // The user's fourth enclave, on either connection, is refused.
  EXPECT_EQ(create(b, 0x200000006000ull), -EMFILE);
  EXPECT_EQ(create(connect(), 0x200000006000ull), -EMFILE);
  // Three SECS pages are spent; two more pages reach the user's five.
  EXPECT_EQ(add_page(a, static_cast<std::uint64_t>(a1), 0), 0);
  EXPECT_EQ(add_page(b, static_cast<std::uint64_t>(b1), 0), 0);
  EXPECT_EQ(add_page(b, static_cast<std::uint64_t>(b1), 0x1000), -ENOMEM);
  EXPECT_EQ(add_page(a, static_cast<std::uint64_t>(a2), 0), -ENOMEM);
  // What one connection gives back, the other may take.
  EXPECT_EQ(destroy(a, static_cast<std::uint64_t>(a1)), 0);
  EXPECT_EQ(add_page(b, static_cast<std::uint64_t>(b1), 0x1000), 0);
  const std::int64_t b2 = create(b, 0x200000006000ull);
  EXPECT_GT(b2, 0);
  // Everything is returned when the connections close.
  for (int c : conns_) close(c);
  conns_.clear();
  for (auto& t : threads_) t.join();
  threads_.clear();
  const StatusInfo st = server_->status();
  EXPECT_EQ(st.enclaves, 0u);
  EXPECT_EQ(st.free_pages, st.epc_pages);
  // The quota starts afresh.
  const int c = connect();
  EXPECT_GT(create(c, 0x200000000000ull), 0);
}

TEST_F(ServerTest, ConnectionsPerUserAreLimited) {
  ServerOptions o;
  o.epc_pages = 64;
  o.max_connections_per_user = 2;
  start(o);
  connect();
  connect();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  server_->serve(sv[0]);  // refused at once: closes its end and returns
  Message m;
  EXPECT_EQ(recv_message(sv[1], m), 0);
  close(sv[1]);
}

// ECREATE pins no descriptor and no mapping in the monitor: the enclave's
// memfd is made with its first page.
TEST_F(ServerTest, AnEnclaveWithoutPagesHoldsNoDescriptor) {
  ServerOptions o;
  o.epc_pages = 256;
  start(o);
  const int c = connect();
  const int before = open_fds();
  std::vector<std::uint64_t> handles;
  for (std::uint64_t i = 0; i < 32; ++i) {
    const std::int64_t h = create(c, 0x200000000000ull + i * 0x2000);
    ASSERT_GT(h, 0);
    handles.push_back(static_cast<std::uint64_t>(h));
  }
  EXPECT_EQ(open_fds(), before);
  ASSERT_EQ(add_page(c, handles[0], 0), 0);
  EXPECT_EQ(open_fds(), before + 1);
  ASSERT_EQ(add_page(c, handles[0], 0x1000), 0);
  EXPECT_EQ(open_fds(), before + 1);
  for (std::uint64_t h : handles) ASSERT_EQ(destroy(c, h), 0);
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace nsgx::isolated

namespace nsgx::isolated {
namespace {

// kDebugAttach before any enclave host runs: a malformed request and a pid
// that is no host of this monitor are refused with their own errors, and the
// connection goes on (the owner and debug checks need a running host:
// tests/debugger/stub_test.sh).
TEST_F(ServerTest, DebugAttachRefusesMalformedRequestsAndUnknownHosts) {
  start({});
  const int c = connect();
  const DebugAttach self{static_cast<std::uint32_t>(getpid()), 0};
  EXPECT_EQ(request(c, Op::kDebugAttach, 0, bytes_of(self)).err, -ESRCH) << "not an enclave host";
  const DebugAttach reserved{static_cast<std::uint32_t>(getpid()), 1};
  EXPECT_EQ(request(c, Op::kDebugAttach, 0, bytes_of(reserved)).err, -EINVAL);
  const std::uint32_t short_body = 1;
  EXPECT_EQ(request(c, Op::kDebugAttach, 0, bytes_of(short_body)).err, -EINVAL);
  EXPECT_EQ(request(c, Op::kDebugAttach, 0, bytes_of(self), bytes_of(short_body)).err, -EINVAL) << "trailing bytes";
  EXPECT_EQ(request(c, Op::kStatus, 0, {}).err, 0) << "the connection goes on";
}

// EMODT of a TCS against an enclave host entering on it (protocol.h,
// ThreadSlot): the monitor revokes, then looks; the host publishes, then
// looks. A thread inside makes the revocation fail and leaves no mark; a
// granted revocation is in every slot, where a worker about to enter sees it.
TEST(IsolatedEpcThreads, RevokingATcsIsRefusedWhileAThreadIsInsideAndSeenByEveryWorkerOtherwise) {
  monitor::PlatformSecrets secrets{};
  IsolatedEpc epc(64, secrets);
  const monitor::EnclaveId id{7};
  epc.enclave_created(id, 0x100000000000ull, 1ull << 24);
  std::vector<ThreadSlot> table(4);
  for (auto& s : table) s.inside_tcs = 0, s.revoked_tcs = 0;
  epc.set_thread_table(id, table.data(), 4);
  const monitor::LinearAddr tcs{0x100000010000ull}, other{0x100000020000ull};

  table[2].inside_tcs = tcs.value;
  EXPECT_FALSE(epc.revoke_tcs(id, tcs));
  for (auto& s : table) EXPECT_EQ(s.revoked_tcs.load(), 0u) << "a refused revocation leaves no mark";

  EXPECT_TRUE(epc.revoke_tcs(id, other));  // another TCS is not in use
  for (auto& s : table) EXPECT_EQ(s.revoked_tcs.load(), other.value);

  table[2].inside_tcs = 0;
  EXPECT_TRUE(epc.revoke_tcs(id, tcs));
  for (auto& s : table) EXPECT_EQ(s.revoked_tcs.load(), tcs.value);
  epc.set_thread_table(id, nullptr, 0);
  epc.enclave_removed(id);
}

}  // namespace
}  // namespace nsgx::isolated
