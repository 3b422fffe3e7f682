#include "attest/snp_verify.h"

#include <algorithm>

#include "attest/emulation_mark.h"

namespace nsgx::attest {

namespace {

using crypto::Certificate;

std::string quoted_cn(const Certificate& c) { return "'" + c.subject_common_name() + "'"; }

// AMD signs every certificate of the chain with RSASSA-PSS, SHA-384,
// MGF1-SHA-384 and a 48-byte salt; anything else is not AMD's chain, and
// accepting other algorithms would only widen what an attacker may try.
Status check_algorithm(const Certificate& cert, const std::string& what) {
  auto pss = cert.pss_parameters();
  if (!pss)
    return Error(what + " signature algorithm is " + cert.signature_algorithm() +
                 ", expected RSASSA-PSS with SHA-384 (as AMD signs the chain)");
  if (pss->hash != "SHA384" || pss->mgf1_hash != "SHA384" || pss->salt_length != 48 || pss->trailer_field != 1)
    return Error(what + " RSASSA-PSS parameters are hash " + pss->hash + ", MGF1 " + pss->mgf1_hash + ", salt " +
                 std::to_string(pss->salt_length) + "; expected SHA-384, MGF1-SHA-384, salt 48");
  return {};
}

Status check_issued(const Certificate& cert, const std::string& what, const Certificate& issuer,
                    const std::string& issuer_what, const std::string& failure) {
  NSGX_RETURN_IF_ERROR(check_algorithm(cert, what));
  auto key = issuer.rsa_public_key();
  if (!key) return Error(issuer_what + " key is not an RSA key");
  if (!cert.verify_signature(*key)) return Error(failure);
  return {};
}

Status check_validity(const Certificate& cert, const std::string& what, crypto::UnixTime at) {
  if (at < cert.not_before())
    return Error(what + " is not yet valid: valid from " + crypto::format_utc(cert.not_before()) + " (checked at " +
                 crypto::format_utc(at) + ")");
  if (at > cert.not_after())
    return Error(what + " expired on " + crypto::format_utc(cert.not_after()) + " (checked at " +
                 crypto::format_utc(at) + ")");
  return {};
}

Status check_spl(const std::optional<std::uint8_t>& spl, const char* ext_name, const char* oid, std::uint8_t reported,
                 const char* part) {
  if (!spl) return Error(std::string("VCEK has no ") + ext_name + " extension (" + oid + ")");
  if (*spl != reported)
    return Error(std::string("VCEK ") + ext_name + " " + std::to_string(*spl) + " != report reported_tcb " + part +
                 " " + std::to_string(reported));
  return {};
}

std::string hex_prefix(ByteSpan b) { return to_hex(b.first(std::min<std::size_t>(b.size(), 8))) + "..."; }

}  // namespace

Result<SnpVerdict> verify_snp_evidence(const ParsedReport& parsed, const Certificate& vcek, const SnpChain& chain,
                                       const SnpVerifyOptions& options) {
  SnpVerdict verdict;
  verdict.chain = chain.name;
  verdict.checked_at = options.at.value_or(crypto::unix_now());
  const snp::AttestationReport& report = parsed.report;

  // 1. Emulated evidence proves nothing about hardware; it is accepted only on request.
  const std::pair<const Certificate*, const char*> certs[] = {
      {&chain.ark, "ARK"}, {&chain.ask, "ASK"}, {&vcek, "VCEK"}};
  for (const auto& [cert, what] : certs) {
    if (!is_marked_emulated(*cert)) continue;
    verdict.emulated = true;
    if (!options.allow_emulated)
      return Error(std::string("evidence is from the nestedsgx emulated platform root (the ") + what + " " +
                   quoted_cn(*cert) +
                   " is marked emulated), not from AMD hardware; refused unless emulated "
                   "evidence is explicitly allowed (--allow-emulated)");
  }

  // 2. ARK -> ASK -> VCEK, each at the time of verification.
  NSGX_RETURN_IF_ERROR(check_issued(chain.ark, "ARK", chain.ark, "ARK",
                                    "ARK " + quoted_cn(chain.ark) +
                                        " is not self-signed (its signature does not "
                                        "verify with its own key)"));
  NSGX_RETURN_IF_ERROR(check_validity(chain.ark, "ARK", verdict.checked_at));
  NSGX_RETURN_IF_ERROR(check_issued(
      chain.ask, "ASK", chain.ark, "ARK",
      "ASK not signed by ARK (wrong product chain?): ASK " + quoted_cn(chain.ask) + ", ARK " + quoted_cn(chain.ark)));
  NSGX_RETURN_IF_ERROR(check_validity(chain.ask, "ASK", verdict.checked_at));
  NSGX_RETURN_IF_ERROR(check_issued(vcek, "VCEK", chain.ask, "ASK",
                                    "VCEK not signed by ASK (wrong product chain?): VCEK issuer " + vcek.issuer() +
                                        ", tried the " + chain.name + " ASK " + quoted_cn(chain.ask)));
  NSGX_RETURN_IF_ERROR(check_validity(vcek, "VCEK", verdict.checked_at));

  // 3. What the VCEK says about itself, in AMD's extensions.
  auto ext = read_vcek_extensions(vcek);
  if (!ext) return ext.error();
  verdict.vcek = *ext;
  if (chain.product && ext->product_name && product_family(*ext->product_name) != *chain.product)
    return Error("VCEK product name '" + *ext->product_name + "' does not match the " + *chain.product + " chain");

  // 4. The key, and whether the report claims to be signed by it at all.
  auto key = vcek.ec_p384_public_key();
  if (!key) return Error("VCEK key is not an EC P-384 key");
  if (report.mask_chip_key()) return Error("report has MASK_CHIP_KEY set: the firmware did not sign it with the VCEK");
  switch (report.signing_key()) {
    case 0:
      break;
    case 1:
      return Error("report is signed with a VLEK (SIGNING_KEY = 1), not a VCEK; VLEK evidence is not supported");
    case 7:
      return Error("report is not signed (SIGNING_KEY = 7)");
    default:
      return Error("report SIGNING_KEY " + std::to_string(report.signing_key()) + " is reserved");
  }

  // 5. The VCEK belongs to the chip that produced the report. How long its
  // hwID is, and how TCB_VERSION reads, both depend on the CPU family.
  if (!parsed.tcb_layout)
    return Error("report CPUID family " + hex_u64(report.cpuid_fam_id) +
                 " has a TCB_VERSION layout this verifier does not know");
  if (!ext->hw_id) return Error(std::string("VCEK has no hwID extension (") + amd_oid::kHwId + ")");
  const ByteSpan chip_id(report.chip_id, sizeof report.chip_id);
  if (all_zero(chip_id))
    return Error("report CHIP_ID is zero (the host set MASK_CHIP_ID), so it cannot be matched to the VCEK hwID");
  // VCEK spec, family 1Ah table: Turin hwIDs are the first 8 bytes of CHIP_ID.
  const bool turin = parsed.tcb_layout == snp::TcbLayout::kTurin;
  const std::size_t id_len = turin && ext->hw_id->size() == 8 ? 8 : chip_id.size();
  if (ext->hw_id->size() != id_len)
    return Error("VCEK hwID is " + std::to_string(ext->hw_id->size()) + " bytes; expected " + std::to_string(id_len));
  if (!std::equal(ext->hw_id->begin(), ext->hw_id->end(), chip_id.begin()))
    return Error("VCEK hwID does not match report CHIP_ID (hwID " + hex_prefix(*ext->hw_id) + ", CHIP_ID " +
                 hex_prefix(chip_id) + ")");

  // 6. The VCEK was derived for the TCB the report says it was.
  const TcbParts tcb = decode_tcb(report.reported_tcb, *parsed.tcb_layout);
  if (tcb.has_fmc) NSGX_RETURN_IF_ERROR(check_spl(ext->fmc_spl, "fmcSPL", amd_oid::kFmcSpl, tcb.fmc, "fmc"));
  NSGX_RETURN_IF_ERROR(check_spl(ext->bl_spl, "blSPL", amd_oid::kBlSpl, tcb.bootloader, "bootloader"));
  NSGX_RETURN_IF_ERROR(check_spl(ext->tee_spl, "teeSPL", amd_oid::kTeeSpl, tcb.tee, "tee"));
  NSGX_RETURN_IF_ERROR(check_spl(ext->snp_spl, "snpSPL", amd_oid::kSnpSpl, tcb.snp, "snp"));
  NSGX_RETURN_IF_ERROR(check_spl(ext->ucode_spl, "ucodeSPL", amd_oid::kUcodeSpl, tcb.microcode, "microcode"));

  // 7. And the VCEK signed exactly these bytes.
  NSGX_RETURN_IF_ERROR(verify_report_signature(parsed, *key));
  return verdict;
}

Result<SnpVerdict> verify_snp_builtin(const ParsedReport& report, const Certificate& vcek,
                                      std::optional<AmdProduct> product, const SnpVerifyOptions& options) {
  if (is_marked_emulated(vcek)) {
    if (!options.allow_emulated)
      return Error("evidence is from the nestedsgx emulated platform root (the VCEK " + quoted_cn(vcek) +
                   " is marked emulated), not from AMD hardware; refused unless emulated evidence is explicitly "
                   "allowed (--allow-emulated)");
    return Error(
        "an emulated VCEK chains to its emulated ARK and ASK, not to AMD's built-in roots; give them "
        "(--ark, --ask)");
  }
  if (!product) {
    // The productName extension names the chain; without it, try each.
    auto ext = read_vcek_extensions(vcek);
    if (ext && ext->product_name) {
      auto named = parse_product(product_family(*ext->product_name));
      if (named) product = *named;
    }
  }
  if (product) {
    auto chain = builtin_chain(*product);
    if (!chain) return chain.error();
    return verify_snp_evidence(report, vcek, *chain, options);
  }
  std::string reasons;
  for (AmdProduct p : kAmdProducts) {
    auto chain = builtin_chain(p);
    if (!chain) return chain.error();
    auto verdict = verify_snp_evidence(report, vcek, *chain, options);
    if (verdict) return verdict;
    reasons +=
        std::string(reasons.empty() ? "" : "; ") + std::string(product_name(p)) + ": " + verdict.error().message();
  }
  return Error("no built-in AMD chain verifies this evidence — " + reasons);
}

}  // namespace nsgx::attest
