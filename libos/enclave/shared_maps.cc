// MAP_SHARED mappings of the host's files (shared_maps.h).
#include "libos/enclave/shared_maps.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <new>
#include <vector>

#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/host_io.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/user_region.h"

namespace nsgx::libos {
namespace {

using sc::err;

// What a mapping writes back to: an allowed file through a host
// descriptor of its own, or an encrypted file through a reference of its
// own to its handle (encrypted_files.h).
struct SharedMapFile {
  int host = -1;
  EncryptedHandle* enc = nullptr;
};

// A mapping's file, shared by the parts an munmap in its middle leaves
// and, for an allowed file, by every mapping of it (g_host_files); closed
// with the last (an encrypted file's reference under its lock, which the
// caller holds: shared_maps.h).
struct MapFile {
  SharedMapFile f;
  explicit MapFile(SharedMapFile file) : f(file) {}
  ~MapFile() {
    if (f.enc != nullptr)
      (void)encrypted_close_locked(f.enc);
    else
      (void)::close(f.host);
  }
  MapFile(const MapFile&) = delete;
  MapFile& operator=(const MapFile&) = delete;
};

// One host descriptor per allowed file shared-mapped, by the host's device
// and inode (its answer: a lie only chooses which descriptor writes the
// host's own file), kept until the program ends (shared_maps.h). An open
// descriptor keeps the inode, so its number is not reused meanwhile.
struct HostFile {
  uint64_t dev = 0, ino = 0;
  std::shared_ptr<MapFile> file;
};
std::vector<HostFile> g_host_files;  // g_memory_lock

struct SharedMap {
  uint64_t first = 0, n = 0;  // region pages
  std::shared_ptr<MapFile> file;
  uint64_t off = 0;           // the file offset of page `first`
  uint8_t* shadow = nullptr;  // n pages: the bytes as the file last had them from here
};

std::vector<SharedMap> g_maps;  // g_memory_lock
int g_encrypted = 0;            // of g_maps, those of encrypted files (written under g_memory_lock)

void count_encrypted() {
  int n = 0;
  for (const auto& m : g_maps) n += m.file->f.enc != nullptr ? 1 : 0;
  __atomic_store_n(&g_encrypted, n, __ATOMIC_RELEASE);
}

// The file's size: the plaintext's for an encrypted file; for an allowed
// one the host's answer, which only bounds what this writes to the host's
// own file.
long file_size(const SharedMapFile& f, uint64_t& size) {
  if (f.enc != nullptr) {
    size = encrypted_size_locked(f.enc);
    return 0;
  }
  struct stat st;
  if (::fstat(f.host, &st) != 0) return err(errno);
  size = st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return 0;
}

long write_at(const SharedMapFile& f, const uint8_t* src, uint64_t n, uint64_t at) {
  if (f.enc == nullptr) {
    // pwrite on an O_APPEND description writes at its end, whatever the
    // offset (Linux); the program may have set it since the mmap, on the
    // description this dup shares. Not written, then.
    const int mode = ::fcntl(f.host, F_GETFL);
    if (mode < 0) return err(errno);
    if ((mode & O_APPEND) != 0) return err(EIO);
  }
  for (uint64_t done = 0; done < n;) {
    const long w = f.enc != nullptr ? encrypted_write_at_locked(f.enc, src + done, n - done, at + done)
                                    : ::pwrite(f.host, src + done, n - done, static_cast<off_t>(at + done));
    if (w < 0) return f.enc != nullptr ? w : err(errno);  // pwrite's w <= asked: nsgx_tposix
    if (w == 0) return err(EIO);
    done += static_cast<uint64_t>(w);
  }
  return 0;
}

// What the program changed in pages [from, from + count) of `m`, to its
// file, up to the file's size; the shadow then holds what was written.
long write_back(const SharedMap& m, uint64_t from, uint64_t count) {
  uint64_t size = 0;
  if (const long r = file_size(m.file->f, size); r < 0) return r;
  for (uint64_t p = from; p < from + count; ++p) {
    const uint64_t at = m.off + (p - m.first) * kPage;
    if (at >= size) break;
    const uint64_t room = size - at < kPage ? size - at : kPage;
    const uint8_t* now = region_base() + p * kPage;
    uint8_t* was = m.shadow + (p - m.first) * kPage;
    // The page as it is now, once: another thread may write it meanwhile,
    // and the shadow must hold what the file got, or that thread's byte
    // would never count as changed.
    uint8_t copy[kPage];
    memcpy(copy, now, room);
    uint64_t lo = 0, hi = room;
    while (lo < room && copy[lo] == was[lo]) ++lo;
    if (lo == room) continue;  // unchanged
    while (hi > lo && copy[hi - 1] == was[hi - 1]) --hi;
    if (const long r = write_at(m.file->f, copy + lo, hi - lo, at + lo); r < 0) return r;
    memcpy(was + lo, copy + lo, hi - lo);
  }
  return 0;
}

void release_shadow(const SharedMap& m, uint64_t from, uint64_t count) {
  release_pages(page_index(m.shadow + (from - m.first) * kPage), count);
}

// The allowed file of host descriptor `host`: the descriptor kept for it,
// or a new dup; null with `e` set.
std::shared_ptr<MapFile> host_file(int host, long& e) {
  struct stat st;
  if (::fstat(host, &st) != 0) {
    e = err(errno);
    return nullptr;
  }
  for (const auto& h : g_host_files)
    if (h.dev == static_cast<uint64_t>(st.st_dev) && h.ino == static_cast<uint64_t>(st.st_ino)) return h.file;
  const long d = host_dup(host);
  if (d < 0) {
    e = d;
    return nullptr;
  }
  auto* owner = new (std::nothrow) MapFile(SharedMapFile{static_cast<int>(d), nullptr});
  if (owner == nullptr) {
    (void)::close(static_cast<int>(d));
    e = err(ENOMEM);
    return nullptr;
  }
  std::shared_ptr<MapFile> file(owner);
  g_host_files.push_back(HostFile{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), file});
  return file;
}

}  // namespace

bool shared_maps_encrypted() { return __atomic_load_n(&g_encrypted, __ATOMIC_ACQUIRE) != 0; }

long shared_map_track(uint64_t first, uint64_t n, const Fd& f, uint64_t off) {
  g_maps.reserve(g_maps.size() + 1);  // before anything is owned: the push_back below does not allocate
  auto* shadow = static_cast<uint8_t*>(alloc_pages(n * kPage, false));
  if (shadow == nullptr) return err(ENOMEM);
  std::shared_ptr<MapFile> file;
  long e = err(ENOMEM);
  if (f.kind == FdKind::kEncrypted) {
    if (auto* owner = new (std::nothrow) MapFile(SharedMapFile{-1, f.enc})) {
      encrypted_ref_locked(f.enc);  // the owner's reference, dropped with it
      file.reset(owner);
    }
  } else {
    file = host_file(f.host, e);
  }
  if (file == nullptr) {
    release_pages(page_index(shadow), n);
    return e;
  }
  memcpy(shadow, region_base() + first * kPage, n * kPage);
  g_maps.push_back(SharedMap{first, n, std::move(file), off, shadow});
  count_encrypted();
  return 0;
}

long shared_map_write_back(uint64_t first, uint64_t n, bool forget) {
  if (g_maps.empty()) return 0;  // every munmap comes here: nothing to allocate for most
  long result = 0;
  std::vector<SharedMap> kept;
  kept.reserve(g_maps.size() + 1);
  for (auto& m : g_maps) {
    const uint64_t lo = first > m.first ? first : m.first;
    const uint64_t hi = first + n < m.first + m.n ? first + n : m.first + m.n;
    if (lo >= hi) {
      kept.push_back(std::move(m));
      continue;
    }
    if (const long r = write_back(m, lo, hi - lo); r < 0 && result == 0) result = r;
    if (!forget) {
      kept.push_back(std::move(m));
      continue;
    }
    // What lies outside [lo, hi) stays mapped: before it, and after it at
    // its own offset in the file, with its part of the shadow.
    release_shadow(m, lo, hi - lo);
    if (m.first < lo) kept.push_back(SharedMap{m.first, lo - m.first, m.file, m.off, m.shadow});
    if (hi < m.first + m.n)
      kept.push_back(
          SharedMap{hi, m.first + m.n - hi, m.file, m.off + (hi - m.first) * kPage, m.shadow + (hi - m.first) * kPage});
  }
  g_maps = std::move(kept);
  count_encrypted();
  return result;
}

void shared_map_end() {
  for (const auto& m : g_maps) {
    (void)write_back(m, m.first, m.n);
    release_shadow(m, m.first, m.n);
  }
  g_maps.clear();
  g_host_files.clear();
  count_encrypted();
}

}  // namespace nsgx::libos
