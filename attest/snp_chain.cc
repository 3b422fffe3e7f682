#include "attest/snp_chain.h"

#include <cctype>

#include "attest/amd_roots.h"
#include "attest/emulation_mark.h"

namespace nsgx::attest {

std::string_view product_name(AmdProduct p) { return p == AmdProduct::kMilan ? "Milan" : "Genoa"; }

Result<AmdProduct> parse_product(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "milan") return AmdProduct::kMilan;
  if (lower == "genoa") return AmdProduct::kGenoa;
  return Error("unknown AMD product '" + std::string(name) + "' (built in: milan, genoa)");
}

Result<SnpChain> builtin_chain(AmdProduct product) {
  const std::string_view want = product_name(product);
  for (const AmdRootPem& r : amd_root_pems()) {
    if (r.product != want) continue;
    auto ark = crypto::Certificate::from_pem(r.ark_pem);
    if (!ark) return ark.error().context("built-in " + std::string(want) + " ARK");
    auto ask = crypto::Certificate::from_pem(r.ask_pem);
    if (!ask) return ask.error().context("built-in " + std::string(want) + " ASK");
    return SnpChain{std::string(want), std::move(*ark), std::move(*ask), std::string(want), true};
  }
  return Error("no built-in chain for " + std::string(want));
}

SnpChain supplied_chain(crypto::Certificate ark, crypto::Certificate ask) {
  SnpChain chain{"supplied", std::move(ark), std::move(ask), std::nullopt, false};
  if (is_marked_emulated(chain.ark)) {
    chain.name = kEmulatedChainName;
    chain.product = kEmulatedProductName;
    return chain;
  }
  for (AmdProduct p : kAmdProducts) {
    auto builtin = builtin_chain(p);
    if (builtin && builtin->ark == chain.ark) {
      chain.name = std::string(product_name(p)) + " (supplied ARK equals the built-in one)";
      chain.product = std::string(product_name(p));
    }
  }
  return chain;
}

}  // namespace nsgx::attest
