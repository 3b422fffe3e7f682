// Directories inside the library OS (docs/libos.md, "Directories"): a
// directory that exists inside (one leading to a file the manifest names,
// /dev, /dev/fd, /proc/self/fd) can be opened, listed with getdents64,
// rewound and seeked with lseek, made the working directory with fchdir,
// and used as openat's and the other *at calls' starting point. Its
// entries are what exists inside below it (syscalls_path.h's
// directory_entries) — never the host's listing, which would let the
// untrusted host make up names.
#pragma once

#include <stdint.h>

#include <string>

#include "libos/enclave/file_table.h"

namespace nsgx::libos {

// One open directory description: its absolute, normal path and the
// position getdents64 has reached (an index into ".", "..", then the
// entries by name; each entry's d_off is the position after it).
struct DirHandle {
  std::string path;
  uint64_t pos = 0;
};

// Installs a kDirectory descriptor for `path` (a directory inside) with
// openat's flags (O_CLOEXEC the caller's). Under g_fd_lock.
long open_directory(const std::string& path, uint64_t flags);
// A dup's own copy of the description (the position is not shared, which
// Linux's dup would: docs/libos.md), or nullptr.
DirHandle* copy_directory(const DirHandle* d);
void close_directory(DirHandle* d);

// getdents64 into the program's buffer: whole entries only (EINVAL if
// the first does not fit), 0 at the end. Under g_fd_lock.
long sys_getdents64(int64_t fd, uint64_t buf, uint64_t count);
// lseek on a directory: SEEK_SET to a position getdents64 gave (0
// rewinds), SEEK_CUR; else EINVAL.
long directory_lseek(DirHandle* d, int64_t off, uint64_t whence);
long sys_fchdir(int64_t fd);

}  // namespace nsgx::libos
