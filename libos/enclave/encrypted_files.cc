// The program's encrypted files (encrypted_files.h) over the protected-file
// library (libos/fs/pfs.h): the host file is reached through the POSIX
// layer's checked OCALLs (nsgx_tposix: counts never above what was asked,
// sizes in range), which the library checks again against its format.
//
// Runs in the second exception phase on the program's FS: no thread_local
// here (docs/libos.md, "The FS base across OCALLs"). Every entry point
// takes g_enc_lock (encrypted_files.h), the program's threads share the
// open files.
#include "libos/enclave/encrypted_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <new>

#include "libos/enclave/program_state.h"
#include "libos/enclave/spin_lock.h"
#include "libos/fs/pfs.h"

namespace nsgx::libos {

namespace {

namespace pfs = nsgx::pfs;

// One protected file, shared by every handle open on its path.
struct SharedFile {
  std::string path;
  int host = -1;  // the host's descriptor (the Storage callbacks' context)
  bool writable = false;
  pfs::File* file = nullptr;
  int handles = 0;
  // Unlinked while open: no longer in g_open (a new open of the path is a
  // new file) and its versions are not remembered.
  bool unlinked = false;
  SharedFile* next = nullptr;
};

// The version of each file this run last opened, flushed or closed: an
// open later in the run must find exactly that version on the host, so a
// host that puts back an older copy (or deletes the file) while the enclave
// lives is caught. Kept in enclave memory only: it ends with the run
// (docs/libos.md, "Freshness").
struct Known {
  std::string path;
  pfs::Freshness fresh;
  Known* next = nullptr;
};

// Everything here: g_open, g_known, each SharedFile and handle, and every
// pfs::File call (pfs.h: not thread-safe). Held across the OCALLs those
// make; taken after g_fd_lock (openat and close hold it), never before.
SpinLock g_enc_lock;
SharedFile* g_open = nullptr;
Known* g_known = nullptr;

}  // namespace

struct EncryptedHandle {
  SharedFile* shared = nullptr;
  uint64_t offset = 0;
  bool readable = false, writable = false, append = false;
  int refs = 1;
};

namespace {

// The Storage callbacks: nsgx_tposix has checked the host's answers; these
// only pass them on as -errno, as pfs.h asks.
int64_t host_pread(void* c, void* b, uint64_t l, uint64_t o) {
  const ssize_t r = ::pread(*static_cast<int*>(c), b, l, static_cast<off_t>(o));
  return r < 0 ? -errno : r;
}
int64_t host_pwrite(void* c, const void* b, uint64_t l, uint64_t o) {
  const ssize_t r = ::pwrite(*static_cast<int*>(c), b, l, static_cast<off_t>(o));
  return r < 0 ? -errno : r;
}
int64_t host_ftruncate(void* c, uint64_t l) {
  return ::ftruncate(*static_cast<int*>(c), static_cast<off_t>(l)) < 0 ? -errno : 0;
}
int64_t host_fsync(void* c) { return ::fsync(*static_cast<int*>(c)) < 0 ? -errno : 0; }

long fail(int e) { return -static_cast<long>(e); }

// The program sees an errno (pfs::to_errno: integrity and rollback are
// EIO); what went wrong, and with which file, goes to stderr — always for
// what a host's tampering or failure causes, with --trace for the rest.
long refuse(const std::string& path, pfs::Error e, const char* doing) {
  const bool host_fault =
      e == pfs::Error::kIntegrity || e == pfs::Error::kRolledBack || e == pfs::Error::kIo || e == pfs::Error::kKey;
  if (host_fault || g_program.trace)
    say("nsgx run: " + path + ": encrypted file " + doing + ": " + pfs::error_name(e) + "\n");
  return fail(pfs::to_errno(e));
}

const pfs::Freshness* known(const std::string& path) {
  for (const Known* k = g_known; k != nullptr; k = k->next)
    if (k->path == path) return &k->fresh;
  return nullptr;
}

void remember(const std::string& path, const pfs::Freshness& f) {
  for (Known* k = g_known; k != nullptr; k = k->next)
    if (k->path == path) {
      k->fresh = f;
      return;
    }
  // Out of memory: this file's version is not kept, and a later open in
  // this run checks it no more than a new run would.
  if (auto* k = new (std::nothrow) Known{path, f, g_known}) g_known = k;
}

void forget(const std::string& path) {
  for (Known** k = &g_known; *k != nullptr; k = &(*k)->next)
    if ((*k)->path == path) {
      Known* gone = *k;
      *k = gone->next;
      delete gone;
      return;
    }
}

void unlist(SharedFile* s) {
  for (SharedFile** p = &g_open; *p != nullptr; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      return;
    }
}

SharedFile* find_open(const std::string& path) {
  for (SharedFile* s = g_open; s != nullptr; s = s->next)
    if (s->path == path) return s;
  return nullptr;
}

long flush(SharedFile* s, const char* doing) {
  pfs::Freshness now;
  const pfs::Error e = pfs::flush(s->file, &now);
  if (e != pfs::Error::kOk) return refuse(s->path, e, doing);
  if (!s->unlinked) remember(s->path, now);
  return 0;
}

pfs::KeySource key_of(const EncryptedPath& entry) {
  pfs::KeySource key;
  key.kind = entry.key == EncryptedKey::kMrsigner ? pfs::KeyKind::kSealMrsigner : pfs::KeyKind::kSealMrenclave;
  return key;
}

long attach(EncryptedHandle* h, const EncryptedPath& entry, const std::string& path, uint64_t flags, uint64_t mode,
            bool need_write, bool create, bool truncate);

}  // namespace

long encrypted_open(const EncryptedPath& entry, const std::string& path, uint64_t flags, uint64_t mode,
                    EncryptedHandle** out) {
  const uint64_t acc = flags & O_ACCMODE;
  if (acc == O_ACCMODE) return fail(EINVAL);
  const bool readable = acc != O_WRONLY, writable = acc != O_RDONLY;
  // Creating needs the file writable (the new metadata is written), even
  // for O_RDONLY | O_CREAT, which Linux allows; O_TRUNC without write
  // access truncates nothing here.
  const bool create = (flags & O_CREAT) != 0, truncate = writable && (flags & O_TRUNC) != 0;
  const bool need_write = writable || create;
  SpinGuard g(g_enc_lock);
  auto* h = new (std::nothrow) EncryptedHandle;
  if (h == nullptr) return fail(ENOMEM);
  const long r = attach(h, entry, path, flags, mode, need_write, create, truncate);
  if (r < 0) {
    delete h;
    return r;
  }
  h->readable = readable;
  h->writable = writable;
  h->append = (flags & O_APPEND) != 0;
  ++h->shared->handles;
  *out = h;
  return 0;
}

namespace {

// Points `h` at the shared file of `path`, opening it if no handle has.
long attach(EncryptedHandle* h, const EncryptedPath& entry, const std::string& path, uint64_t flags, uint64_t mode,
            bool need_write, bool create, bool truncate) {
  SharedFile* s = find_open(path);
  if (s != nullptr) {
    if (create && (flags & O_EXCL) != 0) return fail(EEXIST);
    if (need_write && !s->writable) {
      // The open file was opened read-only on the host; reopening it for
      // writing under another descriptor is not done (docs/libos.md).
      if (g_program.trace) say("nsgx libos: openat " + path + ": open read-only elsewhere, not writable: EBUSY\n");
      return fail(EBUSY);
    }
    if (truncate) {
      const pfs::Error e = pfs::truncate(s->file, 0);
      if (e != pfs::Error::kOk) return refuse(path, e, "not truncated");
    }
  } else {
    s = new (std::nothrow) SharedFile;
    if (s == nullptr) return fail(ENOMEM);
    s->path = path;
    s->writable = need_write;
    // The host file is always read too (the metadata and tag nodes), so a
    // writer opens it O_RDWR; O_TRUNC is the library's (a new file key),
    // never the host's.
    const int hflags = (need_write ? O_RDWR : O_RDONLY) | static_cast<int>(flags & (O_CREAT | O_EXCL));
    s->host = ::open(path.c_str(), hflags, static_cast<unsigned>(mode & 07777));
    if (s->host < 0) {
      const int err = errno;
      delete s;
      if (g_program.trace) say("nsgx libos: openat " + path + ": the host's encrypted file: " + strerror(err) + "\n");
      return fail(err);
    }
    const pfs::Storage st{&s->host, host_pread, host_pwrite, host_ftruncate, host_fsync};
    const pfs::KeySource key = key_of(entry);
    const uint32_t pflags =
        pfs::kRead | (need_write ? pfs::kWrite : 0u) | (create ? pfs::kCreate : 0u) | (truncate ? pfs::kTruncate : 0u);
    // A file this run has seen must be the version it left; a truncated
    // one starts anew whatever the host holds.
    const pfs::Freshness* expected = truncate ? nullptr : known(path);
    const pfs::Error e = pfs::open(path, pflags, key, st, expected, &s->file);
    if (e != pfs::Error::kOk) {
      (void)::close(s->host);
      delete s;
      return refuse(path, e, "refused");
    }
    s->next = g_open;
    g_open = s;
  }
  h->shared = s;
  return 0;
}

}  // namespace

long encrypted_read(EncryptedHandle* h, void* buf, uint64_t n, int64_t at) {
  SpinGuard g(g_enc_lock);
  return encrypted_read_locked(h, buf, n, at);
}

long encrypted_read_locked(EncryptedHandle* h, void* buf, uint64_t n, int64_t at) {
  if (!h->readable) return fail(EBADF);
  const uint64_t off = at >= 0 ? static_cast<uint64_t>(at) : h->offset;
  if (n > (uint64_t{1} << 30)) n = uint64_t{1} << 30;  // a short read, as Linux gives past 2 GiB
  size_t done = 0;
  const pfs::Error e = pfs::read(h->shared->file, off, buf, n, &done);
  if (e != pfs::Error::kOk && done == 0) return refuse(h->shared->path, e, "read refused");
  // The bytes before an error are good; the next read meets the error.
  if (at < 0) h->offset += done;
  return static_cast<long>(done);
}

long encrypted_write(EncryptedHandle* h, const void* buf, uint64_t n, int64_t at) {
  SpinGuard g(g_enc_lock);
  if (!h->writable) return fail(EBADF);
  const uint64_t off = h->append ? pfs::size(h->shared->file) : at >= 0 ? static_cast<uint64_t>(at) : h->offset;
  if (n > (uint64_t{1} << 30)) n = uint64_t{1} << 30;
  if (n == 0) return 0;
  const pfs::Error e = pfs::write(h->shared->file, off, buf, n);
  if (e != pfs::Error::kOk) return refuse(h->shared->path, e, "write refused");
  if (at < 0) h->offset = off + n;
  return static_cast<long>(n);
}

long encrypted_write_at_locked(EncryptedHandle* h, const void* buf, uint64_t n, uint64_t at) {
  if (!h->writable) return fail(EBADF);
  if (n == 0) return 0;
  const pfs::Error e = pfs::write(h->shared->file, at, buf, n);
  if (e != pfs::Error::kOk) return refuse(h->shared->path, e, "write refused");
  return static_cast<long>(n);
}

uint64_t encrypted_size_locked(const EncryptedHandle* h) { return pfs::size(h->shared->file); }

long encrypted_lseek(EncryptedHandle* h, int64_t off, uint64_t whence) {
  SpinGuard g(g_enc_lock);
  int64_t base = 0;
  if (whence == SEEK_SET)
    base = 0;
  else if (whence == SEEK_CUR)
    base = static_cast<int64_t>(h->offset);
  else if (whence == SEEK_END)
    base = static_cast<int64_t>(pfs::size(h->shared->file));  // below 2^44 (format::kMaxFileSize)
  else
    return fail(EINVAL);
  if ((off > 0 && base > INT64_MAX - off) || base + off < 0) return fail(EINVAL);
  h->offset = static_cast<uint64_t>(base + off);
  return static_cast<long>(h->offset);
}

long encrypted_fstat(EncryptedHandle* h, struct stat* st) {
  SpinGuard g(g_enc_lock);
  if (::fstat(h->shared->host, st) != 0) return fail(errno);  // form checked by nsgx_tposix
  // The host's size is the ciphertext's (whole 4 KiB blocks and the tree):
  // the program sees the plaintext's.
  const uint64_t size = pfs::size(h->shared->file);
  st->st_size = static_cast<off_t>(size);
  st->st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
  st->st_blksize = 4096;
  return 0;
}

long encrypted_ftruncate(EncryptedHandle* h, int64_t size) {
  SpinGuard g(g_enc_lock);
  if (size < 0 || !h->writable) return fail(EINVAL);  // Linux: EINVAL for a descriptor not open for writing
  const pfs::Error e = pfs::truncate(h->shared->file, static_cast<uint64_t>(size));
  if (e != pfs::Error::kOk) return refuse(h->shared->path, e, "not truncated");
  return 0;
}

long encrypted_fsync(EncryptedHandle* h) {
  SpinGuard g(g_enc_lock);
  if (!h->shared->writable) return 0;
  return flush(h->shared, "not flushed");
}

long encrypted_status_flags(const EncryptedHandle* h) {
  SpinGuard g(g_enc_lock);
  return encrypted_status_flags_locked(h);
}

long encrypted_status_flags_locked(const EncryptedHandle* h) {
  const long mode = h->readable && h->writable ? O_RDWR : h->writable ? O_WRONLY : O_RDONLY;
  return mode | (h->append ? O_APPEND : 0);
}

bool encrypted_path_of(const EncryptedHandle* h, std::string& path) {
  SpinGuard g(g_enc_lock);
  if (h->shared->unlinked) return false;
  path = h->shared->path;
  return true;
}

void encrypted_set_append(EncryptedHandle* h, bool append) {
  SpinGuard g(g_enc_lock);
  h->append = append;
}

void encrypted_ref(EncryptedHandle* h) {
  SpinGuard g(g_enc_lock);
  ++h->refs;
}

void encrypted_ref_locked(EncryptedHandle* h) { ++h->refs; }

long encrypted_close(EncryptedHandle* h) {
  if (h == nullptr) return 0;
  SpinGuard g(g_enc_lock);
  return encrypted_close_locked(h);
}

long encrypted_close_locked(EncryptedHandle* h) {
  if (--h->refs > 0) return 0;
  SharedFile* s = h->shared;
  delete h;
  if (--s->handles > 0) return 0;
  if (!s->unlinked) unlist(s);
  pfs::Freshness now;
  const pfs::Error e = pfs::close(s->file, &now);
  (void)::close(s->host);
  long r = 0;
  if (e == pfs::Error::kOk) {
    if (!s->unlinked) remember(s->path, now);
  } else {
    r = refuse(s->path, e, "not flushed at close");
  }
  delete s;
  return r;
}

SpinLock& encrypted_lock() { return g_enc_lock; }

bool encrypted_in_use(const std::string& path) {
  SpinGuard g(g_enc_lock);
  return find_open(path) != nullptr || known(path) != nullptr;
}

long encrypted_plain_position(EncryptedHandle* h, uint64_t whence, uint64_t& base) {
  SpinGuard g(g_enc_lock);
  if (whence == SEEK_CUR)
    base = h->offset;
  else if (whence == SEEK_END)
    base = pfs::size(h->shared->file);
  else
    base = 0;
  return 0;
}

int encrypted_host_fd(const EncryptedHandle* h) {
  SpinGuard g(g_enc_lock);
  return h->shared->host;
}

long encrypted_stat(const EncryptedPath& entry, const std::string& path, bool nofollow, struct stat* st) {
  SpinGuard g(g_enc_lock);
  // The host's answer, its form checked by nsgx_tposix; only a regular
  // file's size is replaced (the host's is the ciphertext's).
  if ((nofollow ? ::lstat(path.c_str(), st) : ::stat(path.c_str(), st)) != 0) return fail(errno);
  if (!S_ISREG(st->st_mode)) return 0;
  uint64_t size = 0;
  if (const SharedFile* s = find_open(path)) {
    size = pfs::size(s->file);
  } else if (st->st_size != 0) {
    // Not open: the protected file opened read-only for its size, checked
    // as an open is (its key, path, tree and the version this run knows).
    // An empty host file is a file a create would make anew: size 0.
    int host = ::open(path.c_str(), O_RDONLY);
    if (host < 0) return fail(errno);
    const pfs::Storage sto{&host, host_pread, host_pwrite, host_ftruncate, host_fsync};
    pfs::File* f = nullptr;
    const pfs::Error e = pfs::open(path, pfs::kRead, key_of(entry), sto, known(path), &f);
    if (e != pfs::Error::kOk) {
      (void)::close(host);
      return refuse(path, e, "refused");
    }
    size = pfs::size(f);
    pfs::Freshness now;
    if (pfs::close(f, &now) == pfs::Error::kOk) remember(path, now);
    (void)::close(host);
  }
  st->st_size = static_cast<off_t>(size);
  st->st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
  st->st_blksize = 4096;
  return 0;
}

long encrypted_access(const std::string& path, uint64_t mode) {
  if (mode & X_OK) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return fail(errno);
    if (!S_ISDIR(st.st_mode)) return fail(EACCES);
  }
  return ::access(path.c_str(), static_cast<int>(mode)) == 0 ? 0 : fail(errno);
}

long encrypted_unlink(const std::string& path) {
  SpinGuard g(g_enc_lock);
  if (::unlink(path.c_str()) != 0) return fail(errno);
  forget(path);
  if (SharedFile* s = find_open(path)) {
    unlist(s);
    s->unlinked = true;
  }
  return 0;
}

namespace {

// Opens the protected file `path` as its own pfs::File on a new host
// descriptor (`host`), read-only and checked as at open; the caller closes both.
long open_alone(const EncryptedPath& entry, const std::string& path, int& host, pfs::File*& f) {
  host = ::open(path.c_str(), O_RDONLY);
  if (host < 0) return fail(errno);
  const pfs::Storage st{&host, host_pread, host_pwrite, host_ftruncate, host_fsync};
  const pfs::Error e = pfs::open(path, pfs::kRead, key_of(entry), st, known(path), &f);
  if (e == pfs::Error::kOk) return 0;
  (void)::close(host);
  return refuse(path, e, "refused");
}

// The plaintext of `src` into `dst`, from offset 0.
pfs::Error copy_all(pfs::File* src, pfs::File* dst) {
  constexpr size_t kChunk = size_t{64} * 1024;
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[kChunk]);
  if (buf == nullptr) return pfs::Error::kNoMemory;
  for (uint64_t off = 0, n = pfs::size(src); off < n;) {
    size_t done = 0;
    if (const pfs::Error e =
            pfs::read(src, off, buf.get(), static_cast<size_t>(std::min<uint64_t>(kChunk, n - off)), &done);
        e != pfs::Error::kOk)
      return e;
    if (done == 0) return pfs::Error::kIntegrity;  // shorter than its own size says
    if (const pfs::Error e = pfs::write(dst, off, buf.get(), done); e != pfs::Error::kOk) return e;
    off += done;
  }
  return pfs::Error::kOk;
}

}  // namespace

long encrypted_rename(const EncryptedPath& from_entry, const std::string& from, const EncryptedPath& to_entry,
                      const std::string& to, bool noreplace) {
  SpinGuard g(g_enc_lock);
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return fail(errno);
  if (!S_ISREG(st.st_mode)) return fail(EXDEV);
  struct stat old_to;
  const bool to_exists = ::lstat(to.c_str(), &old_to) == 0;
  if (to_exists && noreplace) return fail(EEXIST);
  if (to_exists && S_ISDIR(old_to.st_mode)) return fail(EISDIR);
  if (from == to) return 0;  // the same file: nothing to do (rename(2))
  // What this run wrote to `from` and has not flushed is part of it.
  SharedFile* open_from = find_open(from);
  if (open_from != nullptr)
    if (const long r = flush(open_from, "not flushed before rename"); r < 0) return r;
  int src_host = -1;
  pfs::File* src = nullptr;
  if (const long r = open_alone(from_entry, from, src_host, src); r < 0) return r;
  const std::string tmp = to + ".nsgx-rename";
  (void)::unlink(tmp.c_str());  // a crashed rename's leftover: never a protected file of any path
  int dst_host = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL, st.st_mode & 07777);
  long r = dst_host < 0 ? fail(errno) : 0;
  pfs::File* dst = nullptr;
  pfs::Freshness fresh;
  if (r == 0) {
    const pfs::Storage sto{&dst_host, host_pread, host_pwrite, host_ftruncate, host_fsync};
    pfs::Error e =
        pfs::open(to, pfs::kRead | pfs::kWrite | pfs::kCreate | pfs::kTruncate, key_of(to_entry), sto, nullptr, &dst);
    if (e == pfs::Error::kOk) e = copy_all(src, dst);
    if (dst != nullptr) {
      const pfs::Error c = pfs::close(dst, &fresh);
      if (e == pfs::Error::kOk) e = c;
    }
    if (e != pfs::Error::kOk) r = refuse(e == pfs::Error::kIntegrity ? from : to, e, "not renamed");
    (void)::close(dst_host);
  }
  pfs::Freshness seen;
  (void)pfs::close(src, &seen);
  (void)::close(src_host);
  if (r == 0 && (noreplace ? ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE)
                           : ::rename(tmp.c_str(), to.c_str())) != 0)
    r = fail(errno);
  if (r < 0) {
    (void)::unlink(tmp.c_str());
    return r;
  }
  // `to` is the new file now; a description open on the replaced one keeps
  // it, as Linux keeps a replaced file for its descriptors.
  if (SharedFile* replaced = find_open(to)) {
    unlist(replaced);
    replaced->unlinked = true;
  }
  remember(to, fresh);
  if (::unlink(from.c_str()) != 0) return fail(errno);
  forget(from);
  if (open_from != nullptr) {
    unlist(open_from);
    open_from->unlinked = true;
  }
  return 0;
}

}  // namespace nsgx::libos
