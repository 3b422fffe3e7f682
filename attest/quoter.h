// The monitor's side of quoting: its attestation key (ECDSA P-384, created
// once and kept in the state directory, 0600), the evidence that binds the
// key to the platform root, and the signing of quotes (quote.h).
//
// Evidence: in an SEV-SNP guest (/dev/sev-guest present) an SNP report
// from the firmware with REPORT_DATA = key_commitment(key), plus whichever
// of VCEK, ASK, ARK the administrator placed in <state dir>/snp-certs
// (vcek.der or vcek.pem, ...; fetched from AMD's KDS out of band). Elsewhere
// a report of the same format from the emulated platform root in
// <state dir>/snp-emulated (emulated_root.h), whose MEASUREMENT is SHA-384
// of the monitor's own binary file, with the emulated chain. The report is
// taken once, when the Quoter is made; every quote carries it.
//
//   auto quoter = attest::Quoter::create({.state_dir = dir});
//   // the caller has checked the REPORT's MAC (Monitor::verify_report)
//   auto quote = quoter->quote(report.body, nonce);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch/sgx/report.h"
#include "attest/emulated_root.h"
#include "attest/quote.h"
#include "attest/sev_guest.h"
#include "crypto/ecdsa.h"

namespace nsgx::attest {

inline constexpr char kAttestationKeyFile[] = "attestation-key.pem";
inline constexpr char kInprocAttestationKeyFile[] = "inproc-attestation-key.pem";
inline constexpr char kEmulatedRootDir[] = "snp-emulated";
inline constexpr char kSnpCertsDir[] = "snp-certs";

struct QuoterOptions {
  std::string state_dir;
  // The key's file in state_dir: each backend has its own, as each has its
  // own platform secrets (the inproc monitor shares its process with the
  // application, so its key must not be the isolated monitor's).
  std::string key_file = kAttestationKeyFile;
  // Use the emulated root even when /dev/sev-guest exists.
  bool force_emulated = false;
  std::string sev_guest_device = kSevGuestDevice;
  // The emulated root's options when it is first created.
  EmulatedRootOptions root_options;
  // Emulated evidence only: MEASUREMENT; default SHA-384 of the file this
  // code was loaded from (the nsgx-monitor executable, or the inproc library).
  std::optional<std::array<std::uint8_t, 48>> measurement;
};

class Quoter {
 public:
  static Result<Quoter> create(const QuoterOptions& options);

  EvidenceKind kind() const { return kind_; }
  const crypto::EcdsaP384PublicKey& public_key() const { return public_key_; }
  const std::array<std::uint8_t, snp::kReportSize>& snp_report() const { return snp_report_; }
  const std::vector<Bytes>& certs() const { return certs_; }
  // Every quote of this Quoter has this size, whatever its nonce.
  std::size_t quote_size() const;

  // A signed quote of `body`, which the caller has verified to be an
  // enclave's REPORT targeted at the quoting identity. With a nonce (at most
  // 64 bytes), REPORT_DATA[0..32) must be SHA-256(nonce).
  Result<Bytes> quote(const sgx::ReportBody& body, ByteSpan nonce) const;

 private:
  Quoter(crypto::EcdsaP384PrivateKey key, EvidenceKind kind, std::array<std::uint8_t, snp::kReportSize> report,
         std::vector<Bytes> certs)
      : key_(std::move(key)),
        public_key_(key_.public_key()),
        point_(public_key_.uncompressed_point()),
        kind_(kind),
        snp_report_(report),
        certs_(std::move(certs)) {}

  crypto::EcdsaP384PrivateKey key_;
  crypto::EcdsaP384PublicKey public_key_;
  Bytes point_;
  EvidenceKind kind_;
  std::array<std::uint8_t, snp::kReportSize> snp_report_;
  std::vector<Bytes> certs_;
};

// Loads <dir>/<name>, or creates it (0600, atomically).
Result<crypto::EcdsaP384PrivateKey> load_or_create_attestation_key(const std::string& dir,
                                                                   const std::string& name = kAttestationKeyFile);

// SHA-384 of the file the calling code was loaded from.
Result<std::array<std::uint8_t, 48>> self_measurement();

}  // namespace nsgx::attest
