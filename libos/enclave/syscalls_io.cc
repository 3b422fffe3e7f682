// Descriptors beyond files (syscalls_io.h): each new host descriptor is
// checked as new (host_io.cc) and recorded in the table before the program
// learns its number; the program only ever names the library OS's own
// descriptors, never the host's.
#include "libos/enclave/syscalls_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>

#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/host_io.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/syscalls_dir.h"
#include "libos/enclave/syscalls_poll.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "sgx_trts.h"

namespace nsgx::libos {
namespace {

long fail(int e) { return -static_cast<long>(e); }

// F_GETFL's O_LARGEFILE: the kernel sets it on every open of a 64-bit
// program (asm-generic/fcntl.h, 00100000); glibc's x86-64 headers define
// O_LARGEFILE as 0, so it is spelt out here.
constexpr long kKernelLargefile = 0100000;

// The host's C library answers -1 and errno (nsgx_tposix).
long posix_result(long r) { return r < 0 ? fail(errno) : r; }

// A socket descriptor, or the error its absence is (EBADF, ENOTSOCK).
long socket_at(int64_t fd, Fd*& out) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind != FdKind::kStream || f->stream != StreamKind::kSocket) return fail(ENOTSOCK);
  out = f;
  return 0;
}

// Records host descriptor `host` as the program's lowest free descriptor;
// closes it if the table is full.
long install(int host, StreamKind k, bool cloexec, int domain) {
  SpinGuard g(g_fd_lock);  // threads.h: the table's changes, one at a time
  const int fd = new_fd();
  if (fd < 0) {
    (void)::close(host);
    return fail(EMFILE);
  }
  Fd f;
  f.kind = FdKind::kStream;
  f.host = host;
  f.stream = k;
  f.cloexec = cloexec;
  f.domain = domain;
  set_fd(fd, f);
  return fd;
}

}  // namespace

long install_stream(int host, StreamKind k, bool cloexec) { return install(host, k, cloexec, 0); }

namespace {

// Installs a pair; both or neither (the host's descriptors are closed).
long install_pair(const int host[2], StreamKind k, bool cloexec, int domain, uint64_t out) {
  const long a = install(host[0], k, cloexec, domain);
  if (a < 0) {
    (void)::close(host[1]);
    return a;
  }
  const long b = install(host[1], k, cloexec, domain);
  if (b < 0) {
    SpinGuard g(g_fd_lock);
    Fd* f = fd_at(a);
    release_fd(static_cast<int>(a), *f);
    *f = Fd{};
    return b;
  }
  const int32_t v[2] = {static_cast<int32_t>(a), static_cast<int32_t>(b)};
  memcpy(reinterpret_cast<void*>(out), v, sizeof v);
  return 0;
}

// The program's socket address (at most sizeof(sockaddr_storage)), copied.
long copy_in_addr(uint64_t addr, uint64_t len, uint8_t (&out)[kMaxSockaddr]) {
  if (len > kMaxSockaddr) return fail(EINVAL);
  if (len != 0 && !program_range(addr, len)) return fail(EFAULT);
  if (len != 0) memcpy(out, reinterpret_cast<const void*>(addr), len);
  return 0;
}

// Gives the program an address the host answered (len <= kMaxSockaddr,
// checked): as Linux, at most *lenp bytes of it, and its full length in
// *lenp. addr 0: not wanted.
long copy_out_addr(const uint8_t* a, uint32_t len, uint64_t addr, uint64_t lenp) {
  if (addr == 0) return 0;
  if (!program_range(lenp, sizeof(uint32_t))) return fail(EFAULT);
  uint32_t cap;
  memcpy(&cap, reinterpret_cast<const void*>(lenp), sizeof cap);
  if (static_cast<int32_t>(cap) < 0) return fail(EINVAL);
  const uint32_t k = len < cap ? len : cap;
  if (!program_range(addr, k)) return fail(EFAULT);
  memcpy(reinterpret_cast<void*>(addr), a, k);
  memcpy(reinterpret_cast<void*>(lenp), &len, sizeof len);
  return 0;
}

// Socket options passed to the host, with the size each takes (the
// allow-list of docs/libos.md); anything else is ENOPROTOOPT.
struct SockOpt {
  int level, name;
  uint32_t size;
};
constexpr SockOpt kSockOpts[] = {
    {SOL_SOCKET, SO_REUSEADDR, 4}, {SOL_SOCKET, SO_REUSEPORT, 4},  {SOL_SOCKET, SO_KEEPALIVE, 4},
    {SOL_SOCKET, SO_BROADCAST, 4}, {SOL_SOCKET, SO_RCVBUF, 4},     {SOL_SOCKET, SO_SNDBUF, 4},
    {SOL_SOCKET, SO_RCVLOWAT, 4},  {SOL_SOCKET, SO_ERROR, 4},      {SOL_SOCKET, SO_TYPE, 4},
    {SOL_SOCKET, SO_DOMAIN, 4},    {SOL_SOCKET, SO_PROTOCOL, 4},   {SOL_SOCKET, SO_ACCEPTCONN, 4},
    {SOL_SOCKET, SO_LINGER, 8},    {SOL_SOCKET, SO_RCVTIMEO, 16},  {SOL_SOCKET, SO_SNDTIMEO, 16},
    {IPPROTO_TCP, TCP_NODELAY, 4}, {IPPROTO_TCP, TCP_KEEPIDLE, 4}, {IPPROTO_TCP, TCP_KEEPINTVL, 4},
    {IPPROTO_TCP, TCP_KEEPCNT, 4}, {IPPROTO_TCP, TCP_CORK, 4},     {IPPROTO_IPV6, IPV6_V6ONLY, 4},
    {IPPROTO_IP, IP_TOS, 4},
};

const SockOpt* sockopt(uint64_t level, uint64_t name) {
  for (const SockOpt& o : kSockOpts)
    if (static_cast<uint64_t>(o.level) == level && static_cast<uint64_t>(o.name) == name) return &o;
  return nullptr;
}

long no_option(uint64_t level, uint64_t name) {
  if (g_program.trace)
    say("nsgx libos: socket option " + std::to_string(level) + "/" + std::to_string(name) +
        " is not on the allow-list: ENOPROTOOPT\n");
  return fail(ENOPROTOOPT);
}

constexpr uint64_t kSendFlags = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_OOB;
constexpr uint64_t kRecvFlags = MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_OOB | MSG_CMSG_CLOEXEC;

// A datagram must go whole; a stream may go in part (the caller sees the count).
bool is_datagram(const Fd& f) {
  int type = 0;
  uint32_t len = 0;
  return host_getsockopt(f.host, SOL_SOCKET, SO_TYPE, &type, sizeof type, &len) == 0 && len == sizeof type &&
         type != SOCK_STREAM;
}

long send_common(Fd& f, const void* buf, uint64_t n, uint64_t flags, const uint8_t* addr, uint32_t alen) {
  if ((flags & ~kSendFlags) != 0) return fail(EOPNOTSUPP);
  if (n > kMaxTransfer) {
    if (is_datagram(f)) return fail(EMSGSIZE);
    n = kMaxTransfer;  // a short send, as a stream may answer
  }
  // MSG_NOSIGNAL always: the program has no signals here; a closed peer is EPIPE.
  return host_sendto(f.host, buf, n, static_cast<int>(flags | MSG_NOSIGNAL), addr, alen);
}

long recv_common(Fd& f, void* buf, uint64_t n, uint64_t flags, uint8_t* addr, uint32_t* alen) {
  if ((flags & ~kRecvFlags) != 0) return fail(EOPNOTSUPP);
  if (n > kMaxTransfer) n = kMaxTransfer;
  return host_recvfrom(f.host, buf, n, static_cast<int>(flags & ~static_cast<uint64_t>(MSG_CMSG_CLOEXEC)), addr,
                       addr != nullptr ? kMaxSockaddr : 0, alen);
}

struct Msghdr {  // struct msghdr as the program lays it out (x86-64)
  uint64_t name;
  uint32_t namelen, pad0;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad1;
};
static_assert(sizeof(Msghdr) == sizeof(struct msghdr), "struct msghdr, <sys/socket.h> (x86-64)");
static_assert(offsetof(Msghdr, iov) == offsetof(struct msghdr, msg_iov), "struct msghdr, <sys/socket.h>");
static_assert(offsetof(Msghdr, controllen) == offsetof(struct msghdr, msg_controllen), "struct msghdr");
static_assert(offsetof(Msghdr, flags) == offsetof(struct msghdr, msg_flags), "struct msghdr");
struct Iov {
  uint64_t base, len;
};
static_assert(sizeof(Iov) == sizeof(struct iovec), "struct iovec, <sys/uio.h>");

// The program's msghdr and its iovecs, checked: at most IOV_MAX of them,
// every one inside the program's memory; `total` their length.
long copy_in_msg(uint64_t msg, Msghdr& m, Iov*& iov, uint64_t& total) {
  if (!program_range(msg, sizeof m)) return fail(EFAULT);
  memcpy(&m, reinterpret_cast<const void*>(msg), sizeof m);
  if (m.iovlen > IOV_MAX) return fail(EMSGSIZE);
  if (!program_range(m.iov, m.iovlen * sizeof(Iov))) return fail(EFAULT);
  iov = static_cast<Iov*>(malloc(m.iovlen == 0 ? 1 : m.iovlen * sizeof(Iov)));
  if (iov == nullptr) return fail(ENOMEM);
  memcpy(iov, reinterpret_cast<const void*>(m.iov), m.iovlen * sizeof(Iov));
  total = 0;
  for (uint64_t i = 0; i < m.iovlen; ++i) {
    if (iov[i].len > SSIZE_MAX - total || !program_range(iov[i].base, iov[i].len)) {
      free(iov);
      return fail(iov[i].len > SSIZE_MAX - total ? EINVAL : EFAULT);
    }
    total += iov[i].len;
  }
  return 0;
}

}  // namespace

bool program_range(uint64_t addr, uint64_t len) {
  return len == 0 ||
         (!near_null(addr) && addr + len > addr && sgx_is_within_enclave(reinterpret_cast<const void*>(addr), len));
}

long stream_read(const Fd& f, void* buf, uint64_t n) {
  if (f.stream == StreamKind::kEpoll) return fail(EINVAL);
  // One OCALL at most: a second could block after the first returned data.
  return posix_result(blocking_host_call(
      [&] { return ::read(f.host, buf, n < kMaxTransfer ? n : kMaxTransfer); }));  // count checked by nsgx_tposix
}

long stream_write(const Fd& f, const void* buf, uint64_t n) {
  if (f.stream == StreamKind::kEpoll) return fail(EINVAL);
  return posix_result(blocking_host_call([&] { return ::write(f.host, buf, n); }));  // counts checked by nsgx_tposix
}

void release_fd(int fd, Fd& f) {
  epoll_forget(fd, f);
  if ((f.kind == FdKind::kHost || f.kind == FdKind::kStream || (f.kind == FdKind::kHostStdio && f.owned)) &&
      f.host >= 0)
    (void)::close(f.host);
  if (f.kind == FdKind::kEncrypted) (void)encrypted_close(f.enc);  // dup2 over it: silently, as Linux
}

long sys_dup(int64_t fd) { return sys_dup3(fd, -1, 0, false); }

namespace {

// newfd -1: the lowest free descriptor (dup, F_DUPFD from `min`). The copy
// of a host-backed descriptor is a new host descriptor (the host's dup,
// which shares the host's open file: O_NONBLOCK, the socket); the copy of
// a trusted or allowed file keeps its own offset (docs/libos.md).
long dup_to(int64_t oldfd, int64_t newfd, int64_t min, bool cloexec) {
  SpinGuard g(g_fd_lock);
  Fd* f = fd_at(oldfd);
  if (f == nullptr) return fail(EBADF);
  Fd copy = *f;
  copy.cloexec = cloexec;
  if (f->kind == FdKind::kStream && f->stream == StreamKind::kEpoll) {
    epoll_share(copy);  // one host epoll instance, owned by its set
  } else if (f->kind == FdKind::kEncrypted) {
    encrypted_ref(copy.enc);  // one open protected file, released at the last close
  } else if (f->kind == FdKind::kHost || f->kind == FdKind::kStream || (f->kind == FdKind::kHostStdio && f->owned)) {
    const long h = host_dup(f->host);
    if (h < 0) return h;
    copy.host = static_cast<int>(h);
  }
  int target = static_cast<int>(newfd);
  if (newfd < 0) {
    target = new_fd_from(min);
    if (target < 0) {
      release_fd(-1, copy);
      return fail(EMFILE);
    }
  } else if (Fd* old = fd_at(newfd)) {
    release_fd(static_cast<int>(newfd), *old);  // dup2 closes newfd, silently
    *old = Fd{};
  }
  set_fd(target, copy);
  return target;
}

}  // namespace

long sys_dup3(int64_t oldfd, int64_t newfd, uint64_t flags, bool dup2) {
  if (newfd == -1 && !dup2) return dup_to(oldfd, -1, 0, false);  // dup
  if (newfd < 0 || newfd >= kMaxFds) return fail(EBADF);
  if (!dup2 && (flags & ~static_cast<uint64_t>(O_CLOEXEC)) != 0) return fail(EINVAL);
  if (oldfd == newfd) {
    if (!dup2) return fail(EINVAL);
    return fd_at(oldfd) != nullptr ? newfd : fail(EBADF);
  }
  return dup_to(oldfd, newfd, 0, (flags & O_CLOEXEC) != 0);
}

long sys_fcntl(int64_t fd, uint64_t cmd, uint64_t arg) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (static_cast<int64_t>(static_cast<int32_t>(arg)) < 0 || static_cast<int32_t>(arg) >= kMaxFds)
        return fail(EINVAL);
      return dup_to(fd, -1, static_cast<int32_t>(arg), cmd == F_DUPFD_CLOEXEC);
    case F_GETFD:
      return f->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      f->cloexec = (arg & FD_CLOEXEC) != 0;
      return 0;
    case F_GETFL:
      if (f->kind == FdKind::kTrusted) return O_RDONLY | kKernelLargefile;
      if (f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory)
        return static_cast<long>(f->flags) | kKernelLargefile;
      if (f->kind == FdKind::kEncrypted) return encrypted_status_flags(f->enc) | kKernelLargefile;
      return posix_result(::fcntl(f->host, F_GETFL));  // 0..INT_MAX, checked by nsgx_tposix
    case F_SETFL: {
      // O_NONBLOCK and O_APPEND change (as on Linux, the access mode and
      // creation flags are ignored): on host descriptors in the host's
      // open file (an allowed file's pwrite at the offset kept here then
      // appends, as Linux's does with O_APPEND), on the library OS's own
      // devices and protected files here.
      if (f->kind == FdKind::kTrusted) return 0;  // regular files never block
      if (f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory) {
        f->flags = (f->flags & ~static_cast<uint32_t>(O_APPEND | O_NONBLOCK)) |
                   static_cast<uint32_t>(arg & (O_APPEND | O_NONBLOCK));
        return 0;
      }
      if (f->kind == FdKind::kEncrypted) {
        encrypted_set_append(f->enc, (arg & O_APPEND) != 0);
        return 0;
      }
      const long fl = posix_result(::fcntl(f->host, F_GETFL));
      if (fl < 0) return fl;
      const long want =
          (fl & ~static_cast<long>(O_NONBLOCK | O_APPEND)) | static_cast<long>(arg & (O_NONBLOCK | O_APPEND));
      return want == fl ? 0 : posix_result(::fcntl(f->host, F_SETFL, static_cast<int>(want)));
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW: {
      // POSIX record locks, as SQLite takes them: on allowed and encrypted
      // files the host's (through the POSIX layer's fcntl, which checks F_GETLK's
      // answer: a known type, SEEK_SET, a start and length in range). A
      // lock only orders the program with other users of the host's file,
      // which the host could ignore anyway; no lock protects anything
      // inside. Trusted files are read-only copies: nobody else writes
      // them, every lock is granted (F_GETLK: F_UNLCK). F_SETLKW blocks in
      // the host with no lock of the library OS held.
      if (!program_range(arg, sizeof(struct flock))) return fail(EFAULT);
      struct flock lk;
      memcpy(&lk, reinterpret_cast<const void*>(arg), sizeof lk);
      if (f->kind == FdKind::kTrusted || f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory) {
        // A device's or a directory's locks too guard nothing but the
        // program's own calls.
        const uint32_t mode = f->kind == FdKind::kDevice ? f->flags & O_ACCMODE : O_RDONLY;
        if ((lk.l_type == F_WRLCK && mode == O_RDONLY) || (lk.l_type == F_RDLCK && mode == O_WRONLY))
          return fail(EBADF);  // not open for writing (reading), as Linux
        if (cmd == F_GETLK) {
          lk.l_type = F_UNLCK;
          memcpy(reinterpret_cast<void*>(arg), &lk, sizeof lk);
        }
        return 0;
      }
      int host = f->host;
      if (f->kind == FdKind::kEncrypted) {
        // The protected file's host descriptor, which every process's
        // enclave opens on the same host file (since 2026-12-08: SQLite on
        // an encrypted database took EINVAL and said "disk I/O error").
        // The access mode is the program's descriptor's, checked here.
        const long mode = encrypted_status_flags(f->enc) & O_ACCMODE;
        if ((lk.l_type == F_WRLCK && mode == O_RDONLY) || (lk.l_type == F_RDLCK && mode == O_WRONLY))
          return fail(EBADF);
        // The lock's start from SEEK_SET: the host descriptor's offset
        // and size are the ciphertext's, not the program's.
        if (lk.l_whence == SEEK_CUR || lk.l_whence == SEEK_END) {
          uint64_t base = 0;
          (void)encrypted_plain_position(f->enc, static_cast<uint64_t>(lk.l_whence), base);
          if (base > static_cast<uint64_t>(INT64_MAX) ||
              (lk.l_start > 0 && static_cast<int64_t>(base) > INT64_MAX - lk.l_start) ||
              static_cast<int64_t>(base) + lk.l_start < 0)
            return fail(EINVAL);
          lk.l_start += static_cast<off_t>(base);
          lk.l_whence = SEEK_SET;
        } else if (lk.l_whence != SEEK_SET) {
          return fail(EINVAL);
        }
        host = encrypted_host_fd(f->enc);
      } else if (f->kind != FdKind::kHost) {
        return fail(EINVAL);  // stdio, pipes, sockets
      }
      if (::fcntl(host, static_cast<int>(cmd), &lk) != 0) return fail(errno);
      if (cmd == F_GETLK) memcpy(reinterpret_cast<void*>(arg), &lk, sizeof lk);
      return 0;
    }
    default:
      if (g_program.trace) say("nsgx libos: fcntl command " + std::to_string(cmd) + " is not implemented: EINVAL\n");
      return fail(EINVAL);
  }
}

long sys_ioctl(int64_t fd, uint64_t request, uint64_t arg) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (request != FIONBIO && request != FIONREAD) return fail(ENOTTY);  // TCGETS &c.: no terminals here
  if (!program_range(arg, sizeof(int32_t))) return fail(EFAULT);
  int32_t v;
  memcpy(&v, reinterpret_cast<const void*>(arg), sizeof v);
  if (request == FIONBIO) {
    const long fl = sys_fcntl(fd, F_GETFL, 0);
    return fl < 0 ? fl
                  : sys_fcntl(fd, F_SETFL,
                              v != 0 ? static_cast<uint64_t>(fl) | O_NONBLOCK
                                     : static_cast<uint64_t>(fl) & ~static_cast<uint64_t>(O_NONBLOCK));
  }
  if (f->kind == FdKind::kTrusted) {
    const uint64_t left = f->offset >= f->copy->size ? 0 : f->copy->size - f->offset;
    v = left > INT_MAX ? INT_MAX : static_cast<int32_t>(left);
  } else if (f->kind == FdKind::kDevice) {
    // FIONREAD is the regular files' (and the driver's): Linux's memory
    // devices have no ioctl, random.c's answers others with EINVAL.
    return fail(f->device == Device::kRandom || f->device == Device::kUrandom ? EINVAL : ENOTTY);
  } else if (f->kind == FdKind::kDirectory) {
    return fail(ENOTTY);  // not a regular file; a directory has no such ioctl
  } else {
    const long r = host_ioctl_int(f->host, FIONREAD, &v);  // >= 0, checked
    if (r < 0) return r;
  }
  memcpy(reinterpret_cast<void*>(arg), &v, sizeof v);
  return 0;
}

long sys_pipe2(uint64_t fds, uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(O_CLOEXEC | O_NONBLOCK)) != 0) return fail(EINVAL);
  if (!program_range(fds, 2 * sizeof(int32_t))) return fail(EFAULT);
  int host[2];
  const long r = host_pipe2(static_cast<int>(flags | O_CLOEXEC), host);
  if (r < 0) return r;
  return install_pair(host, StreamKind::kPipe, (flags & O_CLOEXEC) != 0, 0, fds);
}

long sys_eventfd2(uint64_t initval, uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) != 0 || initval > UINT32_MAX)
    return fail(EINVAL);
  const long h = host_eventfd(static_cast<uint32_t>(initval), static_cast<int>(flags | EFD_CLOEXEC));
  if (h < 0) return h;
  return install(static_cast<int>(h), StreamKind::kEventfd, (flags & EFD_CLOEXEC) != 0, 0);
}

namespace {

// Domains, types and protocols the library OS passes to the host.
long check_socket(uint64_t domain, uint64_t type, uint64_t protocol) {
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX) return fail(EAFNOSUPPORT);
  const uint64_t base = type & ~static_cast<uint64_t>(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (base != SOCK_STREAM && base != SOCK_DGRAM && !(domain == AF_UNIX && base == SOCK_SEQPACKET)) return fail(EINVAL);
  if (protocol != 0 && !(domain != AF_UNIX && base == SOCK_STREAM && protocol == IPPROTO_TCP) &&
      !(domain != AF_UNIX && base == SOCK_DGRAM && protocol == IPPROTO_UDP))
    return fail(EPROTONOSUPPORT);
  return 0;
}

}  // namespace

long sys_socket(uint64_t domain, uint64_t type, uint64_t protocol) {
  if (const long c = check_socket(domain, type, protocol); c < 0) return c;
  const long h =
      host_socket(static_cast<int>(domain), static_cast<int>(type | SOCK_CLOEXEC), static_cast<int>(protocol));
  if (h < 0) return h;
  return install(static_cast<int>(h), StreamKind::kSocket, (type & SOCK_CLOEXEC) != 0, static_cast<int>(domain));
}

long sys_socketpair(uint64_t domain, uint64_t type, uint64_t protocol, uint64_t sv) {
  if (domain != AF_UNIX) return fail(EOPNOTSUPP);  // as Linux: pairs are Unix sockets
  if (const long c = check_socket(domain, type, protocol); c < 0) return c;
  if (!program_range(sv, 2 * sizeof(int32_t))) return fail(EFAULT);
  int host[2];
  const long r = host_socketpair(AF_UNIX, static_cast<int>(type | SOCK_CLOEXEC), static_cast<int>(protocol), host);
  if (r < 0) return r;
  return install_pair(host, StreamKind::kSocket, (type & SOCK_CLOEXEC) != 0, AF_UNIX, sv);
}

long sys_bind_connect(bool connect, int64_t fd, uint64_t addr, uint64_t len) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  uint8_t a[kMaxSockaddr];
  if (const long c = copy_in_addr(addr, len, a); c < 0) return c;
  return host_bind_connect(connect, f->host, a, static_cast<uint32_t>(len));
}

long sys_listen(int64_t fd, uint64_t backlog) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  return host_listen(f->host, static_cast<int>(backlog));
}

long sys_accept4(int64_t fd, uint64_t addr, uint64_t lenp, uint64_t flags) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  if ((flags & ~static_cast<uint64_t>(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) return fail(EINVAL);
  if (addr != 0 && !program_range(lenp, sizeof(uint32_t))) return fail(EFAULT);
  const int domain = f->domain;
  uint8_t a[kMaxSockaddr];
  uint32_t len = 0;
  // No table lock is held here: accept may block as long as the host needs.
  const long h = host_accept4(f->host, a, &len, static_cast<int>(flags | SOCK_CLOEXEC));  // len <= 128, checked
  if (h < 0) return h;
  const long nfd = install(static_cast<int>(h), StreamKind::kSocket, (flags & SOCK_CLOEXEC) != 0, domain);
  if (nfd < 0) return nfd;
  if (const long c = copy_out_addr(a, len, addr, lenp); c < 0) {
    Fd* n = fd_at(nfd);
    release_fd(static_cast<int>(nfd), *n);
    *n = Fd{};
    return c;
  }
  return nfd;
}

long sys_sockname(bool peer, int64_t fd, uint64_t addr, uint64_t lenp) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  if (!program_range(lenp, sizeof(uint32_t))) return fail(EFAULT);
  uint8_t a[kMaxSockaddr];
  uint32_t len = 0;
  const long r = host_sockname(f->host, peer, a, &len);  // len <= 128, checked
  if (r < 0) return r;
  return copy_out_addr(a, len, addr, lenp);
}

long sys_setsockopt(int64_t fd, uint64_t level, uint64_t name, uint64_t value, uint64_t len) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  const SockOpt* o = sockopt(level, name);
  if (o == nullptr) return no_option(level, name);
  if (len < o->size) return fail(EINVAL);
  if (!program_range(value, o->size)) return fail(EFAULT);
  uint8_t v[16];
  memcpy(v, reinterpret_cast<const void*>(value), o->size);
  return host_setsockopt(f->host, o->level, o->name, v, o->size);
}

long sys_getsockopt(int64_t fd, uint64_t level, uint64_t name, uint64_t value, uint64_t lenp) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  const SockOpt* o = sockopt(level, name);
  if (o == nullptr) return no_option(level, name);
  if (!program_range(lenp, sizeof(uint32_t))) return fail(EFAULT);
  uint8_t v[16] = {};
  uint32_t len = 0;
  const long r = host_getsockopt(f->host, o->level, o->name, v, o->size, &len);  // len <= size, checked
  if (r < 0) return r;
  return copy_out_addr(v, len, value, lenp);  // as an address: at most the program's length
}

long sys_shutdown(int64_t fd, uint64_t how) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  if (how > SHUT_RDWR) return fail(EINVAL);
  return host_shutdown(f->host, static_cast<int>(how));
}

long sys_sendto(int64_t fd, uint64_t buf, uint64_t n, uint64_t flags, uint64_t addr, uint64_t alen) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  if (!program_range(buf, n)) return fail(EFAULT);
  uint8_t a[kMaxSockaddr];
  if (addr == 0) alen = 0;
  if (const long c = copy_in_addr(addr, alen, a); c < 0) return c;
  return send_common(*f, reinterpret_cast<const void*>(buf), n, flags, a, static_cast<uint32_t>(alen));
}

long sys_recvfrom(int64_t fd, uint64_t buf, uint64_t n, uint64_t flags, uint64_t addr, uint64_t alenp) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  if (!program_range(buf, n)) return fail(EFAULT);
  if (addr != 0 && !program_range(alenp, sizeof(uint32_t))) return fail(EFAULT);
  uint8_t a[kMaxSockaddr];
  uint32_t len = 0;
  const long r = recv_common(*f, reinterpret_cast<void*>(buf), n, flags, addr != 0 ? a : nullptr, &len);
  if (r < 0) return r;
  if (addr != 0) {
    if (const long c = copy_out_addr(a, len, addr, alenp); c < 0) return c;
  }
  return r;
}

// sendmsg and recvmsg gather into (scatter from) one enclave buffer so a
// datagram stays one datagram. Control messages (SCM_RIGHTS, credentials)
// are refused on send and never delivered: descriptors are the library
// OS's, not the host's, and cannot cross.
namespace {

// The message's bytes gathered into one enclave buffer and sent at once.
long send_gathered(Fd& f, const Msghdr& m, const Iov* iov, uint64_t total, uint64_t flags) {
  if (m.controllen != 0) {
    if (g_program.trace) say("nsgx libos: sendmsg with control messages (SCM_RIGHTS &c.): EOPNOTSUPP\n");
    return fail(EOPNOTSUPP);
  }
  uint8_t a[kMaxSockaddr];
  if (m.name != 0) {
    if (const long c = copy_in_addr(m.name, m.namelen, a); c < 0) return c;
  }
  if (total > kMaxTransfer && is_datagram(f)) return fail(EMSGSIZE);
  const uint64_t n = total < kMaxTransfer ? total : kMaxTransfer;  // a stream: a short send
  auto* b = static_cast<uint8_t*>(malloc(n == 0 ? 1 : n));
  if (b == nullptr) return fail(ENOMEM);
  uint64_t at = 0;
  for (uint64_t i = 0; i < m.iovlen && at < n; ++i) {
    const uint64_t k = iov[i].len < n - at ? iov[i].len : n - at;
    memcpy(b + at, reinterpret_cast<const void*>(iov[i].base), k);
    at += k;
  }
  const long r = send_common(f, b, at, flags, a, m.name != 0 ? m.namelen : 0);
  free(b);
  return r;
}

}  // namespace

long sys_sendmsg(int64_t fd, uint64_t msg, uint64_t flags) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  Msghdr m;
  Iov* iov = nullptr;
  uint64_t total = 0;
  if (const long c = copy_in_msg(msg, m, iov, total); c < 0) return c;
  const long r = send_gathered(*f, m, iov, total, flags);
  free(iov);
  return r;
}

long sys_recvmsg(int64_t fd, uint64_t msg, uint64_t flags) {
  Fd* f = nullptr;
  if (const long c = socket_at(fd, f); c < 0) return c;
  Msghdr m;
  Iov* iov = nullptr;
  uint64_t total = 0;
  if (const long c = copy_in_msg(msg, m, iov, total); c < 0) return c;
  if (m.name != 0 && !program_range(m.name, m.namelen)) {
    free(iov);
    return fail(EFAULT);
  }
  const uint64_t n = total < kMaxTransfer ? total : kMaxTransfer;
  uint8_t* b = static_cast<uint8_t*>(malloc(n == 0 ? 1 : n));
  if (b == nullptr) {
    free(iov);
    return fail(ENOMEM);
  }
  uint8_t a[kMaxSockaddr];
  uint32_t len = 0;
  const long r = recv_common(*f, b, n, flags, m.name != 0 ? a : nullptr, &len);  // r <= n, len <= 128: checked
  if (r >= 0) {
    uint64_t at = 0;
    for (uint64_t i = 0; i < m.iovlen && at < static_cast<uint64_t>(r); ++i) {
      const uint64_t k = iov[i].len < static_cast<uint64_t>(r) - at ? iov[i].len : static_cast<uint64_t>(r) - at;
      memcpy(reinterpret_cast<void*>(iov[i].base), b + at, k);
      at += k;
    }
    if (m.name != 0) {
      const uint32_t k = len < m.namelen ? len : m.namelen;
      memcpy(reinterpret_cast<void*>(m.name), a, k);
      m.namelen = len;
    }
    m.controllen = 0;  // no control messages are ever delivered
    m.flags = 0;
    memcpy(reinterpret_cast<void*>(msg), &m, sizeof m);
  }
  free(b);
  free(iov);
  return r;
}

}  // namespace nsgx::libos
