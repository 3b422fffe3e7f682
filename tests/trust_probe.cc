// trust_probe: the attacker's and the harness's tools for
// tests/trust_boundary_test.sh and libos/tests/unpriv_test.sh (run there as
// root and as the unprivileged users they create).
//
//   trust_probe attack PID        ptrace, /proc/PID/mem, process_vm_readv,
//                                 pidfd_getfd and signals against PID; exit 0
//                                 only if every one is refused
//   trust_probe listen PATH SECS  a fake monitor at PATH: prints how many
//                                 clients connected and how many bytes they sent
//   trust_probe hold ROOT -- CMD  runs CMD with its stdout on a full pipe, so
//                                 that it blocks in its first write (hello's
//                                 OCALL: its enclave host is alive); prints the
//                                 nsgx-monitor and nsgx-enclave-host processes
//                                 below ROOT (a pid, or "child" for CMD) as
//                                 "<comm> PID UID", then waits for a line on
//                                 stdin, lets CMD go and exits with its status
//   trust_probe quota SOCKET      a hostile client of the monitor at SOCKET
//                                 (raw protocol, no SDK): creates enclaves
//                                 over two connections until refused, frees
//                                 them, then fills EPC over three connections
//                                 until refused; prints "epc P", "enclaves N
//                                 ERRNO", "pages N ERRNO" (every EPC page
//                                 held, SECS included), "holding", and keeps
//                                 it all until a line arrives on stdin
//   trust_probe scan PID...       reads every readable mapping of each PID
//                                 through /proc/PID/mem, looking for the
//                                 bytes on stdin (a secret the caller does not
//                                 put on a command line); prints per PID
//                                 "PID: N bytes in R regions, found|clean";
//                                 exit 0 if clean everywhere, 1 if found,
//                                 3 if a PID could not be read at all
//   trust_probe connect SOCKET    connects to a monitor's socket; exit 0 only
//                                 if refused
//   trust_probe watch UID STOP FLIP WHAT   the user's attacker on its own
//                                 processes while they run (trust_probe_watch.h)
//   trust_probe foreign SOCKET    a member of group nsgx acting on enclaves it
//                                 did not create: creates and destroys one of
//                                 its own (the control), then asks the monitor
//                                 to destroy handles 0-255; exit 0 only if the
//                                 control worked and every other was refused
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "arch/sgx/secs.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/protocol.h"
#include "tests/probe_memory.h"
#include "tests/trust_probe_watch.h"

namespace {

int report(const char* what, long rc) {
  const bool refused = rc < 0;
  std::printf("  %-28s %s\n", what, refused ? (std::string("refused (") + std::strerror(errno) + ")").c_str() : "ALLOWED");
  return refused ? 0 : 1;
}

int attack(pid_t pid) {
  int allowed = 0;
  if (ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == 0) {
    allowed += report("ptrace(PTRACE_ATTACH)", 0);
    ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
  } else {
    allowed += report("ptrace(PTRACE_ATTACH)", -1);
  }
  const std::string mem = "/proc/" + std::to_string(pid) + "/mem";
  const int fd = open(mem.c_str(), O_RDONLY);
  allowed += report("open /proc/PID/mem", fd);
  if (fd >= 0) close(fd);
  const std::string environ_path = "/proc/" + std::to_string(pid) + "/environ";
  const int efd = open(environ_path.c_str(), O_RDONLY);
  allowed += report("open /proc/PID/environ", efd);
  if (efd >= 0) close(efd);
  char buf[8];
  iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(0x10000), sizeof buf};
  const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  // EFAULT would mean the access check passed and only the address was bad.
  allowed += report("process_vm_readv", n < 0 && errno != EFAULT ? -1 : 0);
  const long pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    allowed += report("pidfd_getfd(fd 3)", syscall(SYS_pidfd_getfd, pidfd, 3, 0));
    close(static_cast<int>(pidfd));
  }
  // A forged exception (the break 5) needs a signal to a host thread.
  allowed += report("tgkill(SIGSEGV)", syscall(SYS_tgkill, pid, pid, SIGSEGV));
  allowed += report("kill(SIGSTOP)", kill(pid, SIGSTOP));
  return allowed == 0 ? 0 : 1;
}

int listen_fake(const char* path, int secs) {
  const int lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  unlink(path);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || chmod(path, 0777) != 0 ||
      listen(lfd, 8) != 0) {
    std::perror(path);
    return 2;
  }
  std::printf("listening\n");
  std::fflush(stdout);
  int clients = 0;
  long bytes = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(secs);
  std::vector<int> fds;
  while (std::chrono::steady_clock::now() < end) {
    std::vector<pollfd> p{{lfd, POLLIN, 0}};
    for (int f : fds) p.push_back({f, POLLIN, 0});
    if (poll(p.data(), p.size(), 100) <= 0) continue;
    if (p[0].revents & POLLIN) {
      const int c = accept(lfd, nullptr, nullptr);
      if (c >= 0) {
        ++clients;
        fds.push_back(c);
      }
    }
    for (std::size_t i = 1; i < p.size(); ++i)
      if (p[i].revents & POLLIN) {
        char b[65536];
        const ssize_t r = recv(p[i].fd, b, sizeof b, MSG_DONTWAIT);
        if (r > 0) bytes += r;
      }
  }
  std::printf("clients %d bytes %ld\n", clients, bytes);
  unlink(path);
  return 0;
}

struct Proc {
  pid_t ppid;
  uid_t uid;
  std::string comm;
};

std::map<pid_t, Proc> processes() {
  std::map<pid_t, Proc> out;
  DIR* d = opendir("/proc");
  while (dirent* e = d ? readdir(d) : nullptr) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream st("/proc/" + std::to_string(pid) + "/status");
    Proc p{0, static_cast<uid_t>(-1), {}};
    for (std::string line; std::getline(st, line);) {
      std::istringstream is(line.substr(line.find(':') + 1));
      if (line.rfind("Name:", 0) == 0) is >> p.comm;
      if (line.rfind("PPid:", 0) == 0) is >> p.ppid;
      if (line.rfind("Uid:", 0) == 0) is >> p.uid;
    }
    if (!p.comm.empty()) out[pid] = p;
  }
  if (d) closedir(d);
  return out;
}

bool below(const std::map<pid_t, Proc>& all, pid_t pid, pid_t root) {
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    if (pid == root) return true;
    auto it = all.find(pid);
    if (it == all.end()) return false;
    pid = it->second.ppid;
  }
  return pid == root;
}

int hold(const char* root_arg, char** cmd) {
  int p[2];
  if (pipe(p) != 0) return 2;
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  static char junk[4096];
  std::memset(junk, 'x', sizeof junk);
  for (;;) {
    const ssize_t w = write(p[1], junk, sizeof junk);
    if (w <= 0) break;
  }
  for (;;) {  // the last bytes, one at a time: not even a short line may fit
    const ssize_t w = write(p[1], junk, 1);
    if (w <= 0) break;
  }
  fcntl(p[1], F_SETFL, 0);
  const pid_t child = fork();
  if (child == 0) {
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  close(p[1]);
  const pid_t root = std::strcmp(root_arg, "child") == 0 ? child : static_cast<pid_t>(std::atoi(root_arg));
  // Wait until an enclave host exists below `root`: the application is
  // then blocked in its OCALL's write, inside an ECALL.
  bool found = false;
  for (int i = 0; i < 300 && !found; ++i) {
    const auto all = processes();
    for (const auto& [pid, proc] : all)
      if (proc.comm == "nsgx-enclave-ho" && below(all, pid, root)) found = true;
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int st;
    if (!found && waitpid(child, &st, WNOHANG) == child) {
      std::printf("exited early %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
      return 1;
    }
  }
  const auto all = processes();
  for (const auto& [pid, proc] : all)
    if ((proc.comm == "nsgx-enclave-ho" || proc.comm == "nsgx-monitor") && below(all, pid, root))
      std::printf("%s %d %u\n", proc.comm == "nsgx-monitor" ? "monitor" : "host", pid, proc.uid);
  std::printf("held\n");
  std::fflush(stdout);
  char line[64];
  if (std::fgets(line, sizeof line, stdin) == nullptr) {}
  // Drain: the application writes its lines and finishes.
  std::thread drain([fd = p[0]] {
    char b[4096];
    while (read(fd, b, sizeof b) > 0) {
    }
  });
  int st = 0;
  waitpid(child, &st, 0);
  drain.detach();
  const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  std::printf("exit %d\n", code);
  return code;
}

// ---- quota: the per-user EPC and enclave quotas, attacked over several
// connections of one user.

namespace iso = nsgx::isolated;

// A connection after its Hello (a 1 MiB sealed window); -1 on failure.
// `epc_pages` gets the monitor's EPC size (the Hello reply).
int quota_connect(const char* path, std::uint64_t& epc_pages) {
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror(path);
    close(fd);
    return -1;
  }
  constexpr std::uint64_t kWindow = 1 << 20;
  const int wfd = memfd_create("probe-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (wfd < 0 || ftruncate(wfd, kWindow) != 0 || fcntl(wfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
    close(fd);
    return -1;
  }
  const iso::Hello hello{iso::kProtocolVersion, 0, 0x100000000000ull, kWindow};
  iso::Message m;
  const int sent = iso::send_message(fd, iso::Header{iso::Op::kHello, 1, 0}, iso::bytes_of(hello), {&wfd, 1});
  close(wfd);
  if (sent != 0 || iso::recv_message(fd, m) != 1) {
    std::fprintf(stderr, "hello: no answer (refused by the monitor?)\n");
    close(fd);
    return -1;
  }
  const auto r = iso::parse<iso::Reply>(m.body);
  if (!r || r->err != 0) {
    std::fprintf(stderr, "hello: %d\n", r ? r->err : 0);
    close(fd);
    return -1;
  }
  epc_pages = r->value;
  return fd;
}

// One request; its Reply (err -EPROTO if the answer is unreadable).
iso::Reply quota_request(int fd, iso::Op op, std::uint64_t handle, std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b = {}) {
  iso::Message m;
  if (iso::send_message2(fd, iso::Header{op, 1, handle}, a, b) != 0 || iso::recv_message(fd, m) != 1)
    return iso::Reply{-EPROTO, 0, 0};
  return iso::parse<iso::Reply>(m.body).value_or(iso::Reply{-EPROTO, 0, 0});
}

// ECREATE of an enclave of `size` bytes at `base`: its handle, or -errno.
std::int64_t quota_create(int fd, std::uint64_t base, std::uint64_t size) {
  nsgx::sgx::Secs secs{};
  secs.size = size;
  secs.base_addr = base;
  secs.ssa_frame_size = 1;
  secs.attributes = {nsgx::sgx::attr::kMode64Bit | nsgx::sgx::attr::kDebug, 3};
  iso::Create c{};
  std::memcpy(c.secs, &secs, sizeof secs);
  const iso::Reply r = quota_request(fd, iso::Op::kCreate, 0, iso::bytes_of(c));
  return r.err != 0 ? r.err : static_cast<std::int64_t>(r.value);
}

// EADDs pages to `handle` from `offset` on until the monitor refuses one:
// the pages added; `err` the refusal.
std::uint64_t quota_fill(int fd, std::uint64_t handle, std::uint64_t limit, int& err) {
  static const std::vector<std::uint8_t> data(std::size_t{iso::kPagesPerAdd} * 4096, 0x5a);
  std::uint64_t added = 0;
  err = 0;
  std::uint32_t batch = iso::kPagesPerAdd;
  while (added < limit) {
    batch = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch, limit - added));
    const iso::AddPages a{added * 4096, 0x207, 0, batch};  // PT_REG, RWX, unmeasured
    const iso::Reply r =
        quota_request(fd, iso::Op::kAddPages, handle, iso::bytes_of(a), {data.data(), std::size_t{batch} * 4096});
    added += r.value / 4096;  // the driver reports what it added before a failure
    if (r.err != 0) {
      err = r.err;
      if (batch == 1) return added;
      batch = 1;  // find the exact limit a page at a time
    }
  }
  return added;
}

int quota(const char* path) {
  std::uint64_t epc = 0;
  int conns[3];
  for (int& c : conns)
    if ((c = quota_connect(path, epc)) < 0) return 2;
  std::printf("epc %llu\n", static_cast<unsigned long long>(epc));
  // Enclaves: created alternately on two connections until refused.
  std::vector<std::pair<int, std::int64_t>> made;
  std::int64_t refused = 0;
  for (std::uint64_t i = 0; i < 100000 && refused == 0; ++i) {
    const int c = conns[i % 2];
    const std::int64_t h = quota_create(c, 0x200000000000ull + i * 0x2000, 0x2000);
    if (h < 0)
      refused = h;
    else
      made.emplace_back(c, h);
  }
  std::printf("enclaves %zu %lld\n", made.size(), static_cast<long long>(-refused));
  for (const auto& [c, h] : made)
    if (quota_request(c, iso::Op::kDestroy, static_cast<std::uint64_t>(h), {}).err != 0) return 2;
  // EPC: each connection fills an enclave as large as the EPC until refused.
  std::uint64_t size = std::uint64_t{2} * 4096;
  while (size < epc * 4096) size *= 2;
  std::uint64_t held = 0;
  int err = 0;
  for (int i = 0; i < 3; ++i) {
    const std::int64_t h = quota_create(conns[i], 0x400000000000ull + static_cast<std::uint64_t>(i) * size, size);
    if (h < 0) {
      err = static_cast<int>(h);
      continue;
    }
    held += 1 + quota_fill(conns[i], static_cast<std::uint64_t>(h), epc, err);  // its SECS and its pages
  }
  std::printf("pages %llu %d\nholding\n", static_cast<unsigned long long>(held), -err);
  std::fflush(stdout);
  char line[64];
  if (std::fgets(line, sizeof line, stdin) == nullptr) {
  }
  for (int c : conns) close(c);
  return 0;
}

}  // namespace

// ---- scan: is a secret anywhere in these processes' memory?

int scan_one(pid_t pid, const std::string& needle) {
  const nsgx::probe::MemoryScan s = nsgx::probe::scan_memory(pid, needle);
  if (!s.readable) {
    std::printf("%d: cannot read (%s)\n", pid, std::strerror(s.error));
    return 3;
  }
  std::printf("%d: %llu bytes in %llu regions, %s\n", pid, static_cast<unsigned long long>(s.bytes),
              static_cast<unsigned long long>(s.regions), s.found ? "found" : "clean");
  return s.found ? 1 : 0;
}

int scan(char** pids) {
  std::string needle((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!needle.empty() && needle.back() == '\n') needle.pop_back();
  if (needle.size() < 8) return 2;
  int worst = 0;
  for (; *pids != nullptr; ++pids) {
    const pid_t pid = static_cast<pid_t>(std::atoi(*pids));
    if (pid == getpid()) continue;  // the one process that holds it on purpose
    worst = std::max(worst, scan_one(pid, needle));
  }
  return worst;
}

int connect_only(const char* path) {
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  const int allowed = report("connect", rc);
  close(fd);
  return allowed;
}

int foreign(const char* path) {
  std::uint64_t epc = 0;
  const int fd = quota_connect(path, epc);
  if (fd < 0) return 2;
  const std::int64_t own = quota_create(fd, 0x200000000000ull, 0x2000);
  const iso::Reply mine = quota_request(fd, iso::Op::kDestroy, static_cast<std::uint64_t>(own), {});
  std::printf("  own enclave: handle %lld, destroyed: %d\n", static_cast<long long>(own), mine.err);
  // kDestroy parses no body: a refusal can only be the handle's.
  int refused = 0, allowed = 0;
  for (std::uint64_t h = 0; h < 256; ++h) {
    const iso::Reply r = quota_request(fd, iso::Op::kDestroy, h, {});
    if (r.err == -EINVAL)
      ++refused;
    else
      ++allowed;
  }
  std::printf("  destroy handles 0-255: %d refused (EINVAL), %d not\n", refused, allowed);
  close(fd);
  return own >= 0 && mine.err == 0 && allowed == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "attack") == 0) return attack(static_cast<pid_t>(std::atoi(argv[2])));
  if (argc == 4 && std::strcmp(argv[1], "listen") == 0) return listen_fake(argv[2], std::atoi(argv[3]));
  if (argc >= 5 && std::strcmp(argv[1], "hold") == 0 && std::strcmp(argv[3], "--") == 0) return hold(argv[2], argv + 4);
  if (argc == 3 && std::strcmp(argv[1], "quota") == 0) return quota(argv[2]);
  if (argc >= 3 && std::strcmp(argv[1], "scan") == 0) return scan(argv + 2);
  if (argc == 3 && std::strcmp(argv[1], "connect") == 0) return connect_only(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "foreign") == 0) return foreign(argv[2]);
  if (argc >= 2 && std::strcmp(argv[1], "watch") == 0) return nsgx::probe::watch(argc, argv);
  std::fprintf(stderr,
               "usage: trust_probe attack PID | listen PATH SECS | hold ROOT -- CMD... | quota SOCKET | scan PID... | "
               "connect SOCKET | foreign SOCKET | watch UID STOP FLIP WHAT\n");
  return 2;
}
