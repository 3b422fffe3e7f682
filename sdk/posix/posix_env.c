/* The POSIX layer's process, clock and sleep functions (docs/posix.md), and
 * what an enclave cannot do at all.
 *
 * - getpid, geteuid: OCALLs (the host's process; checked for range).
 * - clock_gettime, gettimeofday, time: OCALLs to the host's clock — time
 *   the host can lie about, as it can on SGX hardware; checked only for
 *   form (nanoseconds < 10^9, seconds in [0, 2^40)).
 * - nanosleep, usleep, sleep: OCALLs (an ordinary transition, never a
 *   switchless worker's: a sleep would hold it).
 * - getenv: an enclave has no environment (the host's is untrusted input),
 *   so every name is unset; sysconf: the page size (4096, the EPC's), the
 *   rest EINVAL.
 * - mmap, mremap, munmap: fail (ENOSYS / EINVAL): host files cannot be
 *   mapped into enclave memory. dlopen, dlsym: fail, with dlerror's
 *   message: enclave code is only what was measured. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "tposix_internal.h"

pid_t NSGX_POSIX(getpid)(void) {
  int64_t r = -1;
  nsgx_tposix_count();
  const sgx_status_t st = nsgx_posix_getpid_ocall(&r);
  const int64_t pid = nsgx_tposix_checked(st, r, INT32_MAX);
  if (pid == 0) return (pid_t)nsgx_tposix_refuse(); /* never 0: that is the kernel's */
  return (pid_t)pid;                                /* getpid cannot fail: -1 only for a refused answer */
}

uid_t NSGX_POSIX(geteuid)(void) {
  int64_t r = -1;
  nsgx_tposix_count();
  const sgx_status_t st = nsgx_posix_geteuid_ocall(&r);
  return (uid_t)nsgx_tposix_checked(st, r, (int64_t)UINT32_MAX - 1); /* (uid_t)-1 is no uid */
}

char* NSGX_POSIX(getenv)(const char* name) {
  (void)name;
  return NULL;
}

long NSGX_POSIX(sysconf)(int name) {
  if (name == _SC_PAGESIZE) return 4096;
  errno = EINVAL;
  return -1;
}

/* ---- clocks ---- */

#define MAX_CLOCK_SECONDS (INT64_C(1) << 40)

int NSGX_POSIX(clock_gettime)(clockid_t clock, struct timespec* ts) {
  int64_t r = -1, sec = -1, nsec = -1;
  nsgx_tposix_count();
  const sgx_status_t st = nsgx_posix_clock_gettime_ocall(&r, (int32_t)clock, &sec, &nsec);
  if (nsgx_tposix_checked(st, r, 0) < 0) return -1;
  if (sec < 0 || sec >= MAX_CLOCK_SECONDS || nsec < 0 || nsec >= 1000000000) return (int)nsgx_tposix_refuse();
  ts->tv_sec = (time_t)sec;
  ts->tv_nsec = (long)nsec;
  return 0;
}

int NSGX_POSIX(gettimeofday)(struct timeval* restrict tv, void* restrict tz) {
  (void)tz; /* obsolete; glibc ignores it too */
  struct timespec ts = {0, 0}; /* GCC -O3 cannot see that a 0 return set it */
  if (NSGX_POSIX(clock_gettime)(CLOCK_REALTIME, &ts) != 0) return -1;
  tv->tv_sec = ts.tv_sec; /* glibc declares tv nonnull */
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

time_t NSGX_POSIX(time)(time_t* t) {
  struct timespec ts = {0, 0};
  const time_t now = NSGX_POSIX(clock_gettime)(CLOCK_REALTIME, &ts) == 0 ? ts.tv_sec : (time_t)-1;
  if (t != NULL) *t = now;
  return now;
}

/* ---- sleeping ---- */

/* EINTR leaves *rem as the whole request: the host does not say how long
 * it slept, and claiming less left could only shorten a caller's wait. */
int NSGX_POSIX(nanosleep)(const struct timespec* req, struct timespec* rem) {
  if (req == NULL || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000) {
    errno = EINVAL;
    return -1;
  }
  int64_t r = -1;
  nsgx_tposix_count();
  const sgx_status_t st = nsgx_posix_nanosleep_ocall(&r, (int64_t)req->tv_sec, (int64_t)req->tv_nsec);
  if (nsgx_tposix_checked(st, r, 0) < 0) {
    if (errno == EINTR && rem != NULL) *rem = *req;
    return -1;
  }
  return 0;
}

int NSGX_POSIX(usleep)(useconds_t us) {
  const struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
  return NSGX_POSIX(nanosleep)(&ts, NULL);
}

unsigned NSGX_POSIX(sleep)(unsigned seconds) {
  const struct timespec ts = {(time_t)seconds, 0};
  return NSGX_POSIX(nanosleep)(&ts, NULL) == 0 ? 0 : seconds;
}

/* ---- not inside an enclave ---- */

void* NSGX_POSIX(mmap)(void* addr, size_t len, int prot, int flags, int fd, off_t offset) {
  (void)addr, (void)len, (void)prot, (void)flags, (void)fd, (void)offset;
  errno = ENOSYS;
  return MAP_FAILED;
}
void* NSGX_POSIX(mmap64)(void* addr, size_t len, int prot, int flags, int fd, off64_t offset) {
  return NSGX_POSIX(mmap)(addr, len, prot, flags, fd, (off_t)offset);
}
void* NSGX_POSIX(mremap)(void* old, size_t old_len, size_t new_len, int flags, ...) {
  (void)old, (void)old_len, (void)new_len, (void)flags;
  errno = ENOSYS;
  return MAP_FAILED;
}
int NSGX_POSIX(munmap)(void* addr, size_t len) {
  (void)addr, (void)len;
  errno = EINVAL; /* nothing was mapped by mmap */
  return -1;
}

static int g_dl_failed;
void* NSGX_POSIX(dlopen)(const char* file, int mode) {
  (void)file, (void)mode;
  __atomic_store_n(&g_dl_failed, 1, __ATOMIC_RELAXED);
  return NULL;
}
void* NSGX_POSIX(dlsym)(void* restrict handle, const char* restrict name) {
  (void)handle, (void)name;
  __atomic_store_n(&g_dl_failed, 1, __ATOMIC_RELAXED);
  return NULL;
}
int NSGX_POSIX(dlclose)(void* handle) {
  (void)handle;
  __atomic_store_n(&g_dl_failed, 1, __ATOMIC_RELAXED);
  return -1;
}
/* The message of the last failure, once (POSIX: NULL until the next one). */
char* NSGX_POSIX(dlerror)(void) {
  if (!__atomic_exchange_n(&g_dl_failed, 0, __ATOMIC_RELAXED)) return NULL;
  return (char*)"dynamic loading is not available inside an enclave: its code is only what was measured";
}
