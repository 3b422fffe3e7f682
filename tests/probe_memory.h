// The attacker's reading of another process's memory (trust_probe scan and
// watch): every readable mapping of a process, through /proc/PID/mem, the
// way a user reads its own processes (Yama permitting).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

namespace nsgx::probe {

struct MemoryScan {
  bool readable = false;  // /proc/PID/maps and /proc/PID/mem opened
  int error = 0;          // errno when not readable
  std::uint64_t bytes = 0;
  std::uint64_t regions = 0;
  bool found = false;
};

// Stops at the first place `needle` (not empty) is found.
MemoryScan scan_memory(pid_t pid, std::string_view needle);

}  // namespace nsgx::probe
