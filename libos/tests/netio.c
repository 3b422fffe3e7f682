/* The library OS's descriptors beyond files (docs/libos.md, "Descriptors,
 * pipes, sockets and readiness"), built with -static-pie and run both
 * natively and inside the enclave (netio_test.sh); its output must be the
 * same both ways:
 *   netio all      pipes with poll and select, descriptor operations,
 *                  eventfd counting, a TCP echo server on 127.0.0.1 driven
 *                  by epoll with a non-blocking client in the same loop,
 *                  UDP, a Unix socketpair and an AF_UNIX listener
 *   netio serve    an echo server on 127.0.0.1 (epoll) for one client the
 *                  test script starts natively: the port goes to stderr,
 *                  what the server saw to stdout
 *   netio hostile  recv, accept and epoll_wait against a lying host, then
 *                  goes on (each prints its result or its errno)
 *   netio refused  what the library OS refuses and Linux does not (only
 *                  run inside: SCM_RIGHTS, an option off the allow-list) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s (errno %s)\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
    ++failures;
  }
}

static const char* err(long r) { return r < 0 ? (strerrorname_np(errno) ? strerrorname_np(errno) : "?") : "ok"; }

static void pipes(void) {
  int p[2];
  check(pipe2(p, O_CLOEXEC) == 0, "pipe2");
  struct pollfd pf = {p[0], POLLIN, 0};
  printf("pipe: poll before a write: %d\n", poll(&pf, 1, 0));
  const char msg[] = "hello through a pipe";
  check(write(p[1], msg, sizeof msg) == (ssize_t)sizeof msg, "write to the pipe");
  int r = poll(&pf, 1, 1000);
  printf("pipe: poll after a write: %d, revents %#x\n", r, (unsigned)pf.revents);
  int avail = -1;
  check(ioctl(p[0], FIONREAD, &avail) == 0, "FIONREAD");
  printf("pipe: FIONREAD %d\n", avail);
  char buf[64];
  ssize_t n = read(p[0], buf, sizeof buf);
  printf("pipe: read %zd: %s\n", n, n > 0 ? buf : "");
  printf("pipe: FD_CLOEXEC %d, O_NONBLOCK %d\n", fcntl(p[0], F_GETFD) & FD_CLOEXEC,
         (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
  check(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "F_SETFL O_NONBLOCK");
  n = read(p[0], buf, sizeof buf);
  printf("pipe: empty non-blocking read: %zd %s\n", n, err(n));
  int one = 0;
  check(ioctl(p[0], FIONBIO, &one) == 0, "FIONBIO");
  printf("pipe: after FIONBIO 0, O_NONBLOCK %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);

  /* dup, dup2, dup3, F_DUPFD_CLOEXEC: the copy writes to the same pipe. */
  int d = dup(p[1]);
  printf("pipe: dup FD_CLOEXEC %d\n", fcntl(d, F_GETFD));
  check(dup2(d, 20) == 20, "dup2");
  check(dup3(20, 21, O_CLOEXEC) == 21, "dup3");
  printf("pipe: dup3 O_CLOEXEC FD_CLOEXEC %d\n", fcntl(21, F_GETFD));
  printf("pipe: dup3 onto itself: %s\n", err(dup3(21, 21, 0)));
  printf("pipe: F_DUPFD_CLOEXEC from 30: %d\n", fcntl(p[1], F_DUPFD_CLOEXEC, 30));
  check(close(p[1]) == 0 && close(d) == 0 && close(20) == 0, "close the copies");
  check(write(21, "x", 1) == 1 && write(30, "y", 1) == 1, "write through the copies");
  n = read(p[0], buf, sizeof buf);
  printf("pipe: read through the copies %zd: %.2s\n", n, buf);

  /* select sees the write end writable, the read end not yet readable. */
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(p[0], &rd);
  FD_SET(21, &wr);
  struct timeval tv = {0, 1000};
  r = select(31, &rd, &wr, NULL, &tv);
  printf("select: %d, read end %d, write end %d\n", r, FD_ISSET(p[0], &rd) != 0, FD_ISSET(21, &wr) != 0);

  /* The last write end closed: end of file, and POLLHUP. */
  check(close(21) == 0 && close(30) == 0, "close the write ends");
  pf.revents = 0;
  r = poll(&pf, 1, 1000);
  printf("pipe: poll after the writers left: %d, revents %#x\n", r, (unsigned)pf.revents);
  printf("pipe: read at the end: %zd\n", read(p[0], buf, sizeof buf));
  printf("close twice: %s\n", err(close(p[0]) == 0 ? close(p[0]) : -1));
  struct pollfd bad = {p[0], POLLIN, 0};
  r = poll(&bad, 1, 0);
  printf("poll of a closed descriptor: %d, revents %#x\n", r, (unsigned)bad.revents);
}

static void eventfds(void) {
  int e = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
  check(e >= 0, "eventfd");
  uint64_t v = 4;
  check(write(e, &v, sizeof v) == sizeof v, "eventfd write");
  v = 0;
  ssize_t n = read(e, &v, sizeof v);
  printf("eventfd: read %zd, count %llu\n", n, (unsigned long long)v);
  n = read(e, &v, sizeof v);
  printf("eventfd: read again: %zd %s\n", n, err(n));
  close(e);
  e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  for (int i = 0; i < 3; ++i) {
    v = 0;
    n = read(e, &v, sizeof v);
    printf("eventfd semaphore: read %zd %s, %llu\n", n, err(n), (unsigned long long)v);
  }
  struct pollfd pf = {e, POLLIN | POLLOUT, 0};
  const int r = poll(&pf, 1, 0);
  printf("eventfd: poll %d, revents %#x\n", r, (unsigned)pf.revents);
  close(e);
}

enum { kListener = 0x1111, kClient = 0x2222, kServerConn = 0x3333 };

static void tcp_echo(void) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  check(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  check(bind(l, (struct sockaddr*)&a, sizeof a) == 0, "bind");
  check(listen(l, 8) == 0, "listen");
  socklen_t len = sizeof a;
  check(getsockname(l, (struct sockaddr*)&a, &len) == 0 && len == sizeof a && a.sin_port != 0, "getsockname");
  int accepting = 0;
  len = sizeof accepting;
  check(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0, "SO_ACCEPTCONN");
  printf("tcp: listening on 127.0.0.1, SO_ACCEPTCONN %d\n", accepting);

  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
  check(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
  int r = connect(c, (struct sockaddr*)&a, sizeof a);
  printf("tcp: non-blocking connect: %s\n", r == 0 ? "connected" : (errno == EINPROGRESS ? "in progress" : err(r)));

  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = kListener};
  check(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0, "epoll_ctl ADD listener");
  ev = (struct epoll_event){.events = EPOLLOUT, .data.u64 = kClient};
  check(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0, "epoll_ctl ADD client");
  printf("epoll: ADD twice: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev)));

  const char* msgs[] = {"ping 1", "a longer second message", "3"};
  int sent = 0, echoed = 0, conn = -1, client_open = 1, conn_open = 0;
  char got[128];
  size_t have = 0;
  for (int round = 0; round < 100 && client_open; ++round) {
    struct epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, 2000);
    if (n <= 0) {
      printf("epoll_wait: %d %s\n", n, err(n));
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.u64 == kListener) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        conn = accept4(l, (struct sockaddr*)&peer, &plen, SOCK_NONBLOCK);
        if (conn < 0) continue;
        struct sockaddr_in mine;
        socklen_t mlen = sizeof mine;
        check(getsockname(c, (struct sockaddr*)&mine, &mlen) == 0, "client getsockname");
        printf("tcp: accepted, peer is the client: %d\n",
               plen == sizeof peer && peer.sin_port == mine.sin_port && peer.sin_addr.s_addr == mine.sin_addr.s_addr);
        struct sockaddr_in p2;
        socklen_t p2len = sizeof p2;
        check(getpeername(conn, (struct sockaddr*)&p2, &p2len) == 0 && p2.sin_port == mine.sin_port, "getpeername");
        ev = (struct epoll_event){.events = EPOLLIN | EPOLLRDHUP, .data.u64 = kServerConn};
        check(epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev) == 0, "epoll_ctl ADD connection");
        conn_open = 1;
      } else if (evs[i].data.u64 == kClient && (evs[i].events & EPOLLOUT)) {
        int e = -1;
        socklen_t elen = sizeof e;
        check(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && elen == sizeof e, "SO_ERROR");
        printf("tcp: client writable, SO_ERROR %d\n", e);
        check(send(c, msgs[0], strlen(msgs[0]), 0) == (ssize_t)strlen(msgs[0]), "send");
        sent = 1;
        ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = kClient};
        check(epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev) == 0, "epoll_ctl MOD client");
      } else if (evs[i].data.u64 == kServerConn) {
        char buf[128];
        ssize_t k = recv(conn, buf, sizeof buf, 0);
        if (k > 0) {
          check(send(conn, buf, (size_t)k, MSG_NOSIGNAL) == k, "echo");
        } else if (k == 0) {
          printf("tcp: server saw the client's shutdown\n");
          close(conn); /* its registration goes with it */
          conn_open = 0;
        }
      } else if (evs[i].data.u64 == kClient) {
        ssize_t k = recv(c, got + have, sizeof got - 1 - have, 0);
        if (k == 0) {
          printf("tcp: client saw the server close\n");
          check(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL) == 0, "epoll_ctl DEL client");
          client_open = 0;
          continue;
        }
        if (k < 0) continue;
        have += (size_t)k;
        if (have < strlen(msgs[echoed])) continue;
        got[have] = 0;
        printf("tcp: echoed %zu bytes: %s\n", have, got);
        have = 0;
        if (++echoed < 3) {
          check(send(c, msgs[echoed], strlen(msgs[echoed]), 0) == (ssize_t)strlen(msgs[echoed]), "send");
        } else {
          check(shutdown(c, SHUT_WR) == 0, "shutdown");
        }
      }
    }
  }
  printf("tcp: %d sent first, %d echoed, connection open %d\n", sent, echoed, conn_open);
  close(c);
  close(l);
  close(ep);
}

static void udp(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  check(bind(s, (struct sockaddr*)&a, sizeof a) == 0, "udp bind");
  socklen_t len = sizeof a;
  check(getsockname(s, (struct sockaddr*)&a, &len) == 0, "udp getsockname");
  check(sendto(t, "datagram one", 12, 0, (struct sockaddr*)&a, sizeof a) == 12, "sendto");
  struct iovec out[2] = {{"two ", 4}, {"parts", 5}};
  struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = out, .msg_iovlen = 2};
  check(sendmsg(t, &m, 0) == 9, "sendmsg");
  char buf[64];
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen);
  struct sockaddr_in tname;
  socklen_t tlen = sizeof tname;
  check(getsockname(t, (struct sockaddr*)&tname, &tlen) == 0, "udp getsockname t");
  printf("udp: recvfrom %zd: %.*s, from the sender %d\n", n, (int)(n > 0 ? n : 0), buf,
         flen == sizeof from && from.sin_port == tname.sin_port);
  char p1[3], p2[16];
  struct iovec in[2] = {{p1, 3}, {p2, sizeof p2}};
  struct sockaddr_in from2;
  struct msghdr r = {.msg_name = &from2, .msg_namelen = sizeof from2, .msg_iov = in, .msg_iovlen = 2};
  n = recvmsg(s, &r, 0);
  printf("udp: recvmsg %zd: %.3s|%.*s, namelen %u\n", n, p1, (int)(n > 3 ? n - 3 : 0), p2, (unsigned)r.msg_namelen);
  n = recv(t, buf, sizeof buf, 0);
  printf("udp: empty non-blocking recv: %zd %s\n", n, err(n));
  close(s);
  close(t);
}

static void unix_sockets(void) {
  int sp[2];
  check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
  check(write(sp[0], "over a pair", 11) == 11, "pair write");
  char buf[64];
  ssize_t n = read(sp[1], buf, sizeof buf);
  printf("unix: socketpair read %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  check(shutdown(sp[0], SHUT_WR) == 0, "pair shutdown");
  printf("unix: after shutdown, read %zd\n", read(sp[1], buf, sizeof buf));
  close(sp[0]);
  close(sp[1]);

  /* A listener in the abstract namespace, its name random per run. */
  unsigned char rnd[8];
  check(getrandom(rnd, sizeof rnd, 0) == sizeof rnd, "getrandom");
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int k = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "nsgx-netio-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                   rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)k);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  check(bind(l, (struct sockaddr*)&a, alen) == 0, "unix bind");
  check(listen(l, 4) == 0, "unix listen");
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  check(connect(c, (struct sockaddr*)&a, alen) == 0, "unix connect");
  struct sockaddr_un peer;
  socklen_t plen = sizeof peer;
  int s = accept(l, (struct sockaddr*)&peer, &plen);
  check(s >= 0, "unix accept");
  printf("unix: accepted, an unnamed peer: %d\n", plen == sizeof(sa_family_t));
  struct sockaddr_un name;
  socklen_t nlen = sizeof name;
  check(getsockname(l, (struct sockaddr*)&name, &nlen) == 0, "unix getsockname");
  printf("unix: listener's name as bound: %d\n", nlen == alen && memcmp(&name, &a, alen) == 0);
  int type = 0, domain = 0;
  socklen_t tl = sizeof type;
  check(getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tl) == 0, "SO_TYPE");
  tl = sizeof domain;
  check(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &tl) == 0, "SO_DOMAIN");
  printf("unix: SO_TYPE %d, SO_DOMAIN %d\n", type, domain);
  struct iovec out[3] = {{"a", 1}, {"bc", 2}, {"def", 3}};
  struct msghdr m = {.msg_iov = out, .msg_iovlen = 3};
  check(sendmsg(c, &m, 0) == 6, "unix sendmsg");
  char ctl[64];
  char in[16] = {0};
  struct iovec iv = {in, sizeof in};
  struct msghdr r = {.msg_iov = &iv, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  n = recvmsg(s, &r, 0);
  printf("unix: recvmsg %zd: %s, controllen %zu\n", n, in, (size_t)r.msg_controllen);
  close(c);
  close(s);
  close(l);
}

static void serve(void) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  check(bind(l, (struct sockaddr*)&a, sizeof a) == 0 && listen(l, 4) == 0 &&
            getsockname(l, (struct sockaddr*)&a, &len) == 0,
        "listener");
  fprintf(stderr, "port %d\n", ntohs(a.sin_port));
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  check(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0, "epoll_ctl listener");
  size_t total = 0;
  int conn = -1, idle = 0, done = 0;
  while (!done && idle < 3) {
    struct epoll_event evs[2];
    int n = epoll_wait(ep, evs, 2, 10000);
    if (n == 0) ++idle;
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.fd == l) {
        conn = accept4(l, NULL, NULL, SOCK_NONBLOCK);
        if (conn < 0) continue;
        printf("serve: a client connected\n");
        ev = (struct epoll_event){.events = EPOLLIN, .data.fd = conn};
        check(epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev) == 0, "epoll_ctl connection");
      } else if (evs[i].data.fd == conn) {
        char buf[256];
        ssize_t k = read(conn, buf, sizeof buf);
        if (k > 0) {
          check(write(conn, buf, (size_t)k) == k, "echo");
          total += (size_t)k;
        } else if (k == 0) {
          close(conn);
          done = 1;
        }
      }
    }
  }
  printf("serve: echoed %zu bytes, the client %s\n", total, done ? "closed" : "never came");
  close(ep);
  close(l);
}

/* Each lie of the hostile host (netio_test.sh) meets one of these. */
static void hostile(void) {
  int sp[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
  check(write(sp[0], "abcdef", 6) == 6, "write");
  char buf[8];
  ssize_t n = recv(sp[1], buf, 2, 0);
  printf("recv: %zd %s\n", n, err(n));

  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  check(bind(l, (struct sockaddr*)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
            getsockname(l, (struct sockaddr*)&a, &len) == 0,
        "listener");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  check(connect(c, (struct sockaddr*)&a, sizeof a) == 0, "connect");
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int s = accept(l, (struct sockaddr*)&peer, &plen);
  printf("accept: %s, address length %u\n", s >= 0 ? "a descriptor" : err(s), (unsigned)plen);

  int e = eventfd(1, 0), e2 = eventfd(1, 0), ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
  check(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev) == 0, "epoll_ctl");
  ev.data.u64 = 43;
  check(epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev) == 0, "epoll_ctl");
  struct epoll_event got[1] = {{0, {0}}};
  int k = epoll_wait(ep, got, 1, 0);
  printf("epoll_wait: %d %s, data %llu, events %#x\n", k, err(k), k > 0 ? (unsigned long long)got[0].data.u64 : 0ULL,
         k > 0 ? got[0].events : 0);

  struct pollfd pf[2] = {{e, POLLOUT, 0}, {e2, POLLIN, 0}};
  k = poll(pf, 2, 0);
  printf("poll: %d %s, revents %#x %#x\n", k, err(k), (unsigned)(unsigned short)pf[0].revents,
         (unsigned)(unsigned short)pf[1].revents);

  /* And the library OS goes on. */
  int p[2];
  check(pipe(p) == 0, "pipe");
  check(write(p[1], "on", 2) == 2, "write");
  n = read(p[0], buf, sizeof buf);
  printf("the program goes on: %zd %.2s\n", n, buf);
}

static void refused(void) {
  int sp[2];
  check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0, "socketpair");
  char ctl[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec iv = {"x", 1};
  struct msghdr m = {.msg_iov = &iv, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr* cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &sp[0], sizeof(int));
  printf("sendmsg with SCM_RIGHTS: %s\n", err(sendmsg(sp[1], &m, 0)));
  int one = 1;
  printf("setsockopt SO_PASSCRED: %s\n", err(setsockopt(sp[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one)));
  printf("socket(AF_PACKET): %s\n", err(socket(AF_PACKET, SOCK_RAW, 0)));
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* mode = argc > 1 ? argv[1] : "all";
  if (strcmp(mode, "all") == 0) {
    pipes();
    eventfds();
    tcp_echo();
    udp();
    unix_sockets();
  } else if (strcmp(mode, "serve") == 0) {
    serve();
  } else if (strcmp(mode, "hostile") == 0) {
    hostile();
  } else if (strcmp(mode, "refused") == 0) {
    refused();
  } else {
    fprintf(stderr, "usage: netio all|serve|hostile|refused\n");
    return 2;
  }
  printf("%s: %d failure(s)\n", mode, failures);
  return failures == 0 ? 0 : 1;
}
