// The rights the monitor gave each EPC page (Platform::page_mapped /
// page_unmapped), kept by a backend that applies them to its mappings later,
// under its own locks: in the driver's page_changed hook, on a fault. The
// backends map enclave pages with these rights and nothing else; none reads
// the EPCM to decide what enclave code may do (monitor/page_rights.h does,
// once, docs/monitor-interface.md).
//
//   PageRightsTable table(epc_pages);
//   table.mapped(page, addr, rights);         // from Platform::page_mapped
//   int prot = prot_of(table.at(page, addr));  // when mapping addr
//
// Lock-free: the monitor records with its enclave lock held, the backend
// reads under its own (the pool lock), and neither waits for the other. A
// read racing a change sees the old or the new rights; the change's
// page_changed() that follows applies the new ones.
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "arch/sgx/types.h"
#include "monitor/page_rights.h"
#include "monitor/types.h"

namespace nsgx::runtime {

// mmap protection bits of SECINFO R/W/X.
inline int prot_of(std::uint64_t secinfo_perms) {
  namespace sf = sgx::secinfo_flags;
  return ((secinfo_perms & sf::kR) ? PROT_READ : 0) | ((secinfo_perms & sf::kW) ? PROT_WRITE : 0) |
         ((secinfo_perms & sf::kX) ? PROT_EXEC : 0);
}
// mmap protection bits for enclave code: a TCS is never accessible.
inline int prot_of(monitor::PageRights rights) { return prot_of(std::uint64_t{rights.rwx}); }

class PageRightsTable {
 public:
  explicit PageRightsTable(std::uint32_t pages) : slots_(new std::atomic<std::uint64_t>[pages]()), pages_(pages) {}

  void mapped(monitor::EpcIndex page, monitor::LinearAddr addr, monitor::PageRights rights) {
    if (page.value >= pages_ || !addr.page_aligned()) return;  // not from the monitor, which checks both
    const std::uint64_t v = addr.value | kValid | (rights.tcs ? kTcs : 0) | (rights.rwx & kRwx);
    slots_[page.value].store(v, std::memory_order_release);
  }
  void unmapped(monitor::EpcIndex page) {
    if (page.value < pages_) slots_[page.value].store(0, std::memory_order_release);
  }
  // What enclave code may do at `addr`, backed by `page` (the driver's
  // record of the enclave says which page backs it): none unless the monitor
  // gave `page` rights for `addr`.
  monitor::PageRights at(monitor::EpcIndex page, monitor::LinearAddr addr) const {
    if (page.value >= pages_) return {};
    const std::uint64_t v = slots_[page.value].load(std::memory_order_acquire);
    if ((v & kValid) == 0 || (v & ~kLowMask) != addr.value) return {};
    return {.rwx = static_cast<std::uint8_t>(v & kRwx), .tcs = (v & kTcs) != 0};
  }

 private:
  // One word per page: the page-aligned address with the rights in its low bits.
  static constexpr std::uint64_t kRwx = 7, kTcs = 8, kValid = 16, kLowMask = sgx::kPageMask;
  std::unique_ptr<std::atomic<std::uint64_t>[]> slots_;
  std::uint32_t pages_;
};

}  // namespace nsgx::runtime
