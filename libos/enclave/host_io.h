// The library OS's OCALLs for pipes, eventfds, sockets, poll and epoll
// (libos_net.edl), each with its answer checked before any of it is used
// (Iago; docs/libos.md "Descriptors, pipes, sockets and readiness"). Every
// function returns a result >= 0 or -errno; an answer the host could not
// truthfully give is -EIO (logged with `--trace`), and whatever of it was
// copied into the caller's buffers must then be ignored.
//
// What is checked: an errno in -4095..-1 or a result in range (a count no
// larger than asked, a length no larger than the buffer given); a
// descriptor 0..INT_MAX that no descriptor of the table already holds
// (host_fd_in_use: the host cannot make two of the program's descriptors
// one); poll and epoll answers are checked by their callers
// (syscalls_poll.cc), who know what was asked.
//
// No lock is held across any of these OCALLs: blocking ones (accept, recv,
// poll, epoll_wait) may wait on the host as long as they need.
#pragma once

#include <stdint.h>

#include "libos_t.h"

namespace nsgx::libos {

// The most bytes one transfer OCALL carries (as nsgx_tposix's transfers):
// the bridge copies it through untrusted memory.
constexpr uint64_t kMaxTransfer = 64 * 1024;
// sizeof(struct sockaddr_storage): no socket address is longer.
constexpr uint32_t kMaxSockaddr = 128;

long host_pipe2(int flags, int fds[2]);
long host_eventfd(uint32_t initval, int flags);
// The old setting's four words are the host's, not yet checked.
long host_timerfd_create(int clockid, int flags);
long host_timerfd_settime(int host, int flags, const int64_t value[4], int64_t old[4]);
long host_dup(int host);
long host_ioctl_int(int host, uint64_t request, int32_t* value);
long host_socket(int domain, int type, int protocol);
long host_socketpair(int domain, int type, int protocol, int fds[2]);
long host_bind_connect(bool connect, int host, const void* addr, uint32_t len);
long host_listen(int host, int backlog);
// addr: kMaxSockaddr bytes; *len the peer's address length (<= kMaxSockaddr).
long host_accept4(int host, void* addr, uint32_t* len, int flags);
long host_sockname(int host, bool peer, void* addr, uint32_t* len);
long host_setsockopt(int host, int level, int name, const void* value, uint32_t len);
// *len: the option's length, <= cap.
long host_getsockopt(int host, int level, int name, void* value, uint32_t cap, uint32_t* len);
long host_shutdown(int host, int how);
long host_sendto(int host, const void* buf, uint64_t n, int flags, const void* addr, uint32_t alen);
// addr: cap bytes (0: not wanted; else kMaxSockaddr), *alen <= cap.
long host_recvfrom(int host, void* buf, uint64_t n, int flags, void* addr, uint32_t cap, uint32_t* alen);
// The count of entries with events (<= n); revents not yet checked.
long host_poll(libos_pollfd* fds, uint32_t n, int timeout_ms);
long host_epoll_create(int flags);
long host_epoll_ctl(int epfd, int op, int host, uint32_t events, uint64_t key);
// The count of events (<= max); keys and events not yet checked.
long host_epoll_wait(int epfd, libos_epoll_event* events, uint32_t max, int timeout_ms);

// Counts a refused answer, logs it with `--trace`; returns -EIO.
long refuse(const char* what);

}  // namespace nsgx::libos
