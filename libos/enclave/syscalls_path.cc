// The program's path-based calls (syscalls_path.h).
//
// Paths are resolved lexically: "." and empty components dropped, ".."
// removes the previous component (at "/" it stays "/"), as the kernel
// does when no component is a symbolic link. The host's symbolic links
// are not followed inside: they are the host's, untrusted; a manifest
// names files by the paths the program uses (the trusted file's bytes
// are read through the host's path, links and all, and hash-checked).
#include "libos/enclave/syscalls_path.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "libos/enclave/devices.h"
#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/host_io.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/spin_lock.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscalls_dir.h"
#include "libos/enclave/syscalls_sys.h"
#include "libos/enclave/threads.h"
#include "libos/manifest/manifest.h"
#include "libos_t.h"

namespace nsgx::libos {
namespace {

using sc::err;

constexpr int kAtFdcwd = -100;
constexpr uint64_t kAtSymlinkNofollow = 0x100;

std::string g_cwd = "/";
SpinLock g_cwd_lock;  // g_cwd: chdir may change it while other threads resolve

std::string cwd() {
  SpinGuard g(g_cwd_lock);
  return g_cwd;
}

// An absolute, normal path (the manifest's rules), or "/", which the
// manifest cannot name but which exists inside.
bool normal_path(const std::string& p) { return p == "/" || check_path(p); }

// `path` appended to `dir` (absolute), normalised; false if too long.
bool normalise(const std::string& dir, const std::string& path, std::string& out) {
  const std::string whole = path[0] == '/' ? path : dir + "/" + path;
  out.clear();
  size_t i = 0;
  while (i < whole.size()) {
    size_t j = whole.find('/', i);
    if (j == std::string::npos) j = whole.size();
    const std::string_view comp(whole.data() + i, j - i);
    if (comp == "..") {
      const size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
    } else if (!comp.empty() && comp != ".") {
      out += '/';
      out += comp;
    }
    i = j + 1;
  }
  if (out.empty()) out = "/";
  return out.size() < 4096;
}

// The program's path as an absolute, normal path; 0 or -errno.
long resolve_in(const std::string& path, std::string& out) {
  if (path.empty()) return err(ENOENT);
  if (!normalise(cwd(), path, out)) return err(ENAMETOOLONG);
  if (!normal_path(out)) return err(ENOENT);  // a control character: nothing the manifest can name
  return 0;
}

long resolve(int64_t dirfd, uint64_t pathp, std::string& out) {
  std::string path;
  if (!sc::user_string(pathp, path)) return err(EFAULT);
  if (path.empty()) return err(ENOENT);
  std::string base;
  if (path[0] != '/' && static_cast<int>(dirfd) != kAtFdcwd) {
    // Relative to an open directory (syscalls_dir.h); any other
    // descriptor is not one.
    const Fd* f = fd_at(dirfd);
    if (f == nullptr) return err(EBADF);
    // Read once: a close in another thread may clear the entry meanwhile;
    // an interned path is never freed (syscalls_dir.h).
    const std::string* dir = f->kind == FdKind::kDirectory ? f->dir : nullptr;
    if (dir == nullptr) return err(ENOTDIR);
    base = *dir;
  } else {
    base = cwd();
  }
  if (!normalise(base, path, out)) return err(ENAMETOOLONG);
  if (!normal_path(out)) return err(ENOENT);  // a control character: nothing the manifest can name
  return 0;
}

enum class Kind { kNone, kTrusted, kAllowed, kDirectory, kDevice, kDescriptor };

// Linux's links to descriptors: /dev/stdin, /dev/stdout and /dev/stderr
// (to /proc/self/fd/0..2), /dev/fd/N (/dev/fd is a link to /proc/self/fd)
// and /proc/self/fd/N, whose open reopens the descriptor's file (bash's
// `> /dev/stderr`, its process substitution's /dev/fd/63). The descriptor
// number a path names (decimal, no leading zero: proc's name_to_int), or
// -1.
int64_t descriptor_path(const std::string& p) {
  if (p == "/dev/stdin") return 0;
  if (p == "/dev/stdout") return 1;
  if (p == "/dev/stderr") return 2;
  std::string_view rest;
  for (const std::string_view dir : {std::string_view("/dev/fd/"), std::string_view("/proc/self/fd/")})
    if (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0) rest = std::string_view(p).substr(dir.size());
  if (rest.empty() || rest.size() > 9 || (rest[0] == '0' && rest.size() > 1)) return -1;
  int64_t n = 0;
  for (const char c : rest) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}


// getdents64's d_type values (<dirent.h>'s DT_*).
constexpr uint8_t kDtUnknown = 0, kDtChr = 2, kDtDir = 4, kDtReg = 8, kDtLnk = 10;

// What the library OS itself puts in the tree besides the devices, with
// the d_type Linux lists them by (/dev/fd and /dev/std* are links there).
struct OwnName {
  std::string_view path;
  uint8_t type;
};
constexpr OwnName kOwnNames[] = {
    {"/dev/stdin", kDtLnk}, {"/dev/stdout", kDtLnk},   {"/dev/stderr", kDtLnk},
    {"/dev/fd", kDtLnk},    {"/proc/self/fd", kDtDir},
};

// A directory exists inside when it leads to a file the manifest names.
bool leads_to(const std::string& dir, std::string_view file) {
  return dir == "/" || (file.size() > dir.size() && file.compare(0, dir.size(), dir) == 0 && file[dir.size()] == '/');
}

// Whether `p` leads to one of the library OS's own names (/dev, /proc,
// /proc/self).
bool leads_to_own(const std::string& p) {
  return std::ranges::any_of(kLibosDevicePaths, [&](std::string_view d) { return leads_to(p, d); }) ||
         std::ranges::any_of(kOwnNames, [&](const OwnName& o) { return leads_to(p, o.path); });
}

Kind kind_of(const std::string& p) {
  // The library OS's devices first: the manifest cannot name their paths
  // (manifest.h), and a host's file there is never used.
  if (Device d; device_at(p, d)) return Kind::kDevice;
  if (descriptor_path(p) >= 0) return Kind::kDescriptor;
  if (is_descriptor_directory(p) || leads_to_own(p)) return Kind::kDirectory;
  const Manifest& m = *g_program.manifest;
  if (m.trusted(p)) return Kind::kTrusted;
  if (m.allowed(p)) return Kind::kAllowed;
  if (m.leads_to_trusted(p)) return Kind::kDirectory;  // sorted: a search, not a walk of every file
  for (const auto& f : m.allowed_files)
    if (leads_to(p, f)) return Kind::kDirectory;
  // An encrypted entry's own directories (the entry itself is the host's
  // to say: encrypted_stat).
  for (const auto& e : m.encrypted_files)
    if (leads_to(p, e.path)) return Kind::kDirectory;
  return Kind::kNone;
}

// The `sgx.encrypted_files` entry covering `p` — never for the devices
// and their directory, which are the library OS's whatever a manifest
// says (the signing side refuses such entries: manifest.h).
const EncryptedPath* encrypted_at(const std::string& p) {
  Device d;
  if (device_at(p, d) || descriptor_path(p) >= 0 || is_descriptor_directory(p) || leads_to_own(p)) return nullptr;
  return g_program.manifest->encrypted(p);
}

// FNV-1a of the path: a directory's inode number, stable for the run.
ino_t dir_ino(const std::string& p) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : p) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return static_cast<ino_t>(h | (1ull << 63));
}

void dir_stat(const std::string& p, struct stat& st) {
  memset(&st, 0, sizeof st);
  st.st_dev = kLibosDev;
  st.st_ino = dir_ino(p);
  st.st_mode = S_IFDIR | 0555;
  st.st_nlink = 2;
  st.st_size = 4096;
  st.st_blksize = 4096;
  st.st_blocks = 8;
}

long trace_refusal(const char* call, const std::string& p, int e) {
  if (g_program.trace) say(std::string("nsgx libos: ") + call + " " + p + ": neither trusted nor allowed\n");
  return err(e);
}

// A path below a file that exists inside ("a.txt/x"): Linux's ENOTDIR,
// whatever the call; else the refusal.
long missing(const char* call, const std::string& p, int e) {
  for (size_t slash = p.rfind('/'); slash != 0 && slash != std::string::npos; slash = p.rfind('/', slash - 1)) {
    const Kind k = kind_of(p.substr(0, slash));
    if (k == Kind::kTrusted || k == Kind::kAllowed || k == Kind::kDevice) return err(ENOTDIR);
    if (k == Kind::kDirectory) break;  // a directory: what is below it is simply not there
  }
  return trace_refusal(call, p, e);
}

}  // namespace

void init_cwd() {
  char buf[4096];
  // The host's answer: NUL-terminated within the buffer (nsgx_tposix
  // checks), then used only if it is an absolute, normal path. It only
  // chooses which of the manifest's files a relative path names.
  if (::getcwd(buf, sizeof buf) != nullptr && normal_path(buf)) g_cwd = buf;
}

void set_cwd(const std::string& path) {
  if (!normal_path(path)) return;  // a checkpoint's or fchdir's: absolute and normal, as init_cwd takes one
  SpinGuard g(g_cwd_lock);
  g_cwd = path;
}

std::string current_cwd() { return cwd(); }

// Whether a trusted file is executable (mode 0555, access X_OK): the
// entrypoint, what this process runs, and every ELF file and #! script —
// what execve runs. Decided from its hash-checked bytes, never from the
// host's mode bits. A shell's or make's PATH search (access X_OK, or the
// mode's x bits) finds the programs the manifest trusts; with 0444 for
// all but the entrypoint it answered "Permission denied".
bool trusted_executable(const TrustedCopy& c) {
  const Manifest& m = *g_program.manifest;
  if (c.path == m.entrypoint || c.path == g_program.exe) return true;
  static constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (c.size >= sizeof kElfMagic && memcmp(c.data, kElfMagic, sizeof kElfMagic) == 0) return true;
  return c.size >= 2 && c.data[0] == '#' && c.data[1] == '!';
}

void trusted_stat(const TrustedCopy& c, struct stat& st) {
  memset(&st, 0, sizeof st);
  const Manifest& m = *g_program.manifest;
  const TrustedFile* tf = m.trusted(c.path);
  st.st_dev = kLibosDev;
  st.st_ino = tf ? static_cast<ino_t>(tf - m.trusted_files.data()) + 1 : 0;  // unique per trusted file
  st.st_mode = S_IFREG | (trusted_executable(c) ? 0555 : 0444);
  st.st_nlink = 1;
  st.st_size = static_cast<off_t>(c.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((c.size + 511) / 512);
}

namespace {

// The host's open of `path` with the program's flags (O_CLOEXEC is kept
// inside: execve decides what a new program inherits); the new descriptor
// must be one the table does not hold (Iago: host_io.h).
long open_host(const std::string& path, uint64_t flags, uint64_t mode) {
  const int h =
      ::open(path.c_str(), static_cast<int>(flags & ~static_cast<uint64_t>(O_CLOEXEC)), static_cast<unsigned>(mode));
  if (h < 0) return err(errno);
  if (host_fd_in_use(h)) return refuse("open");
  return h;
}

long open_device(Device d, uint64_t flags) {
  if (flags & O_DIRECTORY) return err(ENOTDIR);
  if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return err(EEXIST);
  const int fd = new_fd();
  if (fd < 0) return err(EMFILE);
  Fd f;
  f.kind = FdKind::kDevice;
  f.device = d;
  f.flags = static_cast<uint32_t>(flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));  // O_TRUNC: nothing to cut
  set_fd(fd, f);
  return fd;
}

// Whether the host's `path` is a directory: 0, ENOTDIR, or the host's
// errno. Its stat decides: untrusted, as a host directory's names are.
long host_directory_check(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return err(errno);
  return S_ISDIR(st.st_mode) ? 0 : err(ENOTDIR);
}

// A directory of the host's inside an allowed or encrypted path (or the
// entry itself), listed from the host's names (host_listed).
bool host_directory(const std::string& path) { return host_listed(path) && host_directory_check(path) == 0; }

long open_resolved(const std::string& path, uint64_t flags, uint64_t mode);

// The open of descriptor n's link (descriptor_path): as Linux's proc
// links, a new open file description of the same file, with the new
// flags. A host-backed descriptor's file is reopened by the host (its own
// /proc/self/fd link: a terminal, a pipe, a regular file — with O_TRUNC,
// O_APPEND — as natively; a socket's ENXIO); a trusted file gets a new
// offset, a device new flags, a protected file is opened again by its
// path. An epoll set is an anonymous inode: ENXIO, as Linux.
long reopen(int64_t n, uint64_t flags, uint64_t mode) {
  const Fd* f = fd_at(n);
  if (f == nullptr) return err(ENOENT);  // a closed descriptor has no link
  if ((flags & O_DIRECTORY) != 0 && f->kind != FdKind::kDirectory) return err(ENOTDIR);
  switch (f->kind) {
    case FdKind::kDevice:
      return open_device(f->device, flags);
    case FdKind::kDirectory:
      return open_directory(*f->dir, flags);
    case FdKind::kTrusted: {
      if ((flags & 3) != O_RDONLY || (flags & O_TRUNC) != 0) return err(EACCES);
      const int fd = new_fd();
      if (fd < 0) return err(EMFILE);
      set_fd(fd, Fd{FdKind::kTrusted, -1, f->copy, 0});
      return fd;
    }
    case FdKind::kEncrypted: {
      std::string path;
      if (!encrypted_path_of(f->enc, path)) return err(ENOENT);  // unlinked: not reopened here
      return open_resolved(path, flags & ~static_cast<uint64_t>(O_CREAT | O_EXCL), mode);
    }
    case FdKind::kHostStdio:
    case FdKind::kHost:
    case FdKind::kStream: {
      if (f->kind == FdKind::kStream && f->stream == StreamKind::kEpoll) return err(ENXIO);
      const int fd = new_fd();
      if (fd < 0) return err(EMFILE);
      const std::string link = "/proc/self/fd/" + std::to_string(f->host);
      const long h = open_host(link, flags, mode);
      if (h < 0) return h;
      Fd copy = *f;
      copy.host = static_cast<int>(h);
      copy.offset = 0;
      copy.cloexec = false;
      copy.owned = true;  // a new host descriptor, closed with this one
      set_fd(fd, copy);
      return fd;
    }
    case FdKind::kFree:
      break;
  }
  return err(ENOENT);
}

long open_path(int64_t dirfd, uint64_t pathp, uint64_t flags, uint64_t mode) {
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) {
    if (g_program.trace) say("nsgx libos: openat: a path that does not resolve: " + std::to_string(-r) + "\n");
    return r;
  }
  return open_resolved(path, flags, mode);
}

long open_resolved(const std::string& path, uint64_t flags, uint64_t mode) {
  if (Device d; device_at(path, d)) return open_device(d, flags);
  if (const int64_t n = descriptor_path(path); n >= 0) return reopen(n, flags, mode);
  // A directory of the host's inside an allowed or encrypted path
  // (opendir's O_DIRECTORY): one of the library OS's, listed from the
  // host's names.
  if ((flags & O_DIRECTORY) != 0 && host_listed(path)) {
    if (const long r = host_directory_check(path); r < 0) return r;
    return open_directory(path, flags);
  }
  // Under an encrypted path (encrypted_files.h): a protected file, sealed
  // to the enclave, whatever the host holds there.
  if (const EncryptedPath* e = encrypted_at(path)) {
    // A read-only open of a directory there, without O_DIRECTORY (SQLite
    // opens its database's directory to fsync it): one of the library OS's,
    // as for an allowed path below. The host's stat says which it is; a
    // protected file opened as a directory would only fail its checks.
    // A file this run has open or knows a version of is a file whatever
    // the host's stat says now: the host cannot turn it into an empty
    // directory and so hide that it was removed or rolled back.
    if ((flags & O_ACCMODE) == O_RDONLY && (flags & O_CREAT) == 0 && !encrypted_in_use(path) &&
        host_directory_check(path) == 0)
      return open_directory(path, flags);
    const int fd = new_fd();
    if (fd < 0) return err(EMFILE);
    EncryptedHandle* h = nullptr;
    if (const long r = encrypted_open(*e, path, flags, mode, &h); r < 0) return r;
    Fd f;
    f.kind = FdKind::kEncrypted;
    f.enc = h;
    set_fd(fd, f);
    return fd;
  }
  const Kind k = kind_of(path);
  if (k == Kind::kTrusted) {
    if ((flags & 3) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0) return err(EACCES);
    if (flags & O_DIRECTORY) return err(ENOTDIR);
    std::string why;
    const TrustedCopy* c = load_trusted(*g_program.manifest->trusted(path), why);
    if (c == nullptr) {
      say("nsgx run: " + why + "\n");
      return err(EACCES);
    }
    const int fd = new_fd();
    if (fd < 0) return err(EMFILE);
    set_fd(fd, Fd{FdKind::kTrusted, -1, c, 0});
    return fd;
  }
  if (k == Kind::kAllowed) {
    const int fd = new_fd();
    if (fd < 0) return err(EMFILE);
    const long h = open_host(path, flags, mode);
    if (h < 0) return h;
    // A read-only open may be of a directory (gnulib's save_cwd opens "."
    // without O_DIRECTORY, then fchdirs back to it): one of the library
    // OS's, as with O_DIRECTORY above.
    if ((flags & O_ACCMODE) == O_RDONLY && (flags & O_CREAT) == 0) {
      struct stat st;
      if (::fstat(static_cast<int>(h), &st) == 0 && S_ISDIR(st.st_mode)) {
        (void)::close(static_cast<int>(h));
        return open_directory(path, flags);
      }
    }
    set_fd(fd, Fd{FdKind::kHost, static_cast<int>(h), nullptr, 0});
    return fd;
  }
  // A directory: read-only, listed from what exists inside
  // (syscalls_dir.h); everything else the manifest does not name is
  // refused, as in M2.
  if (k == Kind::kDirectory) return open_directory(path, flags);
  return missing("openat", path, EACCES);
}

}  // namespace

long sys_openat(int64_t dirfd, uint64_t pathp, uint64_t flags, uint64_t mode) {
  const long fd = open_path(dirfd, pathp, flags, mode);
  // O_CLOEXEC is the descriptor's, kept here whatever its kind (execve
  // honours it: syscalls_spawn.cc).
  if (fd >= 0 && (flags & O_CLOEXEC) != 0) fd_at(fd)->cloexec = true;
  return fd;
}

long sys_newfstatat(int64_t dirfd, uint64_t pathp, uint64_t out, uint64_t flags) {
  if (!sc::user_buffer(out, sizeof(struct stat))) return err(EFAULT);
  struct stat st;
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) return r;
  if (const EncryptedPath* e = encrypted_at(path)) {
    // The plaintext's size (encrypted_files.h), never the host's.
    if (const long r = encrypted_stat(*e, path, (flags & kAtSymlinkNofollow) != 0, &st); r < 0) return r;
    memcpy(reinterpret_cast<void*>(out), &st, sizeof st);
    return 0;
  }
  switch (kind_of(path)) {
    case Kind::kTrusted: {
      std::string why;
      const TrustedCopy* c = load_trusted(*g_program.manifest->trusted(path), why);
      if (c == nullptr) {
        say("nsgx run: " + why + "\n");
        return err(EACCES);
      }
      trusted_stat(*c, st);
      break;
    }
    case Kind::kAllowed: {
      // The host's answer, its sizes checked by nsgx_tposix.
      const int r = (flags & kAtSymlinkNofollow) ? ::lstat(path.c_str(), &st) : ::stat(path.c_str(), &st);
      if (r != 0) return err(errno);
      break;
    }
    case Kind::kDirectory:
      dir_stat(path, st);
      break;
    case Kind::kDevice: {
      Device d;
      (void)device_at(path, d);
      device_stat(d, st);
      break;
    }
    case Kind::kDescriptor: {
      // The link followed, as stat does (lstat too: nothing inside is a
      // link, above): the descriptor's file.
      const int64_t n = descriptor_path(path);
      return fd_at(n) == nullptr ? err(ENOENT) : fd_fstat(n, out);
    }
    case Kind::kNone:
      return missing("stat", path, ENOENT);
  }
  memcpy(reinterpret_cast<void*>(out), &st, sizeof st);
  return 0;
}

long sys_faccessat(int64_t dirfd, uint64_t pathp, uint64_t mode) {
  if (mode & ~static_cast<uint64_t>(R_OK | W_OK | X_OK)) return err(EINVAL);
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) return r;
  if (encrypted_at(path) != nullptr) return encrypted_access(path, mode);
  switch (kind_of(path)) {
    case Kind::kTrusted: {
      // Read-only; executable as trusted_stat's modes say, from the file's
      // checked bytes (read for X_OK only).
      if (mode & W_OK) return err(EACCES);
      if ((mode & X_OK) == 0) return 0;
      std::string why;
      const TrustedCopy* c = load_trusted(*g_program.manifest->trusted(path), why);
      if (c == nullptr) {
        say("nsgx run: " + why + "\n");
        return err(EACCES);
      }
      return trusted_executable(*c) ? 0 : err(EACCES);
    }
    case Kind::kAllowed:
      return ::access(path.c_str(), static_cast<int>(mode)) == 0 ? 0 : err(errno);
    case Kind::kDirectory:
      return (mode & W_OK) ? err(EACCES) : 0;
    case Kind::kDevice:
      return (mode & X_OK) ? err(EACCES) : 0;  // crw-rw-rw-
    case Kind::kDescriptor: {
      const Fd* f = fd_at(descriptor_path(path));
      if (f == nullptr) return err(ENOENT);
      if (f->kind == FdKind::kDirectory) return (mode & W_OK) ? err(EACCES) : 0;  // r-x, as the directory
      return (mode & X_OK) ? err(EACCES) : 0;
    }
    case Kind::kNone:
      break;
  }
  // ENOENT, not EACCES: what glibc's probes (ld.so's /etc/ld.so.preload)
  // take as "not there".
  return missing("access", path, ENOENT);
}

long sys_unlinkat(int64_t dirfd, uint64_t pathp, uint64_t flags) {
  constexpr uint64_t kAtRemovedir = 0x200;
  if ((flags & ~kAtRemovedir) != 0) return err(EINVAL);
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) return r;
  // Allowed files, the host's anyway: SQLite's journal comes and goes.
  // Encrypted files: the host file and the version this run kept of it
  // (encrypted_files.h). Trusted files are read-only; directories are
  // synthesised or the manifest's (an encrypted entry).
  if ((flags & kAtRemovedir) != 0) {
    // The host's directories inside an allowed or encrypted path (a
    // directory that still holds protected files is the host's ENOTEMPTY).
    if (encrypted_at(path) != nullptr || kind_of(path) == Kind::kAllowed)
      return ::rmdir(path.c_str()) != 0 ? err(errno) : 0;
    return trace_refusal("rmdir", path, kind_of(path) == Kind::kNone ? ENOENT : EACCES);
  }
  if (encrypted_at(path) != nullptr) return encrypted_unlink(path);
  switch (kind_of(path)) {
    case Kind::kAllowed:
      return ::unlink(path.c_str()) != 0 ? err(errno) : 0;
    case Kind::kNone:
      return trace_refusal("unlink", path, ENOENT);
    default:
      return trace_refusal("unlink", path, EACCES);
  }
}

long sys_renameat2(int64_t olddirfd, uint64_t oldpath, int64_t newdirfd, uint64_t newpath, uint64_t flags) {
  constexpr uint64_t kNoreplace = 1;  // RENAME_EXCHANGE (2), RENAME_WHITEOUT (4) and the rest: EINVAL
  if ((flags & ~kNoreplace) != 0) return err(EINVAL);
  std::string from, to;
  if (const long r = resolve(olddirfd, oldpath, from); r < 0) return r;
  if (const long r = resolve(newdirfd, newpath, to); r < 0) return r;
  const bool noreplace = (flags & kNoreplace) != 0;
  const EncryptedPath* ef = encrypted_at(from);
  const EncryptedPath* et = encrypted_at(to);
  const Kind kf = ef != nullptr ? Kind::kNone : kind_of(from);
  const Kind kt = et != nullptr ? Kind::kNone : kind_of(to);
  if (ef != nullptr && et != nullptr) return encrypted_rename(*ef, from, *et, to, noreplace);
  if (kf == Kind::kAllowed && kt == Kind::kAllowed) {
    const int r = noreplace ? ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE)
                            : ::rename(from.c_str(), to.c_str());
    return r != 0 ? err(errno) : 0;
  }
  // Anything else. The source first, as Linux looks at it first: missing
  // is ENOENT; a trusted file (read-only) or a path nothing covers EACCES;
  // a device, a descriptor link or one of the library OS's directories
  // EBUSY (its own, mounted as it were).
  const auto refusal = [](Kind k) { return k == Kind::kTrusted || k == Kind::kNone ? EACCES : EBUSY; };
  if (ef == nullptr && kf == Kind::kNone) return trace_refusal("rename", from, ENOENT);
  if (ef == nullptr && kf != Kind::kAllowed) return trace_refusal("rename", from, refusal(kf));
  // An encrypted or allowed file to the other of the two kinds: EXDEV, on
  // which `mv` copies and removes.
  if (et != nullptr || kt == Kind::kAllowed) return trace_refusal("rename", to, EXDEV);
  return trace_refusal("rename", to, refusal(kt));
}

long sys_chdir(uint64_t pathp) {
  std::string path;
  if (const long r = resolve(kAtFdcwd, pathp, path); r < 0) return r;
  // An encrypted entry, or a directory below one: the host's directory
  // there (its stat, checked), where the protected files are.
  if (const EncryptedPath* e = encrypted_at(path)) {
    struct stat st;
    if (const long r = encrypted_stat(*e, path, false, &st); r < 0) return r;
    if (!S_ISDIR(st.st_mode)) return err(ENOTDIR);
    SpinGuard g(g_cwd_lock);
    g_cwd = path;
    return 0;
  }
  switch (kind_of(path)) {
    case Kind::kDirectory: {
      SpinGuard g(g_cwd_lock);
      g_cwd = path;
      return 0;
    }
    case Kind::kDescriptor:
      // A directory descriptor's link is that directory.
      if (const Fd* f = fd_at(descriptor_path(path)); f != nullptr && f->kind == FdKind::kDirectory) {
        if (const std::string* dir = f->dir; dir != nullptr) {
          set_cwd(*dir);
          return 0;
        }
      }
      return fd_at(descriptor_path(path)) == nullptr ? err(ENOENT) : err(ENOTDIR);
    case Kind::kAllowed:
      // A directory inside an allowed path: the host's stat says so.
      if (const long r = host_directory_check(path); r < 0) return r;
      set_cwd(path);
      return 0;
    case Kind::kTrusted:
    case Kind::kDevice:
      return err(ENOTDIR);
    case Kind::kNone:
      break;
  }
  return trace_refusal("chdir", path, ENOENT);
}

// A path that exists inside — a directory leading to a trusted or allowed
// file, or such a file — is EEXIST, which is what a program that makes
// its file's directory first (fio) accepts. An `sgx.encrypted_files` entry
// or a path below one is where protected files live, and an allowed path
// or one below it is the host's: the host makes the directory (names are
// not protected; a directory holds nothing the enclave trusts), EEXIST if
// there is one. Anything else EACCES.
long sys_mkdirat(int64_t dirfd, uint64_t pathp, uint64_t mode) {
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) return r;
  const bool host = encrypted_at(path) != nullptr || kind_of(path) == Kind::kAllowed;
  if (host) return ::mkdir(path.c_str(), static_cast<mode_t>(mode & 07777)) == 0 ? 0 : err(errno);
  if (kind_of(path) != Kind::kNone) return err(EEXIST);
  return missing("mkdir", path, EACCES);
}

long sys_getcwd(uint64_t buf, uint64_t size) {
  const std::string now = cwd();
  if (size < now.size() + 1) return err(ERANGE);
  if (!sc::user_buffer(buf, now.size() + 1)) return err(EFAULT);
  memcpy(reinterpret_cast<void*>(buf), now.c_str(), now.size() + 1);
  return static_cast<long>(now.size() + 1);
}

long sys_readlinkat(int64_t dirfd, uint64_t pathp, uint64_t buf, uint64_t size) {
  if (static_cast<int64_t>(size) <= 0) return err(EINVAL);
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) return r;
  if (path == "/proc/self/exe") {
    // The program's path, as the kernel answers it (not NUL-terminated, cut at size).
    const std::string& exe = g_program.exe.empty() ? g_program.manifest->entrypoint : g_program.exe;
    const uint64_t n = exe.size() < size ? exe.size() : size;
    if (!sc::user_buffer(buf, n)) return err(EFAULT);
    memcpy(reinterpret_cast<void*>(buf), exe.data(), n);
    return static_cast<long>(n);
  }
  // Linux's links to descriptors: their fixed targets, and the file of a
  // trusted, protected, device or directory descriptor; a host-backed
  // one's is the host's own link's target ("pipe:[N]", a file's path:
  // a name the host knows anyway, at most `size` bytes, checked).
  std::string target;
  if (path == "/dev/fd") {
    target = "/proc/self/fd";
  } else if (path == "/dev/stdin" || path == "/dev/stdout" || path == "/dev/stderr") {
    target = "/proc/self/fd/" + std::to_string(descriptor_path(path));
  } else if (const int64_t n = descriptor_path(path); n >= 0) {
    const Fd* f = fd_at(n);
    if (f == nullptr) return err(ENOENT);
    if (f->kind == FdKind::kTrusted) target = f->copy->path;
    if (const std::string* dir = f->dir; f->kind == FdKind::kDirectory && dir != nullptr) target = *dir;
    if (f->kind == FdKind::kDevice) target = std::string(kLibosDevicePaths[static_cast<uint8_t>(f->device)]);
    if (f->kind == FdKind::kEncrypted && !encrypted_path_of(f->enc, target)) return err(EINVAL);
    if (f->kind == FdKind::kHostStdio || f->kind == FdKind::kHost ||
        (f->kind == FdKind::kStream && f->stream != StreamKind::kEpoll)) {
      char host[4096];
      const std::string link = "/proc/self/fd/" + std::to_string(f->host);
      const ssize_t r = ::readlink(link.c_str(), host, sizeof host);  // 0 <= r <= sizeof host: nsgx_tposix
      if (r <= 0) return r == 0 ? err(EINVAL) : err(errno);
      target.assign(host, static_cast<size_t>(r));
    }
  }
  if (!target.empty()) {
    const uint64_t n = target.size() < size ? target.size() : size;
    if (!sc::user_buffer(buf, n)) return err(EFAULT);
    memcpy(reinterpret_cast<void*>(buf), target.data(), n);
    return static_cast<long>(n);
  }
  // A link inside an allowed path is the host's (made there by symlink,
  // or the host's own): its target, at most `size` bytes.
  if (encrypted_at(path) == nullptr && kind_of(path) == Kind::kAllowed) {
    char host[4096];
    const ssize_t r = ::readlink(path.c_str(), host, sizeof host);  // 0 <= r <= sizeof host: nsgx_tposix
    if (r <= 0) return r == 0 ? err(EINVAL) : err(errno);
    const uint64_t n = static_cast<uint64_t>(r) < size ? static_cast<uint64_t>(r) : size;
    if (!sc::user_buffer(buf, n)) return err(EFAULT);
    memcpy(reinterpret_cast<void*>(buf), host, n);
    return static_cast<long>(n);
  }
  // Nothing else inside is a symbolic link (above); what exists is a file or a directory.
  return kind_of(path) == Kind::kNone ? trace_refusal("readlink", path, ENOENT) : err(EINVAL);
}

namespace {

// The host's path of a descriptor's file, for a change of its attributes
// (times, mode): a host-backed descriptor's own /proc/self/fd link, a
// protected file's path, a host directory's (inside an allowed or
// encrypted path); `own` for the library OS's own (trusted copies,
// devices, its directories: read-only, no attributes kept).
long host_path_of(const Fd& f, int own, std::string& out) {
  switch (f.kind) {
    case FdKind::kHostStdio:
    case FdKind::kHost:
    case FdKind::kStream:
      if (f.stream == StreamKind::kEpoll && f.kind == FdKind::kStream) return err(own);
      out = "/proc/self/fd/" + std::to_string(f.host);
      return 0;
    case FdKind::kEncrypted:
      return encrypted_path_of(f.enc, out) ? 0 : err(ENOENT);
    case FdKind::kDirectory:
      if (f.dir == nullptr || !host_directory(*f.dir)) return err(own);
      out = *f.dir;
      return 0;
    default:
      return err(own);
  }
}

// The host's path for an attribute change (utimensat, fchmodat,
// fchownat): by descriptor (`by_descriptor`: fchmod, fchown, fstatfs;
// utimensat's `pathp` 0, futimens; "" with `empty_path`) or by path — a protected file's, an allowed one's, a
// descriptor link's file; the library OS's own `own`, a path nothing covers ENOENT (logged).
long attr_target(int64_t dirfd, uint64_t pathp, bool empty_path, const char* what, int own, std::string& host,
                 bool by_descriptor = false) {
  std::string given;
  if (pathp != 0 && !sc::user_string(pathp, given)) return err(EFAULT);
  if (pathp == 0 && !by_descriptor && static_cast<int>(dirfd) == kAtFdcwd) return err(EFAULT);
  if (by_descriptor || pathp == 0 || (given.empty() && empty_path)) {
    SpinGuard g(g_fd_lock);  // the entry's protected file or host descriptor, read as one
    const Fd* f = fd_at(dirfd);
    if (f == nullptr) return err(EBADF);
    return host_path_of(*f, own, host);
  }
  std::string path;
  if (const long r = resolve(dirfd, pathp, path); r < 0) return r;
  if (encrypted_at(path) != nullptr) {
    host = path;
    return 0;
  }
  switch (kind_of(path)) {
    case Kind::kAllowed:
      host = path;
      return 0;
    case Kind::kDescriptor: {
      SpinGuard g(g_fd_lock);
      const Fd* f = fd_at(descriptor_path(path));
      if (f == nullptr) return err(ENOENT);
      return host_path_of(*f, own, host);
    }
    case Kind::kNone:
      return missing(what, path, ENOENT);
    default:
      return err(own);
  }
}

struct ProgramTimespec {
  int64_t sec, nsec;
};
constexpr int64_t kUtimeNow = (int64_t{1} << 30) - 1, kUtimeOmit = (int64_t{1} << 30) - 2;  // <linux/stat.h>

}  // namespace

long sys_utimensat(int64_t dirfd, uint64_t pathp, uint64_t times, uint64_t flags) {
  constexpr uint64_t kAtEmptyPath = 0x1000;
  if ((flags & ~(kAtSymlinkNofollow | kAtEmptyPath)) != 0) return err(EINVAL);
  ProgramTimespec t[2] = {{0, kUtimeNow}, {0, kUtimeNow}};
  if (times != 0) {
    if (!sc::user_buffer(times, sizeof t)) return err(EFAULT);
    memcpy(t, reinterpret_cast<const void*>(times), sizeof t);
    for (const auto& x : t)
      if (x.nsec != kUtimeNow && x.nsec != kUtimeOmit && (x.nsec < 0 || x.nsec > 999999999)) return err(EINVAL);
  }
  if (t[0].nsec == kUtimeOmit && t[1].nsec == kUtimeOmit) return 0;  // Linux: nothing looked up
  std::string host;
  if (const long r = attr_target(dirfd, pathp, (flags & kAtEmptyPath) != 0, "utimensat", EACCES, host); r < 0) return r;
  if (t[0].nsec == kUtimeNow && t[1].nsec == kUtimeNow) return ::utime(host.c_str(), nullptr) == 0 ? 0 : err(errno);
  // Whole seconds (the host's utime): now from the clock, an omitted one
  // kept from the host's stat.
  struct stat st;
  const bool omit = t[0].nsec == kUtimeOmit || t[1].nsec == kUtimeOmit;
  if (omit && ::stat(host.c_str(), &st) != 0) return err(errno);
  const int64_t now = ::time(nullptr);
  const auto pick = [&](const ProgramTimespec& x, int64_t kept) {
    return x.nsec == kUtimeNow ? now : x.nsec == kUtimeOmit ? kept : x.sec;
  };
  struct utimbuf b;
  b.actime = static_cast<time_t>(pick(t[0], omit ? st.st_atime : 0));
  b.modtime = static_cast<time_t>(pick(t[1], omit ? st.st_mtime : 0));
  return ::utime(host.c_str(), &b) == 0 ? 0 : err(errno);
}

namespace {

long fchmod_target(int64_t dirfd, uint64_t pathp, uint64_t mode, bool by_descriptor) {
  std::string host;
  if (const long r = attr_target(dirfd, pathp, false, "chmod", EROFS, host, by_descriptor); r < 0) return r;
  int64_t r = -1;
  if (libos_chmod_ocall(&r, host.c_str(), static_cast<uint32_t>(mode & 07777)) != SGX_SUCCESS) return err(EIO);
  return r == 0 ? 0 : (r < 0 && r >= -4095 ? r : refuse("chmod"));
}

}  // namespace

long sys_fchmodat(int64_t dirfd, uint64_t pathp, uint64_t mode) {
  if (pathp == 0) return err(EFAULT);
  return fchmod_target(dirfd, pathp, mode, false);
}

long sys_fchmod(int64_t fd, uint64_t mode) { return fchmod_target(fd, 0, mode, true); }

namespace {

long fchown_target(int64_t dirfd, uint64_t pathp, uint64_t uid, uint64_t gid, bool empty_path, bool by_descriptor) {
  std::string host;
  // The file must exist (ENOENT, EBADF as Linux's); the library OS's own
  // are root's already.
  const long found = attr_target(dirfd, pathp, empty_path, "chown", EROFS, host, by_descriptor);
  if (found < 0 && found != err(EROFS)) return found;
  // What the host says the file's ids are: a chown to them changes
  // nothing either (cp -a and tar keep a host file's owner so).
  struct stat st;
  const bool known = found == 0 && ::stat(host.c_str(), &st) == 0;
  for (int k = 0; k < 2; ++k) {
    const auto v = static_cast<uint32_t>(k == 0 ? uid : gid);
    if (v == 0 || v == 0xffffffffu) continue;
    if (known && v == (k == 0 ? st.st_uid : st.st_gid)) continue;
    if (g_program.trace) say("nsgx libos: chown to id " + std::to_string(v) + ": EPERM (one user inside, root)\n");
    return err(EPERM);
  }
  return 0;
}

}  // namespace

long sys_fchownat(int64_t dirfd, uint64_t pathp, uint64_t uid, uint64_t gid, uint64_t flags) {
  constexpr uint64_t kAtEmptyPath = 0x1000;
  if ((flags & ~(kAtSymlinkNofollow | kAtEmptyPath)) != 0) return err(EINVAL);
  if (pathp == 0) return err(EFAULT);
  return fchown_target(dirfd, pathp, uid, gid, (flags & kAtEmptyPath) != 0, false);
}

long sys_fchown(int64_t fd, uint64_t uid, uint64_t gid) { return fchown_target(fd, 0, uid, gid, false, true); }

namespace {

// struct statfs, x86-64 (include/uapi/asm-generic/statfs.h: __statfs_word
// is long): 120 bytes.
struct ProgramStatfs {
  int64_t type, bsize;
  uint64_t blocks, bfree, bavail, files, ffree;
  int32_t fsid[2];
  int64_t namelen, frsize, flags;
  int64_t spare[4];
};
static_assert(sizeof(ProgramStatfs) == 120, "struct statfs, x86-64");
constexpr int64_t kRamfsMagic = 0x858458f6;  // include/uapi/linux/magic.h
constexpr int64_t kStRdonly = 1;             // ST_RDONLY

}  // namespace

// statfs and fstatfs: an allowed or encrypted file's (or a host-backed
// descriptor's) file system is the host's answer, untrusted as the file
// is; the library OS's own files — trusted copies, devices, its
// directories — lie on a read-only in-memory file system of its own
// (RAMFS_MAGIC, ST_RDONLY, no blocks), a path nothing covers ENOENT.
long sys_statfs(int64_t fd, uint64_t pathp, uint64_t buf) {
  if (!sc::user_buffer(buf, sizeof(ProgramStatfs))) return err(EFAULT);
  std::string host;
  const long r = attr_target(pathp == 0 ? fd : kAtFdcwd, pathp, false, "statfs", EROFS, host, pathp == 0);
  ProgramStatfs st;
  memset(&st, 0, sizeof st);
  if (r == err(EROFS)) {
    st.type = kRamfsMagic;
    st.bsize = st.frsize = 4096;
    st.namelen = 255;
    st.flags = kStRdonly;
  } else if (r < 0) {
    return r;
  } else {
    int64_t h = -1;
    if (libos_statfs_ocall(&h, host.c_str(), reinterpret_cast<uint8_t*>(&st), sizeof st) != SGX_SUCCESS)
      return err(EIO);
    if (h != 0) return h < 0 && h >= -4095 ? h : refuse("statfs");
  }
  memcpy(reinterpret_cast<void*>(buf), &st, sizeof st);
  return 0;
}

long sys_symlinkat(uint64_t targetp, int64_t dirfd, uint64_t linkp) {
  std::string target;
  if (!sc::user_string(targetp, target)) return err(EFAULT);
  if (target.empty()) return err(ENOENT);
  std::string path;
  if (const long r = resolve(dirfd, linkp, path); r < 0) return r;
  // No links among protected files: the host would choose what one names.
  if (encrypted_at(path) != nullptr) return trace_refusal("symlink", path, EPERM);
  switch (kind_of(path)) {
    case Kind::kAllowed: {
      int64_t r = -1;
      if (libos_symlink_ocall(&r, target.c_str(), path.c_str()) != SGX_SUCCESS) return err(EIO);
      return r == 0 ? 0 : (r < 0 && r >= -4095 ? r : refuse("symlink"));
    }
    case Kind::kNone:
      return trace_refusal("symlink", path, EACCES);
    default:
      return err(EEXIST);
  }
}

long sys_xattr_path(uint64_t pathp) {
  std::string path;
  if (const long r = resolve(kAtFdcwd, pathp, path); r < 0) return r;
  if (kind_of(path) == Kind::kNone && encrypted_at(path) == nullptr) return err(ENOENT);
  return err(EOPNOTSUPP);
}

long sys_xattr_fd(int64_t fd) { return fd_at(fd) == nullptr ? err(EBADF) : err(EOPNOTSUPP); }

}  // namespace nsgx::libos

namespace nsgx::libos {

long resolve_path(int64_t dirfd, uint64_t pathp, std::string& out) { return resolve(dirfd, pathp, out); }

bool is_directory(const std::string& path) { return kind_of(path) == Kind::kDirectory; }
bool is_descriptor_directory(const std::string& p) { return p == "/dev/fd" || p == "/proc/self/fd"; }
void directory_stat(const std::string& path, struct stat& st) {
  // A host directory's own stat, as stat(path) answers it (fts compares
  // the two when it climbs back through ".."); the library OS's otherwise.
  if (host_listed(path) && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
  dir_stat(path, st);
}

bool host_listed(const std::string& dir) { return g_program.manifest->allowed(dir) || encrypted_at(dir) != nullptr; }

// Each record checked: its inode number, the host's position after it
// (above kFirstHostCookie, at most INT64_MAX: an lseek position), a type
// byte and a name of 1 to 255 bytes (NAME_MAX) without '/' ending in its
// NUL within the answer, never "." or "..". A listing that breaks these is
// refused (EIO): the names become paths the program opens.
long host_list(const std::string& dir, uint64_t cookie, uint64_t cap, std::vector<HostDirEntry>& out) {
  constexpr uint64_t kMaxCap = uint64_t{64} << 10;
  constexpr uint64_t kHeader = 8 + 8 + 1;
  if (cap > kMaxCap) cap = kMaxCap;
  // The page allocated without throwing (ENOMEM, not the enclave's end);
  // the names it holds, at most this much, become strings on the SDK's
  // heap as every path does.
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[cap]);
  if (buf == nullptr) return err(ENOMEM);
  int64_t n = -1;
  if (libos_list_directory_ocall(&n, dir.c_str(), static_cast<int64_t>(cookie), buf.get(), cap) != SGX_SUCCESS)
    return err(EIO);
  if (n < 0) return n >= -4095 ? n : refuse("list_directory");
  if (static_cast<uint64_t>(n) > cap) return refuse("list_directory");
  for (uint64_t at = 0; at < static_cast<uint64_t>(n);) {
    if (static_cast<uint64_t>(n) - at < kHeader + 2) return refuse("list_directory");
    uint64_t ino, next;
    memcpy(&ino, buf.get() + at, 8);
    memcpy(&next, buf.get() + at + 8, 8);
    const uint8_t type = buf[at + 16];
    const char* name = reinterpret_cast<const char*>(buf.get() + at + kHeader);
    const uint64_t room = static_cast<uint64_t>(n) - at - kHeader;
    const size_t len = strnlen(name, room);
    const std::string_view nv(name, len);
    if (len == room || len == 0 || len > 255 || nv.find('/') != std::string_view::npos || nv == "." || nv == ".." ||
        next <= kFirstHostCookie || next > static_cast<uint64_t>(INT64_MAX))
      return refuse("list_directory");
    out.push_back(HostDirEntry{DirEntry{std::string(nv), ino, type}, next});
    at += kHeader + len + 1;
  }
  return 0;
}

std::vector<DirEntry> directory_entries(const std::string& dir) {
  std::map<std::string, DirEntry> by_name;
  const size_t from = dir == "/" ? 1 : dir.size() + 1;
  // The first component of `p` below `dir`: a directory if more follow.
  const auto add = [&](std::string_view p, uint8_t type, uint64_t ino) {
    if (!leads_to(dir, p)) return;
    const size_t slash = p.find('/', from);
    const std::string name(p.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from));
    if (slash != std::string_view::npos) {
      type = kDtDir;
      ino = dir_ino((dir == "/" ? "" : dir) + "/" + name);
    }
    by_name.try_emplace(name, DirEntry{name, ino, type});
  };
  const Manifest& m = *g_program.manifest;
  for (size_t i = 0; i < m.trusted_files.size(); ++i) add(m.trusted_files[i].path, kDtReg, i + 1);  // trusted_stat's
  for (const auto& f : m.allowed_files) add(f, kDtUnknown, dir_ino(f));
  for (const auto& e : m.encrypted_files) add(e.path, kDtUnknown, dir_ino(e.path));
  for (uint8_t i = 0; i < kDeviceCount; ++i) add(kLibosDevicePaths[i], kDtChr, device_ino(static_cast<Device>(i)));
  for (const auto& o : kOwnNames) add(o.path, o.type, dir_ino(std::string(o.path)));
  std::vector<DirEntry> out;
  out.reserve(by_name.size());
  for (auto& [name, e] : by_name) out.push_back(std::move(e));
  return out;
}
long resolve_string(const std::string& path, std::string& out) { return resolve_in(path, out); }

}  // namespace nsgx::libos
