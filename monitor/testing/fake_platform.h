// A Platform for unit tests: EPC in ordinary memory, fixed secrets, a
// deterministic random stream, and a record of the mapping calls.
#pragma once

#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <vector>

#include "monitor/platform.h"

namespace nsgx::monitor::testing {

class FakePlatform final : public Platform {
 public:
  // The EPC memory is allocated but not touched, so an EPC of several GiB
  // costs only the pages a test uses (the monitor zeroes pages it hands out).
  explicit FakePlatform(std::uint32_t pages)
      : memory_(new std::uint8_t[std::size_t{pages} * sgx::kPageSize]), pages_(pages) {
    for (std::size_t i = 0; i < 16; ++i) {
      secrets_.seal_root[i] = static_cast<std::uint8_t>(i);
      secrets_.report_root[i] = static_cast<std::uint8_t>(0x80 + i);
    }
  }

  std::uint32_t epc_page_count() const override { return pages_; }
  std::span<std::uint8_t, sgx::kPageSize> epc_page(EpcIndex page) override {
    return std::span<std::uint8_t, sgx::kPageSize>(memory_.get() + std::size_t{page.value} * sgx::kPageSize,
                                                   sgx::kPageSize);
  }
  const PlatformSecrets& secrets() const override { return secrets_; }
  void random(MutableByteSpan out) override {
    std::lock_guard lock(mu_);
    for (auto& b : out) b = static_cast<std::uint8_t>((counter_ = counter_ * 6364136223846793005ull + 1) >> 56);
  }
  void page_mapped(EnclaveId, LinearAddr addr, EpcIndex page, PageRights rights) override {
    std::lock_guard lock(mu_);
    mapped[addr.value] = {page.value, rights};
  }
  void page_unmapped(EnclaveId, LinearAddr addr, EpcIndex) override {
    std::lock_guard lock(mu_);
    mapped.erase(addr.value);
  }

  // Threads a backend runs inside without the monitor's EENTER (the isolated
  // enclave host's): the TCSs a test says are in use.
  bool revoke_tcs(EnclaveId, LinearAddr tcs) override {
    std::lock_guard lock(mu_);
    if (foreign_inside.contains(tcs.value)) return false;
    revoked.insert(tcs.value);
    return true;
  }
  bool any_thread_inside(EnclaveId) const override {
    std::lock_guard lock(mu_);
    return !foreign_inside.empty();
  }
  std::set<std::uint64_t> foreign_inside;
  std::set<std::uint64_t> revoked;  // TCSs revoke_tcs granted

  PlatformSecrets& mutable_secrets() { return secrets_; }
  // linear address -> (EPC page, rights) as the backend would map it.
  std::map<std::uint64_t, std::pair<std::uint32_t, PageRights>> mapped;

 private:
  std::unique_ptr<std::uint8_t[]> memory_;
  std::uint32_t pages_;
  PlatformSecrets secrets_{};
  std::uint64_t counter_ = 1;
  mutable std::mutex mu_;  // leaves on different enclaves call in concurrently
};

}  // namespace nsgx::monitor::testing
