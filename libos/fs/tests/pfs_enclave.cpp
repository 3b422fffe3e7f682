// Protected files in an enclave (pfs.edl): the trusted library over the
// POSIX layer's file OCALLs, keys from EGETKEY.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstdint>

#include "libos/fs/pfs.h"
#include "pfs_t.h"

namespace {

namespace pfs = nsgx::pfs;

// The storage callbacks: the host file through nsgx_tposix (whose checks
// come first; these only pass its answers on as -errno).
std::int64_t host_pread(void* c, void* b, std::uint64_t l, std::uint64_t o) {
  const ssize_t r = ::pread(*static_cast<int*>(c), b, l, static_cast<off_t>(o));
  return r < 0 ? -errno : r;
}
std::int64_t host_pwrite(void* c, const void* b, std::uint64_t l, std::uint64_t o) {
  const ssize_t r = ::pwrite(*static_cast<int*>(c), b, l, static_cast<off_t>(o));
  return r < 0 ? -errno : r;
}
std::int64_t host_ftruncate(void* c, std::uint64_t l) {
  return ::ftruncate(*static_cast<int*>(c), static_cast<off_t>(l)) < 0 ? -errno : 0;
}
std::int64_t host_fsync(void* c) { return ::fsync(*static_cast<int*>(c)) < 0 ? -errno : 0; }

pfs::KeySource key_of(int kind) {
  pfs::KeySource k;
  k.kind = static_cast<pfs::KeyKind>(kind);
  return k;
}

}  // namespace

extern "C" int ecall_pfs_write(const char* host, const char* path, int kind, const std::uint8_t* data, size_t n,
                               std::uint64_t* version, std::uint8_t* digest) {
  int fd = ::open(host, O_RDWR | O_CREAT, 0600);
  if (fd < 0) return -1;
  const pfs::Storage st{&fd, host_pread, host_pwrite, host_ftruncate, host_fsync};
  pfs::File* f = nullptr;
  pfs::Error e = pfs::open(path, pfs::kRead | pfs::kWrite | pfs::kTruncate, key_of(kind), st, nullptr, &f);
  if (e == pfs::Error::kOk) {
    e = pfs::write(f, 0, data, n);
    pfs::Freshness now;
    const pfs::Error c = pfs::close(f, &now);
    if (e == pfs::Error::kOk) e = c;
    *version = now.version;
    memcpy(digest, now.digest, sizeof now.digest);
  }
  ::close(fd);
  return static_cast<int>(e);
}

extern "C" int ecall_pfs_read(const char* host, const char* path, int kind, int check, std::uint64_t version,
                              const std::uint8_t* digest, std::uint8_t* data, size_t cap, size_t* n) {
  *n = 0;
  int fd = ::open(host, O_RDONLY);
  if (fd < 0) return -1;
  const pfs::Storage st{&fd, host_pread, host_pwrite, host_ftruncate, host_fsync};
  pfs::Freshness expected;
  expected.version = version;
  memcpy(expected.digest, digest, sizeof expected.digest);
  pfs::File* f = nullptr;
  pfs::Error e = pfs::open(path, pfs::kRead, key_of(kind), st, check ? &expected : nullptr, &f);
  if (e == pfs::Error::kOk) {
    *n = pfs::size(f);
    size_t done = 0;
    e = pfs::read(f, 0, data, cap, &done);
    (void)pfs::close(f, nullptr);
  }
  ::close(fd);
  return static_cast<int>(e);
}
