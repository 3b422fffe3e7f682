// The program's files (file_table.h).
#include "libos/enclave/file_table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <new>

#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "sgx_tcrypto.h"

namespace nsgx::libos {
namespace {

// Each copy allocated on its own and never moved: descriptors (Fd::copy)
// point at them for as long as the enclave lives.
struct CopyNode {
  TrustedCopy copy;
  CopyNode* next = nullptr;
};
CopyNode* g_copies = nullptr;
Fd g_fds[kMaxFds];

}  // namespace

// Reads the file whole through the POSIX layer's checked OCALLs into the
// user region and checks its SHA-256 against the manifest's before any byte
// is used.
const TrustedCopy* load_trusted(const TrustedFile& tf, std::string& why) {
  for (const CopyNode* n = g_copies; n != nullptr; n = n->next)
    if (n->copy.path == tf.path) return &n->copy;
  const int fd = ::open(tf.path.c_str(), O_RDONLY);
  if (fd < 0) {
    why = tf.path + ": cannot open: " + strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size < 0 || static_cast<uint64_t>(st.st_size) > region_pages() * kPage / 2) {
    why = tf.path + ": no size, or too large for the enclave's memory";
    ::close(fd);
    return nullptr;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint8_t* data = static_cast<uint8_t*>(alloc_pages(size == 0 ? 1 : size, false));
  if (data == nullptr) {
    why = tf.path + ": out of enclave memory";
    ::close(fd);
    return nullptr;
  }
  uint64_t got = 0;
  while (got < size) {
    const ssize_t r = ::read(fd, data + got, size - got);  // r <= asked: nsgx_tposix checks
    if (r <= 0) break;
    got += static_cast<uint64_t>(r);
  }
  ::close(fd);
  if (got != size) {
    why = tf.path + ": short read from the host";
    release_pages(page_index(data), (size + kPage - 1) / kPage);
    return nullptr;
  }
  // Hashed in enclave memory, after the last byte was copied: the host
  // cannot change what was checked.
  sgx_sha256_hash_t h;
  sgx_sha_state_handle_t s = nullptr;
  bool ok = sgx_sha256_init(&s) == SGX_SUCCESS;
  for (uint64_t at = 0; ok && at < size; at += 1u << 30) {
    const uint64_t n = size - at < (1u << 30) ? size - at : (1u << 30);
    ok = sgx_sha256_update(data + at, static_cast<uint32_t>(n), s) == SGX_SUCCESS;
  }
  ok = ok && sgx_sha256_get_hash(s, &h) == SGX_SUCCESS;
  if (s) sgx_sha256_close(s);
  if (!ok || memcmp(h, tf.sha256.data(), sizeof h) != 0) {
    why = tf.path + ": SHA-256 does not match the manifest";
    release_pages(page_index(data), (size + kPage - 1) / kPage);
    return nullptr;
  }
  auto* node = new (std::nothrow) CopyNode{TrustedCopy{tf.path, data, size}, g_copies};
  if (node == nullptr) {
    why = tf.path + ": out of memory";
    release_pages(page_index(data), (size + kPage - 1) / kPage);
    return nullptr;
  }
  g_copies = node;
  return &node->copy;
}

const TrustedCopy* trusted_copy_at(size_t i) {
  const CopyNode* n = g_copies;
  for (; n != nullptr && i > 0; --i) n = n->next;
  return n != nullptr ? &n->copy : nullptr;
}

const TrustedCopy* adopt_trusted_copy(const std::string& path, uint8_t* data, uint64_t size) {
  auto* node = new (std::nothrow) CopyNode{TrustedCopy{path, data, size}, g_copies};
  if (node == nullptr) return nullptr;
  g_copies = node;
  return &node->copy;
}

namespace {

// The calling thread's table: a vfork child's own until its execve or exit
// (syscalls_spawn.cc), else the process's.
Fd* table() {
  const ProgramThread* t = this_thread();
  return t != nullptr && t->fds != nullptr ? t->fds : g_fds;
}

}  // namespace

Fd* fd_at(int64_t fd) {
  Fd* fds = table();
  return fd >= 0 && fd < kMaxFds && fds[fd].kind != FdKind::kFree ? &fds[fd] : nullptr;
}

int new_fd() { return new_fd_from(0); }

int new_fd_from(int64_t min) {
  const Fd* fds = table();
  for (int64_t i = min < 0 ? 0 : min; i < kMaxFds; ++i)
    if (fds[i].kind == FdKind::kFree) return static_cast<int>(i);
  return -1;
}

bool host_fd_in_use(int host) {
  const Fd* fds = table();
  return std::any_of(fds, fds + kMaxFds, [host](const Fd& f) {
    return (f.kind == FdKind::kHostStdio || f.kind == FdKind::kHost || f.kind == FdKind::kStream) && f.host == host;
  });
}

void set_fd(int fd, const Fd& f) { table()[fd] = f; }

}  // namespace nsgx::libos
