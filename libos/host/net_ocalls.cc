// The untrusted side of libos_net.edl (docs/libos.md, "Descriptors, pipes,
// sockets and readiness"): each OCALL is the Linux system call of the same
// name on the host's descriptors, answering its result or -errno. Nothing
// here is trusted: the enclave checks every answer (libos/enclave/host_io.cc).
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "libos_u.h"

namespace {

int64_t answer(long r) { return r < 0 ? -static_cast<int64_t>(errno) : static_cast<int64_t>(r); }

}  // namespace

extern "C" {

int64_t libos_pipe2_ocall(int32_t* rfd, int32_t* wfd, int32_t flags) {
  int fds[2];
  if (::pipe2(fds, flags) != 0) return -errno;
  *rfd = fds[0];
  *wfd = fds[1];
  return 0;
}

int64_t libos_eventfd_ocall(uint32_t initval, int32_t flags) { return answer(::eventfd(initval, flags)); }

int64_t libos_timerfd_create_ocall(int32_t clockid, int32_t flags) { return answer(::timerfd_create(clockid, flags)); }

int64_t libos_timerfd_settime_ocall(int32_t fd, int32_t flags, const void* value, void* old) {
  struct itimerspec v, o;
  memcpy(&v, value, sizeof v);
  memset(&o, 0, sizeof o);
  const int r = ::timerfd_settime(fd, flags, &v, &o);
  memcpy(old, &o, sizeof o);
  return answer(r);
}

int64_t libos_dup_ocall(int32_t fd) { return answer(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); }

int64_t libos_ioctl_int_ocall(int32_t fd, uint64_t request, int32_t* value) {
  int v = *value;
  const int r = ::ioctl(fd, request, &v);
  if (r < 0) return -errno;
  *value = v;
  return r;
}

int64_t libos_socket_ocall(int32_t domain, int32_t type, int32_t protocol) {
  return answer(::socket(domain, type, protocol));
}

int64_t libos_socketpair_ocall(int32_t domain, int32_t type, int32_t protocol, int32_t* fd0, int32_t* fd1) {
  int fds[2];
  if (::socketpair(domain, type, protocol, fds) != 0) return -errno;
  *fd0 = fds[0];
  *fd1 = fds[1];
  return 0;
}

int64_t libos_bind_ocall(int32_t fd, const void* addr, uint32_t len) {
  return answer(::bind(fd, static_cast<const sockaddr*>(addr), len));
}

int64_t libos_connect_ocall(int32_t fd, const void* addr, uint32_t len) {
  return answer(::connect(fd, static_cast<const sockaddr*>(addr), len));
}

int64_t libos_listen_ocall(int32_t fd, int32_t backlog) { return answer(::listen(fd, backlog)); }

int64_t libos_accept4_ocall(int32_t fd, void* addr, uint32_t cap, uint32_t* len, int32_t flags) {
  socklen_t l = cap;
  const int r = ::accept4(fd, cap != 0 ? static_cast<sockaddr*>(addr) : nullptr, cap != 0 ? &l : nullptr, flags);
  *len = cap != 0 ? l : 0;
  return answer(r);
}

int64_t libos_sockname_ocall(int32_t fd, int32_t peer, void* addr, uint32_t cap, uint32_t* len) {
  socklen_t l = cap;
  const int r = peer != 0 ? ::getpeername(fd, static_cast<sockaddr*>(addr), &l)
                          : ::getsockname(fd, static_cast<sockaddr*>(addr), &l);
  *len = l;
  return answer(r);
}

int64_t libos_setsockopt_ocall(int32_t fd, int32_t level, int32_t name, const void* value, uint32_t len) {
  return answer(::setsockopt(fd, level, name, value, len));
}

int64_t libos_getsockopt_ocall(int32_t fd, int32_t level, int32_t name, void* value, uint32_t cap, uint32_t* len) {
  socklen_t l = cap;
  const int r = ::getsockopt(fd, level, name, value, &l);
  *len = l;
  return answer(r);
}

int64_t libos_shutdown_ocall(int32_t fd, int32_t how) { return answer(::shutdown(fd, how)); }

int64_t libos_sendto_ocall(int32_t fd, const void* buf, uint64_t n, int32_t flags, const void* addr, uint32_t alen) {
  return answer(::sendto(fd, buf, n, flags, alen != 0 ? static_cast<const sockaddr*>(addr) : nullptr, alen));
}

int64_t libos_recvfrom_ocall(int32_t fd, void* buf, uint64_t n, int32_t flags, void* addr, uint32_t cap,
                             uint32_t* alen) {
  socklen_t l = cap;
  const ssize_t r =
      ::recvfrom(fd, buf, n, flags, cap != 0 ? static_cast<sockaddr*>(addr) : nullptr, cap != 0 ? &l : nullptr);
  *alen = cap != 0 ? l : 0;
  return answer(r);
}

int64_t libos_poll_ocall(libos_pollfd* fds, size_t n, int32_t timeout_ms) {
  std::vector<pollfd> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = pollfd{fds[i].fd, fds[i].events, 0};
  const int r = ::poll(p.data(), n, timeout_ms);
  if (r < 0) return -errno;
  for (size_t i = 0; i < n; ++i) fds[i].revents = p[i].revents;
  return r;
}

int64_t libos_epoll_create_ocall(int32_t flags) { return answer(::epoll_create1(flags)); }

int64_t libos_epoll_ctl_ocall(int32_t epfd, int32_t op, int32_t fd, uint32_t events, uint64_t key) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = key;
  return answer(::epoll_ctl(epfd, op, fd, &e));
}

int64_t libos_epoll_wait_ocall(int32_t epfd, libos_epoll_event* events, size_t max, int32_t timeout_ms) {
  std::vector<epoll_event> e(max == 0 ? 1 : max);
  const int r = ::epoll_wait(epfd, e.data(), static_cast<int>(max), timeout_ms);
  if (r < 0) return -errno;
  for (int i = 0; i < r; ++i)
    events[i] = libos_epoll_event{e[static_cast<size_t>(i)].events, 0, e[static_cast<size_t>(i)].data.u64};
  return r;
}

}  // extern "C"
