// The application of the remote attestation example: it loads the enclave,
// gets its quote from the monitor and relays the exchange with the
// verifier. It never sees the secret: that is encrypted to a key that only
// the enclave holds.
//
//   ra_app connect PORT ENCLAVE [--debug]     the exchange with ra_verifier on 127.0.0.1:PORT
//   ra_app quote ENCLAVE NONCE_HEX OUT [--debug]
//                                             just the quote, written to OUT (`nsgx quote`)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "Enclave_u.h"
#include "base/bytes.h"
#include "ra_protocol.h"
#include "ra_wire.h"
#include "sgx_dcap_ql_wrapper.h"
#include "sgx_urts.h"

namespace {

struct Loaded {
  sgx_enclave_id_t eid = 0;
  sgx_status_t status = SGX_ERROR_UNEXPECTED;
  Loaded(const char* path, bool debug) {
    sgx_launch_token_t token{};
    int updated = 0;
    status = sgx_create_enclave(path, debug ? 1 : 0, &token, &updated, &eid, nullptr);
  }
  ~Loaded() {
    if (status == SGX_SUCCESS) sgx_destroy_enclave(eid);
  }
};

// The enclave's key and the quote binding it, for `nonce`.
bool attest(sgx_enclave_id_t eid, const std::vector<std::uint8_t>& nonce, std::vector<std::uint8_t>& quote,
            std::vector<std::uint8_t>& public_key) {
  sgx_target_info_t qe{};
  std::uint32_t size = 0;
  if (quote3_error_t q = sgx_qe_get_target_info(&qe); q != SGX_QL_SUCCESS) {
    std::fprintf(stderr, "ra_app: sgx_qe_get_target_info: 0x%x\n", q);
    return false;
  }
  sgx_report_t report{};
  public_key.assign(RA_PUBLIC_KEY_SIZE, 0);
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  if (ecall_attest(eid, &st, &qe, nonce.data(), static_cast<std::uint32_t>(nonce.size()), public_key.data(), &report) !=
          SGX_SUCCESS ||
      st != SGX_SUCCESS) {
    std::fprintf(stderr, "ra_app: ecall_attest: 0x%lx\n", static_cast<unsigned long>(st));
    return false;
  }
  if (quote3_error_t q = sgx_qe_get_quote_size(&size); q != SGX_QL_SUCCESS) {
    std::fprintf(stderr, "ra_app: sgx_qe_get_quote_size: 0x%x\n", q);
    return false;
  }
  quote.assign(size, 0);
  if (quote3_error_t q = nsgx_qe_get_quote_with_nonce(&report, nonce.data(), static_cast<std::uint32_t>(nonce.size()),
                                                      size, quote.data());
      q != SGX_QL_SUCCESS) {
    std::fprintf(stderr, "ra_app: nsgx_qe_get_quote_with_nonce: 0x%x\n", q);
    return false;
  }
  return true;
}

int connect_mode(int port, const char* enclave, bool debug) {
  Loaded e(enclave, debug);
  if (e.status != SGX_SUCCESS) {
    std::fprintf(stderr, "ra_app: sgx_create_enclave: 0x%lx\n", static_cast<unsigned long>(e.status));
    return 2;
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("ra_app: connect");
    return 2;
  }
  std::vector<std::uint8_t> nonce;
  std::vector<std::uint8_t> quote;
  std::vector<std::uint8_t> public_key;
  std::vector<std::uint8_t> verdict;
  std::vector<std::uint8_t> box;
  if (!ra::recv_msg(fd, nonce) || nonce.size() != RA_NONCE_SIZE) {
    std::fprintf(stderr, "ra_app: no nonce from the verifier\n");
    return 2;
  }
  if (!attest(e.eid, nonce, quote, public_key)) return 2;
  std::printf("app: sent a %zu-byte quote and the enclave's public key\n", quote.size());
  if (!ra::send_msg(fd, quote) || !ra::send_msg(fd, public_key) || !ra::recv_msg(fd, verdict)) {
    std::fprintf(stderr, "ra_app: the verifier hung up\n");
    return 2;
  }
  const std::string text(verdict.begin(), verdict.end());
  if (text != "OK") {
    std::printf("app: the verifier refused: %s\n", text.c_str());
    return 1;
  }
  if (!ra::recv_msg(fd, box)) return 2;
  close(fd);
  std::uint8_t digest[32];
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  if (ecall_receive_secret(e.eid, &st, box.data(), static_cast<std::uint32_t>(box.size()), digest) != SGX_SUCCESS ||
      st != SGX_SUCCESS) {
    std::fprintf(stderr, "ra_app: the enclave could not open the secret: 0x%lx\n", static_cast<unsigned long>(st));
    return 1;
  }
  std::printf("app: the enclave received the secret; its SHA-256: %s\n", nsgx::to_hex({digest, 32}).c_str());
  return 0;
}

int quote_mode(const char* enclave, const char* nonce_hex, const char* out, bool debug) {
  auto nonce = nsgx::from_hex(nonce_hex);
  if (!nonce || nonce->size() != RA_NONCE_SIZE) {
    std::fprintf(stderr, "ra_app: the nonce must be %d bytes of hex\n", RA_NONCE_SIZE);
    return 2;
  }
  Loaded e(enclave, debug);
  if (e.status != SGX_SUCCESS) {
    std::fprintf(stderr, "ra_app: sgx_create_enclave: 0x%lx\n", static_cast<unsigned long>(e.status));
    return 2;
  }
  std::vector<std::uint8_t> quote;
  std::vector<std::uint8_t> public_key;
  if (!attest(e.eid, *nonce, quote, public_key)) return 2;
  std::ofstream f(out, std::ios::binary);
  f.write(reinterpret_cast<const char*>(quote.data()), static_cast<std::streamsize>(quote.size()));
  if (!f.good()) {
    std::fprintf(stderr, "ra_app: cannot write %s\n", out);
    return 2;
  }
  std::printf("quote (%zu bytes) written to %s; REPORT_DATA[32..64) = SHA-256 of the enclave key %s\n", quote.size(),
              out, nsgx::to_hex(public_key).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool debug = false;
  std::erase_if(args, [&](const std::string& a) { return a == "--debug" ? (debug = true) : false; });
  if (args.size() == 3 && args[0] == "connect") return connect_mode(std::atoi(args[1].c_str()), args[2].c_str(), debug);
  if (args.size() == 4 && args[0] == "quote")
    return quote_mode(args[1].c_str(), args[2].c_str(), args[3].c_str(), debug);
  std::fprintf(stderr,
               "usage: ra_app connect PORT ENCLAVE [--debug]\n"
               "       ra_app quote ENCLAVE NONCE_HEX OUT [--debug]\n");
  return 2;
}
