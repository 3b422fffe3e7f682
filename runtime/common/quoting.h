// The quoting service both backends run beside their monitor: an enclave's
// REPORT, targeted at the monitor's quoting identity, is checked by the
// monitor (Monitor::verify_report: KEYID and MAC) and then signed into a
// quote by the attestation key (attest/quoter.h). The Quoter — and with it
// the attestation key and, off SEV-SNP, the emulated root — is made on the
// first request and kept; a failure is reported and retried next time.
//
//   QuotingService q(state_dir, attest::kAttestationKeyFile);
//   std::uint32_t size;  q.quote_size(size);
//   Bytes quote;  int rc = q.quote(monitor, report_bytes, nonce, quote, &why);
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "attest/quoter.h"
#include "base/bytes.h"
#include "monitor/monitor.h"

namespace nsgx::runtime {

class QuotingService {
 public:
  // The attestation key is `state_dir`/`key_file`; the emulated root, when
  // there is no SEV-SNP guest device, `state_dir`/snp-emulated.
  QuotingService(const std::string& state_dir, const std::string& key_file) {
    options_.state_dir = state_dir;
    options_.key_file = key_file;
  }

  static sgx::TargetInfo target_info() { return monitor::Monitor::quoting_target(); }

  // 0, or -errno: -EIO when the attestation key or its evidence cannot be
  // made (`why` says why).
  int quote_size(std::uint32_t& size, std::string* why = nullptr);
  // 0; -EBADMSG for a REPORT the monitor did not make for the quoting
  // identity (wrong size, KEYID or MAC); -EINVAL for a nonce over 64 bytes
  // or a REPORT_DATA that does not bind it; -EIO as above.
  int quote(const monitor::Monitor& monitor, ByteSpan report, ByteSpan nonce, Bytes& out, std::string* why = nullptr);

 private:
  const attest::Quoter* quoter(std::string* why);

  attest::QuoterOptions options_;
  std::mutex mu_;
  std::optional<attest::Quoter> quoter_;
};

}  // namespace nsgx::runtime
