// The library OS host's process OCALLs (spawn_ocalls.h). The request is
// the enclave's and opaque here; the host's part is the descriptors: each
// inherited host descriptor is put at the library OS's number in the new
// process, every other one below kRequestFd is closed there (so a pipe's
// write end the child does not inherit cannot keep the pipe open), and the
// request is handed over on kRequestFd.
#include "libos/host/spawn_ocalls.h"

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "libos/host/signals.h"
#include "libos_u.h"

namespace nsgx::libos_host {
namespace {

std::string g_image;
int g_trace = 0;
bool g_exec_pending = false;
std::vector<uint8_t> g_exec_request;
std::vector<libos_inherited_fd> g_exec_fds;

int64_t neg_errno() { return -static_cast<int64_t>(errno); }

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The request in a memory file, at its start, on a descriptor above any
// the inherited ones are put at (so none overwrites it).
int request_file(const uint8_t* b, size_t n) {
  const int m = memfd_create("nsgx-libos-request", MFD_CLOEXEC);
  if (m < 0) return -1;
  const int fd = fcntl(m, F_DUPFD_CLOEXEC, kFirstSpareFd);
  close(m);
  if (fd < 0) return -1;
  for (size_t at = 0; at < n;) {
    const ssize_t w = write(fd, b + at, n - at);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    at += static_cast<size_t>(w);
  }
  if (lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::vector<std::string> host_argv() {
  std::vector<std::string> a = {self_exe()};
  if (g_trace != 0) a.emplace_back("--trace");
  a.insert(a.end(), {"--spawned", std::to_string(kRequestFd), g_image});
  return a;
}

// A fork child's host: the same image at the parent enclave's base.
std::vector<std::string> fork_argv(uint64_t base) {
  std::vector<std::string> a = {self_exe()};
  if (g_trace != 0) a.emplace_back("--trace");
  a.insert(a.end(), {"--forked", std::to_string(kRequestFd), std::to_string(base), g_image});
  return a;
}

// The checkpoint being written (libos_fork_put_ocall) and, per started
// fork child, the parent's end of its channel until the confirmation.
int g_fork_file = -1;
std::vector<std::pair<pid_t, int>> g_fork_channels;

bool write_all(int fd, const uint8_t* b, size_t n) {
  for (size_t at = 0; at < n;) {
    const ssize_t w = write(fd, b + at, n - at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    at += static_cast<size_t>(w);
  }
  return true;
}

// Up to `n` bytes, fewer only at the end of the file.
ssize_t read_all(int fd, uint8_t* b, size_t n) {
  size_t at = 0;
  while (at < n) {
    const ssize_t r = read(fd, b + at, n - at);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    at += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(at);
}

bool valid_fds(const libos_inherited_fd* fds, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (fds[i].fd < 0 || fds[i].fd >= kRequestFd || fds[i].host < 0) return false;
  return true;
}

// Copies of the inherited descriptors above anything the targets can be,
// so that putting one in place never overwrites another's source. Made
// here, so closed here afterwards: only for execve (exec_now), where the
// process itself must put them in place.
bool lift(const libos_inherited_fd* fds, size_t n, std::vector<int>& temps) {
  for (size_t i = 0; i < n; ++i) {
    const int t = fcntl(fds[i].host, F_DUPFD_CLOEXEC, kFirstSpareFd);
    if (t < 0) {
      for (int x : temps) close(x);
      return false;
    }
    temps.push_back(t);
  }
  return true;
}

// Numbers for the new process's own copies of the inherited descriptors:
// free here (so free in the new process when it starts, which inherits
// this table), from kFirstSpareFd up, none of `taken`. The copies are made
// in the new process (spawn_host's file actions), never here: closing a
// copy here would release every record lock this process holds on its
// file, as closing any descriptor of a file does.
bool spare_numbers(size_t n, const std::vector<int>& taken, std::vector<int>& spares) {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  const long limit = rl.rlim_cur > static_cast<rlim_t>(INT32_MAX) ? INT32_MAX : static_cast<long>(rl.rlim_cur);
  for (long fd = kFirstSpareFd; fd < limit && spares.size() < n; ++fd) {
    if (std::find(taken.begin(), taken.end(), fd) != taken.end()) continue;
    if (fcntl(static_cast<int>(fd), F_GETFD) < 0 && errno == EBADF) spares.push_back(static_cast<int>(fd));
  }
  if (spares.size() < n) {
    errno = EMFILE;
    return false;
  }
  return true;
}

// Whether kImageHoldFd is the run's hold (descriptors.h): `nsgx run`
// says so in the environment, and only then is it passed on (another
// descriptor may sit at that number).
bool holds_image() {
  const char* h = std::getenv("NSGX_LIBOS_IMAGE_HOLD");
  return h != nullptr && std::atoi(h) == kImageHoldFd && fcntl(kImageHoldFd, F_GETFD) == 0;
}

bool is_target(const libos_inherited_fd* fds, size_t n, int fd) {
  for (size_t i = 0; i < n; ++i)
    if (fds[i].fd == fd) return true;
  return false;
}

}  // namespace

void init_spawn(const char* image, int trace) {
  g_image = image;
  g_trace = trace;
}

bool read_request(std::vector<uint8_t>& out) {
  uint8_t buf[65536];
  for (;;) {
    const ssize_t r = read(kRequestFd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) break;
    out.insert(out.end(), buf, buf + r);
    if (out.size() > (size_t{1} << 21)) return false;
  }
  close(kRequestFd);
  return true;
}

namespace {

// `a` as execv's argv (pointers into `a`, which must outlive them).
std::vector<char*> c_argv(const std::vector<std::string>& a) {
  std::vector<char*> argv;
  argv.reserve(a.size() + 1);
  for (const auto& s : a) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// Starts the host of a new process with `a` (host_argv or fork_argv): the
// program's inherited descriptors at their numbers (lifted in the new
// process: spare_numbers); each of `extra` (descriptor, number) above them
// — the request, a fork child's channel; every other descriptor from 3
// up closed; in process group `pgroup` (-1: this one's, 0: its own) and,
// if `new_session`, a new session. posix_spawn's error, or 0 and *pid.
int spawn_host(const std::vector<std::string>& a, const libos_inherited_fd* fds, size_t nfds,
               std::initializer_list<std::pair<int, int>> extra, pid_t* pid, int32_t pgroup, bool new_session) {
  std::vector<int> taken, spares;
  for (const auto& [fd, at] : extra) taken.push_back(fd);
  if (!spare_numbers(nfds, taken, spares)) return errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // In the new process: each inherited descriptor first copied to a spare
  // number (free: no source is there), then from there to its number, so
  // that putting one in place never overwrites another's source.
  for (size_t i = 0; i < nfds; ++i) posix_spawn_file_actions_adddup2(&fa, fds[i].host, spares[i]);
  for (size_t i = 0; i < nfds; ++i) posix_spawn_file_actions_adddup2(&fa, spares[i], fds[i].fd);
  int highest = kRequestFd;
  for (const auto& [fd, at] : extra) {
    posix_spawn_file_actions_adddup2(&fa, fd, at);
    highest = std::max(highest, at);
  }
  for (int fd = 3; fd < kRequestFd; ++fd)
    if (!is_target(fds, nfds, fd)) posix_spawn_file_actions_addclose(&fa, fd);
  // The run's hold on its enclave directory (descriptors.h), kept at its
  // number: the new process needs the image for as long as it runs.
  if (holds_image()) highest = std::max(highest, kImageHoldFd);
  posix_spawn_file_actions_addclosefrom_np(&fa, highest + 1);
  // glibc applies POSIX_SPAWN_SETSID before POSIX_SPAWN_SETPGROUP, in the
  // child before its exec: the order a vfork child's own calls had.
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  short flags = 0;
  if (pgroup >= 0) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&at, pgroup);
  }
  if (new_session) flags |= POSIX_SPAWN_SETSID;
  // The new host starts with the signals it handles blocked, until its
  // handlers are in place (signals.h host_signals).
  sigset_t mask, mine = host_signals();
  (void)pthread_sigmask(SIG_SETMASK, nullptr, &mask);  // the synchronous ones are never in it (signals.cc)
  sigorset(&mask, &mask, &mine);
  flags |= POSIX_SPAWN_SETSIGMASK;
  posix_spawnattr_setsigmask(&at, &mask);
  posix_spawnattr_setflags(&at, flags);
  std::vector<char*> argv = c_argv(a);
  const int e = posix_spawn(pid, argv[0], &fa, &at, argv.data(), environ);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  return e;
}

}  // namespace

bool exec_pending() { return g_exec_pending; }

void exec_now() {
  const int req = request_file(g_exec_request.data(), g_exec_request.size());
  std::vector<int> temps;
  if (req < 0 || !lift(g_exec_fds.data(), g_exec_fds.size(), temps)) {
    std::fprintf(stderr, "nsgx run: execve: cannot pass the request or descriptors: %s\n", std::strerror(errno));
    return;
  }
  for (size_t i = 0; i < temps.size(); ++i) dup2(temps[i], g_exec_fds[i].fd);  // clears FD_CLOEXEC
  dup2(req, kRequestFd);
  for (int fd = 3; fd < kRequestFd; ++fd)
    if (!is_target(g_exec_fds.data(), g_exec_fds.size(), fd)) close(fd);
  const std::vector<std::string> a = host_argv();
  std::vector<char*> argv = c_argv(a);
  // Blocked across the exec until the new host's handlers are in place
  // (signals.h host_signals): they would act by their default meanwhile.
  const sigset_t mine = host_signals();
  sigset_t old;
  (void)pthread_sigmask(SIG_BLOCK, &mine, &old);
  execv(argv[0], argv.data());
  (void)pthread_sigmask(SIG_SETMASK, &old, nullptr);
  std::fprintf(stderr, "nsgx run: execve: cannot start %s: %s\n", argv[0], std::strerror(errno));
}

}  // namespace nsgx::libos_host

using nsgx::libos_host::kFirstSpareFd;
using nsgx::libos_host::kRequestFd;
using nsgx::libos_host::neg_errno;

extern "C" int64_t libos_spawn_ocall(const uint8_t* request, size_t len, const libos_inherited_fd* fds, size_t nfds,
                                     int32_t pgroup, int32_t new_session) {
  if (!nsgx::libos_host::valid_fds(fds, nfds)) return -EBADF;
  const int req = nsgx::libos_host::request_file(request, len);
  if (req < 0) return neg_errno();
  pid_t pid = -1;
  const int e = nsgx::libos_host::spawn_host(nsgx::libos_host::host_argv(), fds, nfds, {{req, kRequestFd}}, &pid,
                                             pgroup, new_session != 0);
  close(req);
  return e != 0 ? -static_cast<int64_t>(e) : static_cast<int64_t>(pid);
}

extern "C" int64_t libos_exec_ocall(const uint8_t* request, size_t len, const libos_inherited_fd* fds, size_t nfds) {
  if (!nsgx::libos_host::valid_fds(fds, nfds)) return -EBADF;
  nsgx::libos_host::g_exec_request.assign(request, request + len);
  nsgx::libos_host::g_exec_fds.assign(fds, fds + nfds);
  nsgx::libos_host::g_exec_pending = true;
  return 0;
}

// EINTR goes back to the enclave, which delivers the signal that
// interrupted the wait and restarts it as Linux would (SA_RESTART, or no
// handler ran: libos/enclave/signals.cc); retried here, a signal to a
// program waiting for a child waited for the child's end.
extern "C" int64_t libos_wait_ocall(int32_t pid, int32_t nohang, int32_t* wstatus) {
  int st = 0;
  const pid_t r = waitpid(pid, &st, nohang != 0 ? WNOHANG : 0);
  *wstatus = st;
  return r < 0 ? neg_errno() : r;
}

extern "C" int64_t libos_kill_ocall(int32_t pid, int32_t sig) { return kill(pid, sig) != 0 ? neg_errno() : 0; }

extern "C" int64_t libos_pgrp_ocall(int32_t op, int32_t pid, int32_t pgid) {
  pid_t r = -1;
  switch (op) {
    case 0:
      r = getpgid(pid);
      break;
    case 1:
      r = getsid(pid);
      break;
    case 2:
      r = setpgid(pid, pgid);
      break;
    case 3:
      r = setsid();
      break;
    case 4:
      r = getpid();
      break;
    default:
      return -EINVAL;
  }
  return r < 0 ? neg_errno() : r;
}

extern "C" int64_t libos_fork_put_ocall(int32_t first, const uint8_t* data, size_t len) {
  using nsgx::libos_host::g_fork_file;
  if (first != 0 && g_fork_file >= 0) {
    close(g_fork_file);
    g_fork_file = -1;
  }
  if (g_fork_file < 0) {
    const int m = memfd_create("nsgx-libos-fork", MFD_CLOEXEC);
    if (m < 0) return neg_errno();
    g_fork_file = fcntl(m, F_DUPFD_CLOEXEC, kFirstSpareFd);  // above any descriptor put in place
    close(m);
    if (g_fork_file < 0) return neg_errno();
  }
  return nsgx::libos_host::write_all(g_fork_file, data, len) ? 0 : -EIO;
}

extern "C" int64_t libos_fork_start_ocall(uint64_t base, const libos_inherited_fd* fds, size_t nfds, uint8_t* hello) {
  using nsgx::libos_host::g_fork_file;
  const int file = g_fork_file;
  g_fork_file = -1;  // one child per checkpoint
  if (file < 0) return -EINVAL;
  if (!nsgx::libos_host::valid_fds(fds, nfds)) {
    close(file);
    return -EBADF;
  }
  // The child's end above anything the inherited descriptors are put at
  // (as lift's copies), so that none of those overwrites it.
  int chan[2] = {-1, -1};
  if (lseek(file, 0, SEEK_SET) != 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) != 0) {
    const int64_t e = neg_errno();
    close(file);
    return e;
  }
  const int high = fcntl(chan[1], F_DUPFD_CLOEXEC, kFirstSpareFd);
  close(chan[1]);
  chan[1] = high;
  if (chan[1] < 0) {
    const int64_t e = neg_errno();
    close(file);
    close(chan[0]);
    if (chan[1] >= 0) close(chan[1]);
    return e;
  }
  pid_t pid = -1;
  const int e = nsgx::libos_host::spawn_host(nsgx::libos_host::fork_argv(base), fds, nfds,
                                             {{file, kRequestFd}, {chan[1], nsgx::libos_host::kForkChannelFd}}, &pid,
                                             -1, false);  // a fork child starts in its parent's group
  close(file);
  close(chan[1]);
  if (e != 0) {
    close(chan[0]);
    return -static_cast<int64_t>(e);
  }
  // The child enclave's hello once it has read the checkpoint; none (it
  // could not be placed at the base, or refused the checkpoint): EAGAIN,
  // and the child is reaped here (it never was the program's).
  if (nsgx::libos_host::read_all(chan[0], hello, 32) != 32) {
    close(chan[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return -EAGAIN;
  }
  nsgx::libos_host::g_fork_channels.emplace_back(pid, chan[0]);
  return pid;
}

extern "C" int64_t libos_fork_confirm_ocall(int32_t pid, const uint8_t* confirm) {
  auto& chans = nsgx::libos_host::g_fork_channels;
  for (auto it = chans.begin(); it != chans.end(); ++it) {
    if (it->first != pid) continue;
    const bool ok = nsgx::libos_host::write_all(it->second, confirm, 16);
    close(it->second);
    chans.erase(it);
    return ok ? 0 : -EPIPE;
  }
  return -ESRCH;
}

extern "C" int64_t libos_fork_get_ocall(uint8_t* data, size_t len) {
  const ssize_t r = nsgx::libos_host::read_all(kRequestFd, data, len);
  return r < 0 ? neg_errno() : r;
}

extern "C" int64_t libos_fork_hello_ocall(const uint8_t* hello, uint8_t* confirm) {
  const int fd = nsgx::libos_host::kForkChannelFd;
  const bool ok = nsgx::libos_host::write_all(fd, hello, 32) && nsgx::libos_host::read_all(fd, confirm, 16) == 16;
  close(fd);
  close(kRequestFd);
  return ok ? 0 : -EPIPE;
}
