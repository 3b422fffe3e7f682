// The program's path-based calls (docs/libos.md, M3): openat, stat and
// access by path, getcwd, readlink, relative to a working directory.
// Every path is made absolute, normalised and checked against the
// manifest before anything is looked up: trusted files (served from their
// hash-checked copies), allowed files (the host's), and the directories
// that lead to either (synthesised, read-only); nothing else exists.
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "libos/enclave/file_table.h"

namespace nsgx::libos {

// The working directory: the host's at start (getcwd OCALL), used only
// if it is an absolute, normal path, else "/". Called once before the
// program starts.
void init_cwd();
// A fork child's working directory: its parent's (absolute, normalised).
void set_cwd(const std::string& path);
// The working directory now.
std::string current_cwd();

// fstat's answer for a trusted file: regular, read-only, its size, and a
// device and inode number of its own (ld.so tells libraries apart by
// them: two files with equal st_dev/st_ino are one library to it).
void trusted_stat(const TrustedCopy& c, struct stat& st);

// The program's path `pathp` (relative to the working directory or absolute)
// as an absolute, normal path; 0 or -errno (execve, syscalls_spawn.cc).
long resolve_path(int64_t dirfd, uint64_t pathp, std::string& out);
// The same for a path already inside the enclave (a script's interpreter).
long resolve_string(const std::string& path, std::string& out);

long sys_openat(int64_t dirfd, uint64_t path, uint64_t flags, uint64_t mode);
// By path only (AT_EMPTY_PATH with "" is fstat's, syscalls.cc).
long sys_newfstatat(int64_t dirfd, uint64_t path, uint64_t out, uint64_t flags);
long sys_faccessat(int64_t dirfd, uint64_t path, uint64_t mode);
// unlink/unlinkat: allowed files (the host's) and encrypted ones;
// trusted files and the library OS's directories EACCES, anything else
// ENOENT. With AT_REMOVEDIR (and rmdir): a directory inside an allowed or
// encrypted path is the host's rmdir; the others as unlink's.
long sys_unlinkat(int64_t dirfd, uint64_t path, uint64_t flags);
// rename, renameat, renameat2 (RENAME_NOREPLACE; RENAME_EXCHANGE and
// RENAME_WHITEOUT EINVAL, as on a file system without them): an allowed
// file to an allowed path is the host's rename; an encrypted one to an
// encrypted path is written anew under its new path (encrypted_files.h);
// between the two kinds EXDEV (`mv` then copies); trusted files, devices
// and the library OS's directories EACCES or EBUSY, as read-only or mounted.
long sys_renameat2(int64_t olddirfd, uint64_t oldpath, int64_t newdirfd, uint64_t newpath, uint64_t flags);
long sys_getcwd(uint64_t buf, uint64_t size);
// chdir: the working directory becomes a directory that exists inside
// (one leading to a file the manifest names); a file ENOTDIR, anything
// else ENOENT. The host's working directory does not change (every path
// reaches the host absolute).
long sys_chdir(uint64_t path);
// mkdir/mkdirat: a directory inside an allowed or encrypted path is the
// host's mkdir (the manifest's files and the library OS's directories:
// EEXIST; anything else EACCES).
long sys_mkdirat(int64_t dirfd, uint64_t path, uint64_t mode);
long sys_readlinkat(int64_t dirfd, uint64_t path, uint64_t buf, uint64_t size);
// utimensat (and futimens: a null path, the descriptor itself): an
// allowed or encrypted file's times are the host's, set by the host's
// utime (whole seconds: nanoseconds are dropped); a trusted file, a
// device or a directory inside EACCES (read-only, nothing kept); a
// descriptor's link acts on the descriptor.
long sys_utimensat(int64_t dirfd, uint64_t path, uint64_t times, uint64_t flags);
// chmod, fchmod, fchmodat: an allowed or encrypted file's (or a host
// directory's there) mode is the host's chmod — a protected file's mode
// is not protected, as its times are not; the library OS's own EROFS.
long sys_fchmodat(int64_t dirfd, uint64_t path, uint64_t mode);
long sys_fchmod(int64_t fd, uint64_t mode);
// chown, fchown, lchown, fchownat: one user inside, root
// (syscalls_ids.h): to ids 0 or -1, or the ids the host says the file has,
// of a file that exists: 0, changing nothing; any other EPERM.
long sys_fchownat(int64_t dirfd, uint64_t path, uint64_t uid, uint64_t gid, uint64_t flags);
long sys_fchown(int64_t fd, uint64_t uid, uint64_t gid);
// symlink, symlinkat: inside an allowed path the host's symlink (its
// target any string, as Linux's); in an encrypted path EPERM (no links
// among protected files); a path that exists inside EEXIST; else EACCES.
long sys_symlinkat(uint64_t target, int64_t dirfd, uint64_t link);
// statfs (`path`) and fstatfs (`path` 0, descriptor `fd`): the host's
// answer for an allowed or encrypted file or a host-backed descriptor;
// a read-only in-memory file system (RAMFS_MAGIC, ST_RDONLY) for the
// library OS's own files.
long sys_statfs(int64_t fd, uint64_t path, uint64_t buf);
// The extended-attribute calls (get/set/list/remove, by path or
// descriptor): no file inside has any and none can be set — Linux's
// answer for a file system without them, EOPNOTSUPP, which ls and cp take
// as "none" — after the path's ENOENT or the descriptor's EBADF.
long sys_xattr_path(uint64_t path);
long sys_xattr_fd(int64_t fd);

// Directories (syscalls_dir.h). What exists inside below `dir`: the first
// component below it of every trusted, allowed and encrypted path of the
// manifest, of the library OS's devices and descriptor links; by name,
// each once, without "." and ".." (the open descriptors of /dev/fd and
// /proc/self/fd are syscalls_dir.cc's to list). d_type is Linux's DT_* (DT_UNKNOWN for allowed and
// encrypted paths: the host's, not asked); d_ino what stat answers for the
// library OS's own files.
struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = 0;
};
std::vector<DirEntry> directory_entries(const std::string& dir);
// A directory inside an allowed or encrypted path (or the entry itself) is
// listed from the host's names there, each checked: untrusted, as those
// paths' contents are — for an encrypted directory the host can hide a
// protected file or list a name that does not open, never make one open
// that the enclave did not write. Nothing of the manifest's or the
// library OS's own lies there (the manifest's rules), so the listing is
// the host's alone, positioned by the host's own cookies (telldir's), which
// deletions between calls do not move: readdir-and-unlink loops (rm -r)
// see every entry once.
bool host_listed(const std::string& dir);
// The host's position of its first entry is asked as 0; what it answers
// after each entry must lie above kFirstHostCookie (0 .. 2 are "." and
// ".." and the start in getdents64's positions).
constexpr uint64_t kFirstHostCookie = 2;
struct HostDirEntry {
  DirEntry e;
  uint64_t next;  // the host's position after it
};
// One host listing from `cookie` (0: the start), at most `cap` bytes of
// records (64 KiB): 0 (none: the end), -errno (ERANGE: the first entry
// does not fit), EIO for a listing that breaks the rules.
long host_list(const std::string& dir, uint64_t cookie, uint64_t cap, std::vector<HostDirEntry>& out);
// Whether `path` (absolute, normal) is one of the library OS's own
// directories (host_listed: the host's); its stat.
bool is_directory(const std::string& path);
// /dev/fd or /proc/self/fd, whose entries are the open descriptors.
bool is_descriptor_directory(const std::string& path);
void directory_stat(const std::string& path, struct stat& st);

}  // namespace nsgx::libos
