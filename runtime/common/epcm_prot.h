// What enclave software may do with a page per its EPCM entry, as mmap
// protection bits: only a regular page that is not pending, modified or
// blocked is accessible (SDM 34.5 and 38.5.7; a TCS is never accessible to
// enclave code). Both backends derive their mappings from this.
#pragma once

#include <sys/mman.h>

#include <cstdint>

#include "arch/sgx/types.h"
#include "monitor/epcm.h"

namespace nsgx::runtime {

inline int prot_of(std::uint64_t perms) {
  namespace sf = sgx::secinfo_flags;
  return ((perms & sf::kR) ? PROT_READ : 0) | ((perms & sf::kW) ? PROT_WRITE : 0) | ((perms & sf::kX) ? PROT_EXEC : 0);
}

inline int epcm_prot(const monitor::EpcmEntry& e) {
  if (!e.valid || e.type != sgx::PageType::kReg || e.pending || e.modified || e.blocked) return PROT_NONE;
  return prot_of(e.perms);
}

}  // namespace nsgx::runtime
