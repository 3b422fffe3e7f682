// The program's encrypted files (docs/libos.md, "Encrypted files"): a path
// the manifest lists under sgx.encrypted_files (or below such a directory)
// is a protected file (libos/fs/pfs.h) on the host, at the same path,
// sealed with the manifest's key and bound to that path. syscalls.cc's
// openat hands such paths here and keeps the handle in an FdKind::kEncrypted
// descriptor; every other call on the descriptor comes back here.
//
// A handle is one open file description (its offset, O_APPEND, access
// mode); the protected file under it is shared by every handle on the same
// path, so two descriptors of one file see each other's writes. Errors are
// -errno; integrity and rollback failures are EIO, named on stderr.
//
// Thread-safe: one lock (a leaf after g_fd_lock, spin_lock.h) around each
// call, held across its OCALLs — pfs::File is not thread-safe, and the
// open files and kept versions are the process's.
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include <string>

#include "libos/enclave/spin_lock.h"
#include "libos/manifest/manifest.h"

namespace nsgx::libos {

struct EncryptedHandle;

// Opens `path` (which `entry` covers) with the program's openat flags and
// mode: O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC and O_APPEND honoured, others
// ignored. *out is the new handle (one reference) on success.
long encrypted_open(const EncryptedPath& entry, const std::string& path, uint64_t flags, uint64_t mode,
                    EncryptedHandle** out);
// read/pread (at >= 0: at that offset, the handle's offset unchanged).
long encrypted_read(EncryptedHandle* h, void* buf, uint64_t n, int64_t at);
// write/pwrite (O_APPEND: at the end, whatever `at`, as Linux does).
long encrypted_write(EncryptedHandle* h, const void* buf, uint64_t n, int64_t at);
long encrypted_lseek(EncryptedHandle* h, int64_t off, uint64_t whence);
// The host's stat with the plaintext's size and block count.
long encrypted_fstat(EncryptedHandle* h, struct stat* st);
long encrypted_ftruncate(EncryptedHandle* h, int64_t size);
// Writes the tree and the metadata (a new version) and fsyncs the host file.
long encrypted_fsync(EncryptedHandle* h);
// F_GETFL's answer: the access mode and O_APPEND (O_LARGEFILE is the
// caller's); F_SETFL's O_APPEND.
long encrypted_status_flags(const EncryptedHandle* h);
void encrypted_set_append(EncryptedHandle* h, bool append);
// The path of the protected file under `h`; false if it was unlinked
// since (a reopen by its descriptor's link then finds nothing).
bool encrypted_path_of(const EncryptedHandle* h, std::string& path);
// Another descriptor for the same description (dup): one more reference.
void encrypted_ref(EncryptedHandle* h);
// Drops a reference; the last one on a file flushes and closes it (a
// failed flush gives EIO, the descriptor is gone anyway).
long encrypted_close(EncryptedHandle* h);

// For shared mappings of encrypted files (shared_maps.h), which run under
// g_memory_lock: spin_lock.h orders this file's lock before it, so the
// memory calls take it first (encrypted_lock) and call these, which
// assume it held. read as encrypted_read, status flags as
// encrypted_status_flags; write_at writes at `at` whatever
// O_APPEND says (the caller refuses an O_APPEND descriptor); size is the
// plaintext's; ref and close as encrypted_ref and encrypted_close.
SpinLock& encrypted_lock();
long encrypted_read_locked(EncryptedHandle* h, void* buf, uint64_t n, int64_t at);
long encrypted_write_at_locked(EncryptedHandle* h, const void* buf, uint64_t n, uint64_t at);
uint64_t encrypted_size_locked(const EncryptedHandle* h);
long encrypted_status_flags_locked(const EncryptedHandle* h);
void encrypted_ref_locked(EncryptedHandle* h);
long encrypted_close_locked(EncryptedHandle* h);

// The host's descriptor of the protected file under `h`, for record locks
// (fcntl F_SETLK: a lock orders the program with the file's other users as
// the host allows, and guards nothing inside). Valid while `h` is.
int encrypted_host_fd(const EncryptedHandle* h);
// Where a record lock's l_whence counts from in the plaintext: the
// handle's offset (SEEK_CUR), the plaintext's size (SEEK_END) or 0; the
// host descriptor's own would be the ciphertext's.
long encrypted_plain_position(EncryptedHandle* h, uint64_t whence, uint64_t& base);
// Whether this run has `path` open or knows a version of it: a file, never
// a directory, whatever the host's stat says now.
bool encrypted_in_use(const std::string& path);

// The path calls on a path an `sgx.encrypted_files` entry covers.
//
// stat/lstat: the host's answer (its form checked by nsgx_tposix), with a
// regular file's size and blocks the plaintext's — from the open file, or
// from opening the protected file read-only for the answer (the version
// this run knows checked as at open: EIO, named on stderr, if refused).
// A directory (the entry itself, or one below it) is the host's answer.
long encrypted_stat(const EncryptedPath& entry, const std::string& path, bool nofollow, struct stat* st);
// access/faccessat: the host's answer; X_OK on anything but a directory
// EACCES (a protected file is data, never a program).
long encrypted_access(const std::string& path, uint64_t mode);
// unlink: removes the host file and forgets the version this run kept of
// it, so that a later create of the same name is a new file, not a
// "rolled back" one. Descriptors still open keep the removed file, as on
// Linux; what they write goes to the removed host file and is not
// remembered either.
long encrypted_unlink(const std::string& path);
// rename from one encrypted path to another (`noreplace`: renameat2's
// RENAME_NOREPLACE). A protected file is bound to its path, so its
// plaintext is written anew bound to `to`, under a temporary name beside
// it, which the host then renames over `to` (the old `to` stays whole until
// then); `from` is removed last. Descriptors open on `from` keep the removed
// file (on Linux they would follow it); those on the replaced `to` keep
// theirs, as on Linux. A directory is EXDEV (its files are bound to their
// paths: `mv` then copies them one by one).
long encrypted_rename(const EncryptedPath& from_entry, const std::string& from, const EncryptedPath& to_entry,
                      const std::string& to, bool noreplace);

}  // namespace nsgx::libos
