// The untrusted runtime's loader, shared by sgx_create_enclave (urts.cc) and
// the SDK's extended creation functions (enclave_ex.cc).
#pragma once

#include <cstdint>
#include <optional>

#include "arch/sgx/secs.h"
#include "base/bytes.h"
#include "sgx_urts.h"
#include "sgx_uswitchless.h"

namespace nsgx::urts {

// What sgx_create_enclave_ex's features change in the SECS.
struct LoadOptions {
  bool kss = false;  // SGX_CREATE_ENCLAVE_EX_KSS: CONFIGID and CONFIGSVN
  std::uint8_t config_id[64] = {};
  std::uint16_t config_svn = 0;
  bool switchless = false;  // SGX_CREATE_ENCLAVE_EX_SWITCHLESS: worker threads (sdk/urts/switchless.h)
  sgx_uswitchless_config_t switchless_config{};
  // nsgx_create_enclave_at: ELRANGE at exactly this base (naturally
  // aligned to the enclave's size), or SGX_ERROR_MEMORY_MAP_CONFLICT;
  // none: the loader chooses. A library OS fork child needs its parent's
  // base, since the program's pointers are absolute (docs/libos.md
  // "Processes"), and a non-PIE program's enclave base 0. ELRANGE's bytes
  // below vm.mmap_min_addr are never mapped (base/low_memory.h).
  std::optional<std::uint64_t> base;
};

// Parses, measures, loads, initializes (EINIT and ECMD_INIT_ENCLAVE) the
// signed enclave image `file` (`name` appears in messages) on this process's
// backend. The sgx_create_enclave status codes.
sgx_status_t load_image(Bytes file, const char* name, bool debug, const LoadOptions& opts, sgx_enclave_id_t* eid,
                        sgx_misc_attribute_t* misc);

// An initialized enclave's SECS as the loader built it, with MRENCLAVE (the
// SIGSTRUCT's ENCLAVEHASH, which EINIT checked) and ATTRIBUTES.INIT.
struct EnclaveIdentity {
  sgx::Secs secs;
};
bool enclave_identity(sgx_enclave_id_t eid, EnclaveIdentity* out);

}  // namespace nsgx::urts
