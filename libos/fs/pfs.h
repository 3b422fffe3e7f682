// Protected files for the library OS (docs/libos.md, "Encrypted files";
// the format is libos/fs/format.h): a file whose every byte on the
// untrusted disk is encrypted and authenticated, chunk by chunk, under a key
// only this enclave (or enclaves of its signer, or holders of a key
// provisioned after remote attestation) can derive, bound to its path.
//
// Trusted code: it runs inside the library OS enclave, built with the
// trusted runtime and its sgx_tcrypto; it throws nothing and checks every
// allocation. The untrusted file is reached only through the Storage
// callbacks (OCALLs in the enclave), whose every answer is checked. Usage:
//
//   pfs::Storage st{ctx, my_pread, my_pwrite, my_ftruncate, my_fsync};
//   pfs::KeySource key{pfs::KeyKind::kSealMrenclave, {}};
//   pfs::File* f = nullptr;
//   pfs::Error e = pfs::open("/data/db", pfs::kRead | pfs::kWrite | pfs::kCreate, key, st, nullptr, &f);
//   if (e != pfs::Error::kOk) return -pfs::to_errno(e);
//   e = pfs::write(f, 0, buf, n);
//   ...
//   pfs::Freshness now{};
//   e = pfs::close(f, &now);   // flushes; `now` names this version for a later open
//
// Not thread-safe: one File is used by one thread at a time (the library
// OS's descriptor holds a lock around each call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libos/fs/format.h"

namespace nsgx::pfs {

enum class Error : int {
  kOk = 0,
  kIo,           // the untrusted storage failed or answered out of range (EIO)
  kIntegrity,    // the file is not what this key, this path and its own tree say (EIO, distinct)
  kRolledBack,   // authentic but not the version the caller expected (a rolled-back file)
  kNoMemory,     // ENOMEM
  kInvalid,      // bad argument (EINVAL)
  kReadOnly,     // written through a File opened without kWrite (EBADF)
  kKey,          // the key source could not give a key (EGETKEY failed, no key provisioned)
  kTooLarge,     // past format::kMaxFileSize (EFBIG)
  kExhausted,    // the file key's 2^32 encryptions are used up (ENOSPC); rewrite the file with kTruncate
  kNameTooLong,  // a path longer than format::body::kMaxPath (ENAMETOOLONG)
};
const char* error_name(Error e);
// The errno the library OS gives the program for `e` (kIntegrity and
// kRolledBack: EIO; the library OS logs which).
int to_errno(Error e);

// The untrusted file, reached through OCALLs. Each returns what the Linux
// call returns: a byte count >= 0, or a negative errno. Whatever they
// return is checked: a count larger than asked, a negative count other than
// an errno or a short count where the format needs more become kIo or
// kIntegrity, never a read past a buffer.
struct Storage {
  void* ctx;
  std::int64_t (*pread)(void* ctx, void* buf, std::uint64_t len, std::uint64_t off);
  std::int64_t (*pwrite)(void* ctx, const void* buf, std::uint64_t len, std::uint64_t off);
  std::int64_t (*ftruncate)(void* ctx, std::uint64_t len);
  std::int64_t (*fsync)(void* ctx);
};

using format::KeyKind;
// Where the metadata key comes from: the enclave's sealing key (EGETKEY,
// KEYPOLICY.MRENCLAVE — the default — or MRSIGNER, for a KEYID random per
// file; seal_key.h), or `key`, a 128-bit key provisioned after remote
// attestation. The metadata key is derived from it, the file's KEYID and
// its path (format.h).
struct KeySource {
  KeyKind kind = KeyKind::kSealMrenclave;
  std::uint8_t key[format::kKeySize] = {};  // kProvisioned only
};

// A version of a file, as the caller keeps it (e.g. in a sealed index) to
// refuse an older, complete copy of the file on the next open: SHA-256 of
// the metadata node as last written, and its version counter.
struct Freshness {
  std::uint64_t version = 0;
  std::uint8_t digest[format::kHashSize] = {};
};

enum OpenFlags : std::uint32_t {
  kRead = 1,
  kWrite = 2,
  kCreate = 4,    // an empty storage file becomes a new protected file (needs kWrite)
  kTruncate = 8,  // start a new, empty protected file whatever the storage holds (needs kWrite)
};

struct File;

// Opens the protected file whose storage is `st` as `path` (the file's name
// inside the enclave: absolute, at most format::body::kMaxPath bytes). An
// existing file must have been written under the same key source and path;
// with `expected`, its metadata must be exactly that version (else
// kRolledBack). On success *out owns the file until close().
// Errors: kInvalid (path not absolute or with a NUL, unknown flags or key
// kind, kCreate/kTruncate without kWrite, a missing callback), kNameTooLong,
// kKey (no provisioned key; EGETKEY or the random source failing for a new
// file), kIo (the storage failed or answered out of range), kIntegrity
// (not a protected file of this key source and path, or any part of it
// altered, swapped, cut or extended), kRolledBack, kNoMemory.
Error open(std::string_view path, std::uint32_t flags, const KeySource& key, const Storage& st,
           const Freshness* expected, File** out);
// Reads up to `len` bytes at `off`; *done = bytes read (fewer only at the
// end of the file; the bytes before an error are in buf and counted).
// Errors: kInvalid, kIo, kIntegrity (a chunk altered, moved, older or cut),
// kNoMemory.
Error read(File* f, std::uint64_t off, void* buf, std::size_t len, std::size_t* done);
// Writes `len` bytes at `off`, extending the file (with zeros up to `off`)
// if needed. Errors: kInvalid, kReadOnly, kTooLarge, kExhausted, kIo,
// kIntegrity (a chunk it had to read first), kKey (no randomness), kNoMemory;
// after an error the chunks written so far are part of the file.
Error write(File* f, std::uint64_t off, const void* buf, std::size_t len);
std::uint64_t size(const File* f);
// Sets the size; a larger size reads as zeros. Errors: as write().
Error truncate(File* f, std::uint64_t size);
// Writes the tree and the metadata (a new version) and fsyncs; *now (if not
// null) gets the version now on disk. Errors: kIo (a write, ftruncate or
// fsync failed: the file on disk may then be refused at the next open),
// kKey, kNoMemory.
Error flush(File* f, Freshness* now);
// Flushes (if writable) and frees the file, whatever the flush's result.
Error close(File* f, Freshness* now);

}  // namespace nsgx::pfs
