// The inproc backend: the monitor core inside the application process, the
// driver layer behind a /dev/sgx_enclave look-alike, enclave pages mapped
// natively at their linear addresses, and ENCLU emulated from the traps it
// raises (BRIEF §2, the `inproc` column).
//
// One Runtime per process (a fresh one in a forked child, as the real
// driver gives a child no access to its parent's enclaves). The preload
// library (preload.cc) forwards the program's open/ioctl/mmap/mprotect/
// munmap/close on the device to it; signals reach it through the
// trampoline in entry.S.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>

#include "driver/driver.h"
#include "monitor/monitor.h"
#include "runtime/common/page_rights_table.h"
#include "runtime/common/quoting.h"
#include "runtime/inproc/thread_block.h"

namespace nsgx::inproc {

struct Config {
  std::uint32_t epc_pages = 32768;  // 128 MiB
  monitor::LaunchPolicy launch;
  std::string state_dir;
};
// NSGX_EPC_SIZE (bytes, K/M/G suffix), NSGX_LAUNCH_SIGNERS (comma-separated
// MRSIGNER hex), NSGX_LAUNCH_NO_DEBUG=1, NSGX_STATE_DIR.
Config config_from_env();

// The EPC: one memfd, mapped once for the monitor; enclave pages are mapped
// from it again at their linear addresses.
class EpcMemory final : public monitor::Platform {
 public:
  EpcMemory(std::uint32_t pages, const monitor::PlatformSecrets& secrets);
  ~EpcMemory() override;
  std::uint32_t epc_page_count() const override { return pages_; }
  std::span<std::uint8_t, sgx::kPageSize> epc_page(monitor::EpcIndex page) override;
  const monitor::PlatformSecrets& secrets() const override { return secrets_; }
  void random(MutableByteSpan out) override;
  // The monitor's word on what enclave code may do with a page, recorded
  // here and applied when the driver's page_changed() (or a fault) maps it.
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
  int fd() const { return fd_; }
  // In a forked child: forget the parent's EPC without touching it.
  void abandon();

 private:
  std::uint32_t pages_;
  int fd_ = -1;
  std::uint8_t* view_ = nullptr;
  monitor::PlatformSecrets secrets_;
  runtime::PageRightsTable rights_;
};

// Reads the calling program's memory; a bad address is -EFAULT, never a crash.
class SelfMemory final : public driver::UserMemory {
 public:
  bool read(std::uint64_t addr, MutableByteSpan out) const override;
  static bool write(std::uint64_t addr, ByteSpan in);
};

class Runtime;

// One open file of /dev/sgx_enclave: the driver's enclave plus the
// program's mappings of it.
class InprocEnclave final : public driver::DriverEnclave {
 public:
  InprocEnclave(Runtime& rt, driver::EpcPool& pool, const driver::UserMemory& user);
  Runtime& runtime() { return rt_; }

  // A mapping of the file: [start, end) with PROT_* bits.
  struct Vma {
    std::uint64_t end;
    int prot;
  };
  std::map<std::uint64_t, Vma> vmas;  // by start; guarded by the pool lock
  // Debug enclaves only: pages mapped MAP_PRIVATE (see sync_page_locked);
  // guarded by the pool lock. A superset: an address may stay after its
  // page went elsewhere, which costs only a re-mapping.
  std::set<std::uint64_t> private_pages;
  int fds = 0;                        // open descriptors (the file lives while fds, vmas or pins remain)
  int pins = 0;                       // ioctl/mmap calls in progress on it (guarded by files_mu_)

  // ELRANGE and monitor id, fixed by ECREATE and read on every enclave
  // entry and exit without the pool lock. Valid once created() is true.
  void set_created();
  bool has_range() const { return created_.load(std::memory_order_acquire); }
  std::uint64_t range_base() const { return base_; }
  std::uint64_t range_size() const { return size_; }
  monitor::EnclaveId eid() const { return eid_; }
  // SECS.ATTRIBUTES.DEBUG, fixed by ECREATE like the range.
  bool debug() const { return debug_; }
  bool contains(std::uint64_t addr) const { return has_range() && addr >= base_ && addr - base_ < size_; }

 private:
  Runtime& rt_;
  std::atomic<bool> created_{false};
  std::uint64_t base_ = 0, size_ = 0;
  bool debug_ = false;
  monitor::EnclaveId eid_{};
};

class Runtime final : public driver::DriverHooks {
 public:
  // The process's runtime, created on first use.
  static Runtime& get();
  // The runtime if one exists (nullptr otherwise); never creates one.
  static Runtime* peek();
  // After fork(), in the child: drop the parent's enclaves and mappings.
  static void after_fork_child();

  explicit Runtime(const Config& config);

  // ---- the device file, as the preload library forwards it ----
  // `fd` was just opened on /dev/sgx_enclave (or /dev/sgx_provision).
  void opened(int fd, bool provision);
  bool is_enclave_fd(int fd) const;
  bool is_provision_fd(int fd) const;
  void duplicated(int old_fd, int new_fd);
  void closing(int fd);
  // ioctl(2) on an enclave fd: 0 or -errno.
  int ioctl(int fd, unsigned long request, std::uint64_t arg);
  // mmap(2) of an enclave fd: the address, or -errno.
  long mmap(std::uint64_t addr, std::uint64_t len, int prot, int flags, int fd, off_t offset);
  // mprotect(2)/munmap(2) over any range: enclave mappings in it are
  // handled here; `handled` false when the range touches none.
  int mprotect(std::uint64_t addr, std::uint64_t len, int prot, bool& handled);
  void munmapped(std::uint64_t addr, std::uint64_t len);
  bool has_mappings() const { return mapping_count_.load(std::memory_order_relaxed) != 0; }

  // ---- DriverHooks ----
  void page_changed(driver::DriverEnclave& encl, std::uint64_t addr) override;
  void kick(driver::DriverEnclave& encl) override;

  // ---- execution (exceptions.cc) ----
  // The enclave whose TCS is at `tcs` (or nullptr).
  InprocEnclave* enclave_of_tcs(std::uint64_t tcs);
  monitor::Monitor& monitor() { return monitor_; }
  driver::EpcPool& pool() { return pool_; }
  EpcMemory& epc() { return epc_; }
  runtime::QuotingService& quoting() { return quoting_; }
  // Resolves a fault at `addr` of `encl` the driver can fix: 1 fixed (or to
  // be retried: resume and let it fault again), 0 not the driver's to fix
  // (report it), with `error_code` the SGX #PF code.
  int resolve_fault(InprocEnclave& encl, std::uint64_t addr, std::uint32_t native_err, std::uint32_t& error_code);
  // Copies between enclave memory at `addr` (within one page) and `buf`
  // through the monitor's view of the EPC, under the pool lock so the page
  // cannot be evicted and handed to another enclave meanwhile. False when
  // the page is not resident: the callers are threads inside the enclave
  // (ENCLU operands), and loading a page may need an eviction whose ETRACK
  // waits for exactly those threads to leave — they take the fault path
  // (AEX, ELDU, ERESUME) instead, as a #PF on an operand does on hardware.
  bool copy_from_enclave(InprocEnclave& encl, std::uint64_t addr, MutableByteSpan buf);
  bool copy_to_enclave(InprocEnclave& encl, std::uint64_t addr, ByteSpan buf);

 private:
  InprocEnclave* file_of(int fd) const;
  // The file of `fd` kept alive until unpin(), as the kernel's fget() keeps
  // a struct file for the length of a system call: a close() or munmap() on
  // another thread cannot free it under an ioctl or mmap. nullptr: no file.
  InprocEnclave* pin(int fd);
  void unpin(InprocEnclave* encl);
  void release_if_unused(InprocEnclave* encl);
  void sync_range_locked(InprocEnclave& encl, std::uint64_t start, std::uint64_t end);
  void sync_page_locked(InprocEnclave& encl, std::uint64_t addr);
  // New protections for [start, end) of a mapping, changed in place: 0 or -errno.
  int reprotect_range_locked(InprocEnclave& encl, std::uint64_t start, std::uint64_t end);
  static int vma_prot_locked(const InprocEnclave& encl, std::uint64_t addr);  // -1: not mapped
  // The resident EPC bytes at `addr` (pool lock held); null if not resident.
  std::uint8_t* epc_bytes_locked(InprocEnclave& encl, std::uint64_t addr, std::size_t len);

  Config config_;
  EpcMemory epc_;
  monitor::Monitor monitor_;
  driver::EpcPool pool_;
  runtime::QuotingService quoting_;
  SelfMemory user_;
  mutable std::shared_mutex files_mu_;
  // Files by the inode of the descriptor's memfd (dup'ed fds share one).
  std::map<ino_t, std::unique_ptr<InprocEnclave>> files_;
  std::map<int, ino_t> fds_;
  std::map<ino_t, bool> provision_files_;
  std::atomic<std::size_t> mapping_count_{0};  // files with at least one mapping
};

// Signal side (exceptions.cc).
// Installs the trampoline for the signals the runtime needs (SIGILL,
// SIGSEGV, SIGBUS, SIGFPE, SIGTRAP and the kick signal) and reserves the
// thread slots. Called once from the preload library's constructor.
void install_signal_handling();
// The sigaction(2) the program sees: its handlers are recorded and run by
// the dispatcher; the kernel always runs the trampoline.
int app_sigaction(int sig, const struct sigaction* act, struct sigaction* old);
int app_sigaltstack(const stack_t* ss, stack_t* old);
// Slots of threads currently inside `encl` (for kick()).
void kick_threads_in(const InprocEnclave& encl);
// CPUID faulting is on: emulate CPUID with an EPC of `epc_bytes`.
void set_cpuid_emulation(std::uint64_t epc_bytes);
// Forget every thread slot but the calling thread's (after fork).
void reset_threads_after_fork();

}  // namespace nsgx::inproc
