// Lock order (outer first): Server::mu_ (the connection table and the
// users' quota counts) is never held with another lock; pool_.mutex() (the
// EPC pool: every enclave's pages, the users' page budgets, and the
// monitor's EPC/EPCM state below it) -> Host::mu (one host's request queue
// and acknowledgements). Nothing waits for another process under the
// pool lock: a command to an enclave host is sent without blocking while
// the pool lock is held, and its acknowledgement is awaited after the lock
// is released (settle_acks), before the application gets its reply — so
// the change still takes effect before the driver operation returns, and a
// wedged or hostile host delays only its own application. The rights a host
// maps a page with are the monitor's (IsolatedEpc::page_mapped, called with
// the monitor's Enclave::mu held), kept in a lock-free table read under the
// pool lock: no lock there, so nothing to order.
#include "runtime/isolated/server.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/report.h"
#include "base/bytes.h"
#include "runtime/common/page_rights_table.h"
#include "runtime/isolated/mailbox.h"

namespace nsgx::isolated {

namespace {

using monitor::LeafKind;
using monitor::LeafResult;
using monitor::LinearAddr;

// Caller memory of a driver operation is the request message: the driver
// reads "addresses" that are offsets into it.
constexpr std::uint64_t kMsgBase = 0x10000;
class MessageMemory final : public driver::UserMemory {
 public:
  void set(std::span<const std::uint8_t> data) { data_ = data; }
  bool read(std::uint64_t addr, MutableByteSpan out) const override {
    if (addr < kMsgBase || addr - kMsgBase > data_.size() || out.size() > data_.size() - (addr - kMsgBase)) return false;
    std::memcpy(out.data(), data_.data() + (addr - kMsgBase), out.size());
    return true;
  }

 private:
  std::span<const std::uint8_t> data_;
};

// The host whose request this thread is serving: its own mapping changes
// travel in the reply, not as a separate kMap (which it could not answer).
thread_local const void* t_serving = nullptr;

void futex_wake_all(std::atomic<std::uint32_t>* a) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(a), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

Reply leaf_reply(const LeafResult& r) {
  Reply rep{};
  rep.status = static_cast<std::uint32_t>(r.kind);
  if (r.kind == LeafKind::kStatus) rep.value = static_cast<std::uint64_t>(r.status);
  if (r.kind == LeafKind::kPf) rep.value = r.address;
  return rep;
}

// What an enclave host wrote to its stderr — its own diagnostics: why it
// gave up (host_main.cc die()), a sanitizer's report — relayed to this
// process's stderr, where an operator looks (a private monitor's is its
// application's; the system monitor's is its log). At most 4 KiB (the
// pipe's write end never blocks the host: the rest is lost), one line
// each, bytes a terminal could act on shown as '?': the host is not
// trusted with the monitor's log.
void relay_host_stderr(pid_t pid, int fd) {
  if (fd < 0) return;
  char buf[4096];
  std::size_t n = 0;
  while (n < sizeof buf) {
    const ssize_t r = read(fd, buf + n, sizeof buf - n);
    if (r > 0)
      n += static_cast<std::size_t>(r);
    else if (r == 0 || errno != EINTR)
      break;
  }
  std::string line;
  const auto flush = [&] {
    if (!line.empty()) std::fprintf(stderr, "nsgx-monitor: enclave host %d said: %s\n", pid, line.c_str());
    line.clear();
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (buf[i] == '\n')
      flush();
    else
      line.push_back(buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?');
  }
  flush();
}

// How a host that has ended (or is ending) ended, without reaping it
// (stop_host does, after its threads are joined).
std::string host_end(pid_t pid) {
  siginfo_t si{};
  int rc;
  do {
    rc = waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return std::string("unknown (waitid: ") + std::strerror(errno) + ")";
  if (si.si_code == CLD_EXITED) return "exit status " + std::to_string(si.si_status);
  const char* name = sigabbrev_np(si.si_status);
  return "killed by signal " + std::to_string(si.si_status) + (name ? std::string(" (SIG") + name + ")" : "");
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

}  // namespace

struct Server::Host {
  pid_t pid = -1;
  int fd = -1;
  int err_fd = -1;                    // the read end of its stderr (relay_host_stderr)
  std::atomic<bool> stopping{false};  // stop_host() ends it: its end is no news
  Enclave* enclave = nullptr;  // lives until stop_host() has joined the threads
  monitor::EnclaveId eid{};
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Message> requests;
  std::map<std::uint32_t, bool> acks;
  std::vector<bool> busy;  // per worker tag: a request of it is queued or being served
  std::uint32_t next_tag = 1;
  bool closed = false;
  std::atomic<bool> dead{false};
  Mailbox* mailboxes = nullptr;  // in the monitor's view of the window
  std::uint32_t mailbox_count = 0;
  std::vector<std::uint64_t> tcs;  // per mailbox: the TCS it serves, 0 for a spare (under the pool lock)
  std::thread reader, worker;
  ThreadSlot* threads = nullptr;  // the thread table, shared with the host
  std::size_t threads_bytes = 0;
  // The request board in the same memory (protocol.h BoardSlot), and the
  // number of the last request served per slot — the monitor's own copy,
  // which the host cannot change (touched by the worker thread only).
  BoardBell* bell = nullptr;
  BoardSlot* board = nullptr;
  std::vector<std::uint32_t> board_served;
  SpinBudget board_spin;  // the worker thread's waits on the doorbell
  // The threads it runs, charged to its application's user until it stops
  // (touched by the connection's thread only).
  std::shared_ptr<User> quota;
  std::uint32_t threads_charged = 0;
  // A debug enclave's debugging channel (docs/monitor-interface.md
  // "Debugging"): the monitor's end of the pair whose other end the host's
  // stub serves; lent (dup) to the owner's kDebugAttach. -1 for a
  // production enclave, which has no such channel at all.
  int debug_fd = -1;
  uid_t owner = static_cast<uid_t>(-1);  // SO_PEERCRED of the connection that created the enclave
  bool debug = false;                    // SECS.ATTRIBUTES.DEBUG, from the SECS the monitor launched
  const void* session = nullptr;         // the Connection holding the debugging session (under Server::mu_)
};

namespace {
// Commands this thread sent to enclave hosts while holding the pool lock,
// whose acknowledgements it has yet to wait for (Server::settle_acks).
thread_local std::vector<std::pair<std::shared_ptr<Server::Host>, std::uint32_t>> t_pending_acks;
}  // namespace

struct Server::Enclave final : driver::DriverEnclave {
  using DriverEnclave::DriverEnclave;
  std::shared_ptr<Host> host;
};

// What one peer uid holds over all its connections: the quotas are per
// user, because a user may open many connections (max_connections_per_user)
// and a per-connection quota would be multiplied by their number.
struct Server::User {
  driver::PageBudget budget;      // its EPC pages; under the pool lock (the driver charges it)
  std::uint32_t enclaves = 0;     // under Server::mu_
  std::uint32_t connections = 0;  // under Server::mu_
  std::uint32_t threads = 0;      // in its enclave hosts; under Server::mu_
};

struct Server::Connection {
  int fd = -1;
  uid_t uid = static_cast<uid_t>(-1);
  // Declared before `enclaves`: their pages go back to its budget when they
  // go, so the User must outlive them.
  std::shared_ptr<User> user_quota;
  int window_fd = -1;
  int app_fd = -1;   // the application's /proc/self/mem, for its hosts (app_memory.h)
  int maps_fd = -1;  // its /proc/self/maps (the protections of its pages), likewise
  bool maps_text = false;  // Hello's kHelloMapsText
  std::uint64_t window_base = 0, window_size = 0;
  std::uint8_t* window_view = nullptr;
  MessageMemory user;
  std::map<std::uint64_t, std::unique_ptr<Enclave>> enclaves;
  std::uint64_t next_handle = 1;
  int reply_fd = -1;       // a descriptor for the next reply (kDebugAttach), closed once sent
  bool debugging = false;  // this connection holds a debugging session (hosts_by_pid_'s session)
};

Server::Server(const ServerOptions& options, const monitor::PlatformSecrets& secrets)
    : options_(options),
      epc_(options.epc_pages, secrets),
      monitor_(epc_, monitor::MonitorConfig{.launch = options.launch}),
      pool_(monitor_, this, /*overcommit=*/false),
      quoting_(options.state_dir, attest::kAttestationKeyFile) {}

Server::~Server() {
  shutdown();
  wait_idle();
}

void Server::wait_idle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return connections_.empty(); });
}

void Server::shutdown() {
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [p, c] : connections_) conns.push_back(c);
  }
  for (auto& c : conns) ::shutdown(c->fd, SHUT_RDWR);  // their serve() loops end and clean up
}

StatusInfo Server::status() const {
  StatusInfo s{};
  s.epc_pages = pool_.page_count();
  s.free_pages = pool_.free_count();
  s.enclaves = enclaves_.load();
  s.hosts = hosts_.load();
  std::lock_guard lock(mu_);
  s.connections = static_cast<std::uint32_t>(connections_.size());
  return s;
}

// ------------------------------------------------------------------ mappings

int Server::host_prot_locked(Enclave& e, std::uint64_t addr) {
  const auto info = e.page_locked(addr);
  if (info.where != driver::DriverEnclave::PageInfo::Where::kResident) return PROT_NONE;
  // Exactly what the monitor granted (IsolatedEpc::page_mapped). A TCS is
  // never accessible, but the host must know it may enter on it (EENTER:
  // #GP unless the page is a valid TCS, SDM 38.4 EENTER).
  const monitor::PageRights rights = epc_.rights(info.epc, addr);
  return runtime::prot_of(rights) | (rights.tcs ? kProtTcs : 0);
}

// Called by the driver with the pool lock held: the change is sent now and
// acknowledged before the operation's reply (settle_acks), as the kernel's
// PTE updates take effect before its ioctl returns.
void Server::page_changed(driver::DriverEnclave& encl, std::uint64_t addr) {
  auto& e = static_cast<Enclave&>(encl);
  if (!e.host || e.host->dead || t_serving == e.host.get()) return;
  const MapRun run{addr, 1, host_prot_locked(e, addr)};
  if (const std::uint32_t tag = host_send(*e.host, Op::kMap, bytes_of(run)); tag != 0)
    t_pending_acks.emplace_back(e.host, tag);
}

// Sends the host a command it acknowledges (kMapDone with the same tag),
// without blocking: a host whose socket is full is not reading and is
// stopped. The tag to wait for, or 0.
std::uint32_t Server::host_send(Host& h, Op op, std::span<const std::uint8_t> body) {
  std::lock_guard lock(h.mu);
  if (h.dead) return 0;
  const std::uint32_t tag = h.next_tag++ | 0x80000000u;  // never a worker's tag
  h.acks[tag] = false;
  if (const int rc = send_message_nowait(h.fd, Header{op, tag, 0}, body); rc != 0) {
    h.acks.erase(tag);
    std::fprintf(stderr, "nsgx-monitor: enclave host %d does not take commands (%s); stopping it\n", h.pid,
                 std::strerror(-rc));
    kill(h.pid, SIGKILL);
    return 0;
  }
  return tag;
}

// Waits for a command's acknowledgement; a host that does not answer in time
// is stopped. Never called with the pool lock held.
bool Server::host_wait(Host& h, std::uint32_t tag) const {
  std::unique_lock lock(h.mu);
  const bool acked = h.cv.wait_for(lock, std::chrono::milliseconds(options_.host_timeout_ms),
                                   [&] { return h.acks[tag] || h.dead; });
  h.acks.erase(tag);
  if (!acked) {
    std::fprintf(stderr, "nsgx-monitor: enclave host %d does not answer; stopping it\n", h.pid);
    kill(h.pid, SIGKILL);
  }
  return acked && !h.dead;
}

bool Server::host_command(Host& h, Op op, std::span<const std::uint8_t> body) {
  const std::uint32_t tag = host_send(h, op, body);
  return tag != 0 && host_wait(h, tag);
}

void Server::settle_acks() {
  auto pending = std::move(t_pending_acks);
  t_pending_acks.clear();
  for (auto& [h, tag] : pending) (void)host_wait(*h, tag);
}

// ------------------------------------------------------------------ enclave hosts

int Server::start_host(Connection& c, Enclave& e, const Init& in, const std::vector<std::uint64_t>& tcs) {
  const int memfd = epc_.memfd(*e.id());
  if (memfd < 0 || c.window_fd < 0 || options_.host_path.empty()) return -EIO;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -errno;
  // The host gets its channel and nothing else: 0 and 1 are /dev/null, 2 a
  // pipe this process reads only when the host ends (relay_host_stderr:
  // why it ended reaches an operator; enclave code that reaches its host's
  // write() cannot write to the monitor's or the application's terminal
  // or log beyond that bounded, filtered relay), every other descriptor
  // is closed (a private monitor may have inherited some from its
  // application), and its environment is empty. Neither end of the pipe
  // blocks.
  int err[2];
  if (pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int why = errno;
    close(sv[0]);
    close(sv[1]);
    return -why;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  char* const argv[] = {const_cast<char*>(options_.host_path.c_str()), nullptr};
  char* const envp[] = {nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, options_.host_path.c_str(), &fa, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  close(err[1]);
  if (rc != 0) {
    close(sv[0]);
    close(err[0]);
    std::fprintf(stderr, "nsgx-monitor: cannot start %s: %s\n", options_.host_path.c_str(), std::strerror(rc));
    return -EIO;
  }
  auto h = std::make_shared<Host>();
  h->pid = pid;
  h->fd = sv[0];
  h->err_fd = err[0];
  h->enclave = &e;
  h->eid = *e.id();
  h->mailboxes = reinterpret_cast<Mailbox*>(c.window_view + (in.mailbox_addr - c.window_base));
  h->mailbox_count = in.mailboxes;
  h->tcs = tcs;
  h->tcs.resize(in.mailboxes, 0);
  h->busy.assign(in.mailboxes, false);
  const auto fail = [&](const char* why) {
    std::fprintf(stderr, "nsgx-monitor: enclave host %d: %s\n", pid, why);
    kill(pid, SIGKILL);
    std::fprintf(stderr, "nsgx-monitor: enclave host %d ended: %s\n", pid, host_end(pid).c_str());
    waitpid(pid, nullptr, 0);
    relay_host_stderr(pid, h->err_fd);
    close(h->err_fd);
    close(h->fd);
    if (h->debug_fd >= 0) close(h->debug_fd);
    unmap_thread_table(*h);
    return -EIO;
  };
  // The host first makes itself non-dumpable; only then does it get the
  // enclave's memory, so no other process of the user can reach the memfd
  // through /proc/PID/fd or ptrace.
  Message m;
  if (!wait_readable(h->fd, options_.host_timeout_ms) || recv_message(h->fd, m) != 1 || m.header.op != Op::kHostHello)
    return fail("no hello");
  const auto& s = e.id() ? monitor_.secs(*e.id()) : std::nullopt;
  if (!s) return fail("enclave gone");
  HostStart st{};
  st.base = s->base_addr;
  st.size = s->size;
  st.window_base = c.window_base;
  st.window_size = c.window_size;
  st.mailbox_addr = in.mailbox_addr;
  st.attributes = s->attributes.flags;
  st.xfrm = s->attributes.xfrm;
  st.misc_select = s->misc_select;
  st.ssa_frame_size = s->ssa_frame_size;
  st.tcs_count = static_cast<std::uint32_t>(tcs.size());
  st.spin = options_.spin;
  st.mailboxes = in.mailboxes;
  // The thread table: which TCS each worker is inside (protocol.h).
  h->threads_bytes = thread_table_bytes(in.mailboxes);
  const int tfd = memfd_create("nsgx-threads", MFD_CLOEXEC);
  if (tfd < 0 || ftruncate(tfd, static_cast<off_t>(h->threads_bytes)) != 0) {
    if (tfd >= 0) close(tfd);
    return fail("no thread table");
  }
  void* tv = mmap(nullptr, h->threads_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
  if (tv == MAP_FAILED) {
    close(tfd);
    return fail("no thread table");
  }
  h->threads = static_cast<ThreadSlot*>(tv);
  h->bell = reinterpret_cast<BoardBell*>(static_cast<std::uint8_t*>(tv) + board_offset(in.mailboxes));
  h->board = reinterpret_cast<BoardSlot*>(h->bell + 1);
  h->board_served.assign(in.mailboxes, 0);
  st.flags = c.app_fd < 0    ? 0
             : c.maps_fd < 0 ? kHostAppMemory
                             : kHostAppMemory | kHostAppMaps | (c.maps_text ? kHostAppMapsText : 0);
  int fds[6] = {memfd, c.window_fd, tfd, c.app_fd, c.maps_fd, -1};
  std::size_t nfds = c.app_fd < 0 ? 3 : c.maps_fd < 0 ? 4 : 5;
  // A debug enclave's debugging channel: the host's stub on one end, the
  // monitor's (lent to the owner only) on the other. A production enclave
  // gets none, so no request of anyone's can reach a stub there.
  h->owner = c.uid;
  h->debug = (s->attributes.flags & sgx::attr::kDebug) != 0;
  int dbg[2] = {-1, -1};
  if (h->debug) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, dbg) != 0) {
      close(tfd);
      return fail("no debugging channel");
    }
    h->debug_fd = dbg[0];
    fds[nfds++] = dbg[1];
    st.flags |= kHostDebug;
  }
  const int sent = send_message2(h->fd, Header{Op::kHostStart, 0, 0}, bytes_of(st),
                                 {reinterpret_cast<const std::uint8_t*>(tcs.data()), tcs.size() * 8},
                                 std::span<const int>(fds, nfds));
  close(tfd);
  if (dbg[1] >= 0) close(dbg[1]);
  if (sent != 0) return fail("cannot send its memory");
  {
    // Its initial mappings, in runs of equal protection (no acknowledgement).
    std::lock_guard lock(pool_.mutex());
    std::uint64_t run_start = 0, run_pages = 0;
    int run_prot = -1;
    const auto flush = [&] {
      if (run_pages == 0) return true;
      const MapRun r{run_start, static_cast<std::uint32_t>(run_pages), run_prot};
      return send_message(h->fd, Header{Op::kMap, 0, 0}, bytes_of(r)) == 0;
    };
    bool ok = true;
    e.for_each_existing_locked(s->base_addr, s->base_addr + s->size, [&](std::uint64_t a, const auto&) {
      const int p = host_prot_locked(e, a);
      if (run_pages != 0 && a == run_start + run_pages * sgx::kPageSize && p == run_prot) {
        ++run_pages;
        return;
      }
      ok = ok && flush();
      run_start = a, run_pages = 1, run_prot = p;
    });
    ok = ok && flush();
    if (!ok || send_message(h->fd, Header{Op::kHostReady, 0, 0}) != 0) return fail("cannot send its mappings");
  }
  if (!wait_readable(h->fd, options_.host_timeout_ms) || recv_message(h->fd, m) != 1 || m.header.op != Op::kHostReady)
    return fail("did not get ready");
  e.host = h;
  {
    std::lock_guard lock(mu_);
    hosts_by_pid_[h->pid] = h;
  }
  epc_.set_thread_table(*e.id(), h->threads, in.mailboxes);
  hosts_.fetch_add(1);
  h->reader = std::thread([h] { host_reader(h); });
  h->worker = std::thread([this, h] { host_worker(h); });
  return 0;
}

void Server::host_reader(const std::shared_ptr<Host>& h) {
  for (;;) {
    Message m;
    if (recv_message(h->fd, m) != 1) break;
    std::lock_guard lock(h->mu);
    if (m.header.op == Op::kMapDone) {
      if (auto it = h->acks.find(m.header.tag); it != h->acks.end()) it->second = true;
    } else if (m.header.tag >= 1 && m.header.tag <= h->busy.size() && !h->busy[m.header.tag - 1]) {
      // A worker has at most one request outstanding (it waits for the
      // answer), so the queue is bounded by the number of workers; every
      // request is answered, never dropped.
      h->busy[m.header.tag - 1] = true;
      h->requests.push_back(std::move(m));
      ring(*h);
    } else {
      std::fprintf(stderr, "nsgx-monitor: enclave host %d broke the protocol (request tag %u); stopping it\n",
                   h->pid, m.header.tag);
      kill(h->pid, SIGKILL);
      break;
    }
    h->cv.notify_all();
  }
  // The channel ends only with the host (it cannot close it:
  // host_sandbox.cc) or when it broke the protocol: it is stopped for
  // certain, and an end the monitor did not choose is said, with what the
  // host wrote about it — an application sees only SGX_ERROR_ENCLAVE_LOST,
  // which it learns after this (host_lost).
  kill(h->pid, SIGKILL);
  const std::string end = host_end(h->pid);
  if (!h->stopping.load()) {
    std::fprintf(stderr, "nsgx-monitor: enclave host %d ended: %s\n", h->pid, end.c_str());
    relay_host_stderr(h->pid, h->err_fd);
  }
  host_lost(*h);
}

// Serves the host's requests one at a time, from the channel (queued by
// host_reader) and from the request board, and sleeps on the board's
// doorbell, which both ring (ring(), the host's board_rpc). A doorbell the
// host keeps changing only keeps this thread busy with that host; one it
// resets to the value seen here (so that a ring is missed) only delays the
// host's own requests, and the timeout bounds that for the channel's and
// for stop_host's.
void Server::host_worker(const std::shared_ptr<Host>& h) {
  for (;;) {
    const std::uint32_t bell = h->bell->doorbell.load(std::memory_order_seq_cst);
    bool served = false;
    {
      Message m;
      {
        std::lock_guard lock(h->mu);
        if (h->closed) return;
        if (!h->requests.empty()) {
          m = std::move(h->requests.front());
          h->requests.pop_front();
          served = true;
        }
      }
      if (served) serve_host_request(*h, m);
    }
    for (std::uint32_t i = 0; i < h->board_served.size(); ++i) {
      const std::uint32_t r = h->board[i].request.load(std::memory_order_acquire);
      if (r == h->board_served[i]) continue;
      h->board_served[i] = r;
      serve_board_request(*h, i, r);
      served = true;
    }
    if (!served)
      (void)wait_change(h->bell->doorbell, bell, h->bell->monitor_sleeping, options_.spin, 100, 0, &h->board_spin);
  }
}

// Wakes the host's worker thread (a request queued, or the host stopping).
void Server::ring(Host& h) {
  if (h.bell == nullptr) return;
  h.bell->doorbell.fetch_add(1, std::memory_order_seq_cst);
  (void)futex(&h.bell->doorbell, FUTEX_WAKE, 1);
}

// One request from slot `i` of the board, number `number`: copied out once,
// served as the same op on the channel would be, answered in the slot.
void Server::serve_board_request(Host& h, std::uint32_t i, std::uint32_t number) {
  BoardSlot& slot = h.board[i];
  Op op;
  std::uint32_t size;
  std::memcpy(&op, &slot.op, sizeof op);
  std::memcpy(&size, &slot.size, sizeof size);
  Reply rep{};
  std::vector<std::uint8_t> tail;
  if ((op != Op::kFault && op != Op::kEaccept && op != Op::kEacceptcopy && op != Op::kEmodpe) ||
      size > sizeof slot.body) {
    rep.err = -ENOSYS;
  } else {
    std::vector<std::uint8_t> body(size);
    std::memcpy(body.data(), slot.body, size);
    rep = host_request(h, op, body, tail);
  }
  std::int32_t prot = 0;
  if (tail.size() == sizeof prot) std::memcpy(&prot, tail.data(), sizeof prot);
  std::memcpy(&slot.reply, &rep, sizeof rep);
  std::memcpy(&slot.prot, &prot, sizeof prot);
  publish(slot.response, number, slot.host_sleeping);
}

// The host is gone (crashed, killed, or stopped): every thread of the
// application waiting on one of its mailboxes learns it now, and any later
// EENTER sees `lost` (SGX_ERROR_ENCLAVE_LOST).
void Server::host_lost(Host& h) {
  {
    std::lock_guard lock(h.mu);
    h.dead = true;
    h.cv.notify_all();
  }
  for (std::uint32_t i = 0; i < h.mailbox_count; ++i) {
    auto* mb = reinterpret_cast<Mailbox*>(reinterpret_cast<std::uint8_t*>(h.mailboxes) + i * kMailboxStride);
    mb->lost.store(1);
    mb->response.store(mb->request.load());
    futex_wake_all(&mb->response);
  }
}

void Server::unmap_thread_table(Host& h) {
  if (h.threads != nullptr) munmap(h.threads, h.threads_bytes);
  h.threads = nullptr;
  h.bell = nullptr;
  h.board = nullptr;
}

void Server::stop_host(Host& h) {
  {
    // Only this host's entry: a pid the kernel reused for a newer host is that host's.
    std::lock_guard lock(mu_);
    if (const auto it = hosts_by_pid_.find(h.pid); it != hosts_by_pid_.end() && it->second.lock().get() == &h)
      hosts_by_pid_.erase(it);
  }
  h.stopping.store(true);
  kill(h.pid, SIGKILL);
  ::shutdown(h.fd, SHUT_RDWR);
  if (h.reader.joinable()) h.reader.join();
  {
    std::lock_guard lock(h.mu);
    h.closed = true;
    h.cv.notify_all();
  }
  ring(h);
  if (h.worker.joinable()) h.worker.join();
  waitpid(h.pid, nullptr, 0);
  close(h.fd);
  if (h.err_fd >= 0) close(h.err_fd);
  h.err_fd = -1;
  if (h.debug_fd >= 0) close(h.debug_fd);
  h.debug_fd = -1;
  if (h.quota) refund_threads(*h.quota, h.threads_charged);
  h.threads_charged = 0;
  // The host is gone: no thread is inside any more.
  epc_.set_thread_table(h.eid, nullptr, 0);
  unmap_thread_table(h);
  hosts_.fetch_sub(1);
}

void Server::serve_host_request(Host& h, const Message& m) {
  std::vector<std::uint8_t> tail;
  const Reply rep = host_request(h, m.header.op, m.body, tail);
  {
    // The worker may send its next request as soon as it has this answer.
    std::lock_guard lock(h.mu);
    if (m.header.tag >= 1 && m.header.tag <= h.busy.size()) h.busy[m.header.tag - 1] = false;
  }
  (void)send_reply(h.fd, m.header, rep, tail);
  // EGETKEY's key: the host's copy is the only one left. (Not on an empty
  // tail: explicit_bzero's pointer is declared nonnull — host_request_fuzz.)
  if (!tail.empty()) explicit_bzero(tail.data(), tail.size());
}

Reply Server::host_request(Host& h, Op op, std::span<const std::uint8_t> body, std::vector<std::uint8_t>& tail) {
  Enclave& e = *h.enclave;
  Reply rep{};
  switch (op) {
    case Op::kEreport: {
      auto req = parse<EreportReq>(body);
      if (!req) {
        rep.err = -EINVAL;
        break;
      }
      sgx::TargetInfo ti;
      std::memcpy(&ti, req->target_info, sizeof ti);
      sgx::Report report{};
      const auto r = monitor_.ereport(h.eid, ti, std::span<const std::uint8_t, 64>(req->report_data), report);
      rep = leaf_reply(r);
      if (r) tail.assign(reinterpret_cast<const std::uint8_t*>(&report), reinterpret_cast<const std::uint8_t*>(&report) + sizeof report);
      break;
    }
    case Op::kEgetkey: {
      auto req = parse<EgetkeyReq>(body);
      if (!req) {
        rep.err = -EINVAL;
        break;
      }
      sgx::KeyRequest kr;
      std::memcpy(&kr, req->key_request, sizeof kr);
      crypto::Key128 key{};
      const auto r = monitor_.egetkey(h.eid, kr, key);
      rep = leaf_reply(r);
      if (r) tail.assign(key.begin(), key.end());
      explicit_bzero(key.data(), key.size());
      break;
    }
    case Op::kEaccept:
    case Op::kEacceptcopy:
    case Op::kEmodpe: {
      auto req = parse<PageOpReq>(body);
      if (!req) {
        rep.err = -EINVAL;
        break;
      }
      sgx::Secinfo si;
      std::memcpy(&si, req->secinfo, sizeof si);
      std::lock_guard lock(pool_.mutex());
      LeafResult r;
      if (op == Op::kEaccept) {
        r = monitor_.eaccept(h.eid, LinearAddr{req->addr}, si);
        // EACCEPT of a page the enclave has not got (the library OS accepts
        // the pages of a mapping as it hands them out): on SGX a #PF that
        // the kernel's fault handler answers with EAUG, and the EACCEPT runs
        // again (SDM 38.5.1, sgx_vma_fault()). The host would ask for
        // exactly that in two more round trips (host_main.cc, page_leaf);
        // the driver's fault handling runs here instead, under the same
        // rules (ELRANGE, initialized, the user's EPC quota), and the leaf
        // runs again once. Whatever it cannot fix is answered as before.
        if (r.kind == monitor::LeafKind::kPf && (r.address & ~sgx::kPageMask) == (req->addr & ~sgx::kPageMask) &&
            e.page_locked(r.address).where != driver::DriverEnclave::PageInfo::Where::kResident) {
          t_serving = &h;
          const bool added = e.handle_fault_locked(r.address) == 0;
          t_serving = nullptr;
          if (added) r = monitor_.eaccept(h.eid, LinearAddr{req->addr}, si);
        }
      } else if (op == Op::kEmodpe) {
        r = monitor_.emodpe(h.eid, LinearAddr{req->addr}, si);
      } else {
        r = monitor_.eacceptcopy(h.eid, LinearAddr{req->addr}, LinearAddr{req->src}, si);
      }
      rep = leaf_reply(r);
      const std::int32_t prot = host_prot_locked(e, req->addr & ~sgx::kPageMask);
      tail.assign(reinterpret_cast<const std::uint8_t*>(&prot), reinterpret_cast<const std::uint8_t*>(&prot) + 4);
      break;
    }
    case Op::kFault: {
      auto req = parse<FaultReq>(body);
      if (!req) {
        rep.err = -EINVAL;
        break;
      }
      // As the kernel's sgx_vma_fault(): a page the enclave has not got yet
      // is EAUGed (pending until EACCEPT); an EPCM violation is a #PF with
      // the SGX bit (SDM 37.3); a stale host mapping is refreshed.
      constexpr std::uint32_t kP = 1, kW = 2, kU = 4, kI = 16, kSgx = 0x8000;
      const std::uint64_t page = req->addr & ~sgx::kPageMask;
      std::uint32_t code = req->error_code & (kP | kW | kU | kI);
      std::lock_guard lock(pool_.mutex());
      const auto info = e.page_locked(page);
      bool fixed = false;
      bool resident = info.where == driver::DriverEnclave::PageInfo::Where::kResident;
      if (!resident) {
        t_serving = &h;
        fixed = e.handle_fault_locked(page) == 0;
        t_serving = nullptr;
        resident = fixed && e.page_locked(page).where == driver::DriverEnclave::PageInfo::Where::kResident;
      }
      if (resident) {
        // The page is there (now, or it was): does the EPCM allow the
        // access? A page just EAUGed is pending and does not: the retried
        // access would fault again with the SGX bit and ask again, only to
        // be told this (SDM 37.3: an EPCM violation is a #PF with the SGX
        // bit) — so it is told at once, one host #PF and one round trip
        // fewer per first touch.
        const int want = (req->error_code & kI) ? PROT_EXEC : (req->error_code & kW) ? PROT_WRITE : PROT_READ;
        fixed = (host_prot_locked(e, page) & want) != 0;
        if (!fixed) code = kSgx | kP | kU | (req->error_code & (kW | kI));
      }
      rep.value = fixed ? 1 : 0;
      rep.status = code;
      const std::int32_t prot = host_prot_locked(e, page);
      tail.assign(reinterpret_cast<const std::uint8_t*>(&prot), reinterpret_cast<const std::uint8_t*>(&prot) + 4);
      break;
    }
    default:
      rep.err = -ENOSYS;
      break;
  }
  settle_acks();
  return rep;
}

// ------------------------------------------------------------------ applications

int Server::do_init(Connection& c, Enclave& e, const Init& in, std::vector<std::uint8_t>& tail,
                    std::uint64_t& tcs_count) {
  c.user.set({in.sigstruct, sizeof in.sigstruct});
  const sgx_enclave_init arg{kMsgBase};
  if (const int rc = e.init(arg); rc != 0) return rc;
  std::vector<std::uint64_t> tcs;
  const std::uint64_t base = e.base(), size = e.size();
  {
    std::lock_guard lock(pool_.mutex());
    e.for_each_existing_locked(base, base + size, [&](std::uint64_t a, const auto& info) {
      if (info.where != driver::DriverEnclave::PageInfo::Where::kResident) return;
      const auto entry = monitor_.epcm(info.epc);
      if (entry && entry->type == sgx::PageType::kTcs) tcs.push_back(a);
    });
  }
  // The mailboxes must lie in the window, one per TCS.
  const std::uint64_t need = std::uint64_t{in.mailboxes} * kMailboxStride;
  if (tcs.empty() || in.mailboxes < tcs.size() || in.mailboxes > 4096 || (in.mailbox_addr & 63) != 0 ||
      in.mailbox_addr < c.window_base || in.mailbox_addr - c.window_base > c.window_size ||
      need > c.window_size - (in.mailbox_addr - c.window_base))
    return -EINVAL;
  // One host thread per TCS, on the user's quota.
  const auto threads = static_cast<std::uint32_t>(tcs.size());
  if (!charge_threads(*c.user_quota, threads)) return -EAGAIN;
  if (const int rc = start_host(c, e, in, tcs); rc != 0) {
    refund_threads(*c.user_quota, threads);
    return rc;
  }
  e.host->quota = c.user_quota;
  e.host->threads_charged = threads;
  tcs_count = tcs.size();
  tail.assign(reinterpret_cast<const std::uint8_t*>(tcs.data()),
              reinterpret_cast<const std::uint8_t*>(tcs.data()) + tcs.size() * 8);
  return 0;
}

int Server::handle(Connection& c, Message& m, std::vector<std::uint8_t>& tail, Reply& r) {
  const std::span<const std::uint8_t> body(m.body);
  if (m.header.op < Op::kHello || m.header.op > Op::kDebugAttach) return -ENOSYS;  // not an application request
  if (m.header.op == Op::kHello) {
    auto h = parse<Hello>(body);
    if (!h || h->version != kProtocolVersion) return -EPROTO;
    if (c.window_fd >= 0) return -EALREADY;
    if ((h->flags & ~kHelloMapsText) != 0) return -EINVAL;
    // The window: a sealed memfd (it cannot shrink under an enclave host),
    // page-aligned, canonical, at most 64 GiB.
    const int wfd = m.take_fd(0);
    if (wfd < 0) return -EBADF;
    struct stat st {};
    const int seals = fcntl(wfd, F_GET_SEALS);
    if (seals < 0 || (seals & F_SEAL_SHRINK) == 0 || fstat(wfd, &st) != 0 || h->window_size == 0 ||
        h->window_size > (64ull << 30) || (h->window_size & sgx::kPageMask) != 0 ||
        static_cast<std::uint64_t>(st.st_size) < h->window_size || (h->window_base & sgx::kPageMask) != 0 ||
        h->window_base >= (1ull << 47) || h->window_size > (1ull << 47) - h->window_base) {
      close(wfd);
      return -EINVAL;
    }
    void* v = mmap(nullptr, h->window_size, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
    if (v == MAP_FAILED) {
      close(wfd);
      return -ENOMEM;
    }
    // The application's memory for its enclave hosts (app_memory.h): the
    // application's own /proc/self/mem and /proc/self/maps, regular files;
    // the monitor never reads them. Optional: without the first enclave
    // code sees only the window, without the second the host cannot tell
    // the application's page protections.
    const int afd = m.take_fd(1), pfd = m.take_fd(2);
    const auto regular = [](int f) {
      struct stat ast {};
      return fstat(f, &ast) == 0 && S_ISREG(ast.st_mode);
    };
    if ((afd >= 0 && !regular(afd)) || (pfd >= 0 && (afd < 0 || !regular(pfd)))) {
      if (afd >= 0) close(afd);
      if (pfd >= 0) close(pfd);
      munmap(v, h->window_size);
      close(wfd);
      return -EINVAL;
    }
    c.app_fd = afd;
    c.maps_fd = pfd;
    c.maps_text = (h->flags & kHelloMapsText) != 0;
    c.window_fd = wfd;
    c.window_view = static_cast<std::uint8_t*>(v);
    c.window_base = h->window_base;
    c.window_size = h->window_size;
    r.value = pool_.page_count();
    return 0;
  }
  if (m.header.op == Op::kStatus) {
    const StatusInfo s = status();
    tail.assign(reinterpret_cast<const std::uint8_t*>(&s), reinterpret_cast<const std::uint8_t*>(&s) + sizeof s);
    return 0;
  }
  if (m.header.op == Op::kQuoteInfo) {
    std::uint32_t size = 0;
    std::string why;
    if (const int rc = quoting_.quote_size(size, &why); rc != 0) {
      std::fprintf(stderr, "nsgx-monitor: quoting: %s\n", why.c_str());
      return rc;
    }
    const sgx::TargetInfo t = runtime::QuotingService::target_info();
    const ByteSpan tb = as_bytes(t);
    tail.assign(tb.begin(), tb.end());
    r.value = size;
    return 0;
  }
  if (m.header.op == Op::kQuote) {
    auto q = parse<QuoteReq>(body);
    if (!q || body.size() != sizeof(QuoteReq) || q->reserved != 0 || q->nonce_size > sizeof q->nonce) return -EINVAL;
    std::string why;
    const int rc = quoting_.quote(monitor_, ByteSpan(q->report, sizeof q->report), ByteSpan(q->nonce, q->nonce_size),
                                  tail, &why);
    if (rc == -EIO) std::fprintf(stderr, "nsgx-monitor: quoting: %s\n", why.c_str());
    return rc;
  }
  if (m.header.op == Op::kDebugAttach) {
    auto a = parse<DebugAttach>(body);
    if (!a || body.size() != sizeof(DebugAttach) || a->reserved != 0) return -EINVAL;
    return debug_attach(c, static_cast<pid_t>(a->host_pid));
  }
  if (c.window_fd < 0) return -EPROTO;  // Hello first
  if (m.header.op == Op::kCreate) {
    auto cr = parse<Create>(body);
    if (!cr) return -EINVAL;
    {
      std::lock_guard lock(mu_);
      if (c.user_quota->enclaves >= options_.max_enclaves_per_user) return -EMFILE;
      ++c.user_quota->enclaves;
    }
    auto e = std::make_unique<Enclave>(pool_, c.user);
    e->set_budget(&c.user_quota->budget);
    c.user.set({cr->secs, sizeof cr->secs});
    const sgx_enclave_create arg{kMsgBase};
    if (const int rc = e->create(arg); rc != 0) {
      e.reset();
      enclave_gone(c);
      return rc;
    }
    r.value = c.next_handle++;
    c.enclaves[r.value] = std::move(e);
    enclaves_.fetch_add(1);
    return 0;
  }
  auto it = c.enclaves.find(m.header.handle);
  if (it == c.enclaves.end()) return -EINVAL;  // not an enclave of this connection
  Enclave& e = *it->second;
  switch (m.header.op) {
    case Op::kAddPages: {
      auto a = parse<AddPages>(body);
      if (!a || a->pages == 0 || a->pages > kPagesPerAdd ||
          body.size() != sizeof(AddPages) + std::size_t{a->pages} * sgx::kPageSize)
        return -EINVAL;
      // The driver reads the pages and SECINFO from "user memory": here, a
      // buffer of [pages | SECINFO] (the source must be page-aligned).
      const std::size_t data = std::size_t{a->pages} * sgx::kPageSize;
      std::vector<std::uint8_t> buf(data + 64);
      std::memcpy(buf.data(), body.data() + sizeof(AddPages), data);
      sgx::Secinfo si{};
      si.flags = a->secinfo_flags;
      std::memcpy(buf.data() + data, &si, sizeof si);
      c.user.set(buf);
      sgx_enclave_add_pages arg{kMsgBase, a->offset, data, kMsgBase + data,
                                a->measure ? static_cast<std::uint64_t>(SGX_PAGE_MEASURE) : 0u, 0};
      const int rc = e.add_pages(arg);
      r.value = arg.count;
      return rc;
    }
    case Op::kInit: {
      auto in = parse<Init>(body);
      if (!in) return -EINVAL;
      const int rc = do_init(c, e, *in, tail, r.value);
      if (rc == 0 && e.host) r.status = static_cast<std::uint32_t>(e.host->pid);
      return rc;
    }
    case Op::kRestrict:
    case Op::kModifyTypes:
    case Op::kRemovePages: {
      auto pr = parse<PageRange>(body);
      if (!pr) return -EINVAL;
      int rc;
      if (m.header.op == Op::kRestrict) {
        sgx_enclave_restrict_permissions a{pr->offset, pr->length, pr->arg, 0, 0};
        rc = e.restrict_permissions(a);
        r.value = a.count, r.status = static_cast<std::uint32_t>(a.result);
      } else if (m.header.op == Op::kModifyTypes) {
        sgx_enclave_modify_types a{pr->offset, pr->length, pr->arg, 0, 0};
        rc = e.modify_types(a);
        r.value = a.count, r.status = static_cast<std::uint32_t>(a.result);
      } else {
        sgx_enclave_remove_pages a{pr->offset, pr->length, 0};
        rc = e.remove_pages(a);
        r.value = a.count;
      }
      return rc;
    }
    case Op::kAddTcs: {
      // SGX2 threads: the enclave made this page a TCS (EMODT, EACCEPT); the
      // host serves it on a spare mailbox. Only a valid, accepted TCS of
      // this enclave that no mailbox serves yet qualifies.
      auto a = parse<AddTcs>(body);
      if (!a || (a->addr & sgx::kPageMask) != 0 || a->addr < e.base() || a->addr - e.base() >= e.size())
        return -EINVAL;
      if (!e.host || e.host->dead) return -ENOTCONN;
      Host& h = *e.host;
      std::uint32_t tag = 0;
      if (!charge_threads(*c.user_quota, 1)) return -EAGAIN;
      int rc = 0;
      {
        std::lock_guard lock(pool_.mutex());
        if (a->slot >= h.mailbox_count || h.tcs[a->slot] != 0)
          rc = -EBUSY;
        else if (std::find(h.tcs.begin(), h.tcs.end(), a->addr) != h.tcs.end())
          rc = -EEXIST;
        else if ((host_prot_locked(e, a->addr) & kProtTcs) == 0)
          rc = -EINVAL;
        else if ((tag = host_send(h, Op::kHostAddTcs, bytes_of(*a))) == 0)
          rc = -ENOTCONN;
        else
          h.tcs[a->slot] = a->addr;  // the slot is taken from now on
      }
      if (rc != 0) {
        refund_threads(*c.user_quota, 1);  // mu_, never under the pool lock
        return rc;
      }
      ++h.threads_charged;  // refunded when the host stops
      // Awaited without the pool lock; a host that fails is stopped and the
      // enclave is lost anyway.
      return host_wait(h, tag) ? 0 : -ENOTCONN;
    }
    case Op::kDestroy: {
      if (e.host) stop_host(*e.host);
      c.enclaves.erase(it);
      enclaves_.fetch_sub(1);
      enclave_gone(c);
      return 0;
    }
    default:
      return -ENOSYS;
  }
}

// Who may use this monitor: its own uid, root, and — for the system
// monitor — the members of the clients' group (the peer's primary or
// supplementary groups as the kernel recorded them at connect()).
// Discards what is queued on the monitor's end of a debugging channel.
// Bounded: a host (whose enclave may have taken it over) that keeps
// sending must not hold this thread, which holds mu_. The queue holds
// at most the socket's buffer anyway (about 200 KiB).
namespace {
void drain(int fd) {
  std::uint8_t junk[512];
  for (int i = 0; i < 4096 && recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0; ++i) {
  }
}
}  // namespace

// The owner's debugging session on a debug enclave (docs/threat-model.md
// "Debugging"): the checks are the monitor's, on what it knows itself —
// the creator's SO_PEERCRED uid and the SECS it launched — never on
// anything the client says but the host's pid. The owner is checked first,
// so another user learns nothing about the enclave's attributes. What the
// descriptor reaches is the stub in that enclave's own sandboxed host
// (host_main.cc): its memory and its threads, nothing of the monitor's.
int Server::debug_attach(Connection& c, pid_t pid) {
  std::lock_guard lock(mu_);
  if (c.debugging) return -EBUSY;  // one session per connection
  const auto it = hosts_by_pid_.find(pid);
  const std::shared_ptr<Host> h = it == hosts_by_pid_.end() ? nullptr : it->second.lock();
  if (!h) return -ESRCH;
  if (h->owner != c.uid) return -EPERM;
  if (!h->debug || h->debug_fd < 0) return -EACCES;
  if (h->session != nullptr) return -EBUSY;
  // What a previous session left unread must not reach this one.
  drain(h->debug_fd);
  const int fd = fcntl(h->debug_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return -errno;
  h->session = &c;
  c.debugging = true;
  c.reply_fd = fd;
  return 0;
}

// The session's connection closed: the stub resumes every thread.
void Server::debug_detach(Connection& c) {
  std::lock_guard lock(mu_);
  if (!c.debugging) return;
  c.debugging = false;
  for (auto& [pid, weak] : hosts_by_pid_) {
    const std::shared_ptr<Host> h = weak.lock();
    if (!h || h->session != &c) continue;
    h->session = nullptr;
    // What the stub sent and the client never read goes, so that a stub
    // blocked on a full queue reads the end; never blocks: a host that does
    // not read only keeps its own threads stopped.
    drain(h->debug_fd);
    (void)send(h->debug_fd, kDebugSessionEnd, sizeof kDebugSessionEnd - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
}

bool Server::peer_allowed(int fd, uid_t& uid) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return false;
  uid = cred.uid;
  if (cred.uid == getuid() || cred.uid == 0) return true;
  if (!options_.client_gid) return false;
  if (cred.gid == *options_.client_gid) return true;
  gid_t groups[256];
  socklen_t glen = sizeof groups;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) != 0) return false;
  return std::find(groups, groups + glen / sizeof(gid_t), *options_.client_gid) != groups + glen / sizeof(gid_t);
}

void Server::enclave_gone(Connection& c) {
  std::lock_guard lock(mu_);
  --c.user_quota->enclaves;
}

bool Server::charge_threads(User& u, std::uint32_t n) {
  const std::uint32_t max = options_.max_threads_per_user;
  {
    std::lock_guard lock(mu_);
    if (max == 0 || n <= max - std::min(u.threads, max)) {
      u.threads += n;
      return true;
    }
  }
  std::fprintf(stderr, "nsgx-monitor: a user at its quota of %u enclave threads asked for %u more\n", max, n);
  return false;
}

void Server::refund_threads(User& u, std::uint32_t n) {
  std::lock_guard lock(mu_);
  u.threads -= std::min(u.threads, n);
}

void Server::serve(int fd) {
  auto c = std::make_shared<Connection>();
  c->fd = fd;
  const bool allowed = peer_allowed(fd, c->uid);
  {
    std::lock_guard lock(mu_);
    const auto n = users_.find(c->uid);
    if (stopping_ || !allowed ||
        (options_.max_connections_per_user != 0 && n != users_.end() &&
         n->second->connections >= options_.max_connections_per_user)) {
      // Accepted while the monitor was being stopped, someone it does not
      // serve, or a user at the limit: closed before it costs anything.
      close(fd);
      return;
    }
    auto& u = users_[c->uid];
    if (!u) {
      u = std::make_shared<User>();
      u->budget.limit = options_.user_epc_pages == 0 ? UINT32_MAX : options_.user_epc_pages;
    }
    ++u->connections;
    c->user_quota = u;
    connections_[c.get()] = c;
  }
  for (;;) {
    Message m;
    const int got = recv_message(fd, m);
    if (got == 0 || (got < 0 && got != -EMSGSIZE)) break;
    Reply r{};
    std::vector<std::uint8_t> tail;
    if (got < 0) r.err = got;  // a malformed message gets an error, the connection lives on
    else r.err = handle(*c, m, tail, r);
    settle_acks();  // the hosts have applied what the operation changed
    int sent;
    if (c->reply_fd >= 0) {
      const int rfd = c->reply_fd;
      c->reply_fd = -1;
      sent = send_message2(fd, Header{Op::kReply, m.header.tag, m.header.handle}, bytes_of(r), tail,
                           std::span<const int>(&rfd, 1));
      close(rfd);
    } else {
      sent = send_reply(fd, m.header, r, tail);
    }
    if (sent != 0) break;
  }
  debug_detach(*c);
  // The application is gone: its enclaves and their EPC pages go with it.
  for (auto& [handle, e] : c->enclaves) {
    if (e->host) stop_host(*e->host);
    enclaves_.fetch_sub(1);
  }
  const auto held = static_cast<std::uint32_t>(c->enclaves.size());
  c->enclaves.clear();  // their pages go back to the user's budget
  if (c->window_view) munmap(c->window_view, c->window_size);
  if (c->window_fd >= 0) close(c->window_fd);
  if (c->app_fd >= 0) close(c->app_fd);
  if (c->maps_fd >= 0) close(c->maps_fd);
  close(fd);
  std::lock_guard lock(mu_);
  connections_.erase(c.get());
  c->user_quota->enclaves -= held;
  if (--c->user_quota->connections == 0) users_.erase(c->uid);
  idle_.notify_all();
}

}  // namespace nsgx::isolated
