// C bridges for an EDL enclave, with sgx_edger8r's names, marshalling
// structs, ECALL/OCALL numbering and tables (docs/sdk-abi.md), so enclaves
// and applications built with either tool interoperate:
//   <name>_t.h / <name>_t.c  — trusted: ECALL bridges sgx_<f>, g_ecall_table,
//                              g_dyn_entry_table, OCALL proxies
//   <name>_u.h / <name>_u.c  — untrusted: ECALL proxies, OCALL bridges
//                              <name>_<f>, ocall_table_<name>
#pragma once

#include <string>

#include "sdk/edger8r/edl.h"

namespace nsgx::edl {

struct Generated {
  std::string trusted_header, trusted_source, untrusted_header, untrusted_source;
};

struct CodegenOptions {
  bool use_prefix = false;  // --use-prefix: untrusted ECALL proxies named <enclave>_<f>
};

Generated generate(const Enclave& enclave, const CodegenOptions& options);

}  // namespace nsgx::edl
