// Process and system calls for servers (syscalls_sys.h).
#include "libos/enclave/syscalls_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <string>

#include "libos/enclave/program_state.h"
#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_io.h"
#include "libos/enclave/syscalls_time.h"
#include "libos/enclave/user_region.h"

namespace nsgx::libos {
namespace {

using sc::err;

// prctl(2) options (include/uapi/linux/prctl.h).
constexpr uint64_t kPrGetDumpable = 3, kPrSetName = 15, kPrGetName = 16, kPrCapbsetRead = 23;

SpinLock g_sys_lock;     // g_umask, g_name
uint64_t g_umask = 022;  // the kernel's default for init
char g_name[16] = "";    // PR_SET_NAME's (TASK_COMM_LEN 16, NUL included)

// struct sysinfo (include/uapi/linux/sysinfo.h), x86-64: 112 bytes.
struct Sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
  uint16_t procs, pad;
  uint32_t pad2;
  uint64_t totalhigh, freehigh;
  uint32_t mem_unit;
  char reserved[4];
};
static_assert(sizeof(Sysinfo) == 112, "struct sysinfo, x86-64 (include/uapi/linux/sysinfo.h)");

constexpr uint64_t kBounce = uint64_t{64} * 1024;

}  // namespace

long sys_umask(uint64_t mask) {
  SpinGuard g(g_sys_lock);
  const uint64_t old = g_umask;
  g_umask = mask & 0777;
  return static_cast<long>(old);
}

long sys_prctl(uint64_t option, uint64_t a2, uint64_t, uint64_t, uint64_t) {
  switch (option) {
    case kPrSetName: {
      std::string s;
      // The kernel copies at most 16 bytes and terminates them; so do we.
      for (uint64_t i = 0; i < sizeof g_name - 1; ++i) {
        if (!sc::user_buffer(a2 + i, 1)) return err(EFAULT);
        const char c = *reinterpret_cast<const char*>(a2 + i);
        if (c == 0) break;
        s.push_back(c);
      }
      SpinGuard g(g_sys_lock);
      memset(g_name, 0, sizeof g_name);
      memcpy(g_name, s.c_str(), s.size() + 1);  // at most 15 bytes and the NUL
      return 0;
    }
    case kPrGetName: {
      if (!sc::user_buffer(a2, sizeof g_name)) return err(EFAULT);
      SpinGuard g(g_sys_lock);
      memcpy(reinterpret_cast<void*>(a2), g_name, sizeof g_name);
      return 0;
    }
    case kPrGetDumpable:
      return 0;
    case kPrCapbsetRead:
      return err(EINVAL);
    default:
      if (g_program.trace) say("nsgx libos: prctl option " + std::to_string(option) + ": EINVAL\n");
      return err(EINVAL);
  }
}

long sys_sysinfo(uint64_t out) {
  if (!sc::user_buffer(out, sizeof(Sysinfo))) return err(EFAULT);
  struct timespec ts;
  // The host's clock, checked for form and never going back
  // (syscalls_time.h).
  if (clock_checked(CLOCK_MONOTONIC, ts) != 0) return err(EIO);
  Sysinfo si;
  memset(&si, 0, sizeof si);
  si.uptime = ts.tv_sec;
  si.totalram = region_pages() * kPage;
  si.freeram = free_pages() * kPage;
  si.procs = 1;
  si.mem_unit = 1;
  memcpy(reinterpret_cast<void*>(out), &si, sizeof si);
  return 0;
}

namespace {

// Copies up to `count` bytes from `in_fd` at `in_at` to `out_fd` (at
// `out_at`, or at its offset when -1) through a 64 KiB bounce buffer:
// the bytes copied, or -errno if none were.
long copy_through(int64_t in_fd, int64_t in_at, int64_t out_fd, int64_t out_at, uint64_t count) {
  if (count > 0x7ffff000) count = 0x7ffff000;  // Linux's MAX_RW_COUNT
  uint8_t* buf = static_cast<uint8_t*>(malloc(kBounce));
  if (buf == nullptr) return err(ENOMEM);
  const uint64_t b = reinterpret_cast<uint64_t>(buf);
  long done = 0, error = 0;
  while (static_cast<uint64_t>(done) < count) {
    const uint64_t want = count - static_cast<uint64_t>(done) < kBounce ? count - static_cast<uint64_t>(done) : kBounce;
    const long r = fd_read(in_fd, b, want, in_at + done);
    if (r <= 0) {
      error = r;
      break;
    }
    // fd_read answers at most `want` (its own checks); a write may be short
    // (a full non-blocking socket): only what was written counts.
    const long w = fd_write(out_fd, b, static_cast<uint64_t>(r), out_at < 0 ? -1 : out_at + done);
    if (w <= 0) {
      error = w;
      break;
    }
    done += w;
    if (w < r) break;
  }
  free(buf);
  return done == 0 && error < 0 ? error : done;
}

// A position the program passes by pointer (sendfile's and
// copy_file_range's loff_t*): 0 and the value, or -errno.
long position_at(uint64_t p, int64_t& pos) {
  if (!sc::user_buffer(p, sizeof pos)) return err(EFAULT);
  memcpy(&pos, reinterpret_cast<const void*>(p), sizeof pos);
  return pos < 0 ? err(EINVAL) : 0;
}

// A descriptor's offset, for a copy from it: EINVAL for one without
// (a pipe or socket: ESPIPE), as sendfile and copy_file_range answer.
long offset_of(int64_t fd, int64_t& pos) {
  pos = fd_lseek(fd, 0, SEEK_CUR);
  if (pos < 0) return pos == err(ESPIPE) ? err(EINVAL) : pos;
  return 0;
}

}  // namespace

long sys_sendfile(int64_t out_fd, int64_t in_fd, uint64_t offp, uint64_t count) {
  int64_t pos = 0;
  if (const long r = offp != 0 ? position_at(offp, pos) : offset_of(in_fd, pos); r < 0) return r;
  const long done = copy_through(in_fd, pos, out_fd, -1, count);
  if (done < 0) return done == err(ESPIPE) ? err(EINVAL) : done;
  if (offp != 0) {
    const int64_t now = pos + done;
    memcpy(reinterpret_cast<void*>(offp), &now, sizeof now);
  } else if (const long r = fd_lseek(in_fd, pos + done, SEEK_SET); r < 0) {
    return r;
  }
  return done;
}

long sys_copy_file_range(int64_t in_fd, uint64_t in_offp, int64_t out_fd, uint64_t out_offp, uint64_t len,
                         uint64_t flags) {
  if (flags != 0) return err(EINVAL);
  // Regular files only, both (copy_file_range(2): EINVAL otherwise; EBADF
  // for a descriptor that is not open, EISDIR for a directory).
  struct stat st[2];
  for (int i = 0; i < 2; ++i) {
    if (const long r = fd_fstat(i == 0 ? in_fd : out_fd, reinterpret_cast<uint64_t>(&st[i])); r < 0) return r;
    if (S_ISDIR(st[i].st_mode)) return err(EISDIR);
    if (!S_ISREG(st[i].st_mode)) return err(EINVAL);
  }
  // Then the descriptors' modes: the input readable, the output writable
  // and not O_APPEND (EBADF; Linux's generic_file_rw_checks).
  const long in_fl = sys_fcntl(in_fd, F_GETFL, 0), out_fl = sys_fcntl(out_fd, F_GETFL, 0);
  if (in_fl < 0) return in_fl;
  if (out_fl < 0) return out_fl;
  if ((in_fl & O_ACCMODE) == O_WRONLY || (out_fl & O_ACCMODE) == O_RDONLY || (out_fl & O_APPEND) != 0)
    return err(EBADF);
  int64_t in_pos = 0, out_pos = -1;
  if (const long r = in_offp != 0 ? position_at(in_offp, in_pos) : offset_of(in_fd, in_pos); r < 0) return r;
  if (out_offp != 0)
    if (const long r = position_at(out_offp, out_pos); r < 0) return r;
  // Within one file (the same device and inode: the host's for allowed and
  // encrypted files, the library OS's own for trusted ones) the ranges may
  // not overlap, the length first cut at the end of the input (Linux's
  // generic_copy_file_checks).
  if (st[0].st_ino != 0 && st[0].st_dev == st[1].st_dev && st[0].st_ino == st[1].st_ino) {
    int64_t out_at = out_pos;
    if (out_offp == 0)
      if (const long r = offset_of(out_fd, out_at); r < 0) return r;
    const uint64_t count =
        in_pos >= st[0].st_size ? 0 : std::min<uint64_t>(len, static_cast<uint64_t>(st[0].st_size - in_pos));
    const auto in_at = static_cast<uint64_t>(in_pos), out_u = static_cast<uint64_t>(out_at);
    if (count != 0 && out_u + count > in_at && out_u < in_at + count) return err(EINVAL);
  }
  if (len == 0) return 0;
  const long done = copy_through(in_fd, in_pos, out_fd, out_pos, len);
  if (done < 0) return done;
  if (in_offp != 0) {
    const int64_t now = in_pos + done;
    memcpy(reinterpret_cast<void*>(in_offp), &now, sizeof now);
  } else if (const long r = fd_lseek(in_fd, in_pos + done, SEEK_SET); r < 0) {
    return r;
  }
  if (out_offp != 0) {
    const int64_t now = out_pos + done;
    memcpy(reinterpret_cast<void*>(out_offp), &now, sizeof now);
  }
  return done;
}

}  // namespace nsgx::libos
