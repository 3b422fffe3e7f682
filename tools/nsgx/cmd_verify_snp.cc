// `nsgx verify snp`: an SEV-SNP attestation report, the VCEK that signed
// it, and AMD's ARK -> ASK chain (built in, or given as files). Prints the
// report's key fields, the chain used and a verdict; on failure the
// specific reason, also on stderr. Exit 0 verified, 1 not, 2 bad input.
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "attest/snp_verify.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/source.h"

namespace nsgx::cli {

namespace {

struct Options {
  std::string report, vcek, ask, ark, product = "auto", at;
  bool allow_emulated = false;
  bool json = false;
};

// Seconds since the epoch, or an ISO date "2024-06-01" / "2024-06-01T12:00:00Z" (UTC).
Result<crypto::UnixTime> parse_time(const std::string& text) {
  if (text.find('-') == std::string::npos) {
    auto n = parse_number(text, static_cast<std::uint64_t>(INT64_MAX));
    if (!n) return n.error();
    return static_cast<crypto::UnixTime>(*n);
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (end != nullptr && *end == 'T') end = strptime(end, "T%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0')
    return Error("not a time: '" + text + "' (seconds since 1970, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
  return static_cast<crypto::UnixTime>(timegm(&tm));
}

std::string policy_text(std::uint64_t policy) {
  std::string s = hex_u64(policy) + " (";
  s += (policy & snp::policy::kSmt) ? "SMT allowed" : "SMT forbidden";
  s += (policy & snp::policy::kDebug) ? ", DEBUG ALLOWED" : ", debug forbidden";
  if (policy & snp::policy::kMigrateMa) s += ", migration agent allowed";
  if (policy & snp::policy::kSingleSocket) s += ", single socket";
  return s + ")";
}

const char* signing_key_text(std::uint32_t k) {
  switch (k) {
    case 0:
      return "VCEK";
    case 1:
      return "VLEK";
    case 7:
      return "none";
    default:
      return "reserved";
  }
}

nlohmann::ordered_json report_json(const attest::ParsedReport& p) {
  const snp::AttestationReport& r = p.report;
  nlohmann::ordered_json j;
  j["version"] = r.version;
  j["guest_svn"] = r.guest_svn;
  j["policy"] = policy_text(r.policy);
  j["vmpl"] = r.vmpl;
  j["measurement"] = to_hex(ByteSpan(r.measurement, sizeof r.measurement));
  j["report_data"] = to_hex(ByteSpan(r.report_data, sizeof r.report_data));
  j["host_data"] = to_hex(ByteSpan(r.host_data, sizeof r.host_data));
  j["family_id"] = to_hex(ByteSpan(r.family_id, sizeof r.family_id));
  j["image_id"] = to_hex(ByteSpan(r.image_id, sizeof r.image_id));
  j["id_key_digest"] = to_hex(ByteSpan(r.id_key_digest, sizeof r.id_key_digest));
  j["chip_id"] = to_hex(ByteSpan(r.chip_id, sizeof r.chip_id));
  j["reported_tcb"] = attest::describe_tcb(r.reported_tcb, p.tcb_layout);
  j["current_tcb"] = attest::describe_tcb(r.current_tcb, p.tcb_layout);
  j["committed_tcb"] = attest::describe_tcb(r.committed_tcb, p.tcb_layout);
  j["launch_tcb"] = attest::describe_tcb(r.launch_tcb, p.tcb_layout);
  j["platform_info"] = hex_u64(r.platform_info);
  j["signing_key"] = signing_key_text(r.signing_key());
  if (!p.cpu_product().empty()) j["cpu"] = p.cpu_product();
  return j;
}

}  // namespace

void add_verify_snp(CLI::App& verify, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = verify.add_subcommand("snp", "verify an SEV-SNP attestation report, its VCEK and AMD's ARK -> ASK chain");
  cmd->add_option("--report", o->report, "the attestation report: 1184 bytes, or their hex")->required();
  cmd->add_option("--vcek", o->vcek, "the VCEK certificate of the chip (DER or PEM; from AMD's KDS)")->required();
  auto* ask = cmd->add_option("--ask", o->ask, "the ASK certificate, instead of the built-in one (with --ark)");
  auto* ark = cmd->add_option("--ark", o->ark, "the ARK certificate, the trust anchor (with --ask)");
  ask->needs(ark);
  ark->needs(ask);
  cmd->add_option("--product", o->product,
                  "which built-in chain: milan, genoa, or auto (the VCEK's productName, "
                  "else each in turn)")
      ->check(CLI::IsMember({"milan", "genoa", "auto"}, CLI::ignore_case));
  cmd->add_option("--at", o->at,
                  "verify certificates as of this time (seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ]); "
                  "default now");
  cmd->add_flag("--allow-emulated", o->allow_emulated,
                "accept evidence from the nestedsgx emulated platform root (proves nothing about hardware)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &exit_code] {
    auto bad_input = [&](const std::string& why) {
      std::cerr << "nsgx verify snp: " << why << "\n";
      exit_code = kExitBadInput;
    };
    auto report_bytes = read_file(o->report);
    if (!report_bytes) return bad_input(report_bytes.error().message());
    auto report = attest::parse_snp_report(*report_bytes);
    if (!report) return bad_input(o->report + ": " + report.error().message());
    auto vcek = read_certificate(o->vcek, "VCEK");
    if (!vcek) return bad_input(vcek.error().message());

    attest::SnpVerifyOptions options;
    options.allow_emulated = o->allow_emulated;
    if (!o->at.empty()) {
      auto t = parse_time(o->at);
      if (!t) return bad_input("--at: " + t.error().message());
      options.at = *t;
    }
    std::optional<attest::AmdProduct> product;
    if (o->product != "auto") product = *attest::parse_product(o->product);

    Result<attest::SnpVerdict> verdict = Error("not verified");
    std::string chain_text;
    if (!o->ark.empty()) {
      auto ark_cert = read_certificate(o->ark, "ARK");
      if (!ark_cert) return bad_input(ark_cert.error().message());
      auto ask_cert = read_certificate(o->ask, "ASK");
      if (!ask_cert) return bad_input(ask_cert.error().message());
      attest::SnpChain chain = attest::supplied_chain(std::move(*ark_cert), std::move(*ask_cert));
      if (product) chain.product = std::string(attest::product_name(*product));
      chain_text = chain.name + " (ARK and ASK from " + o->ark + ", " + o->ask + ")";
      if (!chain.product)
        chain_text += "; this ARK is not one of AMD's built-in roots: it is trusted because you gave it";
      verdict = attest::verify_snp_evidence(*report, *vcek, chain, options);
    } else {
      verdict = attest::verify_snp_builtin(*report, *vcek, product, options);
      if (verdict) chain_text = verdict->chain + " (built-in AMD roots)";
    }

    nlohmann::ordered_json j;
    j["verified"] = verdict.ok();
    if (!verdict) j["reason"] = verdict.error().message();
    if (verdict) {
      j["chain"] = chain_text;
      j["emulated"] = verdict->emulated;
      j["checked_at"] = crypto::format_utc(verdict->checked_at);
      if (verdict->vcek.product_name) j["vcek_product_name"] = *verdict->vcek.product_name;
    }
    j["report"] = report_json(*report);

    if (o->json) {
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& [k, v] : j["report"].items())
        std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
      if (verdict) {
        std::cout << "chain: " << chain_text << "\n";
        std::cout << "certificates valid at: " << crypto::format_utc(verdict->checked_at) << "\n";
        std::cout << "verdict: OK"
                  << (verdict->emulated ? " (EMULATED: nestedsgx emulated platform root, not AMD hardware)" : "")
                  << "\n";
      } else {
        std::cout << "verdict: FAILED: " << verdict.error().message() << "\n";
      }
    }
    if (!verdict) {
      std::cerr << "nsgx verify snp: " << verdict.error().message() << "\n";
      exit_code = kExitVerifyFailed;
    }
  });
}

}  // namespace nsgx::cli
