// struct statx (include/uapi/linux/stat.h; statx(2)), the kernel's layout:
// the library OS fills it from the struct stat its stat calls answer
// (syscalls.cc, statx).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace nsgx::libos {

struct StatxTimestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};
static_assert(sizeof(StatxTimestamp) == 16, "linux/stat.h: struct statx_timestamp");

struct Statx {
  uint32_t mask;  // which fields are filled (STATX_*)
  uint32_t blksize;
  uint64_t attributes;
  uint32_t nlink;
  uint32_t uid;
  uint32_t gid;
  uint16_t mode;
  uint16_t spare0;
  uint64_t ino;
  uint64_t size;
  uint64_t blocks;
  uint64_t attributes_mask;
  StatxTimestamp atime, btime, ctime, mtime;
  uint32_t rdev_major, rdev_minor;
  uint32_t dev_major, dev_minor;
  uint64_t spare2[14];
};
static_assert(sizeof(Statx) == 256, "linux/stat.h: struct statx is 256 bytes");
static_assert(offsetof(Statx, ino) == 32 && offsetof(Statx, atime) == 64 && offsetof(Statx, rdev_major) == 128,
              "linux/stat.h: struct statx's layout");

// STATX_* (linux/stat.h): what struct stat holds.
inline constexpr uint32_t kStatxBasicStats = 0x7ff;
inline constexpr uint32_t kStatxReserved = 0x80000000u;
// AT_* flags statx takes (linux/fcntl.h): AT_SYMLINK_NOFOLLOW,
// AT_NO_AUTOMOUNT, AT_EMPTY_PATH and the AT_STATX_SYNC_TYPE bits.
inline constexpr uint64_t kStatxFlags = 0x100 | 0x800 | 0x1000 | 0x6000;

}  // namespace nsgx::libos
