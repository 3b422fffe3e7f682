// Where protected files get the enclave's sealing key: one interface,
// implemented once inside the enclave (seal_key_sgx.cc: EGETKEY through
// sgx_get_key, the SVNs from the enclave's own report) and once natively for
// tests and fuzzing (testing/fake_seal_key.cc: a key derived from an
// injected platform secret and identity), as Hafnium's arch/fake does.
#pragma once

#include <cstdint>

#include "libos/fs/format.h"

namespace nsgx::pfs {

// The parts of a KEYREQUEST (SDM Vol. 3D, "Key Request (KEYREQUEST)
// Structure") a protected file records, so that the same key is derived
// after a TCB update: the SVNs the file was made under.
struct SealIdentity {
  std::uint8_t cpu_svn[16] = {};
  std::uint16_t isv_svn = 0;
  std::uint16_t config_svn = 0;
};

// This enclave's SVNs now (for a new file). False if unavailable.
[[nodiscard]] bool current_seal_identity(SealIdentity* out);
// EGETKEY(SEAL) with KEYPOLICY.MRENCLAVE (mrenclave true) or .MRSIGNER, the
// SGX SDK's default attribute and MISCSELECT masks, the recorded SVNs and
// `key_id`. False if the platform refuses (e.g. an SVN above the current one).
[[nodiscard]] bool get_seal_key(bool mrenclave, const SealIdentity& id,
                                const std::uint8_t (&key_id)[format::kKeyIdSize],
                                std::uint8_t (&out)[format::kKeySize]);

}  // namespace nsgx::pfs
