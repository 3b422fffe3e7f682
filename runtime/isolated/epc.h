// The isolated backend's EPC: one memfd per enclave, never given to an
// application. A page of an enclave lives at its ELRANGE offset in that
// enclave's memfd, so the enclave host maps exactly its own enclave's memory
// and nothing else; pages no enclave owns (free, SECS, VA) live in the
// monitor's private scratch memory. Pages are bound as the monitor assigns
// and releases them (Platform::page_assigned / page_released).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "monitor/platform.h"
#include "runtime/common/page_rights_table.h"

namespace nsgx::isolated {

struct ThreadSlot;

class IsolatedEpc final : public monitor::Platform {
 public:
  IsolatedEpc(std::uint32_t pages, const monitor::PlatformSecrets& secrets);
  ~IsolatedEpc() override;
  IsolatedEpc(const IsolatedEpc&) = delete;
  IsolatedEpc& operator=(const IsolatedEpc&) = delete;

  std::uint32_t epc_page_count() const override { return pages_; }
  std::span<std::uint8_t, sgx::kPageSize> epc_page(monitor::EpcIndex page) override;
  const monitor::PlatformSecrets& secrets() const override { return secrets_; }
  void random(MutableByteSpan out) override;
  // The monitor's word on what enclave code may do with a page, recorded
  // here; the server sends it to the enclave host when the driver's
  // page_changed() (or the reply to the host's fault or leaf) maps the page.
  void page_mapped(monitor::EnclaveId, monitor::LinearAddr addr, monitor::EpcIndex page,
                   monitor::PageRights rights) override {
    rights_.mapped(page, addr, rights);
  }
  void page_unmapped(monitor::EnclaveId, monitor::LinearAddr, monitor::EpcIndex page) override {
    rights_.unmapped(page);
  }
  monitor::PageRights rights(monitor::EpcIndex page, std::uint64_t addr) const {
    return rights_.at(page, monitor::LinearAddr{addr});
  }
  void enclave_created(monitor::EnclaveId enclave, std::uint64_t base, std::uint64_t size) override;
  void enclave_removed(monitor::EnclaveId enclave) override;
  void page_assigned(monitor::EnclaveId enclave, monitor::LinearAddr addr, monitor::EpcIndex page) override;
  void page_released(monitor::EpcIndex page) override;
  bool revoke_tcs(monitor::EnclaveId enclave, monitor::LinearAddr tcs) override;
  bool any_thread_inside(monitor::EnclaveId enclave) const override;

  // The enclave host's thread table (protocol.h ThreadSlot), `slots` long,
  // or none; the caller keeps it mapped until it replaces it with null.
  void set_thread_table(monitor::EnclaveId enclave, ThreadSlot* table, std::uint32_t slots);

  // The memfd holding `enclave`'s pages (owned here; -1 if none: the
  // enclave has no page yet, or its memory could not be made).
  int memfd(monitor::EnclaveId enclave) const;

 private:
  struct EnclaveMemory {
    int fd = -1;                   // made with the first page, not at ECREATE
    std::uint8_t* view = nullptr;  // the monitor's mapping of fd; null until then
    bool failed = false;           // the memfd could not be made: the enclave never runs
    std::uint64_t base = 0, size = 0;
    ThreadSlot* threads = nullptr;
    std::uint32_t thread_slots = 0;
  };
  static bool make_memory_locked(EnclaveMemory& e);  // under mu_
  std::uint32_t pages_;
  monitor::PlatformSecrets secrets_;
  std::uint8_t* scratch_ = nullptr;
  std::unique_ptr<std::atomic<std::uint8_t*>[]> slot_;
  struct Binding {
    int fd = -1;
    std::uint64_t offset = 0;
  };
  std::unique_ptr<Binding[]> binding_;  // per page, under mu_
  mutable std::mutex mu_;
  std::map<std::uint32_t, EnclaveMemory> enclaves_;
  runtime::PageRightsTable rights_;
};

}  // namespace nsgx::isolated
