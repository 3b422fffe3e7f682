/* The POSIX layer's file functions (docs/posix.md): each an OCALL of
 * nsgx_tposix.edl whose answer is checked before anything of it is used.
 *
 * What is checked, call by call: a transfer's length against the length
 * asked (never more than the buffer the bridge copied); a descriptor
 * against int's range; a stat's size, block size and block count against
 * NSGX_POSIX_MAX_FILE_SIZE and zero, its times' nanoseconds, its file type;
 * a lock's type, whence, start and length; a path's length against its
 * buffer and its terminating NUL. Calls that return nothing on success
 * accept 0 only. Anything else is EIO (nsgx_tposix_refused counts it); a
 * negative answer of -1..-4095 is the host's errno, which the caller gets.
 * The arguments are checked here too (a negative offset or length is
 * EINVAL), so the host is never asked something undefined. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <utime.h>

#include "tposix_internal.h"

static uint64_t g_ocalls, g_refused;

uint64_t nsgx_tposix_ocalls(void) { return __atomic_load_n(&g_ocalls, __ATOMIC_RELAXED); }
uint64_t nsgx_tposix_refused(void) { return __atomic_load_n(&g_refused, __ATOMIC_RELAXED); }
void nsgx_tposix_count(void) { __atomic_fetch_add(&g_ocalls, 1, __ATOMIC_RELAXED); }

int64_t nsgx_tposix_refuse(void) {
  __atomic_fetch_add(&g_refused, 1, __ATOMIC_RELAXED);
  errno = EIO;
  return -1;
}

int64_t nsgx_tposix_checked(sgx_status_t st, int64_t r, int64_t max) {
  if (st != SGX_SUCCESS) { /* the OCALL did not reach the host, or the bridge could not copy */
    errno = st == SGX_ERROR_OUT_OF_MEMORY ? ENOMEM : EIO;
    return -1;
  }
  if (r >= 0 && r <= max) return r;
  if (r < 0 && r >= -NSGX_POSIX_MAX_ERRNO) {
    errno = (int)-r;
    return -1;
  }
  return nsgx_tposix_refuse();
}

/* One OCALL, counted: `call` assigns the status; its answer lands in r. */
#define OCALL(call) (nsgx_tposix_count(), (call))

/* ---- descriptors ---- */

static int do_open(const char* path, int flags, va_list ap) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) mode = va_arg(ap, mode_t);
  if (path == NULL) {
    errno = EFAULT;
    return -1;
  }
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_open_ocall(&r, path, flags, (uint32_t)mode));
  return (int)nsgx_tposix_checked(st, r, INT_MAX);
}

int NSGX_POSIX(open)(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const int fd = do_open(path, flags, ap);
  va_end(ap);
  return fd;
}

int NSGX_POSIX(open64)(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const int fd = do_open(path, flags, ap);
  va_end(ap);
  return fd;
}

int NSGX_POSIX(close)(int fd) {
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_close_ocall(&r, fd));
  return (int)nsgx_tposix_checked(st, r, 0);
}

/* ---- transfers, split into chunks of NSGX_POSIX_IO_CHUNK ---- */

enum { XFER_READ, XFER_WRITE };

/* Transfers n bytes at `offset` (-1: the descriptor's position). A short
 * chunk ends the transfer, as a short read or write does; an error after
 * some bytes moved reports those bytes, as POSIX asks. */
static ssize_t transfer(int dir, int fd, void* buf, size_t n, int64_t offset) {
  if (n > NSGX_POSIX_SSIZE_MAX) n = NSGX_POSIX_SSIZE_MAX; /* Linux caps a transfer the same way */
  if (offset != -1 && (offset < 0 || (uint64_t)offset + n > (uint64_t)INT64_MAX)) {
    errno = EINVAL;
    return -1;
  }
  size_t done = 0;
  while (done < n) {
    const size_t c = n - done < NSGX_POSIX_IO_CHUNK ? n - done : NSGX_POSIX_IO_CHUNK;
    unsigned char* p = (unsigned char*)buf + done;
    const int64_t at = offset == -1 ? -1 : offset + (int64_t)done;
    int64_t r = -1;
    sgx_status_t st;
    if (dir == XFER_READ)
      st = OCALL(at == -1 ? nsgx_posix_read_ocall(&r, fd, p, c) : nsgx_posix_pread_ocall(&r, fd, p, c, at));
    else
      st = OCALL(at == -1 ? nsgx_posix_write_ocall(&r, fd, p, c) : nsgx_posix_pwrite_ocall(&r, fd, p, c, at));
    const int64_t got = nsgx_tposix_checked(st, r, (int64_t)c);
    if (got < 0) return done > 0 ? (ssize_t)done : -1;
    done += (size_t)got;
    if ((size_t)got < c) break;
  }
  return (ssize_t)done;
}

ssize_t NSGX_POSIX(read)(int fd, void* buf, size_t n) { return transfer(XFER_READ, fd, buf, n, -1); }
ssize_t NSGX_POSIX(write)(int fd, const void* buf, size_t n) { return transfer(XFER_WRITE, fd, (void*)buf, n, -1); }

static ssize_t positioned(int dir, int fd, void* buf, size_t n, off_t offset) {
  if (offset < 0) {
    errno = EINVAL;
    return -1;
  }
  return transfer(dir, fd, buf, n, (int64_t)offset);
}
ssize_t NSGX_POSIX(pread)(int fd, void* buf, size_t n, off_t offset) {
  return positioned(XFER_READ, fd, buf, n, offset);
}
ssize_t NSGX_POSIX(pread64)(int fd, void* buf, size_t n, off64_t offset) {
  return positioned(XFER_READ, fd, buf, n, offset);
}
ssize_t NSGX_POSIX(pwrite)(int fd, const void* buf, size_t n, off_t offset) {
  return positioned(XFER_WRITE, fd, (void*)buf, n, offset);
}
ssize_t NSGX_POSIX(pwrite64)(int fd, const void* buf, size_t n, off64_t offset) {
  return positioned(XFER_WRITE, fd, (void*)buf, n, offset);
}

/* ---- metadata ---- */

static int valid_nsec(int64_t ns) { return ns >= 0 && ns < 1000000000; }

/* The host's stat, checked, into the C library's struct stat (which is
 * struct stat64 on x86-64: one layout, both names). */
static int fill_stat(const struct nsgx_posix_stat* w, struct stat* out) {
  const uint32_t type = w->mode & S_IFMT;
  const int known_type = type == S_IFREG || type == S_IFDIR || type == S_IFLNK || type == S_IFCHR || type == S_IFBLK ||
                         type == S_IFIFO || type == S_IFSOCK;
  if (!known_type || (w->mode & ~(uint32_t)(S_IFMT | 07777)) != 0 || w->size < 0 ||
      w->size > NSGX_POSIX_MAX_FILE_SIZE || w->blksize <= 0 || w->blksize > (INT64_C(1) << 30) || w->blocks < 0 ||
      w->blocks > NSGX_POSIX_MAX_FILE_SIZE / 512 + 1 || !valid_nsec(w->atime_nsec) || !valid_nsec(w->mtime_nsec) ||
      !valid_nsec(w->ctime_nsec) || w->uid == UINT32_MAX || w->gid == UINT32_MAX)
    return (int)nsgx_tposix_refuse();
  memset(out, 0, sizeof *out);
  out->st_dev = (dev_t)w->dev;
  out->st_ino = (ino_t)w->ino;
  out->st_nlink = (nlink_t)w->nlink;
  out->st_mode = (mode_t)w->mode;
  out->st_uid = (uid_t)w->uid;
  out->st_gid = (gid_t)w->gid;
  out->st_rdev = (dev_t)w->rdev;
  out->st_size = (off_t)w->size;
  out->st_blksize = (blksize_t)w->blksize;
  out->st_blocks = (blkcnt_t)w->blocks;
  out->st_atim.tv_sec = (time_t)w->atime_sec;
  out->st_atim.tv_nsec = (long)w->atime_nsec;
  out->st_mtim.tv_sec = (time_t)w->mtime_sec;
  out->st_mtim.tv_nsec = (long)w->mtime_nsec;
  out->st_ctim.tv_sec = (time_t)w->ctime_sec;
  out->st_ctim.tv_nsec = (long)w->ctime_nsec;
  return 0;
}

_Static_assert(sizeof(struct stat) == sizeof(struct stat64) &&
                   offsetof(struct stat, st_size) == offsetof(struct stat64, st_size) &&
                   offsetof(struct stat, st_ctim) == offsetof(struct stat64, st_ctim),
               "x86-64 glibc: struct stat64 is struct stat");

int NSGX_POSIX(fstat)(int fd, struct stat* out) {
  struct nsgx_posix_stat w;
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_fstat_ocall(&r, fd, &w));
  if (nsgx_tposix_checked(st, r, 0) < 0) return -1;
  return fill_stat(&w, out);
}
int NSGX_POSIX(fstat64)(int fd, struct stat64* out) { return NSGX_POSIX(fstat)(fd, (struct stat*)(void*)out); }

static int path_stat(const char* path, int nofollow, struct stat* out) {
  if (path == NULL) {
    errno = EFAULT;
    return -1;
  }
  struct nsgx_posix_stat w;
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_stat_ocall(&r, path, nofollow, &w));
  if (nsgx_tposix_checked(st, r, 0) < 0) return -1;
  return fill_stat(&w, out);
}
int NSGX_POSIX(stat)(const char* restrict path, struct stat* restrict out) { return path_stat(path, 0, out); }
int NSGX_POSIX(stat64)(const char* restrict path, struct stat64* restrict out) {
  return path_stat(path, 0, (struct stat*)(void*)out);
}
int NSGX_POSIX(lstat)(const char* restrict path, struct stat* restrict out) { return path_stat(path, 1, out); }
int NSGX_POSIX(lstat64)(const char* restrict path, struct stat64* restrict out) {
  return path_stat(path, 1, (struct stat*)(void*)out);
}

int NSGX_POSIX(ftruncate)(int fd, off_t length) {
  if (length < 0 || length > NSGX_POSIX_MAX_FILE_SIZE) {
    errno = EINVAL;
    return -1;
  }
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_ftruncate_ocall(&r, fd, (int64_t)length));
  return (int)nsgx_tposix_checked(st, r, 0);
}
int NSGX_POSIX(ftruncate64)(int fd, off64_t length) { return NSGX_POSIX(ftruncate)(fd, (off_t)length); }

static int sync_fd(int fd, int data_only) {
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_fsync_ocall(&r, fd, data_only));
  return (int)nsgx_tposix_checked(st, r, 0);
}
int NSGX_POSIX(fsync)(int fd) { return sync_fd(fd, 0); }
int NSGX_POSIX(fdatasync)(int fd) { return sync_fd(fd, 1); }

/* fcntl: descriptor flags, status flags and POSIX record locks; other
 * commands (F_DUPFD, leases, signals, OFD locks) are EINVAL here. */
static int do_fcntl(int fd, int cmd, va_list ap) {
  int64_t r = -1;
  sgx_status_t st;
  switch (cmd) {
    case F_GETFD:
    case F_GETFL:
      st = OCALL(nsgx_posix_fcntl_ocall(&r, fd, cmd, 0));
      return (int)nsgx_tposix_checked(st, r, INT_MAX);
    case F_SETFD:
    case F_SETFL: {
      const int arg = va_arg(ap, int);
      st = OCALL(nsgx_posix_fcntl_ocall(&r, fd, cmd, arg));
      return (int)nsgx_tposix_checked(st, r, 0);
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW: {
      struct flock* lk = va_arg(ap, struct flock*);
      if (lk == NULL) {
        errno = EFAULT;
        return -1;
      }
      struct nsgx_posix_flock w = {lk->l_type, lk->l_whence, (int64_t)lk->l_start, (int64_t)lk->l_len, lk->l_pid, 0};
      st = OCALL(nsgx_posix_fcntl_lock_ocall(&r, fd, cmd, &w));
      if (nsgx_tposix_checked(st, r, 0) < 0) return -1;
      if (cmd != F_GETLK) return 0;
      /* F_GETLK describes a lock: a known type, a start from the file's
       * beginning (the kernel answers SEEK_SET), a length >= 0 (0: to the end). */
      if ((w.type != F_RDLCK && w.type != F_WRLCK && w.type != F_UNLCK) || w.whence != SEEK_SET || w.start < 0 ||
          w.len < 0 || w.start > NSGX_POSIX_MAX_FILE_SIZE || w.len > NSGX_POSIX_MAX_FILE_SIZE || w.pid < 0)
        return (int)nsgx_tposix_refuse();
      lk->l_type = (short)w.type;
      lk->l_whence = (short)w.whence;
      lk->l_start = (off_t)w.start;
      lk->l_len = (off_t)w.len;
      lk->l_pid = (pid_t)w.pid;
      return 0;
    }
    default:
      errno = EINVAL;
      return -1;
  }
}

int NSGX_POSIX(fcntl)(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const int r = do_fcntl(fd, cmd, ap);
  va_end(ap);
  return r;
}
int NSGX_POSIX(fcntl64)(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const int r = do_fcntl(fd, cmd, ap);
  va_end(ap);
  return r;
}

int NSGX_POSIX(fchmod)(int fd, mode_t mode) {
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_fchmod_ocall(&r, fd, (uint32_t)mode));
  return (int)nsgx_tposix_checked(st, r, 0);
}

int NSGX_POSIX(fchown)(int fd, uid_t uid, gid_t gid) {
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_fchown_ocall(&r, fd, (uint32_t)uid, (uint32_t)gid));
  return (int)nsgx_tposix_checked(st, r, 0);
}

/* ---- paths ---- */

/* glibc declares these paths nonnull (the bridge would refuse NULL: EIO). */
#define PATH_CALL(call)                        \
  do {                                         \
    int64_t r = -1;                            \
    const sgx_status_t st = OCALL(call);       \
    return (int)nsgx_tposix_checked(st, r, 0); \
  } while (0)

int NSGX_POSIX(access)(const char* path, int mode) { PATH_CALL(nsgx_posix_access_ocall(&r, path, mode)); }
int NSGX_POSIX(unlink)(const char* path) { PATH_CALL(nsgx_posix_unlink_ocall(&r, path)); }
int NSGX_POSIX(mkdir)(const char* path, mode_t mode) { PATH_CALL(nsgx_posix_mkdir_ocall(&r, path, (uint32_t)mode)); }
int NSGX_POSIX(rmdir)(const char* path) { PATH_CALL(nsgx_posix_rmdir_ocall(&r, path)); }
int NSGX_POSIX(rename)(const char* from, const char* to) { PATH_CALL(nsgx_posix_rename_ocall(&r, from, to, 0)); }

/* Paths relative to the working directory only (AT_FDCWD): an enclave's
 * descriptors are not the host's directories. */
int NSGX_POSIX(renameat2)(int from_dir, const char* from, int to_dir, const char* to, unsigned int flags) {
  if (from_dir != AT_FDCWD || to_dir != AT_FDCWD) {
    errno = EBADF;
    return -1;
  }
  PATH_CALL(nsgx_posix_rename_ocall(&r, from, to, (uint32_t)flags));
}

int NSGX_POSIX(utime)(const char* path, const struct utimbuf* times) {
  PATH_CALL(nsgx_posix_utime_ocall(&r, path, times != NULL, times ? (int64_t)times->actime : 0,
                                   times ? (int64_t)times->modtime : 0));
}

/* getcwd(NULL, 0) allocates, as glibc's does. The host's answer must be
 * an absolute path that fills the buffer up to its NUL and no further. */
char* NSGX_POSIX(getcwd)(char* buf, size_t size) {
  char* own = NULL;
  if (buf == NULL) {
    if (size == 0) size = NSGX_POSIX_PATH_MAX;
    buf = own = malloc(size);
    if (buf == NULL) {
      errno = ENOMEM;
      return NULL;
    }
  }
  if (size == 0) {
    errno = EINVAL;
    return NULL;
  }
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_getcwd_ocall(&r, buf, size));
  int64_t len = nsgx_tposix_checked(st, r, (int64_t)size - 1);
  if (len >= 0 && (len == 0 || buf[0] != '/' || strnlen(buf, size) != (size_t)len)) len = nsgx_tposix_refuse();
  if (len < 0) {
    free(own);
    return NULL;
  }
  return buf;
}

ssize_t NSGX_POSIX(readlink)(const char* restrict path, char* restrict buf, size_t size) {
  if (size > NSGX_POSIX_SSIZE_MAX) size = NSGX_POSIX_SSIZE_MAX;
  int64_t r = -1;
  const sgx_status_t st = OCALL(nsgx_posix_readlink_ocall(&r, path, buf, size));
  return (ssize_t)nsgx_tposix_checked(st, r, (int64_t)size);
}
