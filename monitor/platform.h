// Platform: the monitor's only way to reach the outside world.
//
// The monitor core makes no system calls and keeps no global state; a
// backend (inproc, isolated, later SEV-SNP at VMPL0) implements this
// interface, and unit tests use testing/fake_platform.h. Sibling
// implementations, never `if (simulate)` branches (STYLE §5).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "arch/sgx/types.h"
#include "base/bytes.h"
#include "monitor/page_rights.h"
#include "monitor/types.h"

namespace nsgx::monitor {

// Secrets that exist once per platform. The backend creates them on first
// start and persists them (sealed data must survive restarts); in an SNP
// guest they come from the SNP derived-key service instead.
// The roots are 128-bit AES-CMAC keys, as SGX's fuse keys are.
struct PlatformSecrets {
  std::array<std::uint8_t, 16> seal_root{};    // roots SEAL, PROVISION and PROVISION_SEAL keys
  std::array<std::uint8_t, 16> report_root{};  // roots REPORT and EINITTOKEN keys
  std::array<std::uint8_t, 16> cpu_svn{};      // the platform's CPUSVN
  std::array<std::uint8_t, 16> owner_epoch{};  // SGXOWNEREPOCH: changing it invalidates sealed data
};

// Leaves on different enclaves run concurrently, so every method may be
// called from several threads at once and must be thread-safe.
class Platform {
 public:
  virtual ~Platform() = default;

  // Number of EPC pages and their backing memory. A page's memory is only
  // reached through here, so a backend may keep the EPC wherever it wants
  // (one region, a memfd per enclave).
  virtual std::uint32_t epc_page_count() const = 0;
  virtual std::span<std::uint8_t, sgx::kPageSize> epc_page(EpcIndex page) = 0;

  virtual const PlatformSecrets& secrets() const = 0;
  // Fills `out` with random bytes; the backend must not fail (abort instead).
  virtual void random(MutableByteSpan out) = 0;

  // What enclave code may do with a page: the monitor is the one authority
  // (page_rights.h decides it from the EPCM), and the backend maps the page
  // with exactly these rights, never re-deriving them. After every EPCM
  // change that can change them (EADD, EAUG, EMODPR, EMODT, EACCEPT,
  // EACCEPTCOPY, EMODPE, EBLOCK, ELDU) the monitor calls one of these for
  // the page, with the owner's lock held, so one page's calls arrive in the
  // order of its changes: page_mapped when `page` backs `addr` of `enclave`
  // with `rights` (some R/W/X, or an enterable TCS), page_unmapped when the
  // enclave may not touch it (pending, modified, blocked, trimmed) or it no
  // longer backs the address (EREMOVE, EWB). Either may repeat what the
  // backend has already. SEV-SNP: RMPADJUST of the page for the enclave's
  // VMPL (docs/monitor-interface.md).
  virtual void page_mapped(EnclaveId enclave, LinearAddr addr, EpcIndex page, PageRights rights) = 0;
  virtual void page_unmapped(EnclaveId enclave, LinearAddr addr, EpcIndex page) = 0;

  // EPCM ownership, for a backend that keeps each enclave's pages in memory
  // of its own (the isolated backend: one memfd per enclave, a page of
  // ELRANGE at its offset there). ECREATE announces the enclave; a page is
  // assigned to `addr` of `enclave` before the leaf writes its content
  // (EADD, EAUG, ELDU) and released after it is wiped, while still owned
  // (EREMOVE, EWB); the SECS's EREMOVE ends the enclave. A page that is not
  // assigned (free, SECS, VA) lives wherever the backend keeps spare pages.
  virtual void enclave_created(EnclaveId /*enclave*/, std::uint64_t /*base*/, std::uint64_t /*size*/) {}
  virtual void enclave_removed(EnclaveId /*enclave*/) {}
  virtual void page_assigned(EnclaveId /*enclave*/, LinearAddr /*addr*/, EpcIndex /*page*/) {}
  virtual void page_released(EpcIndex /*page*/) {}

  // Threads that run inside `enclave` without passing through the monitor's
  // EENTER/ERESUME: a backend that executes enclave threads in another
  // process (the isolated backend's enclave host, which enters and leaves on
  // its own for speed) reports them here from state it shares with them, so
  // that the SDM's checks that depend on threads inside (EMODT of a busy
  // TCS, EREMOVE while threads are inside) hold on every backend. Called
  // with the enclave's lock held. The default: none.
  //
  // revoke_tcs: false if a thread is inside on `tcs`; otherwise true, and
  // from now on no thread enters on it (EMODT is about to make it a TRIM
  // page: a check and a separate entry would race, a thread entering just
  // after the check would run on a TCS that is no longer one).
  virtual bool revoke_tcs(EnclaveId /*enclave*/, LinearAddr /*tcs*/) { return true; }
  virtual bool any_thread_inside(EnclaveId /*enclave*/) const { return false; }
};

}  // namespace nsgx::monitor
