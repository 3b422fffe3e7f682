// Writes a valid quote (emulated evidence, a fresh attestation key and
// emulated root in a temporary state directory) to seed quote_fuzz.
// Usage: quote_seed OUT
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "attest/quoter.h"

int main(int argc, char** argv) {
  using namespace nsgx;
  if (argc != 2) return std::fprintf(stderr, "usage: quote_seed OUT\n"), 2;
  char tmpl[] = "/tmp/nsgx-quote-seed-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  attest::QuoterOptions o;
  o.state_dir = tmpl;
  o.force_emulated = true;
  o.root_options.rsa_bits = 3072;
  o.measurement.emplace().fill(0x5a);
  auto quoter = attest::Quoter::create(o);
  if (!quoter) return std::fprintf(stderr, "%s\n", quoter.error().message().c_str()), 1;
  sgx::ReportBody body{};
  std::memset(body.mr_enclave, 0x11, 32);
  body.attributes.flags = sgx::attr::kInit | sgx::attr::kMode64Bit;
  const Bytes nonce = {1, 2, 3, 4};
  const auto binding = attest::nonce_binding(nonce);
  std::memcpy(body.report_data, binding.data(), 32);
  auto quote = quoter->quote(body, nonce);
  std::filesystem::remove_all(tmpl);
  if (!quote) return std::fprintf(stderr, "%s\n", quote.error().message().c_str()), 1;
  return write_file(argv[1], *quote) ? 0 : 1;
}
