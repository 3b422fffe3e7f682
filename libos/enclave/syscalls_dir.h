// Directories inside the library OS (docs/libos.md, "Directories"): a
// directory that exists inside (one leading to a file the manifest names,
// /dev, /dev/fd, /proc/self/fd) can be opened, listed with getdents64,
// rewound and seeked with lseek, made the working directory with fchdir,
// and used as openat's and the other *at calls' starting point. Its
// entries are what exists inside below it (syscalls_path.h's
// directory_entries) — never the host's listing, which would let the
// untrusted host make up names.
//
// A directory descriptor holds no resource: its path is interned here
// (one copy per directory, never freed; there are only as many as the
// manifest's tree has) and its position lives in the descriptor
// (Fd::dir, Fd::dir_pos), so dup, vfork and fork copy it as they copy any
// field, and no thread can free what another reads.
#pragma once

#include <stdint.h>

#include <string>

#include "libos/enclave/file_table.h"

namespace nsgx::libos {

// The one copy of `path`; nullptr if out of memory.
const std::string* intern_directory(const std::string& path);

// Installs a kDirectory descriptor for `path` (a directory inside) with
// openat's flags (O_CLOEXEC the caller's); EISDIR for any write access,
// O_CREAT or O_TRUNC. Under g_fd_lock.
long open_directory(const std::string& path, uint64_t flags);

// getdents64 into the program's buffer: whole entries only (EINVAL if
// the first does not fit), 0 at the end. A position is an index into
// ".", "..", then the entries by name; in /dev/fd and /proc/self/fd,
// whose entries come and go, 2 + the next descriptor number instead, so
// closing descriptors while listing skips or repeats none. Under
// g_fd_lock.
long sys_getdents64(int64_t fd, uint64_t buf, uint64_t count);
// lseek on a directory: SEEK_SET to a position getdents64 gave (0
// rewinds), SEEK_CUR; else EINVAL.
long directory_lseek(Fd& f, int64_t off, uint64_t whence);
long sys_fchdir(int64_t fd);

}  // namespace nsgx::libos
