// Directories inside the library OS (syscalls_dir.h).
#include "libos/enclave/syscalls_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <new>
#include <string>
#include <vector>

#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_path.h"

namespace nsgx::libos {
namespace {

using sc::err;

constexpr uint8_t kDtDir = 4, kDtLnk = 10;  // <dirent.h>

// The interned paths: a list that only grows, under its own lock (a leaf).
struct Interned {
  std::string path;
  Interned* next = nullptr;
};
Interned* g_interned = nullptr;
SpinLock g_intern_lock;

// struct linux_dirent64 (getdents64(2)): u64 d_ino, s64 d_off, u16
// d_reclen, u8 d_type, then the name and its NUL, the record padded to 8.
constexpr uint64_t kDirentHeader = 19;

uint64_t record_size(const std::string& name) { return (kDirentHeader + name.size() + 1 + 7) & ~uint64_t{7}; }

// The parent of an absolute, normal path ("/" is its own).
std::string parent_of(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

// Writes one record at `at` (`next`: the position after it, d_off); false
// if it does not fit in `left` bytes.
bool put_record(uint8_t* at, uint64_t left, const DirEntry& e, uint64_t next) {
  const uint64_t size = record_size(e.name);
  if (size > left) return false;
  const uint16_t reclen = static_cast<uint16_t>(size);
  memset(at, 0, size);
  memcpy(at, &e.ino, 8);
  memcpy(at + 8, &next, 8);
  memcpy(at + 16, &reclen, 2);
  at[18] = e.type;
  memcpy(at + kDirentHeader, e.name.c_str(), e.name.size() + 1);  // with its NUL
  return true;
}

// An entry `name` for directory `dir`, with the inode number stat gives it.
DirEntry dot(const std::string& name, const std::string& dir) {
  struct stat st;
  directory_stat(dir, st);
  return DirEntry{name, st.st_ino, kDtDir};
}

}  // namespace

const std::string* intern_directory(const std::string& path) {
  SpinGuard g(g_intern_lock);
  for (const Interned* i = g_interned; i != nullptr; i = i->next)
    if (i->path == path) return &i->path;
  auto* n = new (std::nothrow) Interned{path, g_interned};
  if (n == nullptr) return nullptr;
  g_interned = n;
  return &n->path;
}

long open_directory(const std::string& path, uint64_t flags) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0) return err(EISDIR);  // read-only
  const std::string* p = intern_directory(path);
  if (p == nullptr) return err(ENOMEM);
  const int fd = new_fd();
  if (fd < 0) return err(EMFILE);
  Fd f;
  f.kind = FdKind::kDirectory;
  f.dir = p;
  f.flags = static_cast<uint32_t>(O_RDONLY | (flags & (O_DIRECTORY | O_NONBLOCK)));  // F_GETFL: as given
  set_fd(fd, f);
  return fd;
}

long sys_getdents64(int64_t fd, uint64_t buf, uint64_t count) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return err(EBADF);
  if (f->kind != FdKind::kDirectory) return err(ENOTDIR);
  if (!sc::user_buffer(buf, count)) return err(EFAULT);
  const std::string& path = *f->dir;
  uint8_t* out = reinterpret_cast<uint8_t*>(buf);
  uint64_t used = 0;
  const auto emit = [&](const DirEntry& e, uint64_t next) {
    if (!put_record(out + used, count - used, e, next)) return false;
    used += record_size(e.name);
    f->dir_pos = next;
    return true;
  };
  // "." and "..", then the entries.
  while (f->dir_pos < 2) {
    if (!emit(f->dir_pos == 0 ? dot(".", path) : dot("..", parent_of(path)), f->dir_pos + 1))
      return used == 0 ? err(EINVAL) : static_cast<long>(used);
  }
  if (is_descriptor_directory(path)) {
    // Position 2 + n: the first open descriptor at or above n.
    for (uint64_t n = f->dir_pos - 2; n < static_cast<uint64_t>(kMaxFds); ++n) {
      if (fd_at(static_cast<int64_t>(n)) == nullptr) continue;
      const std::string name = std::to_string(n);
      if (!emit(DirEntry{name, dot(name, path + "/" + name).ino, kDtLnk}, n + 3))
        return used == 0 ? err(EINVAL) : static_cast<long>(used);
    }
    return static_cast<long>(used);
  }
  if (host_listed(path)) {
    // Position 2: the host's start; above it, the host's cookie.
    for (;;) {
      std::vector<HostDirEntry> got;
      const long r = host_list(path, f->dir_pos == kFirstHostCookie ? 0 : f->dir_pos, count - used, got);
      if (r == err(ERANGE)) return used == 0 ? err(EINVAL) : static_cast<long>(used);
      if (r < 0) return used == 0 ? r : static_cast<long>(used);
      if (got.empty()) return static_cast<long>(used);  // the end
      for (const HostDirEntry& h : got)
        if (!emit(h.e, h.next)) return used == 0 ? err(EINVAL) : static_cast<long>(used);
    }
  }
  const std::vector<DirEntry> all = directory_entries(path);
  while (f->dir_pos - 2 < all.size()) {
    if (!emit(all[f->dir_pos - 2], f->dir_pos + 1)) return used == 0 ? err(EINVAL) : static_cast<long>(used);
  }
  return static_cast<long>(used);
}

long directory_lseek(Fd& f, int64_t off, uint64_t whence) {
  uint64_t base;
  if (whence == SEEK_CUR)
    base = f.dir_pos;
  else if (whence == SEEK_SET)
    base = 0;
  else
    return err(EINVAL);
  // The result must be a position in 0 .. INT64_MAX (past the end is
  // allowed: getdents64 then answers 0).
  if (off < 0 ? static_cast<uint64_t>(-(off + 1)) + 1 > base : base > static_cast<uint64_t>(INT64_MAX - off))
    return err(EINVAL);
  f.dir_pos = off < 0 ? base - (static_cast<uint64_t>(-(off + 1)) + 1) : base + static_cast<uint64_t>(off);
  return static_cast<long>(f.dir_pos);
}

long sys_fchdir(int64_t fd) {
  const Fd* f = fd_at(fd);
  if (f == nullptr) return err(EBADF);
  // Read once: a close in another thread may clear the entry meanwhile;
  // an interned path is never freed.
  const std::string* dir = f->kind == FdKind::kDirectory ? f->dir : nullptr;
  if (dir == nullptr) return err(ENOTDIR);
  set_cwd(*dir);
  return 0;
}

}  // namespace nsgx::libos
