#include "runtime/isolated/client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "runtime/common/config.h"
#include "runtime/common/platform_secrets.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/paths.h"

namespace nsgx::isolated {

namespace {

// A size from the environment ("256M"), or `dflt` when unset or unreadable.
std::uint64_t env_size(const char* name, std::uint64_t dflt) {
  const char* s = std::getenv(name);
  const std::uint64_t v = (s && *s) ? runtime::parse_size(s) : 0;
  return v ? v : dflt;
}

// Picks an address for shared mappings that the enclave hosts can map at
// the same place: far from where the kernel puts libraries and stacks, at
// a random offset (MAP_FIXED_NOREPLACE in each process detects a clash).
// The window, at the same address in the application and its hosts, and
// right after it the host area (protocol.h), reserved here and never used.
void* map_shared_region(std::size_t size, int fd) {
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::uint64_t hint = 0x200000000000ull + (std::uint64_t{rd()} % 0x4000) * 0x40000000ull;
    void* p = mmap(reinterpret_cast<void*>(hint), size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    if (p == reinterpret_cast<void*>(hint)) {
      void* area = mmap(reinterpret_cast<void*>(hint + size), kHostAreaSize, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
      if (area == reinterpret_cast<void*>(hint + size)) return p;
      if (area != MAP_FAILED) munmap(area, kHostAreaSize);
    }
    if (p != MAP_FAILED) munmap(p, size);
  }
  return nullptr;
}

}  // namespace

Client* Client::get(std::string* why) {
  static std::mutex mu;
  static Client* client = nullptr;
  static std::string error;
  std::lock_guard lock(mu);
  if (client == nullptr && error.empty()) {
    auto* c = new Client();
    if (c->connect(error)) client = c;
    else delete c;
  }
  if (client == nullptr && why) *why = error;
  return client;
}

// A private monitor for this process, on a socketpair; it ends when this
// process closes its end (exits). It runs as this user, so it isolates
// nothing from the user (docs/threat-model.md); still, it gets nothing of
// this process it does not need: no environment but the monitor's own
// settings (no LD_PRELOAD, no NSGX_ENCLAVE_HOST outside test builds), no
// descriptor but its channel and stderr.
bool Client::start_private(std::string& why) {
  const std::string state = runtime::default_state_dir();
  if (state.empty()) {
    why = "no state directory for a private monitor (set HOME or XDG_STATE_HOME)";
    return false;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    why = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  const std::string mon = monitor_path();
  std::vector<std::string> args{mon, "--fd", "3", "--state-dir", state};
#if NSGX_ENV_OVERRIDES
  if (const char* h = std::getenv("NSGX_ENCLAVE_HOST"); h && *h) args.insert(args.end(), {"--host", h});
#endif
  std::vector<std::string> env;
  for (const char* name : {"NSGX_EPC_SIZE", "NSGX_LAUNCH_SIGNERS", "NSGX_LAUNCH_NO_DEBUG"})
    if (const char* v = std::getenv(name); v != nullptr) env.push_back(std::string(name) + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  // In a session of its own: a signal to this process's group (a
  // terminal's ^C, kill(0, SIGTERM), a shell's kill of the job) is meant
  // for the application, which may handle it; it must not end the monitor
  // that holds its enclaves. Without a controlling terminal, its writes
  // to a terminal's stderr never stop it (SIGTTOU under `stty tostop`, as
  // a background group's would). It still ends with this process (its
  // channel closes).
  // With no signal blocked: the application's mask (the library OS host
  // blocks its own signals while it loads) is not the monitor's.
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  const int rc = posix_spawn(&pid, mon.c_str(), &fa, &at, argv.data(), envp.data());
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    why = "cannot start " + mon + ": " + std::strerror(rc) + " (install nestedsgx, or start the system monitor)";
    return false;
  }
  fd_ = sv[0];
  kind_ = MonitorKind::kPrivate;
  return true;
}

bool Client::connect(std::string& why) {
  if (const char* s = std::getenv("NSGX_SPIN"); s && *s) spin_ = static_cast<std::uint32_t>(std::strtoul(s, nullptr, 0));
  if (const char* s = std::getenv("NSGX_YIELD"); s && *s)
    yields_ = static_cast<std::uint32_t>(std::strtoul(s, nullptr, 0));
  // A daemon if one serves — authenticated: a socket that something
  // untrusted serves is an error, never a reason to fall back quietly.
  auto found = find_monitor(&why);
  if (found.conn.refused) return false;
  const char* req = std::getenv("NSGX_REQUIRE_SYSTEM_MONITOR");
  const bool require_system = req != nullptr && std::strcmp(req, "1") == 0;
  if (found.conn.fd >= 0) {
    fd_ = found.conn.fd;
    kind_ = found.kind;
  } else if (!require_system && !start_private(why)) {
    return false;
  }
  if (require_system && kind_ != MonitorKind::kSystem) {
    why = "NSGX_REQUIRE_SYSTEM_MONITOR=1, but no system monitor serves (" + std::string(kSystemSocket) +
          "); this process would get a " + describe(kind_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return false;
  }
  if (const char* d = std::getenv("NSGX_DEBUG"); d && std::strcmp(d, "1") == 0)
    std::fprintf(stderr, "nsgx: isolated backend: %s%s%s\n", describe(kind_).c_str(),
                 found.path.empty() ? "" : " at ", found.path.c_str());
  // The window: a sealed memfd (it can neither shrink nor grow under an
  // enclave host), mapped where every host can map it too.
  window_size_ = env_size("NSGX_WINDOW_SIZE", 256ull << 20) & ~std::size_t{4095};
  const int wfd = memfd_create("nsgx-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (wfd < 0 || ftruncate(wfd, static_cast<off_t>(window_size_)) != 0 ||
      fcntl(wfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    why = std::string("window memfd: ") + std::strerror(errno);
    return false;
  }
  window_ = static_cast<std::uint8_t*>(map_shared_region(window_size_, wfd));
  if (window_ == nullptr) {
    close(wfd);
    why = "cannot place the window";
    return false;
  }
  free_[0] = window_size_;
  const Header hdr{Op::kHello, 0, 0};
  // This process's memory, for its enclave hosts: on SGX enclave code reads
  // and writes every address the application maps (app_memory.h). The
  // kernel checks the right to it here, where it is this process's own.
  // Its /proc/self/maps as well, so that the hosts can ask the protection
  // of a page (PROCMAP_QUERY) and fault where the application's page tables
  // would; NSGX_APP_PROTECTIONS=off leaves it out, =text has them read
  // its text as on kernels without PROCMAP_QUERY (docs/isolated.md).
  const char* prot_env = std::getenv("NSGX_APP_PROTECTIONS");
  if (prot_env != nullptr && std::strcmp(prot_env, "on") != 0 && std::strcmp(prot_env, "off") != 0 &&
      std::strcmp(prot_env, "text") != 0) {
    close(wfd);
    why = "NSGX_APP_PROTECTIONS must be on, off or text";
    return false;
  }
  const int mfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
  const bool with_maps = mfd >= 0 && (prot_env == nullptr || std::strcmp(prot_env, "off") != 0);
  const bool text = prot_env != nullptr && std::strcmp(prot_env, "text") == 0;
  const Hello h{kProtocolVersion, text ? kHelloMapsText : 0, reinterpret_cast<std::uint64_t>(window_), window_size_};
  const int pfd = with_maps ? open("/proc/self/maps", O_RDONLY | O_CLOEXEC) : -1;
  const int fds[3] = {wfd, mfd, pfd};
  const std::size_t nfds = mfd < 0 ? 1 : pfd < 0 ? 2 : 3;
  Message m;
  const bool ok =
      send_message(fd_, hdr, bytes_of(h), std::span<const int>(fds, nfds)) == 0 && recv_message(fd_, m) == 1;
  close(wfd);
  if (mfd >= 0) close(mfd);
  if (pfd >= 0) close(pfd);
  auto r = ok ? parse<Reply>(m.body) : std::nullopt;
  if (!r || r->err != 0) {
    why = "the monitor refused this process" + std::string(r ? std::string(": ") + std::strerror(-r->err) : "");
    return false;
  }
  return true;
}

void* Client::reserve(std::size_t size) {
  std::random_device rd;
  const std::uint64_t align = std::max<std::uint64_t>(size, 1ull << 30);
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::uint64_t slots = std::max<std::uint64_t>(1, (0x100000000000ull) / align);
    const std::uint64_t hint = 0x100000000000ull + (std::uint64_t{rd()} % slots) * align;
    void* p = mmap(reinterpret_cast<void*>(hint), size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                   MAP_FIXED_NOREPLACE, -1, 0);
    if (p == reinterpret_cast<void*>(hint)) return p;
    if (p != MAP_FAILED) munmap(p, size);
  }
  return nullptr;
}

bool Client::alive() const {
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, 0) == 0 || (p.revents & (POLLHUP | POLLERR)) == 0;
}

int Client::request(Op op, std::uint64_t handle, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                    Reply& r, std::vector<std::uint8_t>* tail) {
  std::lock_guard lock(mu_);
  Message m;
  if (send_message2(fd_, Header{op, 0, handle}, a, b) != 0 || recv_message(fd_, m) != 1) return -ENOTCONN;
  auto rep = parse<Reply>(m.body);
  if (!rep || m.header.op != Op::kReply) return -EPROTO;
  r = *rep;
  if (tail) tail->assign(m.body.begin() + sizeof(Reply), m.body.end());
  return r.err;
}

int Client::raw(const Header& h, std::span<const std::uint8_t> body, Reply& reply, std::vector<std::uint8_t>* tail) {
  return request(h.op, h.handle, body, {}, reply, tail);
}

int Client::create(const sgx::Secs& secs, std::uint64_t& handle) {
  Create c{};
  std::memcpy(c.secs, &secs, sizeof secs);
  Reply r{};
  const int rc = request(Op::kCreate, 0, bytes_of(c), {}, r);
  handle = r.value;
  return rc;
}

int Client::add_pages(std::uint64_t handle, std::uint64_t offset, std::uint64_t secinfo_flags, bool measure,
                      std::span<const std::uint8_t> pages) {
  for (std::size_t done = 0; done < pages.size();) {
    const std::size_t n = std::min<std::size_t>(pages.size() - done, std::size_t{kPagesPerAdd} * 4096);
    const AddPages a{offset + done, secinfo_flags, measure ? 1u : 0u, static_cast<std::uint32_t>(n / 4096)};
    Reply r{};
    if (const int rc = request(Op::kAddPages, handle, bytes_of(a), pages.subspan(done, n), r); rc != 0) return rc;
    done += n;
  }
  return 0;
}

int Client::init(std::uint64_t handle, const sgx::Sigstruct& sigstruct, std::uint64_t mailbox_addr,
                 std::uint32_t mailboxes, std::vector<std::uint64_t>& tcs, std::uint32_t* host_pid) {
  Init in{};
  std::memcpy(in.sigstruct, &sigstruct, sizeof in.sigstruct);
  in.mailboxes = mailboxes;
  in.mailbox_addr = mailbox_addr;
  Reply r{};
  std::vector<std::uint8_t> tail;
  if (const int rc = request(Op::kInit, handle, bytes_of(in), {}, r, &tail); rc != 0) return rc;
  if (r.value == 0 || r.value > mailboxes || tail.size() != r.value * 8) return -EPROTO;
  tcs.resize(r.value);
  std::memcpy(tcs.data(), tail.data(), tail.size());
  if (host_pid != nullptr) *host_pid = r.status;
  return 0;
}

int Client::destroy(std::uint64_t handle) {
  Reply r{};
  return request(Op::kDestroy, handle, {}, {}, r);
}

int Client::page_op(Op op, std::uint64_t handle, std::uint64_t offset, std::uint64_t length, std::uint64_t arg,
                    std::uint64_t& count, std::uint64_t& result) {
  if (op != Op::kRestrict && op != Op::kModifyTypes && op != Op::kRemovePages) return -EINVAL;
  const PageRange pr{offset, length, arg};
  Reply r{};
  const int rc = request(op, handle, bytes_of(pr), {}, r);
  count = r.value;
  result = r.status;
  return rc;
}

int Client::add_tcs(std::uint64_t handle, std::uint64_t addr, std::uint32_t slot) {
  const AddTcs a{addr, slot, 0};
  Reply r{};
  return request(Op::kAddTcs, handle, bytes_of(a), {}, r);
}

int Client::status(StatusInfo& out) {
  Reply r{};
  std::vector<std::uint8_t> tail;
  if (const int rc = request(Op::kStatus, 0, {}, {}, r, &tail); rc != 0) return rc;
  auto s = parse<StatusInfo>(tail);
  if (!s) return -EPROTO;
  out = *s;
  return 0;
}

int Client::quote_info(std::span<std::uint8_t, 512> target_info, std::uint32_t& quote_size) {
  Reply r{};
  std::vector<std::uint8_t> tail;
  if (const int rc = request(Op::kQuoteInfo, 0, {}, {}, r, &tail); rc != 0) return rc;
  if (tail.size() != target_info.size() || r.value == 0 || r.value > kMaxMessage) return -EPROTO;
  std::memcpy(target_info.data(), tail.data(), tail.size());
  quote_size = static_cast<std::uint32_t>(r.value);
  return 0;
}

int Client::quote(std::span<const std::uint8_t, 432> report, std::span<const std::uint8_t> nonce,
                  std::vector<std::uint8_t>& out) {
  QuoteReq q{};
  if (nonce.size() > sizeof q.nonce) return -EINVAL;
  std::memcpy(q.report, report.data(), report.size());
  q.nonce_size = static_cast<std::uint32_t>(nonce.size());
  if (!nonce.empty()) std::memcpy(q.nonce, nonce.data(), nonce.size());
  Reply r{};
  return request(Op::kQuote, 0, bytes_of(q), {}, r, &out);
}

void* Client::window_alloc(std::size_t size, std::size_t align) {
  if (size == 0) size = 1;
  if (align < 16) align = 16;
  size = (size + 15) & ~std::size_t{15};
  std::lock_guard lock(alloc_mu_);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const std::size_t start = (it->first + align - 1) & ~(align - 1);
    if (start - it->first + size > it->second) continue;
    const std::size_t off = it->first, len = it->second;
    free_.erase(it);
    if (start > off) free_[off] = start - off;
    if (start + size < off + len) free_[start + size] = off + len - start - size;
    used_[start] = size;
    std::memset(window_ + start, 0, size);
    return window_ + start;
  }
  return nullptr;
}

void Client::window_free(void* p) {
  if (p == nullptr) return;
  std::lock_guard lock(alloc_mu_);
  const std::size_t off = static_cast<std::size_t>(static_cast<std::uint8_t*>(p) - window_);
  auto u = used_.find(off);
  if (u == used_.end()) return;
  std::size_t start = off, len = u->second;
  used_.erase(u);
  // Coalesce with the neighbours.
  auto next = free_.lower_bound(start);
  if (next != free_.end() && next->first == start + len) {
    len += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      start = prev->first;
      len += prev->second;
      free_.erase(prev);
    }
  }
  free_[start] = len;
}

bool Client::in_window(const void* p, std::size_t n) const {
  const auto a = reinterpret_cast<std::uint64_t>(p), w = reinterpret_cast<std::uint64_t>(window_);
  return a >= w && n <= window_size_ && a - w <= window_size_ - n;
}

}  // namespace nsgx::isolated
