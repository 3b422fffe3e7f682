// AMD's SEV-SNP root certificates (ARK, self-signed, and ASK, signed by the
// ARK) for each product, built into the binary as data and never fetched at
// run time: a verifier's trust anchors must not come from the network or
// from the party being verified.
//
// The definitions are generated at configure time (attest/amd_roots.cc.in)
// from ${NSGX_VECTORS_DIR}/snp/amd_{milan,genoa}_{ark,ask}.pem; the
// repository holds no copy of them, and attest/CMakeLists.txt pins the
// SHA-256 of each file, so a substituted file fails the configure.
#pragma once

#include <span>
#include <string_view>

namespace nsgx::attest {

struct AmdRootPem {
  std::string_view product;  // "Milan", "Genoa"
  std::string_view ark_pem;
  std::string_view ask_pem;
};

std::span<const AmdRootPem> amd_root_pems();

}  // namespace nsgx::attest
