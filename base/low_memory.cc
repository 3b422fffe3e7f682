#include "base/low_memory.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace nsgx {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kKernelDefault = 65536;  // CONFIG_DEFAULT_MMAP_MIN_ADDR on x86-64 distributions

std::uint64_t read_min_addr() {
  std::FILE* f = std::fopen("/proc/sys/vm/mmap_min_addr", "re");
  if (f == nullptr) return kKernelDefault;
  char buf[32] = {};
  const bool got = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!got) return kKernelDefault;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(buf, &end, 10);
  if (errno != 0 || end == buf || (*end != '\n' && *end != 0) || v > (1ull << 40)) return kKernelDefault;
  return (v + kPage - 1) / kPage * kPage;
}

}  // namespace

std::uint64_t lowest_mappable_address() {
  static const std::uint64_t value = read_min_addr();
  return value;
}

std::uint64_t unmappable_prefix(std::uint64_t base, std::uint64_t size) {
  const std::uint64_t low = lowest_mappable_address();
  if (base >= low) return 0;
  return low - base < size ? low - base : size;
}

}  // namespace nsgx
