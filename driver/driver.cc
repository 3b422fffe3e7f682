// Locks, outermost first (Hafnium's api.c and the kernel's sgx/encl.c
// write theirs the same way):
//   a backend's own locks that it takes before calling the driver (inproc:
//   Runtime::files_mu_)
//     -> EpcPool::mu_, the pool lock: the free list, the LRU, and every
//        DriverEnclave's pages_, va_pages_ and state
//       -> the monitor's locks (Monitor's Enclave::mu, then epcm_mu_).
// DriverHooks are called with the pool lock held and take nothing the
// driver's callers hold before it.
//
// What is never done under the pool lock: waiting for another party. An
// EWB or ETRACK held up by threads inside an enclave (SGX_NOT_TRACKED,
// SGX_PREV_TRK_INCMPL) kicks them (DriverHooks::kick, the kernel's IPIs) and
// reports kRetry; the ioctl or fault entry point then drops the lock while
// they leave (EpcPool::wait_unlocked) and goes on from where it was, with
// everything it knew looked up again. A caller that holds the lock itself
// (handle_fault_locked) gets -EAGAIN and retries after dropping it. A page
// whose write-back had to wait stays blocked meanwhile; whoever needs it
// next finishes the eviction and loads it back (settle_locked).
#include "driver/driver.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/secs.h"
#include "arch/sgx/sigstruct.h"

namespace nsgx::driver {

namespace {

using monitor::EpcIndex;
using monitor::LeafKind;
using monitor::LinearAddr;
namespace sf = sgx::secinfo_flags;

constexpr std::uint64_t kPage = sgx::kPageSize;
// Threads must leave an enclave first (they were kicked); retry once the
// pool lock has been dropped. Internal, but for handle_fault_locked(), whose
// caller holds the lock and so must retry itself.
constexpr int kRetry = -EAGAIN;
// How long an operation waits for kicked threads, in EpcPool::wait_unlocked
// rounds (the first ones yield, the rest sleep 50 us): over a second.
constexpr int kMaxWaits = 20000;
// Largest 64-bit enclave (CPUID.(EAX=12H,ECX=0).EDX[15:8] on common parts: 2^36).
constexpr std::uint64_t kMaxEnclaveSize64 = 1ull << 36;
// The kernel's SGX_ATTR_RESERVED_MASK: bits 3, 6 (CET, unsupported), 8, 9 and 63:11.
constexpr std::uint64_t kAttrReserved = (1ull << 3) | (1ull << 6) | (1ull << 8) | (1ull << 9) | ~((1ull << 11) - 1);
// Attributes any process may ask for (SGX_ATTR_UNPRIV_MASK); PROVISIONKEY needs SGX_IOC_ENCLAVE_PROVISION.
constexpr std::uint64_t kAttrUnpriv = sgx::attr::kDebug | sgx::attr::kMode64Bit | sgx::attr::kKss | sgx::attr::kAexNotify;

bool all_zero_bytes(const std::uint8_t* p, std::size_t n) { return all_zero(ByteSpan(p, n)); }

// sgx_validate_offset_length(): page-aligned, non-empty, no wrap, inside the enclave.
bool valid_range(std::uint64_t offset, std::uint64_t length, std::uint64_t size) {
  if ((offset & sgx::kPageMask) != 0) return false;
  if (length == 0 || (length & sgx::kPageMask) != 0) return false;
  if (offset + length < offset) return false;
  return offset + length - kPage < size;
}

}  // namespace

// ------------------------------------------------------------------ EPC pool

EpcPool::EpcPool(monitor::Monitor& monitor, DriverHooks* hooks, bool overcommit)
    : monitor_(monitor), hooks_(hooks), overcommit_(overcommit), total_(monitor.page_count()) {
  free_.reserve(total_);
  for (std::uint32_t i = total_; i-- > 0;) free_.push_back(EpcIndex{i});
}

std::uint32_t EpcPool::free_count() const {
  std::lock_guard lock(mu_);
  return static_cast<std::uint32_t>(free_.size());
}
std::uint64_t EpcPool::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}
std::uint64_t EpcPool::loads() const {
  std::lock_guard lock(mu_);
  return loads_;
}

int EpcPool::take_locked(EpcIndex& page) {
  while (free_.empty()) {
    if (!overcommit_) return -ENOMEM;
    switch (evict_one_locked()) {
      case Reclaim::kEvicted: continue;
      case Reclaim::kBusy: return kRetry;
      case Reclaim::kNone: return -ENOMEM;
    }
  }
  page = free_.back();
  free_.pop_back();
  return 0;
}

bool EpcPool::wait_unlocked(std::unique_lock<std::mutex>& lock, int& waits) {
  if (++waits > kMaxWaits) return false;
  lock.unlock();
  if (waits > 100)
    usleep(50);
  else
    sched_yield();
  lock.lock();
  return true;
}

void EpcPool::give_back_locked(EpcIndex page) { free_.push_back(page); }

void EpcPool::note_resident_locked(DriverEnclave* encl, std::uint64_t addr) {
  if (overcommit_) lru_.emplace_back(encl, addr);
}

EpcPool::Reclaim EpcPool::evict_one_locked() {
  // Oldest first (sgx_reclaim_pages() ages pages; load order is our age).
  // A candidate that cannot be written back now goes to the back; one full
  // pass without success means nothing is evictable, or that threads must
  // leave an enclave first. Once an enclave's candidate has to wait, its
  // other pages are left alone in this pass: blocking them all would only
  // make its threads fault on them.
  std::unordered_set<const DriverEnclave*> busy;
  for (std::size_t tries = lru_.size(); tries > 0 && !lru_.empty(); --tries) {
    auto [encl, addr] = lru_.front();
    lru_.pop_front();
    if (!live_.contains(encl)) continue;
    auto it = encl->pages_.find(addr);
    if (it == encl->pages_.end() || !it->second.epc) continue;  // removed or already evicted
    if (!busy.contains(encl)) {
      const auto r = encl->evict_locked(addr);
      if (r == DriverEnclave::Evict::kEvicted) {
        ++evictions_;
        return Reclaim::kEvicted;
      }
      if (r == DriverEnclave::Evict::kBusy) busy.insert(encl);
    }
    lru_.emplace_back(encl, addr);
  }
  return busy.empty() ? Reclaim::kNone : Reclaim::kBusy;
}

// ------------------------------------------------------------------ enclave

DriverEnclave::DriverEnclave(EpcPool& pool, const UserMemory& user)
    : pool_(pool), monitor_(pool.monitor_), user_(user), attributes_mask_(kAttrUnpriv) {
  std::lock_guard lock(pool_.mu_);
  pool_.live_.insert(this);
}

DriverEnclave::~DriverEnclave() {
  std::lock_guard lock(pool_.mu_);
  release_all();
  pool_.live_.erase(this);
}

void DriverEnclave::set_budget(PageBudget* budget) {
  std::lock_guard lock(pool_.mu_);
  budget_ = budget;
}

int DriverEnclave::take_page_locked(EpcIndex& page) {
  if (budget_ != nullptr && budget_->used >= budget_->limit) return -ENOMEM;
  const int rc = pool_.take_locked(page);
  if (rc == 0 && budget_ != nullptr) ++budget_->used;
  return rc;
}

void DriverEnclave::give_page_locked(EpcIndex page) {
  pool_.give_back_locked(page);
  if (budget_ != nullptr && budget_->used > 0) --budget_->used;
}

int DriverEnclave::release_all() {
  // Regular pages first: the SECS goes only once it has no children.
  for (auto& [addr, page] : pages_)
    if (page.epc && monitor_.eremove(*page.epc)) give_page_locked(*page.epc);
  pages_.clear();
  for (auto& va : va_pages_)
    if (monitor_.eremove(va.epc)) give_page_locked(va.epc);
  va_pages_.clear();
  va_reserved_ = 0;
  if (secs_ && monitor_.eremove(*secs_)) give_page_locked(*secs_);
  secs_.reset();
  return 0;
}

bool DriverEnclave::created() const {
  std::lock_guard lock(pool_.mu_);
  return secs_.has_value();
}
bool DriverEnclave::initialized() const {
  std::lock_guard lock(pool_.mu_);
  return initialized_;
}
std::optional<monitor::EnclaveId> DriverEnclave::id() const {
  std::lock_guard lock(pool_.mu_);
  if (!secs_) return std::nullopt;
  return eid();
}
std::uint64_t DriverEnclave::base() const {
  std::lock_guard lock(pool_.mu_);
  return base_;
}
std::uint64_t DriverEnclave::size() const {
  std::lock_guard lock(pool_.mu_);
  return size_;
}
std::uint64_t DriverEnclave::attributes() const {
  std::lock_guard lock(pool_.mu_);
  return attributes_;
}

DriverEnclave::PageInfo DriverEnclave::page(std::uint64_t addr) const {
  std::lock_guard lock(pool_.mu_);
  return page_locked(addr);
}

DriverEnclave::PageInfo DriverEnclave::page_locked(std::uint64_t addr) const {
  PageInfo info;
  auto it = pages_.find(addr & ~sgx::kPageMask);
  if (it == pages_.end()) return info;
  info.max_perms = it->second.max_perms;
  if (it->second.epc) {
    info.where = PageInfo::Where::kResident;
    info.epc = *it->second.epc;
  } else {
    info.where = PageInfo::Where::kEvicted;
  }
  return info;
}

void DriverEnclave::for_each_existing_locked(std::uint64_t start, std::uint64_t end,
                                             const std::function<void(std::uint64_t, const PageInfo&)>& f) const {
  for (auto it = pages_.lower_bound(start); it != pages_.end() && it->first < end; ++it) f(it->first, page_locked(it->first));
}

void DriverEnclave::changed(std::uint64_t addr) {
  if (pool_.hooks_ != nullptr) pool_.hooks_->page_changed(*this, addr);
}

int DriverEnclave::reserve_va_locked() {
  if (!pool_.overcommit_) {  // nothing is ever evicted: count the promise, keep no VA page
    ++va_reserved_;
    return 0;
  }
  if (va_reserved_ < va_pages_.size() * sgx::kVaSlotsPerPage) {
    ++va_reserved_;
    return 0;
  }
  // A VA page per 512 pages, taken when the enclave grows (as
  // sgx_encl_grow() does), so that eviction never needs a new page.
  EpcIndex page;
  if (const int rc = take_page_locked(page); rc != 0) return rc;
  if (!monitor_.epa(page)) {
    give_page_locked(page);
    return -ENOMEM;
  }
  va_pages_.push_back(VaPage{page, {}});
  ++va_reserved_;
  return 0;
}

int DriverEnclave::track_locked() {
  // ETRACK fails while threads of the previous cycle are inside; the kernel
  // IPIs them out (sgx_encl_ewb() / sgx_enclave_etrack()) and so do we, but
  // they leave on their own time: the caller waits with the lock dropped.
  auto t = monitor_.etrack(eid());
  if (t) return 0;
  if (t.kind != LeafKind::kStatus || t.status != sgx::Status::kPrevTrkIncmpl) return -EFAULT;
  if (pool_.hooks_ != nullptr) pool_.hooks_->kick(*this);
  return kRetry;
}

DriverEnclave::Evict DriverEnclave::evict_locked(std::uint64_t addr) {
  Page& page = pages_.at(addr);
  const EpcIndex epc = *page.epc;
  const auto entry = monitor_.epcm(epc);
  // Regular and trimmed pages go (a trimmed page holds EPC until
  // REMOVE_PAGES, and MODIFY_TYPES may trim more than the EPC holds); TCS
  // pages stay, so that EENTER never waits for a reload.
  if (!entry || !entry->valid || (entry->type != sgx::PageType::kReg && entry->type != sgx::PageType::kTrim))
    return Evict::kNo;
  if (!entry->blocked) {
    if (!monitor_.eblock(epc)) return Evict::kNo;
    changed(addr);  // no new mappings; the backend unmaps it
  }
  VaPage* va = nullptr;
  std::size_t slot = 0;
  for (auto& v : va_pages_) {
    if (v.used.all()) continue;
    va = &v;
    while (v.used.test(slot)) ++slot;
    break;
  }
  if (va == nullptr) return Evict::kNo;  // cannot happen: every page has a slot in reserve
  auto ev = std::make_unique<Evicted>();
  // EWB needs an ETRACK after the EBLOCK and every thread that entered
  // before it gone (SDM 38.5.5, EWB: SGX_NOT_TRACKED). A page blocked by an
  // earlier, unfinished attempt may be tracked already: try it first.
  auto r = monitor_.ewb(epc, va->epc, static_cast<std::uint32_t>(slot), ev->data);
  if (!r && r.kind == LeafKind::kStatus && r.status == sgx::Status::kNotTracked) {
    const int t = track_locked();
    if (t == kRetry) return Evict::kBusy;
    if (t != 0) return Evict::kNo;
    r = monitor_.ewb(epc, va->epc, static_cast<std::uint32_t>(slot), ev->data);
    if (!r && r.kind == LeafKind::kStatus && r.status == sgx::Status::kNotTracked) {
      // Threads from before the EBLOCK are still inside: out with them.
      if (pool_.hooks_ != nullptr) pool_.hooks_->kick(*this);
      return Evict::kBusy;
    }
  }
  if (!r) return Evict::kNo;
  va->used.set(slot);
  ev->va = va->epc;
  ev->slot = static_cast<std::uint32_t>(slot);
  page.epc.reset();
  page.evicted = std::move(ev);
  give_page_locked(epc);
  changed(addr);
  return Evict::kEvicted;
}

int DriverEnclave::load_locked(std::uint64_t addr, Page& page) {
  EpcIndex epc;
  if (const int rc = take_page_locked(epc); rc != 0) return rc;
  Evicted& ev = *page.evicted;
  auto r = monitor_.eldu(epc, eid(), ev.va, ev.slot, ev.data);
  if (!r) {
    give_page_locked(epc);
    return -EFAULT;  // a corrupted backing page: the kernel reports SIGBUS
  }
  for (auto& v : va_pages_)
    if (v.epc == ev.va) v.used.reset(ev.slot);
  page.epc = epc;
  page.evicted.reset();
  pool_.note_resident_locked(this, addr);
  ++pool_.loads_;
  changed(addr);
  return 0;
}

int DriverEnclave::settle_locked(std::uint64_t addr, Page& page) {
  if (page.epc) {
    const auto entry = monitor_.epcm(*page.epc);
    if (!entry || !entry->blocked) return 0;
    // SGX has no way back from EBLOCK but EWB and ELDU: finish the eviction
    // a busy write-back left, then load the page again.
    switch (evict_locked(addr)) {
      case Evict::kEvicted:
        ++pool_.evictions_;
        break;
      case Evict::kBusy:
        return kRetry;
      case Evict::kNo:
        return -EFAULT;
    }
  }
  return load_locked(addr, page);
}

// SGX_IOC_ENCLAVE_CREATE: sgx_ioc_enclave_create() / sgx_validate_secs().
int DriverEnclave::create(const sgx_enclave_create& arg) {
  std::unique_lock lock(pool_.mu_);
  if (secs_) return -EINVAL;  // one enclave per file
  sgx::Secs secs;
  if (!user_.read(arg.src, as_writable_bytes(secs))) return -EFAULT;
  const auto& cfg = monitor_.config();
  const std::uint64_t attrs = secs.attributes.flags;
  const std::uint64_t xfrm = secs.attributes.xfrm;
  if (secs.size < 2 * kPage || (secs.size & (secs.size - 1)) != 0) return -EINVAL;
  if ((secs.base_addr & (secs.size - 1)) != 0) return -EINVAL;
  if ((secs.misc_select & ~cfg.supported_misc_select) != 0 || (attrs & kAttrReserved) != 0 ||
      (attrs & ~cfg.supported_attributes) != 0 || (xfrm & ~cfg.supported_xfrm) != 0)
    return -EINVAL;
  if ((attrs & sgx::attr::kMode64Bit) == 0 || secs.size > kMaxEnclaveSize64) return -EINVAL;
  if ((xfrm & sgx::xfrm::kLegacy) != sgx::xfrm::kLegacy ||
      ((xfrm >> 3) & 1) != ((xfrm >> 4) & 1))  // BNDREGS and BNDCSR together
    return -EINVAL;
  if (secs.ssa_frame_size == 0 || monitor::ssa_frame_pages_needed(xfrm, secs.misc_select) > secs.ssa_frame_size)
    return -EINVAL;
  if (!all_zero_bytes(secs.reserved1, sizeof secs.reserved1) || !all_zero_bytes(secs.reserved2, sizeof secs.reserved2) ||
      !all_zero_bytes(secs.reserved3, sizeof secs.reserved3) || !all_zero_bytes(secs.reserved4, sizeof secs.reserved4))
    return -EINVAL;
  EpcIndex page;
  for (int waits = 0;;) {
    const int rc = take_page_locked(page);
    if (rc == 0) break;
    if (rc != kRetry || !pool_.wait_unlocked(lock, waits)) return -ENOMEM;
    if (secs_) return -EINVAL;  // another thread created one meanwhile
  }
  sgx::Secinfo si{};
  si.flags = sf::page_type(sgx::PageType::kSecs);
  if (!monitor_.ecreate(page, secs, si)) {
    give_page_locked(page);
    return -EIO;  // ECREATE faulted: the kernel reports -EIO
  }
  secs_ = page;
  base_ = secs.base_addr;
  size_ = secs.size;
  attributes_ = attrs;
  return 0;
}

// SGX_IOC_ENCLAVE_ADD_PAGES: sgx_ioc_enclave_add_pages() / sgx_validate_secinfo().
int DriverEnclave::add_pages(sgx_enclave_add_pages& arg) {
  std::unique_lock lock(pool_.mu_);
  if (!secs_ || initialized_) return -EINVAL;
  if ((arg.offset & sgx::kPageMask) != 0 || (arg.src & sgx::kPageMask) != 0) return -EINVAL;
  if (arg.length == 0 || (arg.length & sgx::kPageMask) != 0) return -EINVAL;
  if (arg.offset + arg.length < arg.offset || arg.offset + arg.length - kPage >= size_) return -EINVAL;
  sgx::Secinfo si;
  if (!user_.read(arg.secinfo, as_writable_bytes(si))) return -EFAULT;
  const std::uint64_t perm = si.flags & sf::kPermMask;
  const auto type = si.page_type();
  if (type != sgx::PageType::kReg && type != sgx::PageType::kTcs) return -EINVAL;
  if ((perm & sf::kW) != 0 && (perm & sf::kR) == 0) return -EINVAL;
  if (type == sgx::PageType::kTcs && perm != 0) return -EINVAL;
  if ((si.flags & (sf::kReservedMask | sf::kPending | sf::kModified | sf::kPr)) != 0 ||
      !all_zero_bytes(si.reserved, sizeof si.reserved))
    return -EINVAL;
  if ((arg.flags & ~static_cast<std::uint64_t>(SGX_PAGE_MEASURE)) != 0) return -EINVAL;

  int ret = 0;
  std::uint64_t c = 0;
  int waits = 0;
  std::array<std::uint8_t, sgx::kPageSize> src;
  while (c < arg.length) {
    const std::uint64_t addr = base_ + arg.offset + c;
    if (pages_.contains(addr)) {
      ret = -EEXIST;
      break;
    }
    if (!user_.read(arg.src + c, src)) {
      ret = -EFAULT;
      break;
    }
    EpcIndex page;
    ret = reserve_va_locked();
    if (ret == 0 && (ret = take_page_locked(page)) != 0) --va_reserved_;
    if (ret == kRetry && pool_.wait_unlocked(lock, waits)) continue;  // this page again, from the top
    if (ret != 0) {
      ret = -ENOMEM;
      break;
    }
    auto r = monitor_.eadd(page, eid(), LinearAddr{addr}, src, si);
    for (std::uint32_t chunk = 0; r && (arg.flags & SGX_PAGE_MEASURE) && chunk < sgx::kPageSize; chunk += 256)
      r = monitor_.eextend(page, chunk);
    if (!r) {
      // A failed EEXTEND leaves an added page the enclave can never launch
      // with; the kernel removes it, as we do.
      (void)monitor_.eremove(page);
      give_page_locked(page);
      --va_reserved_;
      ret = -EIO;
      break;
    }
    // TCS pages are always mappable R/W (sgx_encl_page_alloc()): their
    // SECINFO permissions are zero but the CPU accesses them.
    pages_[addr] = Page{page, type == sgx::PageType::kTcs ? (sf::kR | sf::kW) : perm, nullptr};
    if (type == sgx::PageType::kReg) pool_.note_resident_locked(this, addr);
    changed(addr);
    c += kPage;
  }
  arg.count = c;
  return ret;
}

// SGX_IOC_ENCLAVE_INIT: sgx_ioc_enclave_init() / sgx_encl_init().
int DriverEnclave::init(const sgx_enclave_init& arg) {
  std::lock_guard lock(pool_.mu_);
  if (!secs_ || initialized_) return -EINVAL;
  sgx::Sigstruct ss;
  if (!user_.read(arg.sigstruct, as_writable_bytes(ss))) return -EFAULT;
  // PROVISIONKEY only for openers of /dev/sgx_provision.
  if ((attributes_ & ~attributes_mask_) != 0) return -EACCES;
  const auto r = monitor_.einit(eid(), ss, nullptr);
  if (r.kind == LeafKind::kOk) {
    initialized_ = true;
    return 0;
  }
  // An SGX status code (bad signature, measurement, attributes...) is
  // -EPERM; a fault is -EIO.
  return r.kind == LeafKind::kStatus ? -EPERM : -EIO;
}

int DriverEnclave::handle_fault(std::uint64_t addr) {
  std::unique_lock lock(pool_.mu_);
  for (int waits = 0;;) {
    const int rc = handle_fault_locked(addr);
    if (rc != kRetry) return rc;
    if (!pool_.wait_unlocked(lock, waits)) return -ENOMEM;
  }
}

int DriverEnclave::handle_fault_locked(std::uint64_t addr) {
  if (!secs_ || addr < base_ || addr - base_ >= size_) return -EFAULT;
  const std::uint64_t page_addr = addr & ~sgx::kPageMask;
  if (auto it = pages_.find(page_addr); it != pages_.end()) return settle_locked(page_addr, it->second);
  if (!initialized_) return -EFAULT;  // before EINIT only ADD_PAGES adds pages
  if (const int rc = reserve_va_locked(); rc != 0) return rc;
  EpcIndex page;
  if (const int rc = take_page_locked(page); rc != 0) {
    --va_reserved_;
    return rc;
  }
  if (!monitor_.eaug(page, eid(), LinearAddr{page_addr})) {
    give_page_locked(page);
    --va_reserved_;
    return -EFAULT;
  }
  pages_[page_addr] = Page{page, sf::kR | sf::kW, nullptr};
  pool_.note_resident_locked(this, page_addr);
  changed(page_addr);
  return 0;
}

int DriverEnclave::provision(bool is_provision_fd) {
  if (!is_provision_fd) return -EINVAL;
  std::lock_guard lock(pool_.mu_);
  attributes_mask_ |= sgx::attr::kProvisionKey;
  return 0;
}

template <typename Op>
int DriverEnclave::for_each_page(std::unique_lock<std::mutex>& lock, std::uint64_t offset, std::uint64_t length,
                                 __u64& count, Op op) {
  int ret = 0;
  std::uint64_t c = 0;
  int waits = 0;
  while (c < length) {
    const std::uint64_t addr = base_ + offset + c;
    auto it = pages_.find(addr);
    if (it == pages_.end()) {
      ret = -EFAULT;  // no page there (never added, or removed)
      break;
    }
    // An evicted page is loaded first (sgx_encl_load_page()); after a wait
    // the page is looked up again, as anything may have happened to it.
    ret = settle_locked(addr, it->second);
    if (ret == kRetry && pool_.wait_unlocked(lock, waits)) continue;
    if (ret == kRetry) ret = -ENOMEM;
    if (ret != 0) break;
    const EpcIndex page = *it->second.epc;
    const auto entry = monitor_.epcm(page);
    if (!entry || !entry->valid) {
      ret = -EFAULT;
      break;
    }
    if ((ret = op(addr, page, *entry)) != 0) break;
    c += kPage;
  }
  count = c;
  return ret;
}

int DriverEnclave::modify_and_track(std::unique_lock<std::mutex>& lock, const monitor::LeafResult& r,
                                    __u64& result) {
  if (!r) {
    result = static_cast<__u64>(r.status);
    return -EFAULT;
  }
  // ETRACK so that the enclave can EACCEPT the change (the kernel also makes
  // the enclave's threads leave, which AEX does here).
  for (int waits = 0;;) {
    const int rc = track_locked();
    if (rc != kRetry) return rc;
    if (!pool_.wait_unlocked(lock, waits)) return -EFAULT;
  }
}

// SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS: sgx_ioc_enclave_restrict_permissions().
int DriverEnclave::restrict_permissions(sgx_enclave_restrict_permissions& arg) {
  std::unique_lock lock(pool_.mu_);
  if (!initialized_) return -EINVAL;
  if (!valid_range(arg.offset, arg.length, size_)) return -EINVAL;
  if ((arg.permissions & ~sf::kPermMask) != 0) return -EINVAL;
  if ((arg.permissions & sf::kW) != 0 && (arg.permissions & sf::kR) == 0) return -EINVAL;
  if (arg.result != 0 || arg.count != 0) return -EINVAL;
  sgx::Secinfo si{};
  si.flags = arg.permissions;
  return for_each_page(lock, arg.offset, arg.length, arg.count, [&](std::uint64_t addr, EpcIndex page, const monitor::EpcmEntry& e) {
    if (e.type != sgx::PageType::kReg) return -EINVAL;  // only regular pages have restrictable permissions
    const int rc = modify_and_track(lock, monitor_.emodpr(page, si), arg.result);
    changed(addr);
    return rc;
  });
}

// SGX_IOC_ENCLAVE_MODIFY_TYPES: sgx_ioc_enclave_modify_types().
int DriverEnclave::modify_types(sgx_enclave_modify_types& arg) {
  std::unique_lock lock(pool_.mu_);
  if (!initialized_) return -EINVAL;
  if (!valid_range(arg.offset, arg.length, size_)) return -EINVAL;
  const std::uint64_t type = arg.page_type;
  const bool to_tcs = type == static_cast<std::uint64_t>(sgx::PageType::kTcs);
  if (!to_tcs && type != static_cast<std::uint64_t>(sgx::PageType::kTrim)) return -EINVAL;
  if (arg.result != 0 || arg.count != 0) return -EINVAL;
  sgx::Secinfo si{};
  si.flags = type << sf::kPageTypeShift;
  return for_each_page(lock, arg.offset, arg.length, arg.count, [&](std::uint64_t addr, EpcIndex page, const monitor::EpcmEntry& e) {
    // TCS only from a regular page; TRIM from a regular page or a TCS.
    if ((to_tcs && e.type != sgx::PageType::kReg) || (e.type != sgx::PageType::kReg && e.type != sgx::PageType::kTcs))
      return -EINVAL;
    const int rc = modify_and_track(lock, monitor_.emodt(page, si), arg.result);
    // The tracking may have dropped the lock: the page is looked up again.
    if (auto it = pages_.find(addr); rc == 0 && it != pages_.end()) {
      it->second.max_perms = 0;
      // A trimmed TCS becomes evictable (a trimmed REG page already is a candidate).
      if (e.type == sgx::PageType::kTcs) pool_.note_resident_locked(this, addr);
    }
    changed(addr);
    return rc;
  });
}

// SGX_IOC_ENCLAVE_REMOVE_PAGES: sgx_ioc_enclave_remove_pages().
int DriverEnclave::remove_pages(sgx_enclave_remove_pages& arg) {
  std::unique_lock lock(pool_.mu_);
  if (!initialized_) return -EINVAL;
  if (!valid_range(arg.offset, arg.length, size_)) return -EINVAL;
  if (arg.count != 0) return -EINVAL;
  return for_each_page(lock, arg.offset, arg.length, arg.count, [&](std::uint64_t addr, EpcIndex page, const monitor::EpcmEntry& e) {
    // Only trimmed pages the enclave has EACCEPTed are removed.
    if (e.type != sgx::PageType::kTrim || e.modified) return -EPERM;
    if (!monitor_.eremove(page)) return -EBUSY;
    give_page_locked(page);
    pages_.erase(addr);
    if (va_reserved_ > 0) --va_reserved_;
    changed(addr);
    return 0;
  });
}

}  // namespace nsgx::driver
