#include "driver/driver.h"

#include <cerrno>
#include <cstring>

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

// ------------------------------------------------------------------ EPC allocator

EpcAllocator::EpcAllocator(std::uint32_t pages) {
  free_.reserve(pages);
  for (std::uint32_t i = pages; i-- > 0;) free_.push_back(EpcIndex{i});
}

std::optional<EpcIndex> EpcAllocator::take() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return std::nullopt;
  EpcIndex p = free_.back();
  free_.pop_back();
  return p;
}

void EpcAllocator::give_back(EpcIndex page) {
  std::lock_guard lock(mu_);
  free_.push_back(page);
}

std::uint32_t EpcAllocator::free_count() const {
  std::lock_guard lock(mu_);
  return static_cast<std::uint32_t>(free_.size());
}

// ------------------------------------------------------------------ enclave

DriverEnclave::DriverEnclave(monitor::Monitor& monitor, EpcAllocator& epc, const UserMemory& user)
    : monitor_(monitor), epc_(epc), user_(user), attributes_mask_(kAttrUnpriv) {}

DriverEnclave::~DriverEnclave() {
  std::lock_guard lock(mu_);
  release_all();
}

int DriverEnclave::release_all() {
  for (auto& [addr, page] : pages_) {
    if (monitor_.eremove(page.epc)) epc_.give_back(page.epc);
  }
  pages_.clear();
  if (secs_ && monitor_.eremove(*secs_)) epc_.give_back(*secs_);
  secs_.reset();
  return 0;
}

bool DriverEnclave::created() const {
  std::lock_guard lock(mu_);
  return secs_.has_value();
}
bool DriverEnclave::initialized() const {
  std::lock_guard lock(mu_);
  return initialized_;
}
std::optional<monitor::EnclaveId> DriverEnclave::id() const {
  std::lock_guard lock(mu_);
  if (!secs_) return std::nullopt;
  return monitor::EnclaveId{secs_->value};
}
std::uint64_t DriverEnclave::base() const {
  std::lock_guard lock(mu_);
  return base_;
}
std::uint64_t DriverEnclave::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

std::optional<std::uint64_t> DriverEnclave::page_max_perms(std::uint64_t addr) const {
  std::lock_guard lock(mu_);
  auto it = pages_.find(addr & ~sgx::kPageMask);
  if (it == pages_.end()) return std::nullopt;
  return it->second.max_perms;
}

std::optional<EpcIndex> DriverEnclave::page_at(std::uint64_t addr) const {
  auto it = pages_.find(addr);
  if (it == pages_.end()) return std::nullopt;
  return it->second.epc;
}

// SGX_IOC_ENCLAVE_CREATE: sgx_ioc_enclave_create() / sgx_validate_secs().
int DriverEnclave::create(const sgx_enclave_create& arg) {
  std::lock_guard lock(mu_);
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
  const auto page = epc_.take();
  if (!page) return -ENOMEM;
  sgx::Secinfo si{};
  si.flags = sf::page_type(sgx::PageType::kSecs);
  if (!monitor_.ecreate(*page, secs, si)) {
    epc_.give_back(*page);
    return -EIO;  // ECREATE faulted: the kernel reports -EIO
  }
  secs_ = *page;
  base_ = secs.base_addr;
  size_ = secs.size;
  attributes_ = attrs;
  return 0;
}

// SGX_IOC_ENCLAVE_ADD_PAGES: sgx_ioc_enclave_add_pages() / sgx_validate_secinfo().
int DriverEnclave::add_pages(sgx_enclave_add_pages& arg) {
  std::lock_guard lock(mu_);
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
  std::array<std::uint8_t, sgx::kPageSize> src;
  for (; c < arg.length; c += kPage) {
    const std::uint64_t addr = base_ + arg.offset + c;
    if (pages_.count(addr) != 0) {
      ret = -EEXIST;
      break;
    }
    if (!user_.read(arg.src + c, src)) {
      ret = -EFAULT;
      break;
    }
    const auto page = epc_.take();
    if (!page) {
      ret = -ENOMEM;
      break;
    }
    auto r = monitor_.eadd(*page, monitor::EnclaveId{secs_->value}, LinearAddr{addr}, src, si);
    for (std::uint32_t chunk = 0; r && (arg.flags & SGX_PAGE_MEASURE) && chunk < sgx::kPageSize; chunk += 256)
      r = monitor_.eextend(*page, chunk);
    if (!r) {
      // A failed EEXTEND leaves an added page the enclave can never launch
      // with; the kernel removes it, as we do.
      (void)monitor_.eremove(*page);
      epc_.give_back(*page);
      ret = -EIO;
      break;
    }
    pages_[addr] = Page{*page, perm};
  }
  arg.count = c;
  return ret;
}

// SGX_IOC_ENCLAVE_INIT: sgx_ioc_enclave_init() / sgx_encl_init().
int DriverEnclave::init(const sgx_enclave_init& arg) {
  std::lock_guard lock(mu_);
  if (!secs_ || initialized_) return -EINVAL;
  sgx::Sigstruct ss;
  if (!user_.read(arg.sigstruct, as_writable_bytes(ss))) return -EFAULT;
  // PROVISIONKEY only for openers of /dev/sgx_provision.
  if ((attributes_ & ~attributes_mask_) != 0) return -EACCES;
  const auto r = monitor_.einit(monitor::EnclaveId{secs_->value}, ss, nullptr);
  if (r.kind == LeafKind::kOk) {
    initialized_ = true;
    return 0;
  }
  // An SGX status code (bad signature, measurement, attributes...) is
  // -EPERM; a fault is -EIO.
  return r.kind == LeafKind::kStatus ? -EPERM : -EIO;
}

int DriverEnclave::handle_fault(std::uint64_t addr) {
  std::lock_guard lock(mu_);
  if (!secs_ || addr < base_ || addr - base_ >= size_) return -EFAULT;
  const std::uint64_t page_addr = addr & ~sgx::kPageMask;
  if (pages_.count(page_addr) != 0) return 0;
  if (!initialized_) return -EFAULT;  // before EINIT only ADD_PAGES adds pages
  const auto page = epc_.take();
  if (!page) return -ENOMEM;
  if (!monitor_.eaug(*page, monitor::EnclaveId{secs_->value}, LinearAddr{page_addr})) {
    epc_.give_back(*page);
    return -EFAULT;
  }
  pages_[page_addr] = Page{*page, sf::kR | sf::kW};
  return 0;
}

int DriverEnclave::provision(bool is_provision_fd) {
  if (!is_provision_fd) return -EINVAL;
  std::lock_guard lock(mu_);
  attributes_mask_ |= sgx::attr::kProvisionKey;
  return 0;
}

template <typename Op>
int DriverEnclave::for_each_page(std::uint64_t offset, std::uint64_t length, __u64& count, Op op) {
  int ret = 0;
  std::uint64_t c = 0;
  for (; c < length; c += kPage) {
    const std::uint64_t addr = base_ + offset + c;
    const auto page = page_at(addr);
    const auto entry = page ? monitor_.epcm(*page) : std::nullopt;
    if (!entry || !entry->valid) {
      ret = -EFAULT;  // no page there (never added, or removed)
      break;
    }
    if ((ret = op(addr, *page, *entry)) != 0) break;
  }
  count = c;
  return ret;
}

int DriverEnclave::modify_and_track(const monitor::LeafResult& r, __u64& result) {
  if (!r) {
    result = static_cast<__u64>(r.status);
    return -EFAULT;
  }
  // ETRACK so that the enclave can EACCEPT the change (the kernel also makes
  // the enclave's threads leave, which AEX does here).
  return monitor_.etrack(monitor::EnclaveId{secs_->value}) ? 0 : -EFAULT;
}

// SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS: sgx_ioc_enclave_restrict_permissions().
int DriverEnclave::restrict_permissions(sgx_enclave_restrict_permissions& arg) {
  std::lock_guard lock(mu_);
  if (!initialized_) return -EINVAL;
  if (!valid_range(arg.offset, arg.length, size_)) return -EINVAL;
  if ((arg.permissions & ~sf::kPermMask) != 0) return -EINVAL;
  if ((arg.permissions & sf::kW) != 0 && (arg.permissions & sf::kR) == 0) return -EINVAL;
  if (arg.result != 0 || arg.count != 0) return -EINVAL;
  sgx::Secinfo si{};
  si.flags = arg.permissions;
  return for_each_page(arg.offset, arg.length, arg.count, [&](std::uint64_t, EpcIndex page, const monitor::EpcmEntry& e) {
    if (e.type != sgx::PageType::kReg) return -EINVAL;  // only regular pages have restrictable permissions
    return modify_and_track(monitor_.emodpr(page, si), arg.result);
  });
}

// SGX_IOC_ENCLAVE_MODIFY_TYPES: sgx_ioc_enclave_modify_types().
int DriverEnclave::modify_types(sgx_enclave_modify_types& arg) {
  std::lock_guard lock(mu_);
  if (!initialized_) return -EINVAL;
  if (!valid_range(arg.offset, arg.length, size_)) return -EINVAL;
  const std::uint64_t type = arg.page_type;
  const bool to_tcs = type == static_cast<std::uint64_t>(sgx::PageType::kTcs);
  if (!to_tcs && type != static_cast<std::uint64_t>(sgx::PageType::kTrim)) return -EINVAL;
  if (arg.result != 0 || arg.count != 0) return -EINVAL;
  sgx::Secinfo si{};
  si.flags = type << sf::kPageTypeShift;
  return for_each_page(arg.offset, arg.length, arg.count, [&](std::uint64_t addr, EpcIndex page, const monitor::EpcmEntry& e) {
    // TCS only from a regular page; TRIM from a regular page or a TCS.
    if ((to_tcs && e.type != sgx::PageType::kReg) || (e.type != sgx::PageType::kReg && e.type != sgx::PageType::kTcs))
      return -EINVAL;
    const int rc = modify_and_track(monitor_.emodt(page, si), arg.result);
    if (rc == 0) pages_[addr].max_perms = 0;
    return rc;
  });
}

// SGX_IOC_ENCLAVE_REMOVE_PAGES: sgx_ioc_enclave_remove_pages().
int DriverEnclave::remove_pages(sgx_enclave_remove_pages& arg) {
  std::lock_guard lock(mu_);
  if (!initialized_) return -EINVAL;
  if (!valid_range(arg.offset, arg.length, size_)) return -EINVAL;
  if (arg.count != 0) return -EINVAL;
  return for_each_page(arg.offset, arg.length, arg.count, [&](std::uint64_t addr, EpcIndex page, const monitor::EpcmEntry& e) {
    // Only trimmed pages the enclave has EACCEPTed are removed.
    if (e.type != sgx::PageType::kTrim || e.modified) return -EPERM;
    if (!monitor_.eremove(page)) return -EBUSY;
    epc_.give_back(page);
    pages_.erase(addr);
    return 0;
  });
}

}  // namespace nsgx::driver
