#include "runtime/isolated/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsgx::isolated {

Message& Message::operator=(Message&& o) noexcept {
  if (this != &o) {
    for (int f : fds)
      if (f >= 0) close(f);
    header = o.header;
    body = std::move(o.body);
    fds = std::move(o.fds);
    o.fds.clear();
  }
  return *this;
}

Message::~Message() {
  for (int f : fds)
    if (f >= 0) close(f);
}

int Message::take_fd(std::size_t i) {
  if (i >= fds.size()) return -1;
  const int f = fds[i];
  fds[i] = -1;
  return f;
}

namespace {
// The most any message carries: an enclave host's start (enclave memory,
// window, thread table, the application's memory and its maps, and a debug
// enclave's debugging channel).
constexpr std::size_t kMaxFds = 6;

int send_iov(int fd, iovec* iov, int n, std::span<const int> fds, int flags = 0) {
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = static_cast<std::size_t>(n);
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    if (fds.size() > kMaxFds) return -EINVAL;
    std::memset(ctl, 0, sizeof ctl);
    m.msg_control = ctl;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    const ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL | flags);
    if (r >= 0) return 0;
    if (errno != EINTR) return -errno;
  }
}
}  // namespace

int send_message(int fd, const Header& h, std::span<const std::uint8_t> body, std::span<const int> fds) {
  return send_message2(fd, h, body, {}, fds);
}

int send_message_nowait(int fd, const Header& h, std::span<const std::uint8_t> body) {
  if (sizeof h + body.size() > kMaxMessage) return -EMSGSIZE;
  iovec iov[2] = {{const_cast<Header*>(&h), sizeof h}, {const_cast<std::uint8_t*>(body.data()), body.size()}};
  return send_iov(fd, iov, 2, {}, MSG_DONTWAIT);
}

int send_message2(int fd, const Header& h, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                  std::span<const int> fds) {
  if (sizeof h + a.size() + b.size() > kMaxMessage) return -EMSGSIZE;
  iovec iov[3] = {{const_cast<Header*>(&h), sizeof h},
                  {const_cast<std::uint8_t*>(a.data()), a.size()},
                  {const_cast<std::uint8_t*>(b.data()), b.size()}};
  return send_iov(fd, iov, 3, fds);
}

int send_reply(int fd, const Header& request, const Reply& r, std::span<const std::uint8_t> tail) {
  const Header h{Op::kReply, request.tag, request.handle};
  return send_message2(fd, h, bytes_of(r), tail);
}

int recv_message(int fd, Message& out) {
  out = Message();
  out.body.resize(kMaxMessage);
  Header h{};
  iovec iov[2] = {{&h, sizeof h}, {out.body.data(), out.body.size()}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t r;
  do {
    r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  // Descriptors first, so that they are closed whatever else is wrong.
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < n; ++i) {
      int f;
      std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
      out.fds.push_back(f);
    }
  }
  if (r == 0) return 0;
  if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || static_cast<std::size_t>(r) < sizeof h) return -EMSGSIZE;
  out.header = h;
  out.body.resize(static_cast<std::size_t>(r) - sizeof h);
  return 1;
}

}  // namespace nsgx::isolated
