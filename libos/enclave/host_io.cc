// The checked OCALLs of host_io.h.
#include "libos/enclave/host_io.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <string>

#include "libos/enclave/file_table.h"
#include "libos/enclave/program_state.h"

namespace nsgx::libos {
namespace {

constexpr int64_t kMaxErrno = 4095;

// st: the OCALL's status; r: the host's answer; max: the largest result it
// may truthfully give.
long checked(const char* what, sgx_status_t st, int64_t r, int64_t max) {
  if (st != SGX_SUCCESS) return st == SGX_ERROR_OUT_OF_MEMORY ? -ENOMEM : -EIO;
  if (r >= 0 && r <= max) return static_cast<long>(r);
  if (r < 0 && r >= -kMaxErrno) return static_cast<long>(r);
  return refuse(what);
}

// A descriptor the host just created for us: in range and not one the
// table already holds. A refused one is not closed if it is in use (it is
// someone else's); one out of range cannot be.
long new_host_fd(const char* what, sgx_status_t st, int64_t r) {
  const long fd = checked(what, st, r, INT_MAX);
  if (fd < 0) return fd;
  if (host_fd_in_use(static_cast<int>(fd))) return refuse(what);
  return fd;
}

// Two new descriptors, distinct.
long new_host_pair(const char* what, sgx_status_t st, int64_t r, int32_t a, int32_t b, int fds[2]) {
  const long c = checked(what, st, r, 0);
  if (c < 0) return c;
  const bool a_ok = a >= 0 && !host_fd_in_use(a), b_ok = b >= 0 && !host_fd_in_use(b);
  if (!a_ok || !b_ok || a == b) {
    if (a_ok) (void)::close(a);
    if (b_ok && b != a) (void)::close(b);
    return refuse(what);
  }
  fds[0] = a;
  fds[1] = b;
  return 0;
}

uint64_t g_refused = 0;

}  // namespace

long refuse(const char* what) {
  ++g_refused;
  if (g_program.trace) say(std::string("nsgx libos: the host's answer to ") + what + " is impossible: EIO\n");
  return -EIO;
}

long host_pipe2(int flags, int fds[2]) {
  int64_t r = -1;
  int32_t a = -1, b = -1;
  const sgx_status_t st = libos_pipe2_ocall(&r, &a, &b, flags);
  return new_host_pair("pipe2", st, r, a, b, fds);
}

long host_eventfd(uint32_t initval, int flags) {
  int64_t r = -1;
  const sgx_status_t st = libos_eventfd_ocall(&r, initval, flags);
  return new_host_fd("eventfd2", st, r);
}

long host_timerfd_create(int clockid, int flags) {
  int64_t r = -1;
  const sgx_status_t st = libos_timerfd_create_ocall(&r, clockid, flags);
  return new_host_fd("timerfd_create", st, r);
}

long host_timerfd_settime(int host, int flags, const int64_t value[4], int64_t old[4]) {
  int64_t r = -1;
  const sgx_status_t st = libos_timerfd_settime_ocall(&r, host, flags, value, old);
  return checked("timerfd_settime", st, r, 0);
}

long host_dup(int host) {
  int64_t r = -1;
  const sgx_status_t st = libos_dup_ocall(&r, host);
  return new_host_fd("dup", st, r);
}

long host_ioctl_int(int host, uint64_t request, int32_t* value) {
  int64_t r = -1;
  int32_t v = *value;
  const sgx_status_t st = libos_ioctl_int_ocall(&r, host, request, &v);
  const long c = checked("ioctl", st, r, 0);
  if (c < 0) return c;
  if (v < 0) return refuse("ioctl");  // FIONREAD's count, FIONBIO's flag: never negative
  *value = v;
  return 0;
}

long host_socket(int domain, int type, int protocol) {
  int64_t r = -1;
  const sgx_status_t st = libos_socket_ocall(&r, domain, type, protocol);
  return new_host_fd("socket", st, r);
}

long host_socketpair(int domain, int type, int protocol, int fds[2]) {
  int64_t r = -1;
  int32_t a = -1, b = -1;
  const sgx_status_t st = libos_socketpair_ocall(&r, domain, type, protocol, &a, &b);
  return new_host_pair("socketpair", st, r, a, b, fds);
}

long host_bind_connect(bool connect, int host, const void* addr, uint32_t len) {
  int64_t r = -1;
  const sgx_status_t st = connect ? libos_connect_ocall(&r, host, addr, len) : libos_bind_ocall(&r, host, addr, len);
  return checked(connect ? "connect" : "bind", st, r, 0);
}

long host_listen(int host, int backlog) {
  int64_t r = -1;
  const sgx_status_t st = libos_listen_ocall(&r, host, backlog);
  return checked("listen", st, r, 0);
}

long host_accept4(int host, void* addr, uint32_t* len, int flags) {
  int64_t r = -1;
  uint32_t l = 0;
  const sgx_status_t st = libos_accept4_ocall(&r, host, addr, kMaxSockaddr, &l, flags);
  const long fd = new_host_fd("accept4", st, r);
  if (fd < 0) return fd;
  if (l > kMaxSockaddr) {  // no address is longer: the host lies, and what it gave is dropped
    (void)::close(static_cast<int>(fd));
    return refuse("accept4");
  }
  *len = l;
  return fd;
}

long host_sockname(int host, bool peer, void* addr, uint32_t* len) {
  int64_t r = -1;
  uint32_t l = 0;
  const sgx_status_t st = libos_sockname_ocall(&r, host, peer ? 1 : 0, addr, kMaxSockaddr, &l);
  const long c = checked(peer ? "getpeername" : "getsockname", st, r, 0);
  if (c < 0) return c;
  if (l > kMaxSockaddr) return refuse(peer ? "getpeername" : "getsockname");
  *len = l;
  return 0;
}

long host_setsockopt(int host, int level, int name, const void* value, uint32_t len) {
  int64_t r = -1;
  const sgx_status_t st = libos_setsockopt_ocall(&r, host, level, name, value, len);
  return checked("setsockopt", st, r, 0);
}

long host_getsockopt(int host, int level, int name, void* value, uint32_t cap, uint32_t* len) {
  int64_t r = -1;
  uint32_t l = 0;
  const sgx_status_t st = libos_getsockopt_ocall(&r, host, level, name, value, cap, &l);
  const long c = checked("getsockopt", st, r, 0);
  if (c < 0) return c;
  if (l > cap) return refuse("getsockopt");
  *len = l;
  return 0;
}

long host_shutdown(int host, int how) {
  int64_t r = -1;
  const sgx_status_t st = libos_shutdown_ocall(&r, host, how);
  return checked("shutdown", st, r, 0);
}

long host_sendto(int host, const void* buf, uint64_t n, int flags, const void* addr, uint32_t alen) {
  int64_t r = -1;
  const sgx_status_t st = libos_sendto_ocall(&r, host, buf, n, flags, addr, alen);
  return checked("sendto", st, r, static_cast<int64_t>(n));
}

long host_recvfrom(int host, void* buf, uint64_t n, int flags, void* addr, uint32_t cap, uint32_t* alen) {
  int64_t r = -1;
  uint32_t l = 0;
  const sgx_status_t st = libos_recvfrom_ocall(&r, host, buf, n, flags, addr, cap, &l);
  const long c = checked("recvfrom", st, r, static_cast<int64_t>(n));
  if (c < 0) return c;
  if (l > cap) return refuse("recvfrom");
  *alen = l;
  return c;
}

long host_poll(libos_pollfd* fds, uint32_t n, int timeout_ms) {
  int64_t r = -1;
  const sgx_status_t st = libos_poll_ocall(&r, fds, n, timeout_ms);
  return checked("poll", st, r, n);
}

long host_epoll_create(int flags) {
  int64_t r = -1;
  const sgx_status_t st = libos_epoll_create_ocall(&r, flags);
  return new_host_fd("epoll_create1", st, r);
}

long host_epoll_ctl(int epfd, int op, int host, uint32_t events, uint64_t key) {
  int64_t r = -1;
  const sgx_status_t st = libos_epoll_ctl_ocall(&r, epfd, op, host, events, key);
  return checked("epoll_ctl", st, r, 0);
}

long host_epoll_wait(int epfd, libos_epoll_event* events, uint32_t max, int timeout_ms) {
  int64_t r = -1;
  const sgx_status_t st = libos_epoll_wait_ocall(&r, epfd, events, max, timeout_ms);
  return checked("epoll_wait", st, r, max);
}

}  // namespace nsgx::libos
