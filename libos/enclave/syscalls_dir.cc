// Directories inside the library OS (syscalls_dir.h).
#include "libos/enclave/syscalls_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <new>
#include <string>
#include <vector>

#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_path.h"

namespace nsgx::libos {
namespace {

using sc::err;

// struct linux_dirent64 (getdents64(2)): u64 d_ino, s64 d_off, u16
// d_reclen, u8 d_type, then the name and its NUL, the record padded to 8.
constexpr uint64_t kDirentHeader = 19;

uint64_t record_size(const std::string& name) { return (kDirentHeader + name.size() + 1 + 7) & ~uint64_t{7}; }

// The parent of an absolute, normal path ("/" is its own).
std::string parent_of(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

}  // namespace

long open_directory(const std::string& path, uint64_t flags) {
  const int fd = new_fd();
  if (fd < 0) return err(EMFILE);
  auto* d = new (std::nothrow) DirHandle{path, 0};
  if (d == nullptr) return err(ENOMEM);
  Fd f;
  f.kind = FdKind::kDirectory;
  f.dir = d;
  f.flags = static_cast<uint32_t>(O_RDONLY | O_DIRECTORY | (flags & O_NONBLOCK));
  set_fd(fd, f);
  return fd;
}

DirHandle* copy_directory(const DirHandle* d) { return new (std::nothrow) DirHandle(*d); }

void close_directory(DirHandle* d) { delete d; }

long sys_getdents64(int64_t fd, uint64_t buf, uint64_t count) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return err(EBADF);
  if (f->kind != FdKind::kDirectory) return err(ENOTDIR);
  if (!sc::user_buffer(buf, count)) return err(EFAULT);
  DirHandle& d = *f->dir;
  std::vector<DirEntry> all;
  struct stat st;
  directory_stat(d.path, st);
  all.push_back(DirEntry{".", st.st_ino, 4 /* DT_DIR */});
  directory_stat(parent_of(d.path), st);
  all.push_back(DirEntry{"..", st.st_ino, 4});
  for (auto& e : directory_entries(d.path)) all.push_back(std::move(e));
  uint64_t used = 0;
  while (d.pos < all.size()) {
    const DirEntry& e = all[d.pos];
    const uint64_t size = record_size(e.name);
    if (used + size > count) {
      if (used == 0) return err(EINVAL);  // the buffer cannot hold one entry
      break;
    }
    uint8_t* r = reinterpret_cast<uint8_t*>(buf + used);
    const uint64_t off = d.pos + 1;  // where the next entry starts (lseek, telldir)
    const uint16_t reclen = static_cast<uint16_t>(size);
    memset(r, 0, size);
    memcpy(r, &e.ino, 8);
    memcpy(r + 8, &off, 8);
    memcpy(r + 16, &reclen, 2);
    r[18] = e.type;
    memcpy(r + kDirentHeader, e.name.c_str(), e.name.size() + 1);  // with its NUL
    used += size;
    ++d.pos;
  }
  return static_cast<long>(used);
}

long directory_lseek(DirHandle* d, int64_t off, uint64_t whence) {
  if (whence == SEEK_CUR) {
    if (off < 0 && static_cast<uint64_t>(-off) > d->pos) return err(EINVAL);
    d->pos += static_cast<uint64_t>(off);
  } else if (whence == SEEK_SET) {
    if (off < 0) return err(EINVAL);
    d->pos = static_cast<uint64_t>(off);  // past the end: getdents64 answers 0
  } else {
    return err(EINVAL);
  }
  return static_cast<long>(d->pos);
}

long sys_fchdir(int64_t fd) {
  const Fd* f = fd_at(fd);
  if (f == nullptr) return err(EBADF);
  if (f->kind != FdKind::kDirectory) return err(ENOTDIR);
  set_cwd(f->dir->path);
  return 0;
}

}  // namespace nsgx::libos
