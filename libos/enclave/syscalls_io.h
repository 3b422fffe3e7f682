// The program's descriptor operations beyond files (docs/libos.md,
// "Descriptors, pipes, sockets and readiness"): dup/dup2/dup3, fcntl,
// ioctl, pipes, eventfds and sockets. syscalls.cc dispatches to these with
// the system call's raw arguments; syscalls_poll.cc has poll, select and
// epoll. Every host answer goes through host_io.h's checks.
#pragma once

#include <errno.h>
#include <stdint.h>

#include "libos/enclave/file_table.h"
#include "nsgx_tswitchless.h"

namespace nsgx::libos {

// Runs `call` — a host read or write that may block for as long as the
// other end likes (a terminal, a pipe, a socket: the host's stdio and the
// streams) — with this thread's switchless OCALLs off: a switchless call
// would hold an untrusted worker and keep its caller spinning inside
// meanwhile (nsgx_tswitchless.h). Returns what `call` returned, errno as
// it left it.
template <typename Call>
auto blocking_host_call(Call call) {
  const int was = nsgx_switchless_ocalls(0);
  const auto r = call();
  const int saved_errno = errno;
  nsgx_switchless_ocalls(was);
  errno = saved_errno;
  return r;
}

// Whether [addr, addr + len) is the program's (enclave) memory.
bool program_range(uint64_t addr, uint64_t len);

// read/write on a kStream descriptor (the program's buffer, checked).
long stream_read(const Fd& f, void* buf, uint64_t n);
long stream_write(const Fd& f, const void* buf, uint64_t n);
// Everything closing descriptor `fd` (any kind) must do besides freeing
// its entry: forget its epoll registrations, close its host descriptor,
// drop its reference to a protected file (its flush error ignored).
void release_fd(int fd, Fd& f);

long sys_dup(int64_t fd);
long sys_dup3(int64_t oldfd, int64_t newfd, uint64_t flags, bool dup2);
long sys_fcntl(int64_t fd, uint64_t cmd, uint64_t arg);
long sys_ioctl(int64_t fd, uint64_t request, uint64_t arg);
long sys_pipe2(uint64_t fds, uint64_t flags);
long sys_eventfd2(uint64_t initval, uint64_t flags);
// Records host descriptor `host` as the program's lowest free descriptor of
// kind `k` (closed if the table is full).
long install_stream(int host, StreamKind k, bool cloexec);
long sys_socket(uint64_t domain, uint64_t type, uint64_t protocol);
long sys_socketpair(uint64_t domain, uint64_t type, uint64_t protocol, uint64_t sv);
long sys_bind_connect(bool connect, int64_t fd, uint64_t addr, uint64_t len);
long sys_listen(int64_t fd, uint64_t backlog);
long sys_accept4(int64_t fd, uint64_t addr, uint64_t lenp, uint64_t flags);
long sys_sockname(bool peer, int64_t fd, uint64_t addr, uint64_t lenp);
long sys_setsockopt(int64_t fd, uint64_t level, uint64_t name, uint64_t value, uint64_t len);
long sys_getsockopt(int64_t fd, uint64_t level, uint64_t name, uint64_t value, uint64_t lenp);
long sys_shutdown(int64_t fd, uint64_t how);
long sys_sendto(int64_t fd, uint64_t buf, uint64_t n, uint64_t flags, uint64_t addr, uint64_t alen);
long sys_recvfrom(int64_t fd, uint64_t buf, uint64_t n, uint64_t flags, uint64_t addr, uint64_t alenp);
long sys_sendmsg(int64_t fd, uint64_t msg, uint64_t flags);
long sys_recvmsg(int64_t fd, uint64_t msg, uint64_t flags);

}  // namespace nsgx::libos
