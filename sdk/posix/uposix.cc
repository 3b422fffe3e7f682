// The untrusted side of the POSIX layer (nsgx_tposix.edl; docs/posix.md):
// each OCALL is the Linux system call of the same name, answering its
// result or -errno. Library nsgx_uposix; an application whose enclave
// imports nsgx_tposix.edl links it.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "nsgx_tposix_u.h"

namespace {

std::int64_t answer(long r) { return r < 0 ? -static_cast<std::int64_t>(errno) : static_cast<std::int64_t>(r); }

void to_wire(const struct stat& s, nsgx_posix_stat* w) {
  *w = nsgx_posix_stat{};
  w->dev = s.st_dev;
  w->ino = s.st_ino;
  w->nlink = s.st_nlink;
  w->mode = s.st_mode;
  w->uid = s.st_uid;
  w->gid = s.st_gid;
  w->rdev = s.st_rdev;
  w->size = s.st_size;
  w->blksize = s.st_blksize;
  w->blocks = s.st_blocks;
  w->atime_sec = s.st_atim.tv_sec;
  w->atime_nsec = s.st_atim.tv_nsec;
  w->mtime_sec = s.st_mtim.tv_sec;
  w->mtime_nsec = s.st_mtim.tv_nsec;
  w->ctime_sec = s.st_ctim.tv_sec;
  w->ctime_nsec = s.st_ctim.tv_nsec;
}

}  // namespace

extern "C" {

int64_t nsgx_posix_open_ocall(const char* path, int32_t flags, uint32_t mode) {
  return answer(::open(path, flags, static_cast<mode_t>(mode)));
}
int64_t nsgx_posix_close_ocall(int32_t fd) { return answer(::close(fd)); }
int64_t nsgx_posix_read_ocall(int32_t fd, void* buf, size_t n) { return answer(::read(fd, buf, n)); }
int64_t nsgx_posix_write_ocall(int32_t fd, const void* buf, size_t n) { return answer(::write(fd, buf, n)); }
int64_t nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset) {
  return answer(::pread(fd, buf, n, offset));
}
int64_t nsgx_posix_pwrite_ocall(int32_t fd, const void* buf, size_t n, int64_t offset) {
  return answer(::pwrite(fd, buf, n, offset));
}
int64_t nsgx_posix_fstat_ocall(int32_t fd, nsgx_posix_stat* w) {
  struct stat s {};
  if (::fstat(fd, &s) != 0) return -errno;
  to_wire(s, w);
  return 0;
}
int64_t nsgx_posix_stat_ocall(const char* path, int32_t nofollow, nsgx_posix_stat* w) {
  struct stat s {};
  if ((nofollow ? ::lstat(path, &s) : ::stat(path, &s)) != 0) return -errno;
  to_wire(s, w);
  return 0;
}
int64_t nsgx_posix_ftruncate_ocall(int32_t fd, int64_t length) { return answer(::ftruncate(fd, length)); }
int64_t nsgx_posix_fsync_ocall(int32_t fd, int32_t data_only) {
  return answer(data_only ? ::fdatasync(fd) : ::fsync(fd));
}
int64_t nsgx_posix_fcntl_ocall(int32_t fd, int32_t cmd, int64_t arg) {
  switch (cmd) {
    case F_GETFD:
    case F_GETFL:
      return answer(::fcntl(fd, cmd));
    case F_SETFD:
    case F_SETFL:
      return answer(::fcntl(fd, cmd, static_cast<int>(arg)));
    default:
      return -EINVAL;
  }
}
int64_t nsgx_posix_fcntl_lock_ocall(int32_t fd, int32_t cmd, nsgx_posix_flock* w) {
  if (cmd != F_GETLK && cmd != F_SETLK && cmd != F_SETLKW) return -EINVAL;
  struct flock lk {};
  lk.l_type = static_cast<short>(w->type);
  lk.l_whence = static_cast<short>(w->whence);
  lk.l_start = w->start;
  lk.l_len = w->len;
  lk.l_pid = w->pid;
  if (::fcntl(fd, cmd, &lk) != 0) return -errno;
  w->type = lk.l_type;
  w->whence = lk.l_whence;
  w->start = lk.l_start;
  w->len = lk.l_len;
  w->pid = lk.l_pid;
  return 0;
}
int64_t nsgx_posix_fchmod_ocall(int32_t fd, uint32_t mode) { return answer(::fchmod(fd, mode)); }
int64_t nsgx_posix_fchown_ocall(int32_t fd, uint32_t uid, uint32_t gid) { return answer(::fchown(fd, uid, gid)); }
int64_t nsgx_posix_access_ocall(const char* path, int32_t mode) { return answer(::access(path, mode)); }
int64_t nsgx_posix_unlink_ocall(const char* path) { return answer(::unlink(path)); }
int64_t nsgx_posix_mkdir_ocall(const char* path, uint32_t mode) { return answer(::mkdir(path, mode)); }
int64_t nsgx_posix_rmdir_ocall(const char* path) { return answer(::rmdir(path)); }
int64_t nsgx_posix_rename_ocall(const char* from, const char* to, uint32_t flags) {
  return answer(flags == 0 ? ::rename(from, to) : ::renameat2(AT_FDCWD, from, AT_FDCWD, to, flags));
}
int64_t nsgx_posix_getcwd_ocall(char* buf, size_t n) {
  if (::getcwd(buf, n) == nullptr) return -errno;
  size_t len = 0;
  while (len < n && buf[len] != '\0') ++len;
  return static_cast<int64_t>(len);
}
int64_t nsgx_posix_readlink_ocall(const char* path, char* buf, size_t n) { return answer(::readlink(path, buf, n)); }
int64_t nsgx_posix_utime_ocall(const char* path, int32_t set_times, int64_t atime, int64_t mtime) {
  if (!set_times) return answer(::utimes(path, nullptr));
  const struct timeval tv[2] = {{atime, 0}, {mtime, 0}};
  return answer(::utimes(path, tv));
}
int64_t nsgx_posix_getpid_ocall(void) { return ::getpid(); }
int64_t nsgx_posix_geteuid_ocall(void) { return ::geteuid(); }
int64_t nsgx_posix_clock_gettime_ocall(int32_t clock, int64_t* sec, int64_t* nsec) {
  struct timespec ts {};
  if (::clock_gettime(clock, &ts) != 0) return -errno;
  *sec = ts.tv_sec;
  *nsec = ts.tv_nsec;
  return 0;
}
int64_t nsgx_posix_nanosleep_ocall(int64_t sec, int64_t nsec) {
  const struct timespec ts = {sec, nsec};
  return answer(::nanosleep(&ts, nullptr));
}

}  // extern "C"
