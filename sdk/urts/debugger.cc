#include "sdk/urts/debugger.h"

#include <climits>
#include <cstdlib>
#include <mutex>

// Exported (packaging/sgx_urts.map keeps nsgx_*) so that a debugger finds
// both in programs linked with libsgx_urts.so and with the static runtime.
extern "C" {
nsgx_debug_enclave_info* nsgx_debug_enclave_list = nullptr;

// Empty on purpose: the debugger's breakpoint is the whole interface. The
// asm statement (a compiler barrier naming both arguments) keeps the call
// and the stores to *info before it from being optimised away.
__attribute__((noinline, used)) void nsgx_debug_enclave_event(uint32_t event, const nsgx_debug_enclave_info* info) {
  asm volatile("" : : "r"(event), "r"(info) : "memory");
}
}

namespace nsgx::urts {

namespace {
// Guards nsgx_debug_enclave_list and the events' order (a debugger sees
// LOAD before the enclave's UNLOAD even when threads race).
std::mutex g_list_mu;
}  // namespace

void DebugRegistration::add(const char* path, std::uint64_t base, std::uint64_t size, std::uint64_t eid, bool debug,
                            bool isolated, std::uint32_t host_pid) {
  char resolved[PATH_MAX];
  path_ = realpath(path, resolved) != nullptr ? resolved : path;
  info_.version = NSGX_DEBUG_INFO_VERSION;
  info_.struct_size = sizeof info_;
  info_.path = path_.c_str();
  info_.base = base;
  info_.size = size;
  info_.enclave_id = eid;
  info_.debug = debug ? 1 : 0;
  info_.backend = isolated ? NSGX_DEBUG_BACKEND_ISOLATED : NSGX_DEBUG_BACKEND_IN_PROCESS;
  info_.host_pid = isolated && debug ? host_pid : 0;
  std::lock_guard lock(g_list_mu);
  info_.next = nsgx_debug_enclave_list;
  nsgx_debug_enclave_list = &info_;
  linked_ = true;
  nsgx_debug_enclave_event(NSGX_DEBUG_EVENT_LOAD, &info_);
}

void DebugRegistration::remove() {
  std::lock_guard lock(g_list_mu);
  if (!linked_) return;
  nsgx_debug_enclave_event(NSGX_DEBUG_EVENT_UNLOAD, &info_);
  for (nsgx_debug_enclave_info** p = &nsgx_debug_enclave_list; *p != nullptr; p = &(*p)->next) {
    if (*p == &info_) {
      *p = info_.next;
      break;
    }
  }
  linked_ = false;
}

void DebugRegistration::crash(bool valid, std::uint16_t vector, std::uint16_t error_code, std::uint64_t address,
                              bool has_rip, std::uint64_t rip) {
  std::lock_guard lock(g_list_mu);
  if (!linked_) return;
  info_.vector = vector;
  info_.error_code = error_code;
  info_.fault_address = address;
  info_.fault_rip = rip;
  info_.fault_flags = valid ? NSGX_DEBUG_FAULT_VALID | (has_rip ? NSGX_DEBUG_FAULT_HAS_RIP : 0u) : 0u;
  nsgx_debug_enclave_event(NSGX_DEBUG_EVENT_CRASH, &info_);
}

}  // namespace nsgx::urts
