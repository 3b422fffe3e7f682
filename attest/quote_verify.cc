#include "attest/quote_verify.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "attest/emulation_mark.h"
#include "crypto/sha.h"

namespace nsgx::attest {

namespace {

using Json = nlohmann::json;

template <std::size_t N>
Result<std::array<std::uint8_t, N>> hex_array(const Json& j, const std::string& key) {
  if (!j.is_string()) return Error(key + ": expected a hex string");
  auto b = from_hex(j.get<std::string>());
  if (!b) return b.error().context(key);
  if (b->size() != N) return Error(key + ": " + std::to_string(b->size()) + " bytes, expected " + std::to_string(N));
  std::array<std::uint8_t, N> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

// A hex string or a list of them.
template <std::size_t N>
Result<std::vector<std::array<std::uint8_t, N>>> hex_list(const Json& j, const std::string& key) {
  std::vector<std::array<std::uint8_t, N>> out;
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      NSGX_ASSIGN_OR_RETURN(auto a, hex_array<N>(j[i], key + "[" + std::to_string(i) + "]"));
      out.push_back(a);
    }
  } else {
    NSGX_ASSIGN_OR_RETURN(auto a, hex_array<N>(j, key));
    out.push_back(a);
  }
  return out;
}

Result<std::uint64_t> unsigned_value(const Json& j, const std::string& key, std::uint64_t max) {
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() > max)
    return Error(key + ": expected an integer from 0 to " + std::to_string(max));
  return j.get<std::uint64_t>();
}

Result<bool> bool_value(const Json& j, const std::string& key) {
  if (!j.is_boolean()) return Error(key + ": expected true or false");
  return j.get<bool>();
}

Result<MinimumTcb> min_tcb_value(const Json& j) {
  if (!j.is_object()) return Error("min_tcb: expected an object {bootloader, tee, snp, microcode, fmc}");
  MinimumTcb t;
  for (const auto& [k, v] : j.items()) {
    std::uint8_t* field = k == "bootloader"  ? &t.bootloader
                          : k == "tee"       ? &t.tee
                          : k == "snp"       ? &t.snp
                          : k == "microcode" ? &t.microcode
                          : k == "fmc"       ? &t.fmc
                                             : nullptr;
    if (field == nullptr) return Error("min_tcb: unknown key '" + k + "'");
    NSGX_ASSIGN_OR_RETURN(auto n, unsigned_value(v, "min_tcb." + k, 255));
    *field = static_cast<std::uint8_t>(n);
  }
  return t;
}

std::string hex32(const std::uint8_t* p) { return to_hex(ByteSpan(p, 32)); }

}  // namespace

Result<QuotePolicy> parse_quote_policy(std::string_view json_text) {
  Json j = Json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return Error("policy: not valid JSON");
  if (!j.is_object()) return Error("policy: expected a JSON object");
  QuotePolicy p;
  for (const auto& [k, v] : j.items()) {
    if (k == "mrenclave") {
      NSGX_ASSIGN_OR_RETURN(p.mr_enclave, hex_list<32>(v, k));
    } else if (k == "mrsigner") {
      NSGX_ASSIGN_OR_RETURN(p.mr_signer, hex_list<32>(v, k));
    } else if (k == "isv_prod_id") {
      NSGX_ASSIGN_OR_RETURN(auto n, unsigned_value(v, k, 0xffff));
      p.isv_prod_id = static_cast<std::uint16_t>(n);
    } else if (k == "min_isv_svn") {
      NSGX_ASSIGN_OR_RETURN(auto n, unsigned_value(v, k, 0xffff));
      p.min_isv_svn = static_cast<std::uint16_t>(n);
    } else if (k == "allow_debug") {
      NSGX_ASSIGN_OR_RETURN(p.allow_debug, bool_value(v, k));
    } else if (k == "monitor_measurements") {
      NSGX_ASSIGN_OR_RETURN(p.monitor_measurements, hex_list<48>(v, k));
    } else if (k == "min_tcb") {
      NSGX_ASSIGN_OR_RETURN(p.min_tcb, min_tcb_value(v));
    } else if (k == "allow_snp_debug") {
      NSGX_ASSIGN_OR_RETURN(p.allow_snp_debug, bool_value(v, k));
    } else if (k == "allow_emulated") {
      NSGX_ASSIGN_OR_RETURN(p.allow_emulated, bool_value(v, k));
    } else if (k == "emulated_roots") {
      NSGX_ASSIGN_OR_RETURN(p.emulated_roots, hex_list<32>(v, k));
    } else {
      return Error("policy: unknown key '" + k + "'");
    }
  }
  if (p.mr_enclave.empty() && p.mr_signer.empty())
    return Error("policy: names no enclave; give \"mrenclave\" or \"mrsigner\" (or both)");
  return p;
}

QuoteVerdict verify_quote(const Quote& quote, const QuotePolicy& policy, const QuoteVerifyOptions& options) {
  QuoteVerdict v;
  auto fail = [&](std::string why) { v.failures.push_back(std::move(why)); };

  // 1. The signature, with the key the quote names; 3 then says whether
  // the platform root vouches for that key.
  auto key = crypto::EcdsaP384PublicKey::from_xy(ByteSpan(quote.public_key).subspan(1, 48),
                                                 ByteSpan(quote.public_key).subspan(49, 48));
  if (!key) {
    fail("the attestation key is not a P-384 point: " + key.error().message());
  } else if (!key->verify_sha384(quote.signed_bytes, quote.signature)) {
    fail(
        "the quote's signature does not verify with its attestation key (the quote was altered or signed by "
        "another key)");
  }

  // 2. The evidence.
  auto report = parse_snp_report(quote.snp_report);
  if (!report) {
    fail("evidence: " + report.error().message());
  } else {
    v.snp = *report;
    std::optional<crypto::Certificate> vcek = options.vcek;
    std::vector<crypto::Certificate> certs;
    for (std::size_t i = 0; i < quote.certs.size(); ++i) {
      auto c = crypto::Certificate::parse(quote.certs[i]);
      if (!c) {
        fail(std::string("evidence: the quote's ") +
             (i == 0   ? "VCEK"
              : i == 1 ? "ASK"
                       : "ARK") +
             " certificate: " + c.error().message());
        break;
      }
      certs.push_back(std::move(*c));
    }
    if (!vcek && !certs.empty()) vcek = certs[0];
    SnpVerifyOptions snp_options;
    snp_options.at = options.at;
    snp_options.allow_emulated = options.allow_emulated || policy.allow_emulated;
    if (certs.size() != quote.certs.size()) {
      // already reported
    } else if (!vcek) {
      fail("evidence: the quote carries no VCEK certificate; supply the chip's VCEK (from AMD's KDS)");
    } else {
      Result<SnpVerdict> snp = Error("not verified");
      if (is_marked_emulated(*vcek)) {
        if (certs.size() < 3 && snp_options.allow_emulated)
          snp = Error("emulated evidence without its emulated ARK and ASK");
        else if (certs.size() < 3)
          snp = verify_snp_builtin(*report, *vcek, std::nullopt, snp_options);  // names the refusal
        else
          snp = verify_snp_evidence(*report, *vcek, supplied_chain(certs[2], certs[1]), snp_options);
      } else {
        snp = verify_snp_builtin(*report, *vcek, std::nullopt, snp_options);
      }
      if (!snp) {
        fail("evidence: " + snp.error().message());
      } else {
        v.emulated = snp->emulated;
        v.chain = snp->chain;
        const bool says_emulated = quote.kind == EvidenceKind::kEmulated;
        if (says_emulated != snp->emulated)
          fail(std::string("evidence: the quote says its evidence is from the ") + evidence_kind_name(quote.kind) +
               ", but it verified under the " + snp->chain + " chain");
        if (snp->emulated && certs.size() == 3) {
          const auto ark = crypto::sha256(certs[2].der());
          v.emulated_root = ark;
          if (policy.emulated_roots.empty())
            v.notes.push_back(
                "emulated evidence from any emulated root is accepted (the policy pins no "
                "emulated_roots): anyone can make one");
          else if (std::find(policy.emulated_roots.begin(), policy.emulated_roots.end(), ark) ==
                   policy.emulated_roots.end())
            fail("evidence: the emulated root (ARK SHA-256 " + to_hex(ark) +
                 ") is not one of the policy's emulated_roots");
        }
      }
    }

    // 3. The platform root's report commits to the attestation key.
    const auto commitment = key_commitment(quote.public_key);
    if (!std::equal(commitment.begin(), commitment.end(), report->report.report_data))
      fail(
          "key binding: the SNP report's REPORT_DATA is not SHA-512(\"NSGX-ATTESTATION-KEY-v1\\0\" || key): the "
          "evidence does not vouch for the key that signed the quote");

    // 5 (the monitor's part). The SNP guest the monitor runs in.
    if (!policy.monitor_measurements.empty()) {
      const bool found =
          std::any_of(policy.monitor_measurements.begin(), policy.monitor_measurements.end(),
                      [&](const auto& m) { return std::equal(m.begin(), m.end(), report->report.measurement); });
      if (!found)
        fail("policy: monitor measurement " + to_hex(ByteSpan(report->report.measurement, 48)) +
             " is not among the accepted monitor_measurements");
    } else {
      v.notes.push_back("the monitor's measurement was not checked (the policy lists no monitor_measurements)");
    }
    if ((report->report.policy & snp::policy::kDebug) != 0 && !policy.allow_snp_debug)
      fail("policy: the SEV-SNP guest policy allows debugging (the hypervisor can read the monitor's memory)");
    if (policy.min_tcb) {
      // The emulated root reports no CPU; its TCB uses the Milan/Genoa layout.
      std::optional<snp::TcbLayout> layout = report->tcb_layout;
      if (!layout && v.emulated) layout = snp::TcbLayout::kMilanGenoa;
      if (!layout) {
        fail("policy: min_tcb cannot be checked: the report's CPU family is unknown");
      } else {
        const TcbParts t = decode_tcb(report->report.reported_tcb, *layout);
        const MinimumTcb& m = *policy.min_tcb;
        const std::pair<const char*, std::pair<unsigned, unsigned>> parts[] = {
            {"bootloader", {t.bootloader, m.bootloader}},
            {"tee", {t.tee, m.tee}},
            {"snp", {t.snp, m.snp}},
            {"microcode", {t.microcode, m.microcode}},
            {"fmc", {t.fmc, m.fmc}}};
        for (const auto& [name, have_need] : parts)
          if (have_need.first < have_need.second)
            fail(std::string("policy: reported TCB ") + name + " SPL " + std::to_string(have_need.first) +
                 " is below the minimum " + std::to_string(have_need.second));
      }
    }
  }

  // 4. Freshness.
  const sgx::ReportBody& b = quote.body;
  if (options.nonce && *options.nonce != quote.nonce)
    fail(quote.nonce.empty() ? "nonce: the quote carries no nonce, expected " + to_hex(*options.nonce)
                             : "nonce: the quote's nonce " + to_hex(quote.nonce) + " is not the expected " +
                                   to_hex(*options.nonce) + " (a replayed or foreign quote)");
  if (!quote.nonce.empty()) {
    const auto binding = nonce_binding(quote.nonce);
    if (!std::equal(binding.begin(), binding.end(), b.report_data))
      fail("nonce: the enclave's REPORT_DATA[0..32) is not SHA-256(nonce): the report does not bind the nonce");
  } else if (!options.nonce) {
    v.notes.push_back("no nonce: the quote's freshness was not checked");
  }

  // 5. The enclave.
  const bool mr_ok = std::any_of(policy.mr_enclave.begin(), policy.mr_enclave.end(),
                                 [&](const auto& m) { return std::equal(m.begin(), m.end(), b.mr_enclave); });
  const bool signer_ok = std::any_of(policy.mr_signer.begin(), policy.mr_signer.end(),
                                     [&](const auto& m) { return std::equal(m.begin(), m.end(), b.mr_signer); });
  if (!mr_ok && !signer_ok) {
    std::string why = "policy: ";
    if (!policy.mr_enclave.empty()) why += "MRENCLAVE " + hex32(b.mr_enclave) + " is not an accepted mrenclave";
    if (!policy.mr_enclave.empty() && !policy.mr_signer.empty()) why += ", and ";
    if (!policy.mr_signer.empty()) why += "MRSIGNER " + hex32(b.mr_signer) + " is not an accepted mrsigner";
    fail(why);
  }
  if (policy.isv_prod_id && b.isv_prod_id != *policy.isv_prod_id)
    fail("policy: ISVPRODID " + std::to_string(b.isv_prod_id) + " is not " + std::to_string(*policy.isv_prod_id));
  if (b.isv_svn < policy.min_isv_svn)
    fail("policy: ISVSVN " + std::to_string(b.isv_svn) + " is below the minimum " + std::to_string(policy.min_isv_svn));
  if ((b.attributes.flags & sgx::attr::kDebug) != 0 && !policy.allow_debug)
    fail(
        "policy: the enclave is a DEBUG enclave (ATTRIBUTES.DEBUG set: its memory can be read), and the policy "
        "does not allow debug enclaves");
  if ((b.attributes.flags & sgx::attr::kInit) == 0) fail("the REPORT body's ATTRIBUTES.INIT is clear");
  return v;
}

}  // namespace nsgx::attest
