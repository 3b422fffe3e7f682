/* The rest of the C library that Debian's libstdc++ (libstdc++_pic.a) and
 * its unwinder refer to, inside an enclave: memchr, strerror, sprintf, the
 * gettext family (messages stay untranslated), and randomness from RDRAND
 * (getentropy, arc4random), and what an enclave cannot do without an
 * OCALL — files, clocks, sleeping, system calls — failing with ENOSYS
 * rather than pretending to succeed (docs/sdk-abi.md, "C++"). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sgx_trts.h"
#include "trts_internal.h"

void* memchr(const void* s, int c, size_t n) {
  const unsigned char* p = s;
  for (; n; --n, ++p)
    if (*p == (unsigned char)c) return (void*)p;
  return NULL;
}

char* strerror(int e) {
  switch (e) {
    case 0:
      return "Success";
    case EPERM:
      return "Operation not permitted";
    case ENOENT:
      return "No such file or directory";
    case EINTR:
      return "Interrupted system call";
    case EIO:
      return "Input/output error";
    case EBADF:
      return "Bad file descriptor";
    case EAGAIN:
      return "Resource temporarily unavailable";
    case ENOMEM:
      return "Cannot allocate memory";
    case EACCES:
      return "Permission denied";
    case EBUSY:
      return "Device or resource busy";
    case EINVAL:
      return "Invalid argument";
    case ERANGE:
      return "Numerical result out of range";
    case EDEADLK:
      return "Resource deadlock avoided";
    case ENOSYS:
      return "Function not implemented";
    case ETIMEDOUT:
      return "Connection timed out";
    case ESRCH:
      return "No such process";
    case EOVERFLOW:
      return "Value too large for defined data type";
    default:
      return "Unknown error";
  }
}

int vsprintf(char* buf, const char* fmt, va_list ap) { return vsnprintf(buf, (size_t)INT32_MAX, fmt, ap); }

int sprintf(char* buf, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vsprintf(buf, fmt, ap);
  va_end(ap);
  return n;
}

/* One message catalogue: the untranslated text (GNU gettext's behaviour
 * when no translation is found). */
char* gettext(const char* msgid) { return (char*)msgid; }
char* dgettext(const char* domain, const char* msgid) {
  (void)domain;
  return (char*)msgid;
}
char* dcgettext(const char* domain, const char* msgid, int category) {
  (void)domain, (void)category;
  return (char*)msgid;
}

/* getentropy(3): at most 256 bytes, from RDRAND (sgx_read_rand). */
int getentropy(void* buf, size_t n) {
  if (n > 256) {
    errno = EIO;
    return -1;
  }
  if (n == 0) return 0;
  if (sgx_read_rand(buf, n) != SGX_SUCCESS) {
    errno = EIO;
    return -1;
  }
  return 0;
}

uint32_t arc4random(void) {
  uint32_t v = 0;
  if (sgx_read_rand((unsigned char*)&v, sizeof v) != SGX_SUCCESS) nsgx_crash(); /* arc4random cannot fail */
  return v;
}

/* ---- Not available inside an enclave ----
 * Weak: an enclave that serves one of these through an OCALL of its own
 * defines it, and its definition wins. */
#define FALLBACK __attribute__((weak))

FALLBACK int open(const char* path, int flags, ...) {
  (void)path, (void)flags;
  errno = ENOSYS;
  return -1;
}
FALLBACK ssize_t read(int fd, void* p, size_t n) {
  (void)fd, (void)p, (void)n;
  errno = EBADF;
  return -1;
}
FALLBACK int close(int fd) {
  (void)fd;
  errno = EBADF;
  return -1;
}
FALLBACK int ioctl(int fd, unsigned long request, ...) {
  (void)fd, (void)request;
  errno = EBADF;
  return -1;
}
FALLBACK long syscall(long number, ...) {
  (void)number;
  errno = ENOSYS; /* enclave code cannot make system calls */
  return -1;
}
FALLBACK int clock_gettime(clockid_t clock, struct timespec* ts) {
  (void)clock;
  ts->tv_sec = ts->tv_nsec = 0; /* glibc declares ts non-null */
  errno = ENOSYS;               /* no trusted time source in an enclave */
  return -1;
}
FALLBACK int gettimeofday(struct timeval* restrict tv, void* restrict tz) {
  (void)tz;
  tv->tv_sec = tv->tv_usec = 0;
  errno = ENOSYS;
  return -1;
}
FALLBACK time_t time(time_t* t) {
  errno = ENOSYS;
  if (t != NULL) *t = (time_t)-1;
  return (time_t)-1;
}
FALLBACK int nanosleep(const struct timespec* req, struct timespec* rem) {
  (void)req, (void)rem;
  errno = ENOSYS;
  return -1;
}
