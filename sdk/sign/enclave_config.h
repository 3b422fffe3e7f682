// Enclave.config.xml, as the SGX SDK's signing tool reads it: the enclave's
// heap, stack and thread counts and its SIGSTRUCT policy (ProdID, ISVSVN,
// DisableDebug, MiscSelect/MiscMask, …). Unknown elements, malformed or
// out-of-range values and features this signer cannot lay out are errors
// naming the element — never silently ignored.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "identity/sigstruct.h"

namespace nsgx::sdk {

struct EnclaveConfig {
  std::uint16_t prod_id = 0;
  std::uint16_t isv_svn = 0;
  std::uint64_t stack_max = 0x40000;   // StackMaxSize, per thread
  std::uint64_t heap_max = 0x1000000;  // HeapMaxSize
  std::uint32_t tcs_num = 1;           // TCSNum
  // UserRegionSize: ELRANGE left unadded above the threads, for the
  // enclave to EACCEPT at run time (SGX2 EAUG; the library OS's program
  // memory). Its place goes to the enclave in g_global_data.
  std::uint64_t user_region = 0;
  // UserRegionFirst (nestedsgx's element, not the SDK's): the user region at
  // RVA 0 and the image after it, so that an enclave placed at base 0 holds
  // a non-PIE program's fixed addresses (0x400000 and up) in its user
  // region — the library OS's layout for such programs (docs/libos.md).
  // The image stays linked at 0; it finds ELRANGE's base from the offset
  // the signer writes into g_global_data (sdk/common/global_data.h).
  bool user_region_first = false;
  std::uint32_t tcs_policy = 1;        // TCSPolicy: 0 bound to an untrusted thread, 1 unbound
  bool disable_debug = false;
  bool provision_key = false;
  bool enable_kss = false;
  std::uint32_t misc_select = 0;
  std::uint32_t misc_mask = 0xffffffff;
};

// Parses the XML text of an Enclave.config.xml (root <EnclaveConfiguration>).
Result<EnclaveConfig> parse_enclave_config(const std::string& xml);

// The SIGSTRUCT fields the configuration implies (the SDK signer's
// defaults: MODE64BIT, DEBUG left to the loader unless DisableDebug).
identity::SigstructFields sigstruct_fields(const EnclaveConfig& config);

}  // namespace nsgx::sdk
