// The certificate chain an SNP report is verified against: the ARK (the
// trust anchor) and the ASK it signed; the VCEK comes with the evidence.
// AMD's own chains are built in (amd_roots.h); a caller may also bring one
// (files given to `nsgx verify snp --ark --ask`, the emulated root).
//
//   auto milan = attest::builtin_chain(attest::AmdProduct::kMilan);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/x509.h"

namespace nsgx::attest {

enum class AmdProduct : std::uint8_t { kMilan, kGenoa };
inline constexpr AmdProduct kAmdProducts[] = {AmdProduct::kMilan, AmdProduct::kGenoa};

std::string_view product_name(AmdProduct p);  // "Milan"
// "milan", "Milan", "genoa", ... (case-insensitive).
Result<AmdProduct> parse_product(std::string_view name);

struct SnpChain {
  std::string name;  // "Milan", "Genoa", "emulated", "supplied"
  crypto::Certificate ark;
  crypto::Certificate ask;
  // The product family a VCEK's productName must name, when known.
  std::optional<std::string> product;
  bool builtin = false;
};

Result<SnpChain> builtin_chain(AmdProduct product);

// A chain from certificates the caller supplies. If the ARK is one of the
// built-in AMD ARKs byte for byte, the chain is named after its product; if
// it is marked emulated, it is the emulated chain.
SnpChain supplied_chain(crypto::Certificate ark, crypto::Certificate ask);

}  // namespace nsgx::attest
