// The program's system calls (syscalls.h). SYSCALL is #UD in an enclave
// (docs/libos.md): the first-phase handler answers arch_prctl(ARCH_SET_FS/
// GET_FS) through the SSA frame, the second-phase handler everything else.
// Every host answer comes through nsgx_tposix, which checks counts and
// sizes (docs/posix.md); this file adds what depends on state (a monotonic
// clock that never goes back).
#include "libos/enclave/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "libos/enclave/bitmap.h"
#include "libos/enclave/devices.h"
#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/program_entry.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/shared_maps.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/statx.h"
#include "libos/enclave/syscall_rewrite.h"
#include "libos/enclave/syscalls_dir.h"
#include "libos/enclave/syscalls_fork.h"
#include "libos/enclave/syscalls_hints.h"
#include "libos/enclave/syscalls_ids.h"
#include "libos/enclave/syscalls_io.h"
#include "libos/enclave/syscalls_mm.h"
#include "libos/enclave/syscalls_path.h"
#include "libos/enclave/syscalls_pgrp.h"
#include "libos/enclave/syscalls_poll.h"
#include "libos/enclave/syscalls_shm.h"
#include "libos/enclave/syscalls_spawn.h"
#include "libos/enclave/syscalls_sys.h"
#include "libos/enclave/syscalls_time.h"
#include "libos/enclave/syscalls_timerfd.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "libos/enclave/xstate.h"
#include "libos/manifest/manifest.h"
#include "nsgx_first_phase.h"
#include "sgx_trts.h"
#include "sgx_trts_exception.h"

namespace nsgx::libos {
namespace {

// Linux x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
enum : long {
  kRead = 0,
  kWrite = 1,
  kOpen = 2,
  kClose = 3,
  kStat = 4,
  kFstat = 5,
  kLstat = 6,
  kPoll = 7,
  kLseek = 8,
  kMmap = 9,
  kMprotect = 10,
  kMunmap = 11,
  kBrk = 12,
  kRtSigaction = 13,
  kRtSigprocmask = 14,
  kRtSigreturn = 15,
  kIoctl = 16,
  kPread64 = 17,
  kPwrite64 = 18,
  kReadv = 19,
  kWritev = 20,
  kAccess = 21,
  kPipe = 22,
  kSelect = 23,
  kSchedYield = 24,
  kMsync = 26,
  kMadvise = 28,
  kShmget = 29,
  kShmat = 30,
  kShmctl = 31,
  kDup = 32,
  kDup2 = 33,
  kPause = 34,
  kNanosleep = 35,
  kGetitimer = 36,
  kAlarm = 37,
  kSetitimer = 38,
  kGetpid = 39,
  kSendfile = 40,
  kSocket = 41,
  kConnect = 42,
  kAccept = 43,
  kSendto = 44,
  kRecvfrom = 45,
  kSendmsg = 46,
  kRecvmsg = 47,
  kShutdown = 48,
  kBind = 49,
  kListen = 50,
  kGetsockname = 51,
  kGetpeername = 52,
  kSocketpair = 53,
  kSetsockopt = 54,
  kGetsockopt = 55,
  kClone = 56,
  kFork = 57,
  kVfork = 58,
  kExecve = 59,
  kExit = 60,
  kWait4 = 61,
  kKill = 62,
  kUname = 63,
  kShmdt = 67,
  kFcntl = 72,
  kFsync = 74,
  kFdatasync = 75,
  kFtruncate = 77,
  kUnlink = 87,
  kGetcwd = 79,
  kChdir = 80,
  kFchdir = 81,
  kRename = 82,
  kMkdir = 83,
  kRmdir = 84,
  kCreat = 85,
  kSymlink = 88,
  kChmod = 90,
  kFchmod = 91,
  kChown = 92,
  kFchown = 93,
  kLchown = 94,
  kStatfs = 137,
  kFstatfs = 138,
  kGetpriority = 140,
  kSetpriority = 141,
  kFadvise64 = 221,
  kReadlink = 89,
  kUmask = 95,
  kGettimeofday = 96,
  kGetrusage = 98,
  kSysinfo = 99,
  kTimes = 100,
  kGetuid = 102,
  kGetgid = 104,
  kGeteuid = 107,
  kGetegid = 108,
  kSetpgid = 109,
  kGetppid = 110,
  kGetpgrp = 111,
  kSetsid = 112,
  kGetpgid = 121,
  kGetsid = 124,
  kRtSigpending = 127,
  kRtSigtimedwait = 128,
  kRtSigsuspend = 130,
  kSigaltstack = 131,
  kPrctl = 157,
  kArchPrctl = 158,
  kGettid = 186,
  kTkill = 200,
  kTime = 201,
  kFutex = 202,
  kSchedGetaffinity = 204,
  kEpollCreate = 213,
  kSetxattr = 188,
  kLsetxattr = 189,
  kFsetxattr = 190,
  kGetxattr = 191,
  kLgetxattr = 192,
  kFgetxattr = 193,
  kListxattr = 194,
  kLlistxattr = 195,
  kFlistxattr = 196,
  kRemovexattr = 197,
  kLremovexattr = 198,
  kFremovexattr = 199,
  kGetdents64 = 217,
  kSetTidAddress = 218,
  kWaitid = 247,
  kClockGettime = 228,
  kClockNanosleep = 230,
  kExitGroup = 231,
  kEpollWait = 232,
  kEpollCtl = 233,
  kTgkill = 234,
  kOpenat = 257,
  kNewfstatat = 262,
  kMkdirat = 258,
  kFchownat = 260,
  kUnlinkat = 263,
  kRenameat = 264,
  kReadlinkat = 267,
  kUtimensat = 280,
  kSymlinkat = 266,
  kFchmodat = 268,
  kFaccessat = 269,
  kPselect6 = 270,
  kPpoll = 271,
  kSetRobustList = 273,
  kEpollPwait = 281,
  kTimerfdCreate = 283,
  kEventfd = 284,
  kTimerfdSettime = 286,
  kAccept4 = 288,
  kEventfd2 = 290,
  kEpollCreate1 = 291,
  kDup3 = 292,
  kPipe2 = 293,
  kPrlimit64 = 302,
  kRenameat2 = 316,
  kCopyFileRange = 326,
  kStatx = 332,
  kGetrandom = 318,
  kRseq = 334,
  kClone3 = 435,
  kFaccessat2 = 439,
  kEpollPwait2 = 441,
};
constexpr uint64_t kArchSetFs = 0x1002, kArchGetFs = 0x1003;
constexpr int kAtFdcwd = -100, kAtEmptyPath = 0x1000, kAtSymlinkNofollow = 0x100;

bool program_buffer(uint64_t addr, uint64_t len) {
  return len == 0 || (!near_null(addr) && sgx_is_within_enclave(reinterpret_cast<const void*>(addr), len));
}

// ---- system calls ----

long fail(int e) { return -static_cast<long>(e); }

long sys_brk(uint64_t want) {
  if (want == 0 || want < g_program.brk_start || want > g_program.brk_end) return static_cast<long>(g_program.brk);
  const uint64_t old_top = (g_program.brk + kPage - 1) & ~(kPage - 1), new_top = (want + kPage - 1) & ~(kPage - 1);
  if (new_top > old_top) {
    if (!make_usable(page_index(reinterpret_cast<void*>(old_top)), (new_top - old_top) / kPage, false))
      return static_cast<long>(g_program.brk);
  } else if (want < g_program.brk) {
    memset(reinterpret_cast<void*>(want), 0, g_program.brk - want);  // grown again, it reads as zero (as Linux's)
  }
  g_program.brk = want;
  return static_cast<long>(g_program.brk);
}

long host_result(long r) { return r < 0 ? fail(errno) : r; }

long sys_read(int64_t fd, uint64_t buf, uint64_t n, int64_t at) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (!program_buffer(buf, n)) return fail(EFAULT);
  void* b = reinterpret_cast<void*>(buf);
  const uint64_t off = at >= 0 ? static_cast<uint64_t>(at) : f->offset;
  switch (f->kind) {
    case FdKind::kHostStdio:
      if (at >= 0) return fail(ESPIPE);
      return host_result(blocking_host_call([&] { return ::read(f->host, b, n); }));
    case FdKind::kTrusted: {
      const uint64_t left = off >= f->copy->size ? 0 : f->copy->size - off;
      const uint64_t k = n < left ? n : left;
      memcpy(b, f->copy->data + off, k);
      if (at < 0) f->offset += k;
      return static_cast<long>(k);
    }
    case FdKind::kHost: {
      if (off > static_cast<uint64_t>(INT64_MAX)) return fail(EINVAL);
      const long r = host_result(::pread(f->host, b, n, static_cast<off_t>(off)));
      if (r > 0 && at < 0) f->offset += static_cast<uint64_t>(r);
      return r;
    }
    case FdKind::kStream:
      return at >= 0 ? fail(ESPIPE) : stream_read(*f, b, n);
    case FdKind::kEncrypted:
      return encrypted_read(f->enc, b, n, at);
    case FdKind::kDevice:
      if ((f->flags & O_ACCMODE) == O_WRONLY) return fail(EBADF);
      return device_read(f->device, b, n);  // no offset: reads from anywhere are alike
    case FdKind::kDirectory:
      return fail(EISDIR);
    case FdKind::kFree:
      break;
  }
  return fail(EBADF);
}

long sys_write(int64_t fd, uint64_t buf, uint64_t n, int64_t at = -1) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (!program_buffer(buf, n)) return fail(EFAULT);
  const void* b = reinterpret_cast<const void*>(buf);
  const uint64_t off = at >= 0 ? static_cast<uint64_t>(at) : f->offset;
  switch (f->kind) {
    case FdKind::kHostStdio:
      if (at >= 0) return fail(ESPIPE);
      return host_result(blocking_host_call([&] { return ::write(f->host, b, n); }));
    case FdKind::kHost: {
      if (off > static_cast<uint64_t>(INT64_MAX)) return fail(EINVAL);
      const long r = host_result(::pwrite(f->host, b, n, static_cast<off_t>(off)));
      if (r > 0 && at < 0) f->offset += static_cast<uint64_t>(r);
      return r;
    }
    case FdKind::kStream:
      return stream_write(*f, b, n);
    case FdKind::kEncrypted:
      return encrypted_write(f->enc, b, n, at);
    case FdKind::kDevice:
      if ((f->flags & O_ACCMODE) != O_WRONLY && (f->flags & O_ACCMODE) != O_RDWR) return fail(EBADF);
      return device_write(f->device, n);
    default:
      return fail(EBADF);  // trusted files are read-only
  }
}

struct Iovec {
  uint64_t base, len;
};

long sys_rwv(bool write, int64_t fd, uint64_t iov, uint64_t cnt) {
  if (cnt > 1024) return fail(EINVAL);
  if (!program_buffer(iov, cnt * sizeof(Iovec))) return fail(EFAULT);
  long total = 0;
  for (uint64_t i = 0; i < cnt; ++i) {
    Iovec v;
    memcpy(&v, reinterpret_cast<const void*>(iov + i * sizeof v), sizeof v);
    if (v.len == 0) continue;
    const long r = write ? sys_write(fd, v.base, v.len) : sys_read(fd, v.base, v.len, -1);
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if (static_cast<uint64_t>(r) < v.len) break;
  }
  return total;
}

bool read_path(uint64_t p, std::string& out) {
  // The program's string, inside the enclave, at most PATH_MAX bytes.
  for (uint64_t i = 0; i < 4096; ++i) {
    if (!program_buffer(p + i, 1)) return false;
    const char c = *reinterpret_cast<const char*>(p + i);
    if (c == 0) return true;
    out.push_back(c);
  }
  return false;
}

long sys_close(int64_t fd) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  // The last close of a protected file flushes it: its error is the
  // program's (release_fd, for dup2's silent close, ignores it).
  EncryptedHandle* enc = f->kind == FdKind::kEncrypted ? f->enc : nullptr;
  if (enc == nullptr) release_fd(static_cast<int>(fd), *f);
  *f = Fd{};
  return encrypted_close(enc);  // the last close flushes: its error is the program's
}

long sys_fstat(int64_t fd, uint64_t out) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (!program_buffer(out, sizeof(struct stat))) return fail(EFAULT);
  struct stat st;
  memset(&st, 0, sizeof st);
  if (f->kind == FdKind::kTrusted) {
    trusted_stat(*f->copy, st);
  } else if (f->kind == FdKind::kDevice) {
    device_stat(f->device, st);
  } else if (const std::string* dir = f->dir; f->kind == FdKind::kDirectory && dir != nullptr) {
    directory_stat(*dir, st);
  } else if (f->kind == FdKind::kEncrypted) {
    if (const long r = encrypted_fstat(f->enc, &st); r < 0) return r;
  } else if (::fstat(f->host, &st) != 0) {  // sizes and times checked by nsgx_tposix
    return fail(errno);
  }
  memcpy(reinterpret_cast<void*>(out), &st, sizeof st);
  return 0;
}

// statx(2) from what stat answers: the basic statistics (STATX_BASIC_STATS,
// whatever the mask asks: the kernel may fill more than asked), no birth
// time, no attributes — as a file system without them answers.
long sys_statx(int64_t dirfd, uint64_t pathp, uint64_t flags, uint64_t mask, uint64_t out) {
  if ((flags & ~kStatxFlags) != 0 || (mask & kStatxReserved) != 0) return fail(EINVAL);
  if ((flags & 0x6000) == 0x6000) return fail(EINVAL);  // AT_STATX_FORCE_SYNC with AT_STATX_DONT_SYNC
  if (!program_buffer(out, sizeof(Statx))) return fail(EFAULT);
  std::string p;
  if (!read_path(pathp, p)) return fail(EFAULT);
  struct stat st;
  memset(&st, 0, sizeof st);
  const uint64_t at = reinterpret_cast<uint64_t>(&st);
  const long r = p.empty() && (flags & kAtEmptyPath) ? sys_fstat(dirfd, at)
                                                       : sys_newfstatat(dirfd, pathp, at, flags & kAtSymlinkNofollow);
  if (r < 0) return r;
  Statx x;
  memset(&x, 0, sizeof x);
  x.mask = kStatxBasicStats;
  x.blksize = static_cast<uint32_t>(st.st_blksize);
  x.nlink = static_cast<uint32_t>(st.st_nlink);
  x.uid = st.st_uid;
  x.gid = st.st_gid;
  x.mode = static_cast<uint16_t>(st.st_mode);
  x.ino = st.st_ino;
  x.size = static_cast<uint64_t>(st.st_size);
  x.blocks = static_cast<uint64_t>(st.st_blocks);
  auto ts = [](const struct timespec& t) {
    return StatxTimestamp{t.tv_sec, static_cast<uint32_t>(t.tv_nsec), 0};
  };
  x.atime = ts(st.st_atim);
  x.mtime = ts(st.st_mtim);
  x.ctime = ts(st.st_ctim);
  // dev_t's major and minor (glibc's gnu_dev_major/minor encoding).
  auto major_of = [](uint64_t d) { return static_cast<uint32_t>(((d >> 32) & 0xfffff000) | ((d >> 8) & 0xfff)); };
  auto minor_of = [](uint64_t d) { return static_cast<uint32_t>(((d >> 12) & 0xffffff00) | (d & 0xff)); };
  x.rdev_major = major_of(st.st_rdev);
  x.rdev_minor = minor_of(st.st_rdev);
  x.dev_major = major_of(st.st_dev);
  x.dev_minor = minor_of(st.st_dev);
  memcpy(reinterpret_cast<void*>(out), &x, sizeof x);
  return 0;
}

long sys_lseek(int64_t fd, int64_t off, uint64_t whence) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kHostStdio || f->kind == FdKind::kStream) return fail(ESPIPE);
  if (f->kind == FdKind::kEncrypted) return encrypted_lseek(f->enc, off, whence);
  if (f->kind == FdKind::kDevice) return 0;  // Linux's null_lseek and noop_llseek: the position stays 0
  if (f->kind == FdKind::kDirectory) return directory_lseek(*f, off, whence);
  int64_t size = 0;
  if (f->kind == FdKind::kTrusted) {
    size = static_cast<int64_t>(f->copy->size);
  } else if (whence == SEEK_END) {
    struct stat st;
    if (::fstat(f->host, &st) != 0) return fail(errno);
    size = st.st_size;
  }
  int64_t base = 0;
  if (whence == SEEK_SET)
    base = 0;
  else if (whence == SEEK_CUR)
    base = static_cast<int64_t>(f->offset);
  else if (whence == SEEK_END)
    base = size;
  else
    return fail(EINVAL);
  if ((off > 0 && base > INT64_MAX - off) || base + off < 0) return fail(EINVAL);
  f->offset = static_cast<uint64_t>(base + off);
  return static_cast<long>(f->offset);
}

long sys_fsync(int64_t fd) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kEncrypted) return encrypted_fsync(f->enc);
  if (f->kind == FdKind::kHost) return host_result(::fsync(f->host));
  // A directory's fsync is the file system's (nothing to write here);
  // stdio: Linux's EINVAL for pipes and terminals.
  return f->kind == FdKind::kTrusted || f->kind == FdKind::kDirectory ? 0 : fail(EINVAL);
}

long sys_ftruncate(int64_t fd, int64_t size) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kEncrypted) return encrypted_ftruncate(f->enc, size);
  if (f->kind == FdKind::kHost && size >= 0) return host_result(::ftruncate(f->host, static_cast<off_t>(size)));
  return fail(EINVAL);
}

long sys_uname(uint64_t out) {
  struct Utsname {
    char f[6][65];
  } u;
  if (!program_buffer(out, sizeof u)) return fail(EFAULT);
  memset(&u, 0, sizeof u);
  const char* v[6] = {"Linux", "nsgx-enclave", "6.1.0-nsgx-libos", "#1 nestedsgx library OS", "x86_64", "(none)"};
  for (int i = 0; i < 6; ++i) strncpy(u.f[i], v[i], 64);
  memcpy(reinterpret_cast<void*>(out), &u, sizeof u);
  return 0;
}

long sys_prlimit(int64_t pid, uint64_t res, uint64_t newp, uint64_t oldp) {
  if (pid != 0 && pid != g_program.pid) return fail(ESRCH);
  if (newp != 0) return fail(EPERM);
  if (res > 15) return fail(EINVAL);
  if (oldp == 0) return 0;
  if (!program_buffer(oldp, 16)) return fail(EFAULT);
  uint64_t lim[2] = {UINT64_MAX, UINT64_MAX};
  if (res == 3 /* RLIMIT_STACK */) lim[0] = lim[1] = g_program.stack_size;
  if (res == 7 /* RLIMIT_NOFILE */) lim[0] = lim[1] = kMaxFds;
  memcpy(reinterpret_cast<void*>(oldp), lim, sizeof lim);
  return 0;
}

long sys_getrandom(uint64_t buf, uint64_t n) {
  if (!program_buffer(buf, n)) return fail(EFAULT);
  if (n > (1u << 25)) n = 1u << 25;  // Linux returns at most 32 MiB - 1 per call too
  if (sgx_read_rand(reinterpret_cast<unsigned char*>(buf), n) != SGX_SUCCESS) return fail(EIO);
  return static_cast<long>(n);
}

uint8_t g_traced[512 / 8];

long unknown(uint64_t nr) {
  if (g_program.trace && (nr >= 512 || !bit(g_traced, nr))) {
    if (nr < 512) set_bit(g_traced, nr, true);
    say("nsgx libos: system call " + std::to_string(nr) + " is not implemented: ENOSYS\n");
  }
  return fail(ENOSYS);
}

long dispatch(sgx_cpu_context_t& c) {  // processes (syscalls_spawn.h) may replace the registers
  const uint64_t a0 = c.rdi, a1 = c.rsi, a2 = c.rdx, a3 = c.r10, a4 = c.r8;
  check_exit_group();  // another thread called exit_group: this one leaves
  switch (static_cast<long>(c.rax)) {
    case kRead:
      return sys_read(static_cast<int64_t>(a0), a1, a2, -1);
    case kPread64:
      return static_cast<int64_t>(a3) < 0 ? fail(EINVAL)
                                          : sys_read(static_cast<int64_t>(a0), a1, a2, static_cast<int64_t>(a3));
    case kWrite:
      return sys_write(static_cast<int64_t>(a0), a1, a2);
    case kPwrite64:
      return static_cast<int64_t>(a3) < 0 ? fail(EINVAL)
                                          : sys_write(static_cast<int64_t>(a0), a1, a2, static_cast<int64_t>(a3));
    case kFsync:
    case kFdatasync:
      return sys_fsync(static_cast<int64_t>(a0));
    case kFtruncate:
      return sys_ftruncate(static_cast<int64_t>(a0), static_cast<int64_t>(a1));
    case kReadv:
      return sys_rwv(false, static_cast<int64_t>(a0), a1, a2);
    case kWritev:
      return sys_rwv(true, static_cast<int64_t>(a0), a1, a2);
    case kOpen: {  // open(2) is openat(AT_FDCWD, ...)
      SpinGuard g(g_fd_lock);
      return sys_openat(kAtFdcwd, a0, a1, a2);
    }
    case kOpenat: {
      SpinGuard g(g_fd_lock);
      return sys_openat(static_cast<int64_t>(a0), a1, a2, a3);
    }
    case kCreat: {  // creat(2) is open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)
      SpinGuard g(g_fd_lock);
      return sys_openat(kAtFdcwd, a0, O_CREAT | O_WRONLY | O_TRUNC, a1);
    }
    case kClose: {
      SpinGuard g(g_fd_lock);
      return sys_close(static_cast<int64_t>(a0));
    }
    case kFstat:
      return sys_fstat(static_cast<int64_t>(a0), a1);
    case kNewfstatat: {
      std::string p;
      if (!read_path(a1, p)) return fail(EFAULT);
      if (p.empty() && (a3 & kAtEmptyPath)) return sys_fstat(static_cast<int64_t>(a0), a2);
      return sys_newfstatat(static_cast<int64_t>(a0), a1, a2, a3);
    }
    case kCopyFileRange:
      return sys_copy_file_range(static_cast<int64_t>(a0), a1, static_cast<int64_t>(a2), a3, a4, c.r9);
    case kStatx:
      return sys_statx(static_cast<int64_t>(a0), a1, a2, a3, a4);
    case kStat:
      return sys_newfstatat(kAtFdcwd, a0, a1, 0);
    case kLstat:
      return sys_newfstatat(kAtFdcwd, a0, a1, kAtSymlinkNofollow);
    case kAccess:
      return sys_faccessat(kAtFdcwd, a0, a1);
    case kFaccessat:
    case kFaccessat2:  // flags (a3) change only whose ids are checked: there is one
      return sys_faccessat(static_cast<int64_t>(a0), a1, a2);
    case kChdir:
      return sys_chdir(a0);
    case kFchdir:
      return sys_fchdir(static_cast<int64_t>(a0));
    case kSetxattr:
    case kLsetxattr:
    case kGetxattr:
    case kLgetxattr:
    case kListxattr:
    case kLlistxattr:
    case kRemovexattr:
    case kLremovexattr:
      return sys_xattr_path(a0);
    case kFsetxattr:
    case kFgetxattr:
    case kFlistxattr:
    case kFremovexattr:
      return sys_xattr_fd(static_cast<int64_t>(a0));
    case kGetdents64: {
      SpinGuard g(g_fd_lock);
      return sys_getdents64(static_cast<int64_t>(a0), a1, a2);
    }
    case kGetcwd:
      return sys_getcwd(a0, a1);
    case kUnlink:
      return sys_unlinkat(kAtFdcwd, a0, 0);
    case kRmdir:
      return sys_unlinkat(kAtFdcwd, a0, 0x200);  // AT_REMOVEDIR
    case kUnlinkat:
      return sys_unlinkat(static_cast<int64_t>(a0), a1, a2);
    case kRename:
      return sys_renameat2(kAtFdcwd, a0, kAtFdcwd, a1, 0);
    case kRenameat:
      return sys_renameat2(static_cast<int64_t>(a0), a1, static_cast<int64_t>(a2), a3, 0);
    case kRenameat2:
      return sys_renameat2(static_cast<int64_t>(a0), a1, static_cast<int64_t>(a2), a3, a4);
    case kReadlink:
      return sys_readlinkat(kAtFdcwd, a0, a1, a2);
    case kUtimensat:
      return sys_utimensat(static_cast<int64_t>(a0), a1, a2, a3);
    case kReadlinkat:
      return sys_readlinkat(static_cast<int64_t>(a0), a1, a2, a3);
    case kGetuid:  // one user, root inside, as the auxv's AT_UID/AT_GID say
    case kGetgid:
    case kGeteuid:
    case kGetegid:
      return 0;
    case kLseek:
      return sys_lseek(static_cast<int64_t>(a0), static_cast<int64_t>(a1), a2);
    case kBrk: {
      SpinGuard g(g_memory_lock);
      return sys_brk(a0);
    }
    case kMmap:
      return memory_call([&](bool enc) { return sys_mmap(a0, a1, a2, a3, static_cast<int64_t>(a4), c.r9, enc); });
    case kMunmap:
      return memory_call([&](bool) { return sys_munmap(a0, a1); });
    case kMprotect: {
      SpinGuard g(g_memory_lock);
      return sys_mprotect(a0, a1, a2);
    }
    case kMsync:
      return memory_call([&](bool) { return sys_msync(a0, a1, a2); });
    case kMadvise:
      return 0;   // advice only
    case kIoctl:  // FIONBIO, FIONREAD; TCGETS and everything else: ENOTTY (isatty is false)
      return sys_ioctl(static_cast<int64_t>(a0), a1, a2);
    case kDup:
      return sys_dup(static_cast<int64_t>(a0));
    case kDup2:
      return sys_dup3(static_cast<int64_t>(a0), static_cast<int64_t>(a1), 0, true);
    case kDup3:
      return sys_dup3(static_cast<int64_t>(a0), static_cast<int64_t>(a1), a2, false);
    case kFcntl:
      return sys_fcntl(static_cast<int64_t>(a0), a1, a2);
    case kPipe:
      return sys_pipe2(a0, 0);
    case kPipe2:
      return sys_pipe2(a0, a1);
    case kEventfd:
      return sys_eventfd2(a0, 0);
    case kEventfd2:
      return sys_eventfd2(a0, a1);
    case kSocket:
      return sys_socket(a0, a1, a2);
    case kSocketpair:
      return sys_socketpair(a0, a1, a2, a3);
    case kBind:
    case kConnect:
      return sys_bind_connect(static_cast<long>(c.rax) == kConnect, static_cast<int64_t>(a0), a1, a2);
    case kListen:
      return sys_listen(static_cast<int64_t>(a0), a1);
    case kAccept:
      return sys_accept4(static_cast<int64_t>(a0), a1, a2, 0);
    case kAccept4:
      return sys_accept4(static_cast<int64_t>(a0), a1, a2, a3);
    case kGetsockname:
    case kGetpeername:
      return sys_sockname(static_cast<long>(c.rax) == kGetpeername, static_cast<int64_t>(a0), a1, a2);
    case kSetsockopt:
      return sys_setsockopt(static_cast<int64_t>(a0), a1, a2, a3, a4);
    case kGetsockopt:
      return sys_getsockopt(static_cast<int64_t>(a0), a1, a2, a3, a4);
    case kShutdown:
      return sys_shutdown(static_cast<int64_t>(a0), a1);
    case kSendto:
      return sys_sendto(static_cast<int64_t>(a0), a1, a2, a3, a4, c.r9);
    case kRecvfrom:
      return sys_recvfrom(static_cast<int64_t>(a0), a1, a2, a3, a4, c.r9);
    case kSendmsg:
      return sys_sendmsg(static_cast<int64_t>(a0), a1, a2);
    case kRecvmsg:
      return sys_recvmsg(static_cast<int64_t>(a0), a1, a2);
    case kPoll:
      return sys_poll(a0, a1, static_cast<int32_t>(a2));
    case kPpoll:
      return sys_ppoll(a0, a1, a2, a3, a4);
    case kSelect:
      return sys_select(a0, a1, a2, a3, a4, false, 0);
    case kPselect6:
      return sys_select(a0, a1, a2, a3, a4, true, c.r9);
    case kEpollCreate:
      return static_cast<int32_t>(a0) <= 0 ? fail(EINVAL) : sys_epoll_create1(0);
    case kEpollCreate1:
      return sys_epoll_create1(a0);
    case kEpollCtl:
      return sys_epoll_ctl(static_cast<int64_t>(a0), a1, static_cast<int64_t>(a2), a3);
    case kEpollWait:
      return sys_epoll_wait(static_cast<int64_t>(a0), a1, static_cast<int32_t>(a2), static_cast<int32_t>(a3), false, 0,
                            0);
    case kEpollPwait:
      return sys_epoll_wait(static_cast<int64_t>(a0), a1, static_cast<int32_t>(a2), static_cast<int32_t>(a3), false, a4,
                            c.r9);
    case kEpollPwait2:
      return sys_epoll_wait(static_cast<int64_t>(a0), a1, static_cast<int32_t>(a2), static_cast<int64_t>(a3), true, a4,
                            c.r9);
    case kArchPrctl:
      // SET_FS and GET_FS were answered in the first phase, but for
      // GET_FS into memory that is not the program's: EFAULT, as Linux's
      // put_user (arch/x86/kernel/process_64.c, do_arch_prctl_64).
      return fail(a0 == kArchGetFs ? EFAULT : EINVAL);
    case kGetpid:           // the main thread's id (threads.cc)
      return g_program.pid;
    case kGetppid:
      return sys_getppid();
    case kSetTidAddress:
      return sys_set_tid_address(a0);
    case kGettid:
      return sys_gettid();
    case kSetRobustList:
      return sys_set_robust_list(a0, a1);
    case kClone:  // threads (threads.cc), vfork-style (syscalls_spawn.cc) or fork (syscalls_fork.cc)
      return spawn_clone(c);
    case kFork:
      return sys_fork(c);
    case kVfork:
      return sys_vfork(c);
    case kExecve:
      return sys_execve(c, a0, a1, a2);
    case kWait4:
      return sys_wait4(static_cast<int64_t>(a0), a1, a2, a3);
    case kWaitid:
      return sys_waitid(a0, a1, a2, a3, a4);
    case kKill: {  // a group (syscalls_pgrp.cc), a child (syscalls_spawn.cc), else this process (signals.cc)
      const auto pid = static_cast<int32_t>(a0);  // pid_t: the kernel reads 32 bits
      if (pid == 0 || pid < -1) return kill_group(pid, a1);
      if (const long r = spawn_kill(pid, a1); r != -ENOSYS) return r;
      return sys_kill(pid, a1);
    }
    case kGetpgrp:
      return sys_getpgid(0);
    case kGetpgid:
      return sys_getpgid(static_cast<int64_t>(a0));
    case kGetsid:
      return sys_getsid(static_cast<int64_t>(a0));
    case kSetpgid:
      return sys_setpgid(static_cast<int64_t>(a0), static_cast<int64_t>(a1));
    case kSetsid:
      return sys_setsid();
    case kClone3:
      return fail(ENOSYS);  // glibc then calls clone (threads.cc takes its arguments)
    case kFutex:
      return sys_futex(a0, a1, a2, a3, c.r9);
    case kSchedYield:
      return sys_sched_yield();
    case kNanosleep:
      return sys_nanosleep(a0, a1);
    case kClockNanosleep:
      return sys_clock_nanosleep(a0, a1, a2, a3);
    case kSchedGetaffinity:
      return sys_sched_getaffinity(a0, a1, a2);
    case kRseq:
      return fail(ENOSYS);  // glibc then does without
    case kPrlimit64:
      return sys_prlimit(static_cast<int64_t>(a0), a1, a2, a3);
    case kGetrandom:
      return sys_getrandom(a0, a1);
    case kClockGettime:
      return sys_clock_gettime(static_cast<int64_t>(a0), a1);
    case kUmask:
      return sys_umask(a0);
    case kSysinfo:
      return sys_sysinfo(a0);
    case kPrctl:
      return sys_prctl(a0, a1, a2, a3, a4);
    case kTimerfdCreate:
      return sys_timerfd_create(a0, a1);
    case kTimerfdSettime:
      return sys_timerfd_settime(static_cast<int64_t>(a0), a1, a2, a3);
    case kGetpriority:
      return sys_getpriority(a0, a1);
    case kSetpriority:
      return sys_setpriority(a0, a1, static_cast<int64_t>(a2));
    case kFadvise64:
      return sys_fadvise64(static_cast<int64_t>(a0), static_cast<int64_t>(a1), static_cast<int64_t>(a2), a3);
    case kMkdir:
      return sys_mkdirat(kAtFdcwd, a0, a1);
    case kMkdirat:
      return sys_mkdirat(static_cast<int64_t>(a0), a1, a2);
    case kStatfs:
      return sys_statfs(kAtFdcwd, a0, a1);
    case kFstatfs:
      return sys_statfs(static_cast<int64_t>(a0), 0, a1);
    case kSymlink:
      return sys_symlinkat(a0, kAtFdcwd, a1);
    case kSymlinkat:
      return sys_symlinkat(a0, static_cast<int64_t>(a1), a2);
    case kChmod:
      return sys_fchmodat(kAtFdcwd, a0, a1);
    case kFchmod:
      return sys_fchmod(static_cast<int64_t>(a0), a1);
    case kFchmodat:
      return sys_fchmodat(static_cast<int64_t>(a0), a1, a2);
    case kChown:
      return sys_fchownat(kAtFdcwd, a0, a1, a2, 0);
    case kLchown:
      return sys_fchownat(kAtFdcwd, a0, a1, a2, static_cast<uint64_t>(kAtSymlinkNofollow));
    case kFchown:
      return sys_fchown(static_cast<int64_t>(a0), a1, a2);
    case kFchownat:
      return sys_fchownat(static_cast<int64_t>(a0), a1, a2, a3, a4);
    case kShmget:
      return sys_shmget(static_cast<int64_t>(a0), a1, a2);
    case kShmat:
      return sys_shmat(static_cast<int64_t>(a0), a1, a2);
    case kShmctl:
      return sys_shmctl(static_cast<int64_t>(a0), a1, a2);
    case kShmdt:
      return sys_shmdt(a0);
    case kSendfile:
      return sys_sendfile(static_cast<int64_t>(a0), static_cast<int64_t>(a1), a2, a3);
    case kUname:
      return sys_uname(a0);
    case kTime:
      return sys_time(a0);
    case kGettimeofday:
      return sys_gettimeofday(a0, a1);
    case kTimes:
      return sys_times(a0);
    case kGetrusage:
      return sys_getrusage(static_cast<int64_t>(static_cast<int32_t>(a0)), a1);
    case kRtSigaction:
      return sys_rt_sigaction(a0, a1, a2, a3);
    case kRtSigprocmask:
      return sys_rt_sigprocmask(a0, a1, a2, a3);
    case kRtSigpending:
      return sys_rt_sigpending(a0, a1);
    case kSigaltstack:
      return sys_sigaltstack(a0, a1, c.rsp);
    case kRtSigsuspend:
      return sys_rt_sigsuspend(a0, a1);
    case kRtSigtimedwait:
      return sys_rt_sigtimedwait(a0, a1, a2, a3);
    case kPause:
      return sys_pause();
    case kTgkill:
      return sys_tgkill(static_cast<int64_t>(a0), static_cast<int64_t>(a1), a2);
    case kTkill:
      return sys_tgkill(-1, static_cast<int64_t>(a0), a1);
    case kAlarm:
      return sys_alarm(a0);
    case kSetitimer:
      return sys_setitimer(a0, a1, a2);
    case kGetitimer:
      return sys_getitimer(a0, a1);
    case kExit:
    case kExitGroup:
      if (long r; vfork_child_exit(c, a0, r)) return r;  // the parent resumes
      if (static_cast<long>(c.rax) == kExit) sys_exit(a0);
      sys_exit_group(a0);
    default:
      if (long r; identity_call(static_cast<long>(c.rax), a0, a1, a2, r)) return r;
      return unknown(c.rax);
  }
}

bool at_syscall(uint64_t rip) {
  const uint8_t* at = reinterpret_cast<const uint8_t*>(rip);
  return sgx_is_within_enclave(at, 2) && at[0] == 0x0f && at[1] == 0x05;
}

// Phase 1 (nsgx_first_phase.h): only arch_prctl's FS, which needs ERESUME.
extern "C" int libos_first_phase(uint32_t vector, nsgx_ssa_state_t* st) {
  // A zero-fill page deferred to its first touch (user_region.h), touched
  // by the program or by the library OS on its behalf: accepted here, and
  // ERESUME retries the access (vector 14: #PF, SDM Vol. 3A Table 6-1).
  uint64_t maddr = 0;
  uint32_t errcd = 0;
  if (vector == 14 && nsgx_first_phase_exinfo(&maddr, &errcd) != 0 && commit_on_fault(maddr))
    return NSGX_FIRST_PHASE_DONE;
  ProgramThread* t = this_thread();
  if (t == nullptr) return 0;
  if (vector == NSGX_INTERRUPT_VECTOR) return signals_interrupt(t, st);  // the host re-entered for a signal
  if (vector != SGX_EXCEPTION_VECTOR_UD) {
    // A fault: signals.cc's phase-2 handler makes it the program's signal,
    // on this TCS's stack for a started thread (as below).
    const uint64_t hsp = handler_stack_for(t, st->rsp);
    if (hsp == 0) return 0;
    t->program_rsp = st->rsp;
    st->rsp = hsp;
    return NSGX_FIRST_PHASE_SECOND;
  }
  if (st->rip == reinterpret_cast<uint64_t>(libos_fs_stub) && t->resume_rip != 0) {
    // Every register is already the program's (the second phase restored
    // them before jumping here, or a new thread loaded them) but RIP and FS.
    st->rip = t->resume_rip;
    st->fs_base = t->program_fs;
    t->resume_rip = 0;
    return NSGX_FIRST_PHASE_DONE;
  }
  if (!at_syscall(st->rip)) return 0;
  if (st->rax != kArchPrctl) {
    // The main thread on its own stack: phase 2 runs there. A started
    // thread, or the main one on another stack (signals.h): phase 2 on
    // this TCS's stack (threads.h).
    const uint64_t hsp = handler_stack_for(t, st->rsp);
    if (hsp == 0) return 0;
    t->program_rsp = st->rsp;
    st->rsp = hsp;
    return NSGX_FIRST_PHASE_SECOND;
  }
  if (st->rdi == kArchSetFs) {
    st->fs_base = st->rsi;
    t->program_fs = st->rsi;
  } else if (st->rdi == kArchGetFs && !near_null(st->rsi) &&
             sgx_is_within_enclave(reinterpret_cast<const void*>(st->rsi), 8)) {
    memcpy(reinterpret_cast<void*>(st->rsi), &st->fs_base, 8);
  } else {
    return 0;
  }
  st->rax = 0;
  st->rcx = st->rip + 2;  // SYSCALL's own effects on RCX and R11
  st->r11 = st->rflags;
  st->rip += 2;
  return NSGX_FIRST_PHASE_DONE;
}

}  // namespace

// Phase 2: every other system call, on the program's stack (below its red
// zone), reached through libos_xstate_trap_handler (xstate.S), which saves
// the program's vector state around it and then calls finish_signals.
extern "C" int libos_syscall_handler(sgx_exception_info_t* info) {
  sgx_cpu_context_t& c = info->cpu_context;
  if (g_program.trace > 1)
    say("nsgx libos: exception " + std::to_string(info->exception_vector) + " at " + std::to_string(c.rip) + ", rax " +
        std::to_string(c.rax) + "\n");
  if (info->exception_vector != SGX_EXCEPTION_VECTOR_UD || !at_syscall(c.rip)) return EXCEPTION_CONTINUE_SEARCH;
  ProgramThread* t = this_thread();
  if (t == nullptr) return EXCEPTION_CONTINUE_SEARCH;
  count_trapped_syscall();
  if (t->program_rsp != 0) {  // the first phase moved it (threads.h)
    c.rsp = t->program_rsp;
    t->program_rsp = 0;
  }
  run_syscall(c);
  if (!program_fs_in_effect(t)) {
    t->resume_rip = c.rip;
    c.rip = reinterpret_cast<uint64_t>(libos_fs_stub);
  }
  return EXCEPTION_CONTINUE_EXECUTION;  // then rt_sigreturn's FPU state, last (libos_xstate_trap_handler)
}

void run_syscall(sgx_cpu_context_t& c) {
  const long nr = static_cast<long>(c.rax);
  if (nr == kRtSigreturn) {  // the whole context from the handler's frame (signals.h)
    sys_rt_sigreturn(c);
  } else {
    const long r = dispatch(c);
    c.rax = static_cast<uint64_t>(r);
    c.rcx = c.rip + 2;
    c.r11 = c.rflags;
    c.rip += 2;
  }
  deliver_signals(c, nr);  // a pending signal's handler or default action (signals.h)
}
long fd_read(int64_t fd, uint64_t buf, uint64_t n, int64_t at) { return sys_read(fd, buf, n, at); }
long fd_write(int64_t fd, uint64_t buf, uint64_t n, int64_t at) { return sys_write(fd, buf, n, at); }
long fd_lseek(int64_t fd, int64_t off, uint64_t whence) { return sys_lseek(fd, off, whence); }
long fd_fstat(int64_t fd, uint64_t out) { return sys_fstat(fd, out); }

bool install_syscall_handlers() {
  return nsgx_set_first_phase_handler(libos_first_phase) &&
         sgx_register_exception_handler(1, libos_xstate_trap_handler) != nullptr && install_signal_handlers();
}

}  // namespace nsgx::libos
