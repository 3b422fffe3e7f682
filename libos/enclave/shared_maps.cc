// MAP_SHARED mappings of the host's files (shared_maps.h).
#include "libos/enclave/shared_maps.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <new>
#include <vector>

#include "libos/enclave/syscall_args.h"
#include "libos/enclave/user_region.h"

namespace nsgx::libos {
namespace {

using sc::err;

// A mapping's host descriptor, shared by the parts an munmap in its middle
// leaves; closed with the last.
struct HostFile {
  int host;
  explicit HostFile(int h) : host(h) {}
  ~HostFile() { (void)::close(host); }
  HostFile(const HostFile&) = delete;
  HostFile& operator=(const HostFile&) = delete;
};

struct SharedMap {
  uint64_t first = 0, n = 0;  // region pages
  std::shared_ptr<HostFile> file;
  uint64_t off = 0;           // the file offset of page `first`
  uint8_t* shadow = nullptr;  // n pages: the bytes as the file last had them from here
};

std::vector<SharedMap> g_maps;  // g_memory_lock

// What the program changed in pages [from, from + count) of `m`, to its
// file, up to the file's size (the host's answer: it only bounds what this
// writes to the host's own file); the shadow then holds what was written.
long write_back(const SharedMap& m, uint64_t from, uint64_t count) {
  struct stat st;
  if (::fstat(m.file->host, &st) != 0) return err(errno);
  const uint64_t size = st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
  for (uint64_t p = from; p < from + count; ++p) {
    const uint64_t at = m.off + (p - m.first) * kPage;
    if (at >= size) break;
    const uint64_t room = size - at < kPage ? size - at : kPage;
    const uint8_t* now = region_base() + p * kPage;
    uint8_t* was = m.shadow + (p - m.first) * kPage;
    uint64_t lo = 0, hi = room;
    while (lo < room && now[lo] == was[lo]) ++lo;
    if (lo == room) continue;  // unchanged
    while (hi > lo && now[hi - 1] == was[hi - 1]) --hi;
    for (uint64_t done = lo; done < hi;) {
      const ssize_t w = ::pwrite(m.file->host, now + done, hi - done, static_cast<off_t>(at + done));  // w <= asked
      if (w < 0) return err(errno);
      if (w == 0) return err(EIO);
      done += static_cast<uint64_t>(w);
    }
    memcpy(was + lo, now + lo, hi - lo);
  }
  return 0;
}

void release_shadow(const SharedMap& m, uint64_t from, uint64_t count) {
  release_pages(page_index(m.shadow + (from - m.first) * kPage), count);
}

}  // namespace

bool shared_map_track(uint64_t first, uint64_t n, int host, uint64_t off) {
  auto* shadow = static_cast<uint8_t*>(alloc_pages(n * kPage, false));
  if (shadow == nullptr) return false;
  std::shared_ptr<HostFile> file(new (std::nothrow) HostFile(host));
  if (file == nullptr) {
    release_pages(page_index(shadow), n);
    return false;
  }
  memcpy(shadow, region_base() + first * kPage, n * kPage);
  g_maps.push_back(SharedMap{first, n, std::move(file), off, shadow});
  return true;
}

long shared_map_write_back(uint64_t first, uint64_t n, bool forget) {
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
  return result;
}

void shared_map_end() {
  for (const auto& m : g_maps) {
    (void)write_back(m, m.first, m.n);
    release_shadow(m, m.first, m.n);
  }
  g_maps.clear();
}

}  // namespace nsgx::libos
