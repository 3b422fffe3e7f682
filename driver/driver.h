// The driver layer: the Linux SGX driver's ioctl semantics over the monitor.
//
// NestedSGX's guest kernel driver turns the OS's requests into monitor
// calls; this layer does the same with the upstream driver's validation and
// errno values (arch/x86/kernel/cpu/sgx/ioctl.c, uapi <asm/sgx.h>), so that
// programs written against /dev/sgx_enclave behave as on real hardware.
// One DriverEnclave is one open /dev/sgx_enclave file: at most one enclave.
// It chooses EPC pages (as the kernel does) from the EpcPool and reads
// caller memory through UserMemory, which a backend implements (a bad
// pointer is -EFAULT, never a crash).
//
//   EpcPool epc(monitor, &hooks);
//   DriverEnclave encl(epc, user_memory);
//   sgx_enclave_create c{.src = secs_address};
//   int rc = encl.create(c);           // 0 or -errno, as ioctl() would return
//
// Lock order: the pool lock, then the monitor's locks.
#pragma once

#include <asm/sgx.h>

#include <bitset>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <mutex>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "monitor/monitor.h"

namespace nsgx::driver {

// Reads memory of the calling program.
class UserMemory {
 public:
  virtual ~UserMemory() = default;
  // Copies `out.size()` bytes from `addr`; false if any byte is unreadable.
  virtual bool read(std::uint64_t addr, MutableByteSpan out) const = 0;
};

class DriverEnclave;

// What the driver asks of the backend that runs enclave code.
class DriverHooks {
 public:
  virtual ~DriverHooks() = default;
  // The page at `addr` of `encl` changed — added, removed, blocked, evicted,
  // loaded, or its EPCM permissions or type changed: re-derive its mapping.
  // Called with the pool lock held; must not call back into the driver.
  virtual void page_changed(DriverEnclave& encl, std::uint64_t addr) = 0;
  // Makes every thread inside `encl` leave it (AEX), as the kernel's IPIs
  // do, so that a tracking cycle can complete. Must not wait for them.
  virtual void kick(DriverEnclave& encl) = 0;
};

// The EPC of one monitor as the driver manages it: free pages, and the
// reclaimer that makes room when none is free (EBLOCK, ETRACK, EWB into
// memory; ELDU on the next touch), like arch/x86/kernel/cpu/sgx/main.c.
// One lock serialises every driver operation of every enclave of the
// monitor, so that evicting a page of enclave B while serving enclave A
// cannot deadlock; enclave threads never hold it while inside an enclave.
class EpcPool {
 public:
  // `overcommit` false: no reclaimer — a full EPC fails the allocation
  // (-ENOMEM, the SDK's SGX_ERROR_OUT_OF_EPC) and no VA pages are kept in
  // reserve; for a backend that cannot make threads leave an enclave on
  // demand (the isolated backend's enclave hosts).
  explicit EpcPool(monitor::Monitor& monitor, DriverHooks* hooks = nullptr, bool overcommit = true);
  bool overcommit() const { return overcommit_; }
  std::uint32_t free_count() const;
  std::uint32_t page_count() const { return total_; }
  // Pages written back with EWB and loaded with ELDU since creation.
  std::uint64_t evictions() const;
  std::uint64_t loads() const;
  monitor::Monitor& monitor() { return monitor_; }
  // The pool lock, for a backend that must see driver and mapping state
  // together (page_locked(), handle_fault_locked()).
  std::mutex& mutex() const { return mu_; }

 private:
  friend class DriverEnclave;
  // A free page, evicting one (never one of `keep`'s pages at `keep_addr`)
  // when none is free. Pool lock held.
  std::optional<monitor::EpcIndex> take_locked();
  void give_back_locked(monitor::EpcIndex page);
  bool evict_one_locked();
  void note_resident_locked(DriverEnclave* encl, std::uint64_t addr);

  monitor::Monitor& monitor_;
  DriverHooks* hooks_;
  bool overcommit_;
  std::uint32_t total_;
  mutable std::mutex mu_;
  std::vector<monitor::EpcIndex> free_;
  // Eviction candidates in load order (oldest first); stale entries — the
  // enclave closed or the page moved — are skipped when popped.
  std::deque<std::pair<DriverEnclave*, std::uint64_t>> lru_;
  std::set<DriverEnclave*> live_;
  std::uint64_t evictions_ = 0, loads_ = 0;
};

// EPC pages a group of enclaves may hold at once (one application's, on a
// monitor shared by many), counted under the pool lock: every page an
// enclave takes — SECS, EADD, EAUG, VA, ELDU — and gives back.
struct PageBudget {
  std::uint32_t limit = UINT32_MAX;
  std::uint32_t used = 0;
};

class DriverEnclave {
 public:
  DriverEnclave(EpcPool& pool, const UserMemory& user);
  ~DriverEnclave();  // releases the enclave and its pages, as closing the fd does
  DriverEnclave(const DriverEnclave&) = delete;
  DriverEnclave& operator=(const DriverEnclave&) = delete;

  // Each returns 0 or a negative errno exactly as the upstream ioctl does.
  int create(const sgx_enclave_create& arg);
  int add_pages(sgx_enclave_add_pages& arg);
  int init(const sgx_enclave_init& arg);
  // `is_provision_fd`: the fd passed names /dev/sgx_provision.
  int provision(bool is_provision_fd);
  int restrict_permissions(sgx_enclave_restrict_permissions& arg);
  int modify_types(sgx_enclave_modify_types& arg);
  int remove_pages(sgx_enclave_remove_pages& arg);

  // A page fault at `addr` inside the enclave's range, as sgx_vma_fault()
  // handles it: a resident page needs nothing (0); an evicted one is loaded
  // back with ELDU (0); an address of an initialized enclave with no page
  // gets one by EAUG — pending until the enclave EACCEPTs it — (0);
  // otherwise -EFAULT (the program gets SIGBUS), or -ENOMEM when nothing can
  // be evicted.
  int handle_fault(std::uint64_t addr);
  int handle_fault_locked(std::uint64_t addr);
  // Charges this enclave's pages to `budget` (which must outlive it) from
  // now on; a page beyond its limit fails as a full EPC does (-ENOMEM).
  void set_budget(PageBudget* budget);

  bool created() const;
  bool initialized() const;
  std::optional<monitor::EnclaveId> id() const;
  std::uint64_t base() const;
  std::uint64_t size() const;
  std::uint64_t attributes() const;

  // What backs one enclave page.
  struct PageInfo {
    enum class Where : std::uint8_t { kNone, kResident, kEvicted } where = Where::kNone;
    monitor::EpcIndex epc{};   // when resident
    std::uint64_t max_perms = 0;  // SECINFO R/W/X at EADD/EAUG: the mmap/mprotect limit
  };
  PageInfo page(std::uint64_t addr) const;
  // Same, for a caller that holds the pool lock (DriverHooks::page_changed).
  PageInfo page_locked(std::uint64_t addr) const;
  // Calls `f(addr, info)` for every page in [start, end) that exists (pool lock held).
  void for_each_existing_locked(std::uint64_t start, std::uint64_t end,
                                const std::function<void(std::uint64_t, const PageInfo&)>& f) const;

 private:
  friend class EpcPool;
  struct Evicted {
    monitor::Monitor::EvictedPage data;
    monitor::EpcIndex va;
    std::uint32_t slot = 0;
  };
  struct Page {
    std::optional<monitor::EpcIndex> epc;  // empty while evicted
    std::uint64_t max_perms = 0;           // permissions at EADD/EAUG time (mmap limit)
    std::unique_ptr<Evicted> evicted;
  };
  struct VaPage {
    monitor::EpcIndex epc;
    std::bitset<sgx::kVaSlotsPerPage> used;
  };

  int release_all();
  // A free page for this enclave within its budget, and back.
  std::optional<monitor::EpcIndex> take_page_locked();
  void give_page_locked(monitor::EpcIndex page);
  // Runs `op(addr, page, epcm)` over the pages of [offset, offset+length),
  // loading evicted ones, stopping at the first error; `count` gets the
  // bytes done, as the SGX2 ioctls report progress. A missing page is -EFAULT.
  template <typename Op>
  int for_each_page(std::uint64_t offset, std::uint64_t length, __u64& count, Op op);
  // -EFAULT with the SGX status in `result` if an EMODPR/EMODT failed, else ETRACK.
  int modify_and_track(const monitor::LeafResult& r, __u64& result);
  // A new resident page at `addr` needs a VA slot in reserve for its eviction.
  bool reserve_va_locked();
  // Loads the evicted page at `addr` (ELDU). 0 or -errno.
  int load_locked(std::uint64_t addr, Page& page);
  // ETRACK + EWB of the resident page at `addr`, kicking threads out as
  // needed. True when the page is now evicted.
  bool evict_locked(std::uint64_t addr);
  // ETRACK, kicking out threads of the previous cycle.
  bool track_locked();
  void changed(std::uint64_t addr);
  monitor::EnclaveId eid() const { return monitor::EnclaveId{secs_->value}; }

  EpcPool& pool_;
  monitor::Monitor& monitor_;
  const UserMemory& user_;
  PageBudget* budget_ = nullptr;
  std::optional<monitor::EpcIndex> secs_;
  bool initialized_ = false;
  std::uint64_t base_ = 0, size_ = 0;
  std::uint64_t attributes_ = 0;
  // The attributes the caller may ask for (PROVISIONKEY only after PROVISION).
  std::uint64_t attributes_mask_ = 0;
  std::map<std::uint64_t, Page> pages_;  // enclave address -> page
  std::vector<VaPage> va_pages_;
  std::size_t va_reserved_ = 0;  // slots promised to pages (== pages_.size())
};

}  // namespace nsgx::driver
