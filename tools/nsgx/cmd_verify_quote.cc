// `nsgx verify quote`: a nestedsgx quote against a policy — the quote's
// signature, its evidence chain (AMD's built-in roots, or the emulated root
// with --allow-emulated), the key binding, the nonce, and the policy's
// rules (attest/quote_verify.h). Prints the quote's key fields and a
// verdict; on failure every reason, also on stderr. Exit 0 verified,
// 1 refused, 2 usage or malformed input (an unparsable quote or policy).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "attest/quote_verify.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/source.h"

namespace nsgx::cli {

namespace {

struct Options {
  std::string quote, policy, nonce, vcek;
  bool allow_emulated = false;
  bool json = false;
};

std::string attributes_text(const sgx::Attributes& a) {
  std::string s = hex_u64(a.flags);
  s += (a.flags & sgx::attr::kDebug) ? " (DEBUG)" : " (production)";
  return s + ", xfrm " + hex_u64(a.xfrm);
}

nlohmann::ordered_json quote_json(const attest::Quote& q, const attest::QuoteVerdict& v) {
  const sgx::ReportBody& b = q.body;
  nlohmann::ordered_json j;
  j["evidence"] = attest::evidence_kind_name(q.kind);
  j["mrenclave"] = to_hex(ByteSpan(b.mr_enclave, 32));
  j["mrsigner"] = to_hex(ByteSpan(b.mr_signer, 32));
  j["isv_prod_id"] = b.isv_prod_id;
  j["isv_svn"] = b.isv_svn;
  j["attributes"] = attributes_text(b.attributes);
  j["report_data"] = to_hex(ByteSpan(b.report_data, 64));
  j["nonce"] = to_hex(q.nonce);
  j["attestation_key"] = to_hex(q.public_key);
  if (v.snp) {
    j["monitor_measurement"] = to_hex(ByteSpan(v.snp->report.measurement, 48));
    j["reported_tcb"] = attest::describe_tcb(v.snp->report.reported_tcb, v.snp->tcb_layout);
  }
  if (v.emulated_root) j["emulated_root"] = to_hex(*v.emulated_root);
  j["certificates"] = q.certs.size();
  return j;
}

}  // namespace

void add_verify_quote(CLI::App& verify, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = verify.add_subcommand("quote", "verify a nestedsgx quote and its evidence against a policy");
  cmd->add_option("QUOTE", o->quote, "the quote file")->required();
  cmd->add_option("--policy", o->policy, "the policy (JSON; docs/attestation.md, \"Policy\")")->required();
  cmd->add_option("--nonce", o->nonce, "the nonce the quote must carry (hex)");
  cmd->add_option("--vcek", o->vcek, "the chip's VCEK (DER or PEM), when the quote carries none");
  cmd->add_flag("--allow-emulated", o->allow_emulated,
                "accept evidence from the nestedsgx emulated platform root (proves nothing about hardware)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &exit_code] {
    auto bad_input = [&](const std::string& why) {
      std::cerr << "nsgx verify quote: " << why << "\n";
      exit_code = kExitBadInput;
    };
    auto bytes = read_file(o->quote);
    if (!bytes) return bad_input(bytes.error().message());
    auto quote = attest::parse_quote(*bytes);
    if (!quote) return bad_input(o->quote + ": " + quote.error().message());
    auto policy_text = read_file(o->policy);
    if (!policy_text) return bad_input(policy_text.error().message());
    auto policy = attest::parse_quote_policy(std::string(policy_text->begin(), policy_text->end()));
    if (!policy) return bad_input(o->policy + ": " + policy.error().message());

    attest::QuoteVerifyOptions options;
    options.allow_emulated = o->allow_emulated;
    if (!o->nonce.empty()) {
      auto n = from_hex(o->nonce);
      if (!n) return bad_input("--nonce: " + n.error().message());
      if (n->size() > attest::kQuoteMaxNonce) return bad_input("--nonce: at most 64 bytes");
      options.nonce = std::move(*n);
    }
    if (!o->vcek.empty()) {
      auto vcek = read_certificate(o->vcek, "VCEK");
      if (!vcek) return bad_input(vcek.error().message());
      options.vcek = std::move(*vcek);
    }
    const attest::QuoteVerdict v = attest::verify_quote(*quote, *policy, options);

    nlohmann::ordered_json j;
    j["verified"] = v.ok();
    if (!v.ok()) j["reasons"] = v.failures;
    if (v.ok()) {
      j["chain"] = v.chain;
      j["emulated"] = v.emulated;
    }
    if (!v.notes.empty()) j["notes"] = v.notes;
    j["quote"] = quote_json(*quote, v);
    if (o->json) {
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& [k, val] : j["quote"].items())
        std::cout << k << ": " << (val.is_string() ? val.get<std::string>() : val.dump()) << "\n";
      for (const auto& n : v.notes) std::cout << "note: " << n << "\n";
      if (v.ok()) {
        std::cout << "chain: " << v.chain << "\n";
        std::cout << "verdict: OK"
                  << (v.emulated ? " (EMULATED: nestedsgx emulated platform root, not AMD hardware)" : "") << "\n";
      } else {
        std::cout << "verdict: FAILED (" << v.failures.size() << " reason" << (v.failures.size() == 1 ? "" : "s")
                  << ")\n";
        for (const auto& f : v.failures) std::cout << "  - " << f << "\n";
      }
    }
    if (!v.ok()) {
      for (const auto& f : v.failures) std::cerr << "nsgx verify quote: " << f << "\n";
      exit_code = kExitVerifyFailed;
    }
  });
}

}  // namespace nsgx::cli
