// An emulated SEV-SNP platform root, for machines without SEV-SNP (BRIEF
// §2, §5): a certificate chain shaped like AMD's — ARK (RSA, self-signed)
// -> ASK (RSA) -> VCEK (EC P-384 with hwID and TCB extensions as AMD's VCEK
// spec, pub. 57230, defines them), all signed with RSASSA-PSS / SHA-384 —
// and attestation reports in the SNP format (version 3 layout) signed with
// the emulated VCEK's key, so that one verifier and one evidence format
// serve both worlds.
//
// What it proves: only that the holder of this directory's VCEK key signed
// the report; nothing about hardware. Hence every certificate carries the
// marks of emulation_mark.h, and verifiers refuse emulated evidence unless
// told otherwise (SnpVerifyOptions::allow_emulated, `--allow-emulated`).
//
// Persistence: a directory (mode 0700) holding ark.pem, ask.pem, vcek.pem
// and vcek-key.pem, each 0600, written to a temporary directory and renamed
// into place so a reader never sees half a root. The ARK and ASK private
// keys are discarded once the chain exists: nothing can later issue a second
// VCEK under the same root.
//
//   auto root = attest::EmulatedRoot::load_or_create(state_dir + "/snp-emulated");
//   attest::EmulatedReportRequest req;  req.report_data = ...;  req.measurement = ...;
//   auto report = root->issue_report(req);           // 0x4A0 bytes, SNP format
//   auto verdict = attest::verify_snp_evidence(*attest::parse_snp_report(*report),
//                                              root->vcek(), root->chain(), {.allow_emulated = true});
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "arch/snp/attestation_report.h"
#include "arch/snp/tcb_version.h"
#include "attest/emulation_mark.h"
#include "attest/snp_chain.h"
#include "base/result.h"
#include "crypto/ecdsa.h"
#include "crypto/x509.h"

namespace nsgx::attest {

inline constexpr std::uint32_t kEmulatedReportVersion = 3;

struct EmulatedRootOptions {
  unsigned rsa_bits = 4096;  // ARK and ASK; AMD's are RSA-4096. 3072 and 4096 are accepted.
  // Reported in every report and endorsed by the VCEK (Milan/Genoa layout).
  // Zero by default: there is no hardware TCB to report.
  snp::TcbVersion tcb{};
  // Start of validity; default one day before now, to tolerate clock skew.
  std::optional<crypto::UnixTime> not_before;
};

struct EmulatedReportRequest {
  std::array<std::uint8_t, 64> report_data{};
  std::array<std::uint8_t, 48> measurement{};
  std::array<std::uint8_t, 32> host_data{};
  std::uint32_t vmpl = 0;
};

class EmulatedRoot {
 public:
  static Result<EmulatedRoot> create(const EmulatedRootOptions& options = {});
  // Refuses files that are missing, not 0600, not ours, or do not form an
  // emulated chain whose VCEK matches the key.
  static Result<EmulatedRoot> load(const std::string& dir);
  // Loads `dir` when it holds a root; otherwise creates one and saves it.
  static Result<EmulatedRoot> load_or_create(const std::string& dir, const EmulatedRootOptions& options = {});
  // Writes the root to `dir`, which must not hold one yet.
  Status save(const std::string& dir) const;
  static bool exists(const std::string& dir);

  const crypto::Certificate& ark() const { return ark_; }
  const crypto::Certificate& ask() const { return ask_; }
  const crypto::Certificate& vcek() const { return vcek_; }
  SnpChain chain() const;
  const std::array<std::uint8_t, 64>& chip_id() const { return chip_id_; }
  snp::TcbVersion tcb() const { return tcb_; }

  // A version-3 SNP report with the request's fields, CHIP_ID = the VCEK's
  // hwID, every TCB field = tcb(), POLICY = SMT allowed, no debug; signed
  // with the emulated VCEK key.
  Result<std::array<std::uint8_t, snp::kReportSize>> issue_report(const EmulatedReportRequest& request) const;

 private:
  // The checks load() and create() share: all three certificates marked
  // emulated, chaining to each other, and the key the VCEK's.
  static Result<EmulatedRoot> from_parts(crypto::Certificate ark, crypto::Certificate ask, crypto::Certificate vcek,
                                         crypto::EcdsaP384PrivateKey vcek_key);
  EmulatedRoot(crypto::Certificate ark, crypto::Certificate ask, crypto::Certificate vcek,
               crypto::EcdsaP384PrivateKey vcek_key, std::array<std::uint8_t, 64> chip_id, snp::TcbVersion tcb)
      : ark_(std::move(ark)),
        ask_(std::move(ask)),
        vcek_(std::move(vcek)),
        vcek_key_(std::move(vcek_key)),
        chip_id_(chip_id),
        tcb_(tcb) {}

  crypto::Certificate ark_;
  crypto::Certificate ask_;
  crypto::Certificate vcek_;
  crypto::EcdsaP384PrivateKey vcek_key_;
  std::array<std::uint8_t, 64> chip_id_;
  snp::TcbVersion tcb_;
};

}  // namespace nsgx::attest
