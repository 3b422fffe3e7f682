// Fuzzes X.509 parsing (DER and PEM), the AMD VCEK extensions and the
// emulation marks read from it, the RSASSA-PSS parameters, and signature
// verification under the built-in Milan ASK; also the DER value decoders.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "attest/emulation_mark.h"
#include "attest/snp_chain.h"
#include "attest/vcek.h"
#include "crypto/x509.h"

namespace {
const std::optional<nsgx::crypto::RsaPublicKey>& milan_ask_key() {
  static const std::optional<nsgx::crypto::RsaPublicKey> key = [] {
    auto chain = nsgx::attest::builtin_chain(nsgx::attest::AmdProduct::kMilan);
    auto k = chain ? chain->ask.rsa_public_key() : nsgx::Result<nsgx::crypto::RsaPublicKey>(nsgx::Error("no chain"));
    return k ? std::optional<nsgx::crypto::RsaPublicKey>(std::move(*k)) : std::nullopt;
  }();
  return key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nsgx::ByteSpan in(data, size);
  (void)nsgx::crypto::der_decode_integer(in);
  (void)nsgx::crypto::der_decode_ia5string(in);
  (void)nsgx::crypto::der_decode_utf8string(in);
  auto c = nsgx::crypto::Certificate::parse(in);
  if (!c) return 0;
  (void)c->subject();
  (void)c->issuer();
  (void)c->subject_common_name();
  (void)c->signature_algorithm();
  (void)c->pss_parameters();
  (void)c->pem();
  (void)nsgx::attest::read_vcek_extensions(*c);
  (void)nsgx::attest::is_marked_emulated(*c);
  (void)c->ec_p384_public_key();
  (void)c->rsa_public_key();
  if (milan_ask_key()) (void)c->verify_signature(*milan_ask_key());
  return 0;
}
