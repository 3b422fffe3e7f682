// The settings every backend reads from the environment, one parser for all:
// NSGX_EPC_SIZE (bytes, K/M/G suffix, 64K..64G), NSGX_LAUNCH_SIGNERS
// (comma-separated MRSIGNER hex), NSGX_LAUNCH_NO_DEBUG=1, NSGX_STATE_DIR.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "monitor/monitor.h"

namespace nsgx::runtime {

struct BackendConfig {
  std::uint32_t epc_pages = 32768;  // 128 MiB
  monitor::LaunchPolicy launch;
  std::string state_dir;
};

Result<BackendConfig> config_from_env();
// "64M" -> bytes; 0 for garbage.
std::uint64_t parse_size(const char* s);

}  // namespace nsgx::runtime
