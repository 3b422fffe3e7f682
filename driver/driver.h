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
// Lock order: the pool lock, then the monitor's locks (driver.cc says more).
// Nothing waits for another party — threads leaving an enclave, a backend's
// acknowledgement — while holding the pool lock.
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
  // Called with the pool lock held; must not call back into the driver, nor
  // wait for another party (every enclave of the monitor needs that lock).
  virtual void page_changed(DriverEnclave& encl, std::uint64_t addr) = 0;
  // Makes every thread inside `encl` leave it (AEX), as the kernel's IPIs
  // do, so that a tracking cycle can complete. Called with the pool lock
  // held; must not wait for them: the driver drops the lock and retries.
  virtual void kick(DriverEnclave& encl) = 0;
};

// The EPC of one monitor as the driver manages it: free pages, and the
// reclaimer that makes room when none is free (EBLOCK, ETRACK, EWB into
// memory; ELDU on the next touch), like arch/x86/kernel/cpu/sgx/main.c.
// One lock serialises every driver operation of every enclave of the
// monitor, so that evicting a page of enclave B while serving enclave A
// cannot deadlock; enclave threads never hold it while inside an enclave.
// An operation that needs threads to leave an enclave (a write-back or an
// ETRACK they hold up) kicks them and drops the lock while they go.
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
  // A free page into `page`, evicting one when none is free: 0, -ENOMEM
  // when nothing can be evicted, or kRetry (driver.cc) when a candidate's
  // enclave has threads to leave first (they were kicked). Pool lock held.
  int take_locked(monitor::EpcIndex& page);
  void give_back_locked(monitor::EpcIndex page);
  enum class Reclaim : std::uint8_t { kEvicted, kBusy, kNone };
  Reclaim evict_one_locked();
  void note_resident_locked(DriverEnclave* encl, std::uint64_t addr);
  // Drops the pool lock, which `lock` holds, while kicked threads leave an
  // enclave, and takes it back. False once an operation has waited too long
  // (`waits` counts); the operation then fails as if nothing were evictable.
  static bool wait_unlocked(std::unique_lock<std::mutex>& lock, int& waits);

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
  // back with ELDU (0), as is one an unfinished eviction left blocked; an
  // address of an initialized enclave with no page gets one by EAUG —
  // pending until the enclave EACCEPTs it — (0); otherwise -EFAULT (the
  // program gets SIGBUS), or -ENOMEM when nothing can be evicted.
  // handle_fault() waits (without the pool lock) for threads an eviction
  // needs out of an enclave. handle_fault_locked(), for a caller holding the
  // pool lock, never waits: it returns -EAGAIN instead, and the caller lets
  // the access fault again once it has dropped the lock (the kernel's
  // VM_FAULT_NOPAGE while its reclaimer holds the page).
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
  int take_page_locked(monitor::EpcIndex& page);  // 0, kRetry or -ENOMEM (also beyond the budget)
  void give_page_locked(monitor::EpcIndex page);
  // Runs `op(addr, page, epcm)` over the pages of [offset, offset+length),
  // loading evicted ones, stopping at the first error; `count` gets the
  // bytes done, as the SGX2 ioctls report progress. A missing page is
  // -EFAULT. May drop the pool lock held by `lock` between pages and in `op`.
  template <typename Op>
  int for_each_page(std::unique_lock<std::mutex>& lock, std::uint64_t offset, std::uint64_t length, __u64& count,
                    Op op);
  // -EFAULT with the SGX status in `result` if an EMODPR/EMODT failed, else
  // ETRACK (waiting, unlocked, for threads of the previous cycle).
  int modify_and_track(std::unique_lock<std::mutex>& lock, const monitor::LeafResult& r, __u64& result);
  // A new resident page at `addr` needs a VA slot in reserve for its
  // eviction: 0, -ENOMEM or kRetry.
  int reserve_va_locked();
  // Loads the evicted page at `addr` (ELDU). 0, kRetry or -errno.
  int load_locked(std::uint64_t addr, Page& page);
  // Makes the page at `addr` resident and unblocked: loads an evicted page,
  // and finishes the eviction of a page a busy write-back left blocked
  // before loading it back. 0, kRetry or -errno.
  int settle_locked(std::uint64_t addr, Page& page);
  // EBLOCK (unless done) + ETRACK + EWB of the resident page at `addr`.
  // kBusy: threads must leave the enclave first (they were kicked; the page
  // stays blocked and the next attempt goes on from there).
  enum class Evict : std::uint8_t { kEvicted, kBusy, kNo };
  Evict evict_locked(std::uint64_t addr);
  // One ETRACK: 0, kRetry (threads of the previous cycle are inside; they
  // were kicked) or -EFAULT.
  int track_locked();
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
