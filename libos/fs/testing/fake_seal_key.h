// The native stand-in for EGETKEY (libos/fs/seal_key.h), for tests and
// fuzzing: which "enclave" runs now, on which "platform", is injected, and
// the sealing key is a CMAC over what EGETKEY's derivation covers (SDM Vol.
// 3D, EGETKEY: the platform's secret, the policy's measurement, the SVNs,
// the KEYID), so two enclaves, two platforms or two policies get different
// keys and a restart of the same enclave the same one.
#pragma once

#include <cstdint>

#include "libos/fs/seal_key.h"

namespace nsgx::pfs::testing {

struct FakeEnclave {
  std::uint8_t platform_secret[16] = {};
  std::uint8_t mrenclave[32] = {};
  std::uint8_t mrsigner[32] = {};
  SealIdentity svn;  // the enclave's current SVNs
};

// The enclave the next calls run as (a default one until set).
void set_fake_enclave(const FakeEnclave& e);
// Makes EGETKEY fail (true) or work again (false).
void fail_seal_keys(bool fail);

}  // namespace nsgx::pfs::testing
