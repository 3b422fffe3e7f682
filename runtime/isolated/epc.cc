#include "runtime/isolated/epc.h"

#include "runtime/isolated/protocol.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/symmetric.h"

namespace nsgx::isolated {

IsolatedEpc::IsolatedEpc(std::uint32_t pages, const monitor::PlatformSecrets& secrets)
    : pages_(pages),
      secrets_(secrets),
      slot_(new std::atomic<std::uint8_t*>[pages]),
      binding_(new Binding[pages]),
      rights_(pages) {
  void* m = mmap(nullptr, std::size_t{pages} * sgx::kPageSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    std::perror("nsgx-monitor: EPC scratch");
    std::abort();
  }
  scratch_ = static_cast<std::uint8_t*>(m);
  for (std::uint32_t i = 0; i < pages; ++i) slot_[i].store(scratch_ + std::size_t{i} * sgx::kPageSize);
}

IsolatedEpc::~IsolatedEpc() {
  munmap(scratch_, std::size_t{pages_} * sgx::kPageSize);
  for (auto& [id, e] : enclaves_) {
    if (e.view == nullptr) continue;
    munmap(e.view, e.size);
    close(e.fd);
  }
}

std::span<std::uint8_t, sgx::kPageSize> IsolatedEpc::epc_page(monitor::EpcIndex page) {
  return std::span<std::uint8_t, sgx::kPageSize>(slot_[page.value].load(std::memory_order_acquire), sgx::kPageSize);
}

void IsolatedEpc::random(MutableByteSpan out) {
  if (!crypto::random_bytes(out)) std::abort();
}

// ECREATE costs no descriptor and no mapping: an enclave's memfd and the
// monitor's view of it are made with its first page (page_assigned), so a
// client that creates enclaves and never adds a page pins nothing but each
// SECS's EPC page, which its quota counts.
void IsolatedEpc::enclave_created(monitor::EnclaveId enclave, std::uint64_t base, std::uint64_t size) {
  std::lock_guard lock(mu_);
  enclaves_[enclave.value] = EnclaveMemory{.base = base, .size = size};
}

bool IsolatedEpc::make_memory_locked(EnclaveMemory& e) {
  if (e.view != nullptr) return true;
  if (e.failed) return false;
  e.fd = memfd_create("nsgx-enclave", MFD_CLOEXEC);
  if (e.fd >= 0 && ftruncate(e.fd, static_cast<off_t>(e.size)) == 0) {
    void* v = mmap(nullptr, e.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, e.fd, 0);
    if (v != MAP_FAILED) e.view = static_cast<std::uint8_t*>(v);
  }
  if (e.view == nullptr) {
    // Never retried: every page of the enclave then stays in scratch
    // memory (none in a memfd the host would map), and INIT refuses to
    // start a host for it (memfd() is -1), so it can never run.
    std::perror("nsgx-monitor: enclave memory");
    if (e.fd >= 0) close(e.fd);
    e.fd = -1;
    e.failed = true;
  }
  return e.view != nullptr;
}

void IsolatedEpc::enclave_removed(monitor::EnclaveId enclave) {
  std::lock_guard lock(mu_);
  auto it = enclaves_.find(enclave.value);
  if (it == enclaves_.end()) return;
  if (it->second.view != nullptr) {
    munmap(it->second.view, it->second.size);
    close(it->second.fd);
  }
  enclaves_.erase(it);
}

void IsolatedEpc::set_thread_table(monitor::EnclaveId enclave, ThreadSlot* table, std::uint32_t slots) {
  std::lock_guard lock(mu_);
  auto it = enclaves_.find(enclave.value);
  if (it == enclaves_.end()) return;
  it->second.threads = table;
  it->second.thread_slots = table != nullptr ? slots : 0;
}

bool IsolatedEpc::revoke_tcs(monitor::EnclaveId enclave, monitor::LinearAddr tcs) {
  std::lock_guard lock(mu_);
  auto it = enclaves_.find(enclave.value);
  if (it == enclaves_.end()) return true;
  ThreadSlot* t = it->second.threads;
  const std::uint32_t n = it->second.thread_slots;
  // protocol.h, ThreadSlot: revoke first, then look.
  for (std::uint32_t i = 0; i < n; ++i) t[i].revoked_tcs.store(tcs.value, std::memory_order_seq_cst);
  bool inside = false;
  for (std::uint32_t i = 0; i < n && !inside; ++i)
    inside = t[i].inside_tcs.load(std::memory_order_seq_cst) == tcs.value;
  if (inside)
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint64_t expected = tcs.value;
      t[i].revoked_tcs.compare_exchange_strong(expected, 0, std::memory_order_seq_cst);
    }
  return !inside;
}

bool IsolatedEpc::any_thread_inside(monitor::EnclaveId enclave) const {
  std::lock_guard lock(mu_);
  auto it = enclaves_.find(enclave.value);
  if (it == enclaves_.end()) return false;
  for (std::uint32_t i = 0; i < it->second.thread_slots; ++i)
    if (it->second.threads[i].inside_tcs.load(std::memory_order_seq_cst) != 0) return true;
  return false;
}

void IsolatedEpc::page_assigned(monitor::EnclaveId enclave, monitor::LinearAddr addr, monitor::EpcIndex page) {
  std::lock_guard lock(mu_);
  auto it = enclaves_.find(enclave.value);
  if (it == enclaves_.end() || !make_memory_locked(it->second)) return;
  const std::uint64_t off = addr.value - it->second.base;
  binding_[page.value] = Binding{it->second.fd, off};
  slot_[page.value].store(it->second.view + off, std::memory_order_release);
}

void IsolatedEpc::page_released(monitor::EpcIndex page) {
  std::lock_guard lock(mu_);
  Binding& b = binding_[page.value];
  if (b.fd >= 0) {
    // Give the memory back; the page reads as zeros if it is ever mapped again.
    (void)fallocate(b.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(b.offset),
                    static_cast<off_t>(sgx::kPageSize));
    b = Binding{};
  }
  slot_[page.value].store(scratch_ + std::size_t{page.value} * sgx::kPageSize, std::memory_order_release);
}

int IsolatedEpc::memfd(monitor::EnclaveId enclave) const {
  std::lock_guard lock(mu_);
  auto it = enclaves_.find(enclave.value);
  return it == enclaves_.end() || it->second.view == nullptr ? -1 : it->second.fd;
}

}  // namespace nsgx::isolated
