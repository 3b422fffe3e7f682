// The EPCM: one entry per EPC page, the monitor's authoritative record of
// what each page is (SDM Vol.3D 34.5 "Enclave Page Cache Map"). Software
// state, kept apart from the architectural structures in arch/.
#pragma once

#include <cstdint>

#include "arch/sgx/types.h"
#include "monitor/types.h"

namespace nsgx::monitor {

struct EpcmEntry {
  bool valid = false;
  sgx::PageType type = sgx::PageType::kSecs;
  std::uint8_t perms = 0;  // secinfo_flags R/W/X
  bool pending = false;    // SGX2: EAUGed, awaiting EACCEPT
  bool modified = false;   // SGX2: EMODT done, awaiting EACCEPT
  bool pr = false;         // SGX2: EMODPR done, awaiting EACCEPT
  bool blocked = false;    // EBLOCK
  EnclaveId owner{};       // the SECS page of the owning enclave (SECS: itself)
  LinearAddr addr{};       // enclave linear address (not for SECS/VA)
  std::uint64_t change_epoch = 0;  // the owner's tracking epoch at EBLOCK, EMODPR or EMODT
};

}  // namespace nsgx::monitor
