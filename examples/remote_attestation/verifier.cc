// The verifier of the remote attestation example: a separate process that
// trusts nothing of the machine the enclave runs on but the platform root
// (AMD's, or with --allow-emulated the emulated one) and its policy. It
// sends a fresh nonce, verifies the quote it gets back (attest/quote_verify.h),
// checks that the quote names the enclave's public key, and only then sends
// its secret, encrypted to that key (ra_protocol.h).
//
//   ra_verifier --policy POLICY.json --secret TEXT --port-file FILE [--allow-emulated]
//
// Listens on 127.0.0.1 (an ephemeral port, written to FILE), serves one
// connection. Exit 0 secret delivered, 1 the quote was refused, 2 error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "attest/quote_verify.h"
#include "crypto/ecdh.h"
#include "crypto/sha.h"
#include "crypto/symmetric.h"
#include "ra_protocol.h"
#include "ra_wire.h"

using namespace nsgx;

namespace {

void reject(int fd, const std::string& why) {
  std::printf("verifier: REJECTED: %s\n", why.c_str());
  const std::string m = "REJECTED: " + why;
  ra::send_msg(fd, Bytes(m.begin(), m.end()));
}

// The box for the enclave: our public key, IV, AES-256-GCM ciphertext, tag.
Result<Bytes> seal_to(ByteSpan enclave_key, ByteSpan nonce, ByteSpan secret) {
  NSGX_ASSIGN_OR_RETURN(auto mine, crypto::EcdhP256::generate());
  NSGX_ASSIGN_OR_RETURN(auto shared, mine.derive(enclave_key));
  const std::string info = RA_KDF_INFO;
  NSGX_ASSIGN_OR_RETURN(auto key, crypto::hkdf_sha256(shared, nonce, Bytes(info.begin(), info.end()), 32));
  Bytes iv(RA_IV_SIZE);
  NSGX_RETURN_IF_ERROR(crypto::random_bytes(iv));
  Bytes ct(secret.size());
  NSGX_ASSIGN_OR_RETURN(auto tag, crypto::aes_gcm_encrypt(key, iv, {}, secret, ct));
  Bytes box = mine.public_point();
  box.insert(box.end(), iv.begin(), iv.end());
  box.insert(box.end(), ct.begin(), ct.end());
  box.insert(box.end(), tag.begin(), tag.end());
  return box;
}

}  // namespace

// A function-try-block: an exception nothing else caught (std::bad_alloc, a
// filesystem error) ends in a message and status 1, not std::terminate's abort.
int main(int argc, char** argv) try {
  CLI::App app{"ra_verifier: the remote attestation example's verifier"};
  std::string policy_path;
  std::string secret;
  std::string port_file;
  bool allow_emulated = false;
  app.add_option("--policy", policy_path, "the quote policy (JSON, docs/attestation.md)")->required();
  app.add_option("--secret", secret, "what to send the enclave once it is verified")->required();
  app.add_option("--port-file", port_file, "where to write the port this verifier listens on")->required();
  app.add_flag("--allow-emulated", allow_emulated, "accept evidence from the emulated platform root");
  CLI11_PARSE(app, argc, argv);
  if (secret.empty() || secret.size() > RA_MAX_SECRET) {
    std::fprintf(stderr, "ra_verifier: the secret must be 1..%d bytes\n", RA_MAX_SECRET);
    return 2;
  }
  auto policy_text = read_file(policy_path);
  if (!policy_text) return std::fprintf(stderr, "ra_verifier: %s\n", policy_text.error().message().c_str()), 2;
  auto policy = attest::parse_quote_policy(std::string(policy_text->begin(), policy_text->end()));
  if (!policy) return std::fprintf(stderr, "ra_verifier: %s\n", policy.error().message().c_str()), 2;

  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 1) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("ra_verifier: listen");
    return 2;
  }
  {
    std::ofstream(port_file + ".tmp") << ntohs(addr.sin_port) << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return std::perror("ra_verifier: accept"), 2;

  Bytes nonce(RA_NONCE_SIZE);
  Bytes quote_bytes;
  Bytes enclave_key;
  if (!crypto::random_bytes(nonce) || !ra::send_msg(fd, nonce) || !ra::recv_msg(fd, quote_bytes) ||
      !ra::recv_msg(fd, enclave_key)) {
    std::fprintf(stderr, "ra_verifier: the application hung up\n");
    return 2;
  }
  auto quote = attest::parse_quote(quote_bytes);
  if (!quote) {
    reject(fd, quote.error().message());
    return 1;
  }
  attest::QuoteVerifyOptions options;
  options.nonce = nonce;
  options.allow_emulated = allow_emulated;
  const attest::QuoteVerdict verdict = attest::verify_quote(*quote, *policy, options);
  std::vector<std::string> failures = verdict.failures;
  // The quote vouches for the enclave's key through REPORT_DATA[32..64).
  const auto key_digest = crypto::sha256(enclave_key);
  if (enclave_key.size() != RA_PUBLIC_KEY_SIZE ||
      !std::equal(key_digest.begin(), key_digest.end(), quote->body.report_data + 32))
    failures.push_back("the enclave's public key is not the one its REPORT_DATA[32..64) names");
  if (!failures.empty()) {
    std::string why;
    for (const auto& f : failures) why += (why.empty() ? "" : "; ") + f;
    reject(fd, why);
    return 1;
  }
  std::printf("verifier: quote verified (%s evidence, chain %s); MRENCLAVE %s\n",
              verdict.emulated ? "EMULATED" : "SEV-SNP", verdict.chain.c_str(),
              to_hex(ByteSpan(quote->body.mr_enclave, 32)).c_str());
  for (const auto& n : verdict.notes) std::printf("verifier: note: %s\n", n.c_str());
  auto box = seal_to(enclave_key, nonce, Bytes(secret.begin(), secret.end()));
  if (!box) {
    std::fprintf(stderr, "ra_verifier: %s\n", box.error().message().c_str());
    return 2;
  }
  const std::string ok = "OK";
  if (!ra::send_msg(fd, Bytes(ok.begin(), ok.end())) || !ra::send_msg(fd, *box)) return 2;
  close(fd);
  const auto digest = crypto::sha256(Bytes(secret.begin(), secret.end()));
  std::printf("verifier: sent the secret, encrypted to the enclave's key; its SHA-256: %s\n", to_hex(digest).c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ra_verifier: error: %s\n", e.what());
  return 1;
} catch (...) {
  std::fprintf(stderr, "ra_verifier: error: unexpected exception\n");
  return 1;
}
