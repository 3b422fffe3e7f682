// The driver layer: the Linux SGX driver's ioctl semantics over the monitor.
//
// NestedSGX's guest kernel driver turns the OS's requests into monitor
// calls; this layer does the same with the upstream driver's validation and
// errno values (arch/x86/kernel/cpu/sgx/ioctl.c, uapi <asm/sgx.h>), so that
// programs written against /dev/sgx_enclave behave as on real hardware.
// One DriverEnclave is one open /dev/sgx_enclave file: at most one enclave.
// It chooses EPC pages (as the kernel does) from an EpcAllocator and reads
// caller memory through UserMemory, which a backend implements (a bad
// pointer is -EFAULT, never a crash).
//
//   EpcAllocator epc(monitor.page_count());
//   DriverEnclave encl(monitor, epc, user_memory);
//   sgx_enclave_create c{.src = secs_address};
//   int rc = encl.create(c);           // 0 or -errno, as ioctl() would return
//
// Lock order: DriverEnclave::mu_, then the monitor's locks, then EpcAllocator::mu_.
#pragma once

#include <asm/sgx.h>

#include <cstdint>
#include <map>
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

// Free EPC pages, shared by every enclave of one monitor.
class EpcAllocator {
 public:
  explicit EpcAllocator(std::uint32_t pages);
  std::optional<monitor::EpcIndex> take();
  void give_back(monitor::EpcIndex page);
  std::uint32_t free_count() const;

 private:
  mutable std::mutex mu_;
  std::vector<monitor::EpcIndex> free_;
};

class DriverEnclave {
 public:
  DriverEnclave(monitor::Monitor& monitor, EpcAllocator& epc, const UserMemory& user);
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
  // handles it: a page that is there is simply (re)mapped (0); an address of
  // an initialized enclave with no page gets one by EAUG — pending until the
  // enclave EACCEPTs it — (0); otherwise -EFAULT (the program gets SIGBUS),
  // or -ENOMEM when the EPC is full.
  int handle_fault(std::uint64_t addr);

  bool created() const;
  bool initialized() const;
  std::optional<monitor::EnclaveId> id() const;
  std::uint64_t base() const;
  std::uint64_t size() const;
  // SECINFO permissions a page was added with (the driver's vm_max_prot_bits
  // for mmap/mprotect checks); nullopt if no page backs `addr`.
  std::optional<std::uint64_t> page_max_perms(std::uint64_t addr) const;

 private:
  int release_all();
  // Runs `op(addr, page, epcm)` over the pages of [offset, offset+length),
  // stopping at the first error; `count` gets the bytes done, as the SGX2
  // ioctls report progress. A missing page is -EFAULT.
  template <typename Op>
  int for_each_page(std::uint64_t offset, std::uint64_t length, __u64& count, Op op);
  // -EFAULT with the SGX status in `result` if an EMODPR/EMODT failed, else ETRACK.
  int modify_and_track(const monitor::LeafResult& r, __u64& result);
  std::optional<monitor::EpcIndex> page_at(std::uint64_t addr) const;

  monitor::Monitor& monitor_;
  EpcAllocator& epc_;
  const UserMemory& user_;
  mutable std::mutex mu_;
  std::optional<monitor::EpcIndex> secs_;
  bool initialized_ = false;
  std::uint64_t base_ = 0, size_ = 0;
  std::uint64_t attributes_ = 0;
  // The attributes the caller may ask for (PROVISIONKEY only after PROVISION).
  std::uint64_t attributes_mask_ = 0;
  struct Page {
    monitor::EpcIndex epc;
    std::uint64_t max_perms;  // permissions at EADD/EAUG time (mmap limit)
  };
  std::map<std::uint64_t, Page> pages_;  // enclave address -> page
};

}  // namespace nsgx::driver
