// Readiness (syscalls_poll.h).
#include "libos/enclave/syscalls_poll.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <new>

#include "libos/enclave/host_io.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/syscalls_io.h"
#include "libos/enclave/syscalls_time.h"
#include "libos/enclave/threads.h"

namespace nsgx::libos {

// One epoll instance: its host descriptor (owned here, shared by every
// program descriptor that names the instance) and its registrations.
struct Registration {
  int fd;    // the program's descriptor
  int host;  // its host descriptor, as registered with the host
  uint32_t events;
  uint64_t data;  // the program's epoll_data: never leaves the enclave
  uint64_t key;   // what the host sees instead; unique for the enclave's life
};
struct EpollSet {
  int host = -1;
  int refs = 1;
  int n = 0;
  Registration regs[kMaxFds] = {};
  EpollSet* next = nullptr;
};

namespace {

long fail(int e) { return -static_cast<long>(e); }

EpollSet* g_sets = nullptr;
uint64_t g_next_key = 1;

// What readiness a registration may report: what it asked for, without
// the behaviour flags, plus what epoll always reports.
uint32_t reportable(uint32_t registered) {
  return (registered & ~static_cast<uint32_t>(EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)) | EPOLLERR |
         EPOLLHUP;
}

void remove_at(EpollSet& s, int i) {
  s.regs[i] = s.regs[s.n - 1];
  --s.n;
}

// The program's struct epoll_event (packed on x86-64, <sys/epoll.h>).
struct ProgramEvent {
  uint32_t events;
  uint64_t data;
} __attribute__((packed));
static_assert(sizeof(ProgramEvent) == sizeof(struct epoll_event), "struct epoll_event, <sys/epoll.h> (x86-64)");

// A poll entry as the library OS works on it.
struct Entry {
  int fd;
  int16_t events, revents;
};

// poll over the library OS's descriptors: trusted and protected files are
// always ready (regular files are, on Linux), the library OS's devices as
// devices.h says; host-backed ones are asked of the host in
// one OCALL, whose answer is masked to what each entry asked (plus ERR,
// HUP; NVAL is never the host's to say: every descriptor it was given is
// one the enclave holds). Returns the count of entries with events.
long poll_entries(Entry* e, uint32_t n, int timeout_ms) {
  libos_pollfd h[kMaxFds];
  uint32_t at[kMaxFds];
  uint32_t hn = 0;
  long ready = 0;
  for (uint32_t i = 0; i < n; ++i) {
    e[i].revents = 0;
    if (e[i].fd < 0) continue;
    const Fd* f = fd_at(e[i].fd);
    if (f == nullptr) {
      e[i].revents = POLLNVAL;
    } else if (f->kind == FdKind::kTrusted || f->kind == FdKind::kEncrypted || f->kind == FdKind::kDirectory) {
      e[i].revents = static_cast<int16_t>(e[i].events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
    } else if (f->kind == FdKind::kDevice) {
      e[i].revents = static_cast<int16_t>(e[i].events & device_poll_mask(f->device));
    } else {
      h[hn] = libos_pollfd{f->host, e[i].events, 0};
      at[hn++] = i;
      continue;
    }
    if (e[i].revents != 0) ++ready;
  }
  const long r = host_poll(h, hn, ready > 0 ? 0 : timeout_ms);  // r <= hn, checked
  if (r < 0) return r;
  for (uint32_t k = 0; k < hn; ++k) {
    const int16_t allowed = static_cast<int16_t>(h[k].events | POLLERR | POLLHUP);
    e[at[k]].revents = static_cast<int16_t>(h[k].revents & allowed);
    if (e[at[k]].revents != 0) ++ready;
  }
  return ready;
}

int timeout_from(int64_t sec, int64_t nsec) {
  if (sec > INT_MAX / 1000) return INT_MAX;                   // before the product can overflow
  const int64_t ms = sec * 1000 + (nsec + 999999) / 1000000;  // rounded up, as Linux's
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// A struct timespec timeout of the program's (0: none, -1 ms); 0, EFAULT
// or EINVAL.
long read_timeout(uint64_t p, int& ms) {
  ms = -1;
  if (p == 0) return 0;
  if (!program_range(p, sizeof(struct timespec))) return fail(EFAULT);
  struct timespec ts;
  memcpy(&ts, reinterpret_cast<const void*>(p), sizeof ts);
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return fail(EINVAL);
  ms = timeout_from(ts.tv_sec, ts.tv_nsec);
  return 0;
}

int clamp_ms(int64_t timeout_ms) {
  return timeout_ms < 0 ? -1 : (timeout_ms > INT_MAX ? INT_MAX : static_cast<int>(timeout_ms));
}

// The longest one host wait lasts before the enclave looks for a signal:
// a kill or tgkill from another program thread, or the alarm when the
// host's kick went to another of its threads, does not end the host's
// poll (only a host signal to the waiting thread does), so a wait with a
// longer timeout is cut into such slices — as the futex waits are
// (threads.cc, kSignalPollMs).
constexpr int kSliceMs = 50;

uint64_t monotonic_ns() {
  struct timespec ts;
  if (clock_checked(CLOCK_MONOTONIC, ts) != 0 || ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A descriptor wait: `wait(ms)` looks once and waits up to ms (-1: no
// limit) in the host, answering the count ready, 0, or -errno. Under the
// signal mask the program gave the wait (signals.h; none if `sigmask` is
// 0), in slices of kSliceMs: when a signal deliverable to this thread is
// pending — at the start (a signal the wait's mask lets through) or after
// a slice — the descriptors are looked at once more without waiting and
// the answer is EINTR if none is ready: Linux's do_poll, the count first,
// then signal_pending (fs/select.c). `poll_like` (poll and select) looks
// once more when the timeout ends with nothing ready, a zero timeout
// included, as do_poll does; epoll's ep_poll answers 0 at its timeout
// without looking (fs/eventpoll.c).
template <typename Wait>
long masked_wait(uint64_t sigmask, uint64_t size, int timeout_ms, bool poll_like, Wait wait) {
  if (const long e = signals_wait_mask(sigmask, size); e != 0) return e;
  ProgramThread* t = this_thread();
  if (t == nullptr) return signals_wait_done(wait(timeout_ms));
  const auto timed_out = [&](long r) {
    if (r == 0 && poll_like && signal_deliverable(t)) r = fail(EINTR);
    return signals_wait_done(r);
  };
  if (timeout_ms == 0) return timed_out(wait(0));
  uint64_t deadline = 0;  // ns; 0: none (no limit, or the host's clock failed)
  if (timeout_ms > kSliceMs) {
    deadline = monotonic_ns();
    if (deadline != 0) deadline += static_cast<uint64_t>(timeout_ms) * 1000000ull;
  }
  // Without the clock a timed wait is one host wait, as before slices.
  const bool sliced = timeout_ms < 0 || deadline != 0;
  bool look = sigmask != 0;
  for (;;) {
    if (look && signal_deliverable(t)) {
      const long r = wait(0);
      return signals_wait_done(r == 0 ? fail(EINTR) : r);
    }
    look = true;
    int slice = sliced ? kSliceMs : timeout_ms;
    if (deadline != 0) {
      const uint64_t now = monotonic_ns();
      if (now == 0 || now >= deadline) return timed_out(wait(0));
      const uint64_t left_ms = (deadline - now + 999999) / 1000000;  // rounded up: never early
      if (left_ms < static_cast<uint64_t>(slice)) slice = static_cast<int>(left_ms);
    }
    const long r = wait(slice);
    // Ready, failed (EINTR from a host signal included), or unsliced.
    if (r != 0) return signals_wait_done(r);
    if (!sliced) return timed_out(r);
  }
}

// One reference fewer (a descriptor closed, a wait ended): the last one
// closes the host's epoll descriptor.
void unref(EpollSet* set) {
  if (--set->refs > 0) return;
  for (EpollSet** p = &g_sets; *p != nullptr; p = &(*p)->next)
    if (*p == set) {
      *p = set->next;
      break;
    }
  (void)::close(set->host);
  delete set;
}

// The most events one wait asks of the host: no more can be ready than
// are registered.
constexpr uint32_t kMaxAsk = kMaxFds;

// The answer of one wait, checked as a whole before the program sees any
// of it; the count of events given to the program.
long deliver(const EpollSet& s, const libos_epoll_event* got, long r, uint64_t events) {
  int which[kMaxAsk];
  for (long k = 0; k < r; ++k) {
    int i = 0;
    while (i < s.n && s.regs[i].key != got[k].key) ++i;
    if (i == s.n) return refuse("epoll_wait (a key never registered)");
    for (long j = 0; j < k; ++j)
      if (which[j] == i) return refuse("epoll_wait (a descriptor twice)");
    which[k] = i;
  }
  long out = 0;
  for (long k = 0; k < r; ++k) {
    const Registration& reg = s.regs[which[k]];
    const ProgramEvent pe{got[k].events & reportable(reg.events), reg.data};
    if (pe.events == 0) continue;
    memcpy(reinterpret_cast<void*>(events + static_cast<uint64_t>(out) * sizeof pe), &pe, sizeof pe);
    ++out;
  }
  return out;
}

}  // namespace

void epoll_forget(int fd, Fd& f) {
  for (EpollSet* s = g_sets; s != nullptr; s = s->next)
    for (int i = 0; i < s->n; ++i)
      if (s->regs[i].fd == fd && fd >= 0) {
        (void)host_epoll_ctl(s->host, EPOLL_CTL_DEL, s->regs[i].host, 0, 0);  // its key must not come back
        remove_at(*s, i--);
      }
  if (f.kind != FdKind::kStream || f.stream != StreamKind::kEpoll || f.epoll == nullptr) return;
  f.host = -1;  // the set owns the host descriptor; release_fd must not close it
  unref(f.epoll);
}

void epoll_share(Fd& copy) {
  if (copy.kind == FdKind::kStream && copy.stream == StreamKind::kEpoll && copy.epoll != nullptr) ++copy.epoll->refs;
}

namespace {

long poll_program(uint64_t fds, uint64_t nfds, int timeout_ms, uint64_t sigmask, uint64_t sigsize) {
  if (nfds > kMaxFds) return fail(EINVAL);  // RLIMIT_NOFILE, as Linux
  if (!program_range(fds, nfds * sizeof(struct pollfd))) return fail(EFAULT);
  Entry e[kMaxFds];
  for (uint64_t i = 0; i < nfds; ++i) {
    struct pollfd p;
    memcpy(&p, reinterpret_cast<const void*>(fds + i * sizeof p), sizeof p);
    e[i] = Entry{p.fd, p.events, 0};
  }
  const long r = masked_wait(sigmask, sigsize, timeout_ms, true,
                             [&](int ms) { return poll_entries(e, static_cast<uint32_t>(nfds), ms); });
  if (r < 0) return r;
  for (uint64_t i = 0; i < nfds; ++i)
    memcpy(reinterpret_cast<void*>(fds + i * sizeof(struct pollfd) + offsetof(struct pollfd, revents)), &e[i].revents,
           sizeof e[i].revents);
  return r;
}

}  // namespace

long sys_poll(uint64_t fds, uint64_t nfds, int64_t timeout_ms) {
  return poll_program(fds, nfds, clamp_ms(timeout_ms), 0, 0);
}

// ppoll: the remaining time is not written back.
long sys_ppoll(uint64_t fds, uint64_t nfds, uint64_t timeout, uint64_t sigmask, uint64_t sigsize) {
  int ms = -1;
  if (const long e = read_timeout(timeout, ms); e != 0) return e;
  return poll_program(fds, nfds, ms, sigmask, sigsize);
}

// select and pselect6 on poll: one entry per descriptor in any set.
// pselect6's sixth argument points to {const sigset_t* ss; size_t
// ss_len} (the kernel's, not glibc's pselect signature).
long sys_select(uint64_t nfds, uint64_t rd, uint64_t wr, uint64_t ex, uint64_t timeout, bool timespec,
                uint64_t sigarg) {
  uint64_t sig[2] = {0, 0};
  if (sigarg != 0) {
    if (!program_range(sigarg, sizeof sig)) return fail(EFAULT);
    memcpy(sig, reinterpret_cast<const void*>(sigarg), sizeof sig);
  }
  if (nfds > FD_SETSIZE) return fail(EINVAL);
  const uint64_t bytes = (nfds + 63) / 64 * 8;
  uint64_t set[3][FD_SETSIZE / 64] = {};
  const uint64_t ptr[3] = {rd, wr, ex};
  for (int k = 0; k < 3; ++k) {
    if (ptr[k] == 0) continue;
    if (!program_range(ptr[k], bytes)) return fail(EFAULT);
    memcpy(set[k], reinterpret_cast<const void*>(ptr[k]), bytes);
  }
  int ms = -1;
  if (timeout != 0) {
    if (!program_range(timeout, 16)) return fail(EFAULT);
    int64_t t[2];
    memcpy(t, reinterpret_cast<const void*>(timeout), sizeof t);
    const int64_t unit = timespec ? 1000000000 : 1000000;
    if (t[0] < 0 || t[1] < 0 || t[1] >= unit) return fail(EINVAL);
    ms = timeout_from(t[0], timespec ? t[1] : t[1] * 1000);
  }
  Entry e[kMaxFds];
  uint32_t n = 0;
  for (uint64_t fd = 0; fd < nfds; ++fd) {
    int16_t ev = 0;
    if ((set[0][fd / 64] >> (fd % 64)) & 1) ev |= POLLIN;
    if ((set[1][fd / 64] >> (fd % 64)) & 1) ev |= POLLOUT;
    if ((set[2][fd / 64] >> (fd % 64)) & 1) ev |= POLLPRI;
    if (ev == 0) continue;
    if (fd_at(static_cast<int64_t>(fd)) == nullptr) return fail(EBADF);  // so fd < kMaxFds: n <= kMaxFds
    e[n++] = Entry{static_cast<int>(fd), ev, 0};
  }
  const long r = masked_wait(sig[0], sig[1], ms, true, [&](int wait_ms) { return poll_entries(e, n, wait_ms); });
  if (r < 0) return r;
  uint64_t out[3][FD_SETSIZE / 64] = {};
  long count = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const auto fd = static_cast<uint64_t>(e[i].fd);
    const bool bits[3] = {(e[i].events & POLLIN) != 0 && (e[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0,
                          (e[i].events & POLLOUT) != 0 && (e[i].revents & (POLLOUT | POLLERR)) != 0,
                          (e[i].events & POLLPRI) != 0 && (e[i].revents & POLLPRI) != 0};
    for (int k = 0; k < 3; ++k)
      if (bits[k]) {
        out[k][fd / 64] |= uint64_t{1} << (fd % 64);
        ++count;
      }
  }
  for (int k = 0; k < 3; ++k)
    if (ptr[k] != 0) memcpy(reinterpret_cast<void*>(ptr[k]), out[k], bytes);
  return count;
}

long sys_epoll_create1(uint64_t flags) {
  if ((flags & ~static_cast<uint64_t>(EPOLL_CLOEXEC)) != 0) return fail(EINVAL);
  SpinGuard g(g_fd_lock);  // threads.h: the table's changes, one at a time
  const int fd = new_fd();
  if (fd < 0) return fail(EMFILE);
  auto* set = new (std::nothrow) EpollSet;
  if (set == nullptr) return fail(ENOMEM);
  const long h = host_epoll_create(EPOLL_CLOEXEC);
  if (h < 0) {
    delete set;
    return h;
  }
  set->host = static_cast<int>(h);
  set->next = g_sets;
  g_sets = set;
  Fd f;
  f.kind = FdKind::kStream;
  f.stream = StreamKind::kEpoll;
  f.host = set->host;
  f.cloexec = (flags & EPOLL_CLOEXEC) != 0;
  f.epoll = set;
  set_fd(fd, f);
  return fd;
}

long sys_epoll_ctl(int64_t epfd, uint64_t op, int64_t fd, uint64_t event) {
  const Fd* ep = fd_at(epfd);
  const Fd* f = fd_at(fd);
  if (ep == nullptr || f == nullptr) return fail(EBADF);
  if (ep->kind != FdKind::kStream || ep->stream != StreamKind::kEpoll || epfd == fd) return fail(EINVAL);
  // Regular files, as Linux; and the library OS's devices: Linux's null,
  // zero and full have no poll either (EPERM), random and urandom do, but
  // a host epoll instance cannot wait on what only the enclave holds.
  if (f->kind == FdKind::kTrusted || f->kind == FdKind::kHost || f->kind == FdKind::kEncrypted ||
      f->kind == FdKind::kDevice || f->kind == FdKind::kDirectory)
    return fail(EPERM);
  EpollSet& s = *ep->epoll;
  ProgramEvent ev{0, 0};
  if (op != EPOLL_CTL_DEL) {
    if (!program_range(event, sizeof ev)) return fail(EFAULT);
    memcpy(&ev, reinterpret_cast<const void*>(event), sizeof ev);
  }
  int i = 0;
  while (i < s.n && s.regs[i].fd != fd) ++i;
  const bool found = i < s.n;
  switch (op) {
    case EPOLL_CTL_ADD: {
      if (found) return fail(EEXIST);
      const uint64_t key = g_next_key++;
      const long r = host_epoll_ctl(s.host, EPOLL_CTL_ADD, f->host, ev.events, key);
      if (r < 0) return r;
      s.regs[s.n++] = Registration{static_cast<int>(fd), f->host, ev.events, ev.data, key};  // n < kMaxFds: one per fd
      return 0;
    }
    case EPOLL_CTL_MOD: {
      if (!found) return fail(ENOENT);
      const long r = host_epoll_ctl(s.host, EPOLL_CTL_MOD, f->host, ev.events, s.regs[i].key);
      if (r < 0) return r;
      s.regs[i].events = ev.events;
      s.regs[i].data = ev.data;
      return 0;
    }
    case EPOLL_CTL_DEL: {
      if (!found) return fail(ENOENT);
      const long r = host_epoll_ctl(s.host, EPOLL_CTL_DEL, f->host, 0, 0);
      remove_at(s, i);  // gone for the program whatever the host says
      return r;
    }
    default:
      return fail(EINVAL);
  }
}

// epoll_wait, epoll_pwait and epoll_pwait2 (`timeout` a struct timespec).
long sys_epoll_wait(int64_t epfd, uint64_t events, int64_t maxevents, int64_t timeout, bool timespec, uint64_t sigmask,
                    uint64_t sigsize) {
  const Fd* ep = fd_at(epfd);
  if (ep == nullptr) return fail(EBADF);
  if (ep->kind != FdKind::kStream || ep->stream != StreamKind::kEpoll) return fail(EINVAL);
  if (maxevents <= 0 || maxevents > INT_MAX / static_cast<int64_t>(sizeof(ProgramEvent))) return fail(EINVAL);
  if (!program_range(events, static_cast<uint64_t>(maxevents) * sizeof(ProgramEvent))) return fail(EFAULT);
  int ms = clamp_ms(timeout);
  if (timespec)
    if (const long e = read_timeout(static_cast<uint64_t>(timeout), ms); e != 0) return e;
  const uint32_t max = maxevents < kMaxAsk ? static_cast<uint32_t>(maxevents) : kMaxAsk;
  libos_epoll_event got[kMaxAsk];
  EpollSet* s = ep->epoll;
  // No lock is held across the wait; the set is looked at only after it,
  // and the wait's own reference keeps it (and its host descriptor) alive
  // should the program close the descriptor meanwhile (threads, later).
  ++s->refs;
  const long r = masked_wait(sigmask, sigsize, ms, false,
                             [&](int wait_ms) { return host_epoll_wait(s->host, got, max, wait_ms); });
  const long out = r <= 0 ? r : deliver(*s, got, r, events);  // r <= max: checked
  unref(s);
  return out;
}

}  // namespace nsgx::libos
