#include "tests/probe_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace nsgx::probe {

MemoryScan scan_memory(pid_t pid, std::string_view needle) {
  MemoryScan s;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  const int mem = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (!maps || mem < 0) {
    s.error = errno;
    if (mem >= 0) close(mem);
    return s;
  }
  s.readable = true;
  std::string line;
  std::vector<char> buf(std::size_t{1} << 20);
  while (std::getline(maps, line) && !s.found) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r') continue;
    if (line.find("[vvar") != std::string::npos) continue;  // not readable through mem
    ++s.regions;
    // Chunks overlapping by the needle's length, so none is missed at a seam.
    for (unsigned long at = lo; at < hi && !s.found;) {
      const std::size_t want = std::min<unsigned long>(buf.size(), hi - at);
      const ssize_t n = pread(mem, buf.data(), want, static_cast<off_t>(at));
      if (n <= 0) break;
      s.bytes += static_cast<std::uint64_t>(n);
      if (memmem(buf.data(), static_cast<std::size_t>(n), needle.data(), needle.size()) != nullptr) s.found = true;
      if (static_cast<std::size_t>(n) < want || at + static_cast<unsigned long>(n) >= hi) break;
      at += static_cast<unsigned long>(n) - (needle.size() - 1);
    }
  }
  close(mem);
  return s;
}

}  // namespace nsgx::probe
