// PROCMAP_QUERY: the ioctl on a /proc/PID/maps descriptor that describes
// the mapping covering one address (Linux 6.11, include/uapi/linux/fs.h,
// Documentation/filesystems/proc.rst). Debian 12's kernel headers predate
// it, so the structure is spelled out here from that documented interface.
// The kernel took the access right when the descriptor was opened (by the
// application, of its own maps); each query then reads the application's
// mappings as they are at that moment, one lookup, no text to parse.
// Older kernels answer ENOTTY: the host then does without (app_memory.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsgx::isolated {

struct ProcmapQuery {
  std::uint64_t size;         // in: sizeof(ProcmapQuery)
  std::uint64_t query_flags;  // in: kProcmapCovering... / the vma_flags a match must have
  std::uint64_t query_addr;   // in
  std::uint64_t vma_start;    // out: [vma_start, vma_end) covers query_addr
  std::uint64_t vma_end;
  std::uint64_t vma_flags;  // out: kProcmapReadable | ...
  std::uint64_t vma_page_size;
  std::uint64_t vma_offset;
  std::uint64_t inode;
  std::uint32_t dev_major;
  std::uint32_t dev_minor;
  std::uint32_t vma_name_size;  // in/out: 0, no name wanted
  std::uint32_t build_id_size;  // in/out: 0, no build ID wanted
  std::uint64_t vma_name_addr;
  std::uint64_t build_id_addr;
};
static_assert(sizeof(ProcmapQuery) == 104, "struct procmap_query, as _IOWR(0x66, 17, ...) encodes");
static_assert(offsetof(ProcmapQuery, vma_flags) == 40 && offsetof(ProcmapQuery, dev_major) == 72 &&
              offsetof(ProcmapQuery, vma_name_addr) == 88);

// _IOWR('f', 17, struct procmap_query): direction 3, size 104, type 0x66, nr 17.
inline constexpr unsigned long kProcmapQuery = (3ul << 30) | (sizeof(ProcmapQuery) << 16) | (0x66ul << 8) | 17ul;
static_assert(kProcmapQuery == 0xC0686611ul);

// vma_flags (and query_flags filters).
inline constexpr std::uint64_t kProcmapReadable = 0x01;
inline constexpr std::uint64_t kProcmapWritable = 0x02;
inline constexpr std::uint64_t kProcmapExecutable = 0x04;
inline constexpr std::uint64_t kProcmapShared = 0x08;

}  // namespace nsgx::isolated
