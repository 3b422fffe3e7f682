#include "runtime/inproc/runtime.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/types.h"
#include "crypto/symmetric.h"
#include "runtime/common/config.h"
#include "runtime/common/platform_secrets.h"

// Lock order (outermost first), as Hafnium's api.c and the kernel's
// sgx/encl.c write theirs:
//   files_mu_ (shared or exclusive)
//     -> the pool lock (EpcPool::mutex(): every enclave's driver state and
//        the program's mappings of it, InprocEnclave::vmas)
//       -> the monitor's locks (Enclave::mu, then epcm_mu_; monitor.h).
// The rights the monitor hands over (EpcMemory::page_mapped, with
// Enclave::mu held) go into a lock-free table (page_rights_table.h) read
// under the pool lock: no lock is taken there, so no order to keep, and the
// monitor never calls back into the pool lock. ENCLU leaves (EACCEPT,
// EMODPE) run without the pool lock and apply their change with
// page_changed() under it afterwards.
// An InprocEnclave found under files_mu_ stays alive only while files_mu_ is
// held: release_if_unused() frees it under files_mu_ held exclusively.
// Nothing here waits for another party under the pool lock: the driver
// drops it while threads are kicked out of an enclave (driver.cc), and
// resolve_fault() resumes the enclave to fault again rather than wait.

namespace nsgx::inproc {

namespace {

constexpr std::uint64_t kPage = sgx::kPageSize;

// The runtime makes its own mappings with raw system calls: the program's
// mmap/munmap/mprotect are interposed and lead back here.
// Returns the address or -errno.
long sys_mmap(std::uint64_t addr, std::uint64_t len, int prot, int flags, int fd, off_t off) {
  const long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
  return r == -1 ? -errno : r;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "nsgx inproc: %s\n", what);
  std::abort();
}

using runtime::prot_of;

// Cuts [start, end) out of `vmas`, keeping the parts of overlapping
// mappings outside it; returns the removed pieces (clipped to the range).
std::map<std::uint64_t, InprocEnclave::Vma> carve(std::map<std::uint64_t, InprocEnclave::Vma>& vmas,
                                                  std::uint64_t start, std::uint64_t end) {
  std::map<std::uint64_t, InprocEnclave::Vma> keep, removed;
  auto it = vmas.upper_bound(start);
  if (it != vmas.begin()) --it;
  while (it != vmas.end() && it->first < end) {
    const std::uint64_t s = it->first, e = it->second.end;
    if (e <= start) {
      ++it;
      continue;
    }
    if (s < start) keep[s] = {start, it->second.prot};
    if (e > end) keep[end] = {e, it->second.prot};
    removed[std::max(s, start)] = {std::min(e, end), it->second.prot};
    it = vmas.erase(it);
  }
  vmas.insert(keep.begin(), keep.end());
  return removed;
}

Runtime* g_runtime = nullptr;
std::mutex g_runtime_mu;

}  // namespace

Config config_from_env() {
  auto c = runtime::config_from_env();
  if (!c) die(c.error().message().c_str());
  return Config{c->epc_pages, c->launch, c->state_dir};
}

// ------------------------------------------------------------------ EPC

EpcMemory::EpcMemory(std::uint32_t pages, const monitor::PlatformSecrets& secrets)
    : pages_(pages), secrets_(secrets), rights_(pages) {
  fd_ = static_cast<int>(syscall(SYS_memfd_create, "nsgx-epc", MFD_CLOEXEC));
  if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(std::uint64_t{pages} * kPage)) != 0) die("cannot create the EPC memfd");
  const long v = sys_mmap(0, std::uint64_t{pages} * kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd_, 0);
  if (v < 0 && v > -4096) die("cannot map the EPC");
  view_ = reinterpret_cast<std::uint8_t*>(v);
}

EpcMemory::~EpcMemory() {
  if (view_) syscall(SYS_munmap, view_, std::uint64_t{pages_} * kPage);
  if (fd_ >= 0) close(fd_);
}

void EpcMemory::abandon() {
  if (view_) syscall(SYS_munmap, view_, std::uint64_t{pages_} * kPage);
  view_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::span<std::uint8_t, sgx::kPageSize> EpcMemory::epc_page(monitor::EpcIndex page) {
  return std::span<std::uint8_t, sgx::kPageSize>(view_ + std::uint64_t{page.value} * kPage, kPage);
}

void EpcMemory::random(MutableByteSpan out) {
  if (!crypto::random_bytes(out)) die("no randomness");
}

bool SelfMemory::read(std::uint64_t addr, MutableByteSpan out) const {
  if (out.empty()) return true;
  iovec local{out.data(), out.size()};
  iovec remote{reinterpret_cast<void*>(addr), out.size()};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(out.size());
}

bool SelfMemory::write(std::uint64_t addr, ByteSpan in) {
  iovec local{const_cast<std::uint8_t*>(in.data()), in.size()};
  iovec remote{reinterpret_cast<void*>(addr), in.size()};
  return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(in.size());
}

InprocEnclave::InprocEnclave(Runtime& rt, driver::EpcPool& pool, const driver::UserMemory& user)
    : DriverEnclave(pool, user), rt_(rt) {}

void InprocEnclave::set_created() {
  base_ = base();
  size_ = size();
  eid_ = *id();
  debug_ = (attributes() & sgx::attr::kDebug) != 0;
  created_.store(true, std::memory_order_release);
}

// ------------------------------------------------------------------ runtime

Runtime& Runtime::get() {
  std::lock_guard lock(g_runtime_mu);
  if (g_runtime == nullptr) g_runtime = new Runtime(config_from_env());  // lives as long as the process
  return *g_runtime;
}

Runtime* Runtime::peek() { return __atomic_load_n(&g_runtime, __ATOMIC_ACQUIRE); }

namespace {
monitor::PlatformSecrets secrets_for(const Config& c) {
  auto s = runtime::load_or_create_secrets(c.state_dir, "inproc-platform.secrets");
  if (!s) {
    // Still usable, but sealed data will not survive this process.
    std::fprintf(stderr, "nsgx inproc: %s; using ephemeral platform secrets\n", s.error().message().c_str());
    monitor::PlatformSecrets e;
    if (!crypto::random_bytes(as_writable_bytes(e))) die("no randomness");
    return e;
  }
  return *s;
}
}  // namespace

Runtime::Runtime(const Config& config)
    : config_(config),
      epc_(config.epc_pages, secrets_for(config)),
      monitor_(epc_, monitor::MonitorConfig{.launch = config.launch}),
      pool_(monitor_, this),
      quoting_(config.state_dir, attest::kInprocAttestationKeyFile) {}

void Runtime::after_fork_child() {
  // The parent's runtime and its objects are left as they are (another
  // thread may have held their locks at fork); only the mappings that
  // would let the child touch the parent's EPC go.
  Runtime* rt = g_runtime;
  new (&g_runtime_mu) std::mutex();
  g_runtime = nullptr;
  reset_threads_after_fork();
  if (rt == nullptr) return;
  for (auto& [ino, f] : rt->files_)
    for (auto& [start, vma] : f->vmas)
      sys_mmap(start, vma.end - start, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  rt->epc_.abandon();
}

void Runtime::opened(int fd, bool provision) {
  struct stat st {};
  if (syscall(SYS_fstat, fd, &st) != 0) return;
  std::unique_lock lock(files_mu_);
  fds_[fd] = st.st_ino;
  if (provision) {
    provision_files_[st.st_ino] = true;
    return;
  }
  auto f = std::make_unique<InprocEnclave>(*this, pool_, user_);
  f->fds = 1;
  files_[st.st_ino] = std::move(f);
}

InprocEnclave* Runtime::file_of(int fd) const {
  std::shared_lock lock(files_mu_);
  auto it = fds_.find(fd);
  if (it == fds_.end()) return nullptr;
  auto f = files_.find(it->second);
  return f == files_.end() ? nullptr : f->second.get();
}

InprocEnclave* Runtime::pin(int fd) {
  std::unique_lock lock(files_mu_);
  auto it = fds_.find(fd);
  if (it == fds_.end()) return nullptr;
  auto f = files_.find(it->second);
  if (f == files_.end()) return nullptr;
  ++f->second->pins;
  return f->second.get();
}

void Runtime::unpin(InprocEnclave* encl) {
  {
    std::unique_lock lock(files_mu_);
    --encl->pins;  // pinned, so still in files_
  }
  release_if_unused(encl);
}

namespace {
// Unpins when the call on the file returns, on every path.
class PinnedFile {
 public:
  PinnedFile(Runtime& rt, InprocEnclave* f, void (Runtime::*unpin)(InprocEnclave*)) : rt_(rt), f_(f), unpin_(unpin) {}
  ~PinnedFile() {
    if (f_ != nullptr) (rt_.*unpin_)(f_);
  }
  PinnedFile(const PinnedFile&) = delete;
  PinnedFile& operator=(const PinnedFile&) = delete;

 private:
  Runtime& rt_;
  InprocEnclave* f_;
  void (Runtime::*unpin_)(InprocEnclave*);
};
}  // namespace

bool Runtime::is_enclave_fd(int fd) const { return file_of(fd) != nullptr; }

bool Runtime::is_provision_fd(int fd) const {
  std::shared_lock lock(files_mu_);
  auto it = fds_.find(fd);
  return it != fds_.end() && provision_files_.contains(it->second);
}

void Runtime::duplicated(int old_fd, int new_fd) {
  std::unique_lock lock(files_mu_);
  auto it = fds_.find(old_fd);
  if (it == fds_.end()) return;
  const ino_t ino = it->second;
  fds_[new_fd] = ino;
  if (auto f = files_.find(ino); f != files_.end()) ++f->second->fds;
}

void Runtime::closing(int fd) {
  InprocEnclave* release = nullptr;
  {
    std::unique_lock lock(files_mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return;
    const ino_t ino = it->second;
    fds_.erase(it);
    auto f = files_.find(ino);
    if (f == files_.end()) return;
    --f->second->fds;
    release = f->second.get();
  }
  release_if_unused(release);
}

void Runtime::release_if_unused(InprocEnclave* encl) {
  std::unique_ptr<InprocEnclave> dead;
  {
    std::unique_lock lock(files_mu_);
    // Found first, touched after: the last close() and the last munmap()
    // on two threads both get here, and only one may free the file.
    auto it = files_.begin();
    while (it != files_.end() && it->second.get() != encl) ++it;
    if (it == files_.end()) return;
    bool mapped;
    {
      std::lock_guard plock(pool_.mutex());
      mapped = !encl->vmas.empty();
    }
    if (encl->fds > 0 || encl->pins > 0 || mapped) return;
    dead = std::move(it->second);
    files_.erase(it);
  }
  // ~DriverEnclave releases the enclave and its EPC pages, as the last
  // reference to the file going away does.
}

InprocEnclave* Runtime::enclave_of_tcs(std::uint64_t tcs) {
  std::shared_lock lock(files_mu_);
  for (auto& [ino, f] : files_)
    if (f->contains(tcs)) return f.get();
  return nullptr;
}

// ------------------------------------------------------------------ ioctl

namespace {
template <typename T>
int with_arg(std::uint64_t arg, bool write_back, const std::function<int(T&)>& op) {
  T v{};
  SelfMemory mem;
  if (!mem.read(arg, as_writable_bytes(v))) return -EFAULT;
  const int rc = op(v);
  if (write_back && !SelfMemory::write(arg, as_bytes(v))) return -EFAULT;
  return rc;
}
}  // namespace

int Runtime::ioctl(int fd, unsigned long request, std::uint64_t arg) {
  InprocEnclave* f = pin(fd);
  if (f == nullptr) return -ENOTTY;  // /dev/sgx_provision has no ioctls
  const PinnedFile pinned(*this, f, &Runtime::unpin);
  switch (request) {
    case SGX_IOC_ENCLAVE_CREATE:
      return with_arg<sgx_enclave_create>(arg, false, [&](sgx_enclave_create& a) {
        const int rc = f->create(a);
        if (rc == 0) f->set_created();
        return rc;
      });
    case SGX_IOC_ENCLAVE_ADD_PAGES:
      return with_arg<sgx_enclave_add_pages>(arg, true, [&](sgx_enclave_add_pages& a) { return f->add_pages(a); });
    case SGX_IOC_ENCLAVE_INIT:
      return with_arg<sgx_enclave_init>(arg, false, [&](sgx_enclave_init& a) { return f->init(a); });
    case SGX_IOC_ENCLAVE_PROVISION:
      return with_arg<sgx_enclave_provision>(arg, false, [&](sgx_enclave_provision& a) {
        return f->provision(a.fd <= 0x7fffffff && is_provision_fd(static_cast<int>(a.fd)));
      });
    case SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS:
      return with_arg<sgx_enclave_restrict_permissions>(
          arg, true, [&](sgx_enclave_restrict_permissions& a) { return f->restrict_permissions(a); });
    case SGX_IOC_ENCLAVE_MODIFY_TYPES:
      return with_arg<sgx_enclave_modify_types>(arg, true,
                                                [&](sgx_enclave_modify_types& a) { return f->modify_types(a); });
    case SGX_IOC_ENCLAVE_REMOVE_PAGES:
      return with_arg<sgx_enclave_remove_pages>(arg, true,
                                                [&](sgx_enclave_remove_pages& a) { return f->remove_pages(a); });
    default:
      return -ENOTTY;
  }
}

// ------------------------------------------------------------------ mappings

int Runtime::vma_prot_locked(const InprocEnclave& encl, std::uint64_t addr) {
  auto it = encl.vmas.upper_bound(addr);
  if (it == encl.vmas.begin()) return -1;
  --it;
  return addr < it->second.end ? it->second.prot : -1;
}

void Runtime::sync_page_locked(InprocEnclave& encl, std::uint64_t addr) {
  const int vprot = vma_prot_locked(encl, addr);
  if (vprot < 0) return;  // not mapped by the program: its own mapping stays
  const auto info = encl.page_locked(addr);
  if (info.where == driver::DriverEnclave::PageInfo::Where::kResident) {
    // What the program's mapping allows and the monitor grants (page_mapped).
    const int prot = vprot & prot_of(epc_.rights(info.epc, addr));
    // A debugger's software breakpoint is a ptrace write, which the kernel
    // refuses for a shared mapping without PROT_WRITE (mm/gup.c
    // check_vma_flags(): FOLL_FORCE writes only into COW mappings), and
    // hardware breakpoints are not available in every VM. So the code
    // pages of a debug enclave (executable, not writable) are mapped
    // MAP_PRIVATE: they read the EPC until a debugger writes, and then the
    // debugger's copy executes while the EPC, which the monitor measures,
    // reads and evicts, keeps the original. On SGX only a debug enclave
    // can be written by a debugger (EDBGWR), so only those are mapped so.
    const bool priv = encl.debug() && (prot & PROT_EXEC) != 0 && (prot & PROT_WRITE) == 0;
    sys_mmap(addr, kPage, prot, (priv ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED, epc_.fd(),
             static_cast<off_t>(std::uint64_t{info.epc.value} * kPage));
    if (priv)
      encl.private_pages.insert(addr);
    else
      encl.private_pages.erase(addr);
  } else {
    // No EPC page: a touch faults and the driver decides (EAUG, ELDU, SIGBUS).
    sys_mmap(addr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    encl.private_pages.erase(addr);
  }
}

void Runtime::sync_range_locked(InprocEnclave& encl, std::uint64_t start, std::uint64_t end) {
  sys_mmap(start, end - start, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  for (std::uint64_t a = start; a < end; a += kPage) {
    const auto info = encl.page_locked(a);
    if (info.where == driver::DriverEnclave::PageInfo::Where::kResident) sync_page_locked(encl, a);
  }
}

int Runtime::reprotect_range_locked(InprocEnclave& encl, std::uint64_t start, std::uint64_t end) {
  // In place, as mprotect(2) changes the PTEs it finds: re-creating the
  // mapping (sync_range_locked) would drop the present PTEs, and a write to
  // a page the enclave had touched would then fault as not present (error
  // code 0x6) where the kernel driver gives a protection fault (0x7). The
  // range is mapped already: resident pages from the EPC (sync_page_locked
  // keeps that true for every page inside a mapping), the others anonymous.
  // Runs of equal protection are changed with one system call.
  std::uint64_t run = start;
  int run_prot = -1;
  for (std::uint64_t a = start; a <= end; a += kPage) {
    int p = -1;
    if (a < end) {
      const auto info = encl.page_locked(a);
      p = PROT_NONE;
      if (info.where == driver::DriverEnclave::PageInfo::Where::kResident) {
        p = vma_prot_locked(encl, a) & prot_of(epc_.rights(info.epc, a));
        // A private (debug code) page that becomes writable must write
        // the EPC again: mapped shared before anything can write it.
        if ((p & PROT_WRITE) != 0 && encl.private_pages.contains(a)) sync_page_locked(encl, a);
      }
    }
    if (p == run_prot) continue;
    if (run_prot >= 0 && syscall(SYS_mprotect, run, a - run, run_prot) != 0) return -errno;
    run = a;
    run_prot = p;
  }
  return 0;
}

void Runtime::page_changed(driver::DriverEnclave& encl, std::uint64_t addr) {
  sync_page_locked(static_cast<InprocEnclave&>(encl), addr);
}

void Runtime::kick(driver::DriverEnclave& encl) { kick_threads_in(static_cast<InprocEnclave&>(encl)); }

long Runtime::mmap(std::uint64_t addr, std::uint64_t len, int prot, int flags, int fd, off_t offset) {
  InprocEnclave* f = pin(fd);
  if (f == nullptr) return -EBADF;
  const PinnedFile pinned(*this, f, &Runtime::unpin);
  // sgx_get_unmapped_area(): MAP_PRIVATE is refused.
  if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) return -EINVAL;
  if (len == 0 || (addr & (kPage - 1)) != 0 || offset < 0) return -EINVAL;
  len = (len + kPage - 1) & ~(kPage - 1);
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0) return -EINVAL;
  std::uint64_t start = addr;
  if ((flags & MAP_FIXED) == 0 && (flags & MAP_FIXED_NOREPLACE) == 0) {
    // Let the kernel choose, with the hint, as get_unmapped_area() does.
    const long r = sys_mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r < 0) return r;
    start = static_cast<std::uint64_t>(r);
  } else if (flags & MAP_FIXED_NOREPLACE) {
    const long r = sys_mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (r < 0) return r;
  }
  const std::uint64_t end = start + len;
  const std::uint64_t base = f->base(), size = f->size();
  const bool initialized = f->initialized();
  std::lock_guard lock(pool_.mutex());
  // sgx_encl_may_map(): after EINIT only inside ELRANGE, and never more than
  // a page's SECINFO permissions allow.
  if (initialized && (start < base || end > base + size)) {
    if ((flags & MAP_FIXED) == 0) syscall(SYS_munmap, start, len);
    return -EACCES;
  }
  bool ok = true;
  f->for_each_existing_locked(start, end, [&](std::uint64_t, const driver::DriverEnclave::PageInfo& info) {
    if ((prot & ~prot_of(info.max_perms)) != 0) ok = false;
  });
  if (!ok) {
    if ((flags & MAP_FIXED) == 0) syscall(SYS_munmap, start, len);
    return -EACCES;
  }
  // The new mapping replaces any older ones in the range.
  // mapping_count_ counts files with mappings.
  if (f->vmas.empty()) mapping_count_.fetch_add(1);
  carve(f->vmas, start, end);
  f->vmas[start] = {end, prot};
  sync_range_locked(*f, start, end);
  return static_cast<long>(start);
}

int Runtime::mprotect(std::uint64_t addr, std::uint64_t len, int prot, bool& handled) {
  handled = false;
  const std::uint64_t end = addr + ((len + kPage - 1) & ~(kPage - 1));
  // files_mu_ is held (shared) to the end: the files found here stay alive,
  // since freeing one (release_if_unused() after a munmap or close on
  // another thread) takes it exclusively. Then the pool lock, in that order.
  std::shared_lock lock(files_mu_);
  std::lock_guard plock(pool_.mutex());
  std::vector<InprocEnclave*> touched;
  for (auto& [ino, f] : files_) {
    auto it = f->vmas.upper_bound(addr);
    if (it != f->vmas.begin()) --it;
    for (; it != f->vmas.end() && it->first < end; ++it)
      if (it->second.end > addr) {
        touched.push_back(f.get());
        break;
      }
  }
  if (touched.empty()) return 0;
  handled = true;
  // sgx_vma_mprotect(): the same permission check as mmap.
  for (InprocEnclave* f : touched) {
    bool ok = true;
    f->for_each_existing_locked(addr, end, [&](std::uint64_t a, const driver::DriverEnclave::PageInfo& info) {
      if (vma_prot_locked(*f, a) >= 0 && (prot & ~prot_of(info.max_perms)) != 0) ok = false;
    });
    if (!ok) return -EACCES;
  }
  for (InprocEnclave* f : touched)
    for (auto [s, vma] : carve(f->vmas, addr, end)) {
      f->vmas[s] = {vma.end, prot};
      if (const int rc = reprotect_range_locked(*f, s, vma.end); rc != 0) return rc;
    }
  // Parts of the range that are not enclave mappings.
  std::uint64_t cur = addr;
  while (cur < end) {
    std::uint64_t next = end;
    bool enclave = false;
    for (InprocEnclave* f : touched) {
      const int vp = vma_prot_locked(*f, cur);
      if (vp >= 0) {
        enclave = true;
        auto it = std::prev(f->vmas.upper_bound(cur));
        next = std::min(next, it->second.end);
      } else {
        auto it = f->vmas.upper_bound(cur);
        if (it != f->vmas.end()) next = std::min(next, it->first);
      }
    }
    if (!enclave && syscall(SYS_mprotect, cur, next - cur, prot) != 0) return -errno;
    cur = next;
  }
  return 0;
}

void Runtime::munmapped(std::uint64_t addr, std::uint64_t len) {
  const std::uint64_t end = addr + ((len + kPage - 1) & ~(kPage - 1));
  std::vector<InprocEnclave*> emptied;
  {
    std::shared_lock lock(files_mu_);
    std::lock_guard plock(pool_.mutex());
    for (auto& [ino, f] : files_) {
      const bool any = !carve(f->vmas, addr, end).empty();
      if (any && f->vmas.empty()) {
        emptied.push_back(f.get());
        mapping_count_.fetch_sub(1);
      }
    }
  }
  for (InprocEnclave* f : emptied) release_if_unused(f);
}

// ------------------------------------------------------------------ faults

int Runtime::resolve_fault(InprocEnclave& encl, std::uint64_t addr, std::uint32_t native_err,
                           std::uint32_t& error_code) {
  constexpr std::uint32_t kP = 1, kW = 2, kU = 4, kI = 16, kSgx = 0x8000;
  error_code = native_err & (kP | kW | kU | kI);
  std::lock_guard lock(pool_.mutex());
  const int vprot = vma_prot_locked(encl, addr);
  if (vprot < 0) return 0;  // not an enclave mapping: the program's own fault
  auto info = encl.page_locked(addr);
  const bool resident = info.where == driver::DriverEnclave::PageInfo::Where::kResident;
  // Blocked by the driver's own eviction: its state, not a right.
  const auto e = resident ? monitor_.epcm(info.epc) : std::nullopt;
  if (!resident || (e && e->valid && e->blocked)) {
    // No page yet (EAUG on a touch of an initialized enclave), evicted
    // (ELDU), or left blocked by an eviction that waits for threads to leave
    // the enclave (the driver finishes it, then ELDU): the driver fixes it
    // and the enclave resumes, unaware.
    const int rc = encl.handle_fault_locked(addr);
    // The driver must wait for kicked threads first, which it never does
    // under the pool lock: resume, and the access faults again once this
    // thread has dropped it (the kernel's VM_FAULT_NOPAGE).
    if (rc == -EAGAIN) return 1;
    if (rc != 0) return 0;  // SIGBUS territory: report the #PF
    // The mapping already follows: every change the driver makes here
    // (EAUG, ELDU) reports the page (page_changed → sync_page_locked).
    info = encl.page_locked(addr);
    const auto now =
        info.where == driver::DriverEnclave::PageInfo::Where::kResident ? monitor_.epcm(info.epc) : std::nullopt;
    // Resumed, the access would fault again at once if the page is still
    // not usable — a page just EAUGed is pending until the enclave accepts
    // it — and come back here only to be told what the checks below say
    // now: so they run now (one host #PF, AEX and ERESUME fewer per first
    // touch). A page still blocked is left to the retry, as before.
    if (!now || (now->valid && now->blocked)) return 1;
  }
  const int want = (native_err & kI) ? PROT_EXEC : (native_err & kW) ? PROT_WRITE : PROT_READ;
  if ((vprot & want) == 0) return 0;  // the PTE forbids it: a plain #PF
  if ((prot_of(epc_.rights(info.epc, addr & ~(kPage - 1))) & want) == 0) {
    // The monitor forbids it (the EPCM's permissions, a pending/modified/trimmed page):
    // #PF with the SGX bit, as an EPCM violation is reported (SDM 37.3).
    error_code = kSgx | kP | kU | (native_err & (kW | kI));
    return 0;
  }
  // Both allow it: our mapping was stale (another thread changed it).
  sync_page_locked(encl, addr & ~(kPage - 1));
  return 1;
}

std::uint8_t* Runtime::epc_bytes_locked(InprocEnclave& encl, std::uint64_t addr, std::size_t len) {
  if (len == 0 || (addr & (kPage - 1)) + len > kPage) return nullptr;
  const auto info = encl.page_locked(addr);
  if (info.where != driver::DriverEnclave::PageInfo::Where::kResident) return nullptr;
  return epc_.epc_page(info.epc).data() + (addr & (kPage - 1));
}

bool Runtime::copy_from_enclave(InprocEnclave& encl, std::uint64_t addr, MutableByteSpan buf) {
  std::lock_guard lock(pool_.mutex());
  const std::uint8_t* p = epc_bytes_locked(encl, addr, buf.size());
  if (p != nullptr) std::memcpy(buf.data(), p, buf.size());
  return p != nullptr;
}

bool Runtime::copy_to_enclave(InprocEnclave& encl, std::uint64_t addr, ByteSpan buf) {
  std::lock_guard lock(pool_.mutex());
  std::uint8_t* p = epc_bytes_locked(encl, addr, buf.size());
  if (p != nullptr) std::memcpy(p, buf.data(), buf.size());
  return p != nullptr;
}

}  // namespace nsgx::inproc
