// What enclave code may do with an EPC page: the monitor's decision, made
// from the page's EPCM entry in one place (page_rights below) and handed to
// the backend through Platform::page_mapped/page_unmapped, which applies it
// to its mappings without looking at the EPCM itself. On SEV-SNP these are
// the arguments of RMPADJUST for the enclave's VMPL (docs/monitor-interface.md).
// Software state, kept apart from the architectural structures in arch/.
#pragma once

#include <cstdint>

#include "arch/sgx/types.h"
#include "monitor/epcm.h"

namespace nsgx::monitor {

struct PageRights {
  std::uint8_t rwx = 0;  // secinfo_flags R/W/X the enclave may use on the page
  // A TCS an enclave thread may enter on (EENTER/ERESUME): never readable,
  // writable or executable by enclave code (SDM 34.8), yet the backend that
  // enters (the isolated enclave host) must know it is one.
  bool tcs = false;

  constexpr bool none() const { return rwx == 0 && !tcs; }
  friend constexpr bool operator==(PageRights, PageRights) = default;
};

// SDM 34.5 and 38.5.7 (access control): enclave code reaches a page only if
// its EPCM entry is valid, a PT_REG, and neither PENDING (EAUG not yet
// accepted), MODIFIED (EMODT not yet accepted) nor BLOCKED; then with the
// EPCM's R/W/X (after EMODPR, already the restricted ones: PR does not stop
// access). A PT_TCS in the same states is enterable and nothing more;
// PT_SECS, PT_VA and PT_TRIM pages are never accessible.
constexpr PageRights page_rights(const EpcmEntry& e) {
  if (!e.valid || e.pending || e.modified || e.blocked) return {};
  if (e.type == sgx::PageType::kReg) return {.rwx = static_cast<std::uint8_t>(e.perms & 7u), .tcs = false};
  if (e.type == sgx::PageType::kTcs) return {.rwx = 0, .tcs = true};
  return {};
}

}  // namespace nsgx::monitor
