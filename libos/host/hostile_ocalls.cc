// A hostile host for tests only (linked into nsgx-libos-host-hostile with
// -Wl,--wrap): NSGX_LIBOS_FAULT chooses a lie the POSIX layer's OCALLs tell
// the enclave, so tests can check that the library OS refuses it (EIO) and
// goes on. Never part of nsgx-libos-host.
//   read-count     a read of fd 0 answers one byte more than asked
//   read-negative  a read of fd 0 answers -5000 (not an errno)
//   read-slow      a read of fd 0 waits 2 s before it reads (a slow host,
//                  not a lie: a signal then lands in the host's code
//                  before the blocking read, libos/host/signals.cc)
//   clock-back     CLOCK_MONOTONIC goes back by a second after its first answer
//   clock-range    a clock answers 2e9 nanoseconds
//   wake-early     every sleep on an untrusted event (futex waits, nanosleep,
//                  libos/enclave/threads.cc) returns after 1 ms as if woken
//   pread-count    every pread (allowed and encrypted files) answers one
//                  byte more than asked
//   pread-short    every pread reads and answers at most 100 bytes (true
//                  but short, as Linux may)
//   cwd-dotdot     getcwd answers "/tmp/../etc" (absolute, not normal)
//   recv-count     a recv answers one byte more than asked
//   accept-addrlen an accept answers a 4096-byte peer address
//   accept-fd      an accept answers the listener's own descriptor
//   epoll-key      an epoll_wait answers a key the enclave never registered
//   epoll-count    an epoll_wait answers one event more than asked
//   epoll-events   an epoll_wait answers every event bit set
//   wait-slow      every poll and epoll_wait that may wait first sleeps
//                  300 ms (a slow host, not a lie: the kick of a signal
//                  posted inside then lands before the host's wait and is
//                  lost, libos/enclave/syscalls_poll.cc's slices)
//   list-slash     a directory listing adds a name with a '/' ("../x")
//   listing-count  a trusted directory's listing answers one byte more
//                  than asked
//   poll-count     a poll answers one entry more than asked
//   poll-revents   a poll answers every revents bit set
//   signal-forge   at every clock OCALL, the signal word asks for every
//                  signal the host may not send (faults, SIGKILL, SIGSTOP,
//                  SIGALRM, SIGSYS, real-time signals)
// NSGX_LIBOS_FAULT_LOG=FILE: a line per lie told (signal-forge's so far).
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "libos/host/signals.h"

extern "C" {
int64_t __real_nsgx_posix_read_ocall(int32_t fd, void* buf, size_t n);
int64_t __real_nsgx_posix_clock_gettime_ocall(int32_t clock, int64_t* sec, int64_t* nsec);
int __real_pthread_wait_timeout_ocall(unsigned long long waiter, unsigned long long timeout);
int64_t __real_nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset);
int64_t __real_nsgx_posix_getcwd_ocall(char* buf, size_t n);
int64_t __real_libos_recvfrom_ocall(int32_t fd, void* buf, uint64_t n, int32_t flags, void* addr, uint32_t cap,
                                    uint32_t* alen);
int64_t __real_libos_accept4_ocall(int32_t fd, void* addr, uint32_t cap, uint32_t* len, int32_t flags);
struct libos_epoll_event;
struct libos_pollfd;
int64_t __real_libos_poll_ocall(libos_pollfd* fds, size_t n, int32_t timeout_ms);
int64_t __real_libos_epoll_wait_ocall(int32_t epfd, libos_epoll_event* events, size_t max, int32_t timeout_ms);
int64_t __real_libos_list_directory_ocall(const char* path, int64_t cookie, uint8_t* buf, uint64_t cap);
int64_t __real_libos_trusted_listing_ocall(uint32_t index, uint64_t offset, uint8_t* buf, uint64_t cap);

namespace {
bool fault(const char* name) {
  const char* f = std::getenv("NSGX_LIBOS_FAULT");
  return f != nullptr && std::strcmp(f, name) == 0;
}
// NSGX_LIBOS_FAULT_LOG=FILE: each lie told is counted there (one line per
// lie, appended), so that a test knows the lie was told at all — not only
// that the program's output did not change.
void told(const char* name) {
  const char* path = std::getenv("NSGX_LIBOS_FAULT_LOG");
  if (path == nullptr) return;
  if (FILE* f = std::fopen(path, "a"); f != nullptr) {
    std::fprintf(f, "%s\n", name);
    std::fclose(f);
  }
}
}  // namespace

int64_t __wrap_nsgx_posix_read_ocall(int32_t fd, void* buf, size_t n) {
  if (fd == 0 && fault("read-slow")) {
    told("read-slow");
    struct timespec end {};
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += 2;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, nullptr) == EINTR) {
    }
  }
  const int64_t r = __real_nsgx_posix_read_ocall(fd, buf, n);
  if (fd == 0 && fault("read-count")) return static_cast<int64_t>(n) + 1;
  if (fd == 0 && fault("read-negative")) return -5000;
  return r;
}

int64_t __wrap_nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset) {
  if (fault("pread-short") && n > 100) n = 100;
  const int64_t r = __real_nsgx_posix_pread_ocall(fd, buf, n, offset);
  if (fault("pread-count")) return static_cast<int64_t>(n) + 1;
  return r;
}

int64_t __wrap_nsgx_posix_clock_gettime_ocall(int32_t clock, int64_t* sec, int64_t* nsec) {
  static int calls = 0;
  const int64_t r = __real_nsgx_posix_clock_gettime_ocall(clock, sec, nsec);
  if (fault("clock-range")) *nsec = 2000000000;
  if (fault("clock-back") && clock == 1 && calls++ > 0) *sec -= 1;
  if (uint64_t* w = nsgx::libos_host::forwarded_signal_word(); w != nullptr && fault("signal-forge")) {
    // SIGILL 4, SIGTRAP 5, SIGBUS 7, SIGFPE 8, SIGKILL 9, SIGSEGV 11,
    // SIGALRM 14, SIGSTOP 19, SIGSYS 31, and every real-time signal.
    constexpr uint64_t kForged = (1ull << 3) | (1ull << 4) | (1ull << 6) | (1ull << 7) | (1ull << 8) | (1ull << 10) |
                                 (1ull << 13) | (1ull << 18) | (1ull << 30) | (~0ull << 31);
    __atomic_or_fetch(w, kForged, __ATOMIC_SEQ_CST);
    told("signal-forge");
  }
  return r;
}

int __wrap_pthread_wait_timeout_ocall(unsigned long long waiter, unsigned long long timeout) {
  if (fault("wake-early")) {
    usleep(1000);
    return 0;  // "set", though nobody set it
  }
  return __real_pthread_wait_timeout_ocall(waiter, timeout);
}

int64_t __wrap_nsgx_posix_getcwd_ocall(char* buf, size_t n) {
  const int64_t r = __real_nsgx_posix_getcwd_ocall(buf, n);
  constexpr char kLie[] = "/tmp/../etc";
  if (fault("cwd-dotdot") && n >= sizeof kLie) {
    std::memcpy(buf, kLie, sizeof kLie);
    return sizeof kLie - 1;
  }
  return r;
}

int64_t __wrap_libos_recvfrom_ocall(int32_t fd, void* buf, uint64_t n, int32_t flags, void* addr, uint32_t cap,
                                    uint32_t* alen) {
  const int64_t r = __real_libos_recvfrom_ocall(fd, buf, n, flags, addr, cap, alen);
  if (r >= 0 && fault("recv-count")) return static_cast<int64_t>(n) + 1;
  return r;
}

int64_t __wrap_libos_accept4_ocall(int32_t fd, void* addr, uint32_t cap, uint32_t* len, int32_t flags) {
  const int64_t r = __real_libos_accept4_ocall(fd, addr, cap, len, flags);
  if (r >= 0 && fault("accept-addrlen")) *len = 4096;
  if (r >= 0 && fault("accept-fd")) return fd;
  return r;
}

// wait-slow: 300 ms in the host's own code before a wait that may block.
void slow_wait(int32_t timeout_ms) {
  if (timeout_ms == 0 || !fault("wait-slow")) return;
  told("wait-slow");
  struct timespec end {};
  clock_gettime(CLOCK_MONOTONIC, &end);
  end.tv_nsec += 300000000;
  if (end.tv_nsec >= 1000000000) {
    end.tv_nsec -= 1000000000;
    ++end.tv_sec;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, nullptr) == EINTR) {
  }
}

int64_t __wrap_libos_epoll_wait_ocall(int32_t epfd, libos_epoll_event* events, size_t max, int32_t timeout_ms) {
  slow_wait(timeout_ms);
  const int64_t r = __real_libos_epoll_wait_ocall(epfd, events, max, timeout_ms);
  if (r > 0 && fault("epoll-key")) {
    uint64_t key;  // the key field, 8 bytes in (libos_net.edl)
    std::memcpy(&key, reinterpret_cast<char*>(events) + 8, sizeof key);
    key += 1000000;
    std::memcpy(reinterpret_cast<char*>(events) + 8, &key, sizeof key);
  }
  if (r > 0 && fault("epoll-events")) std::memset(events, 0xff, 4);  // the first event's events field
  if (r >= 0 && fault("epoll-count")) return static_cast<int64_t>(max) + 1;
  return r;
}

int64_t __wrap_libos_poll_ocall(libos_pollfd* fds, size_t n, int32_t timeout_ms) {
  slow_wait(timeout_ms);
  const int64_t r = __real_libos_poll_ocall(fds, n, timeout_ms);
  if (r >= 0 && fault("poll-revents"))
    for (size_t i = 0; i < n; ++i) std::memset(reinterpret_cast<char*>(fds) + i * 8 + 6, 0xff, 2);  // revents
  if (r >= 0 && fault("poll-count")) return static_cast<int64_t>(n) + 1;
  return r;
}

int64_t __wrap_libos_list_directory_ocall(const char* path, int64_t cookie, uint8_t* buf, uint64_t cap) {
  const int64_t r = __real_libos_list_directory_ocall(path, cookie, buf, cap);
  constexpr char kLie[] = "../x";
  if (r < 0 || !fault("list-slash") || cap - static_cast<uint64_t>(r) < 17 + sizeof kLie) return r;
  told("list-slash");
  const uint64_t next = uint64_t{1} << 40;
  std::memset(buf + r, 0, 17);
  std::memcpy(buf + r + 8, &next, 8);
  std::memcpy(buf + r + 17, kLie, sizeof kLie);
  return r + 17 + static_cast<int64_t>(sizeof kLie);
}

int64_t __wrap_libos_trusted_listing_ocall(uint32_t index, uint64_t offset, uint8_t* buf, uint64_t cap) {
  const int64_t r = __real_libos_trusted_listing_ocall(index, offset, buf, cap);
  if (r < 0 || !fault("listing-count")) return r;
  told("listing-count");
  return static_cast<int64_t>(cap) + 1;
}
}
