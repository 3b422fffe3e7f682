// The debugger interface of the untrusted runtime (sdk/include/
// nsgx_debugger.h): one registration per enclave, announced to a debugger
// through nsgx_debug_enclave_event and kept in nsgx_debug_enclave_list.
#pragma once

#include <cstdint>
#include <string>

#include "nsgx_debugger.h"

namespace nsgx::urts {

class DebugRegistration {
 public:
  DebugRegistration() = default;
  DebugRegistration(const DebugRegistration&) = delete;
  DebugRegistration& operator=(const DebugRegistration&) = delete;
  ~DebugRegistration() { remove(); }

  // Links the enclave into the list and announces NSGX_DEBUG_EVENT_LOAD.
  // `path` is made absolute (a debugger may run elsewhere).
  // `host_pid`: the isolated enclave host, told to a debugger only for a
  // debug enclave (0 otherwise).
  void add(const char* path, std::uint64_t base, std::uint64_t size, std::uint64_t eid, bool debug, bool isolated,
           std::uint32_t host_pid = 0);
  // Announces NSGX_DEBUG_EVENT_UNLOAD and unlinks it; idempotent.
  void remove();
  // Announces NSGX_DEBUG_EVENT_CRASH with what the last AEX reported, if
  // anything (`valid`), and the faulting RIP relative to the base if known.
  void crash(bool valid, std::uint16_t vector, std::uint16_t error_code, std::uint64_t address, bool has_rip,
             std::uint64_t rip);

 private:
  nsgx_debug_enclave_info info_{};
  std::string path_;
  bool linked_ = false;
};

}  // namespace nsgx::urts
