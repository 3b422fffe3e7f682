// `nsgx snp report`: an SEV-SNP attestation report for this machine — from
// the SNP firmware through /dev/sev-guest when running in an SNP guest,
// otherwise from the emulated platform root kept in the state directory
// (created on first use) — written to a file, with the certificates a
// verifier needs: the emulated chain, or where to fetch the real VCEK.
#include <filesystem>
#include <iostream>
#include <memory>

#include "attest/emulated_root.h"
#include "attest/sev_guest.h"
#include "attest/vcek.h"
#include "runtime/common/platform_secrets.h"
#include "tools/nsgx/commands.h"

namespace nsgx::cli {

namespace {

struct Options {
  std::string out, report_data, measurement, root_dir, certs_out;
  std::uint32_t vmpl = 0;
  unsigned rsa_bits = 4096;
  bool emulated = false;
};

// Up to `n` bytes of hex, zero-padded to `n`.
Result<Bytes> padded_hex(const std::string& text, std::size_t n, const char* what) {
  auto b = from_hex(text);
  if (!b) return b.error().context(what);
  if (b->size() > n)
    return Error(std::string(what) + ": " + std::to_string(b->size()) + " bytes, at most " + std::to_string(n));
  b->resize(n, 0);
  return b;
}

Status write_text(const std::string& path, const std::string& text) {
  return write_file(path, ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace

void add_snp(CLI::App& app, int& exit_code) {
  auto* snp_cmd = app.add_subcommand("snp", "SEV-SNP evidence for this machine");
  snp_cmd->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* cmd = snp_cmd->add_subcommand(
      "report", "write an SNP attestation report: from /dev/sev-guest in an SNP guest, else from the emulated root");
  cmd->add_option("--out", o->out, "where to write the report (1184 bytes)")->required();
  cmd->add_option("--report-data", o->report_data, "REPORT_DATA, up to 64 bytes of hex (zero-padded)");
  cmd->add_option("--vmpl", o->vmpl, "the VMPL to report (0-3)")->check(CLI::Range(0, 3));
  cmd->add_flag("--emulated", o->emulated, "use the emulated platform root even when /dev/sev-guest exists");
  cmd->add_option("--measurement", o->measurement, "emulated only: MEASUREMENT, up to 48 bytes of hex");
  cmd->add_option("--emulated-root", o->root_dir,
                  "emulated only: the root's directory (default: <state dir>/snp-emulated; made on first use)");
  auto* rsa_bits =
      cmd->add_option("--rsa-bits", o->rsa_bits,
                      "emulated only: ARK/ASK key size when the root is first created (4096 like AMD's, or 3072)")
          ->check(CLI::IsMember({3072, 4096}));
  cmd->add_option("--certs-out", o->certs_out, "emulated only: write ark.pem, ask.pem and vcek.pem to this directory");
  cmd->callback([o, rsa_bits, &exit_code] {
    auto fail = [&](const std::string& why) {
      std::cerr << "nsgx snp report: " << why << "\n";
      exit_code = kExitBadInput;
    };
    auto data = padded_hex(o->report_data, 64, "--report-data");
    if (!data) return fail(data.error().message());
    const bool emulated = o->emulated || !attest::sev_guest_available();

    if (!emulated) {
      if (!o->measurement.empty() || !o->root_dir.empty() || !o->certs_out.empty() || rsa_bits->count() > 0)
        return fail(
            "--measurement, --emulated-root, --rsa-bits and --certs-out apply to emulated reports only; "
            "the SNP firmware measures the guest");
      auto report = attest::request_snp_report(std::span<const std::uint8_t, 64>(data->data(), 64), o->vmpl);
      if (!report) return fail(report.error().message());
      if (auto st = write_file(o->out, *report); !st) return fail(st.error().message());
      auto parsed = attest::parse_snp_report(*report);
      std::cout << "SNP report from the SEV-SNP firmware written to " << o->out << "\n";
      if (parsed) {
        const std::string product = parsed->cpu_product().empty() ? "Milan" : parsed->cpu_product();
        std::cout << "its VCEK (fetch out of band, e.g. with curl): " << attest::kds_vcek_url(product, *parsed)
                  << "\nverify with: nsgx verify snp --report " << o->out << " --vcek VCEK.der\n";
      }
      return;
    }

    auto measurement = padded_hex(o->measurement, 48, "--measurement");
    if (!measurement) return fail(measurement.error().message());
    const std::string dir = o->root_dir.empty() ? runtime::default_state_dir() + "/snp-emulated" : o->root_dir;
    attest::EmulatedRootOptions root_options;
    root_options.rsa_bits = o->rsa_bits;
    auto root = attest::EmulatedRoot::load_or_create(dir, root_options);
    if (!root) return fail(root.error().message());
    attest::EmulatedReportRequest req;
    std::copy(data->begin(), data->end(), req.report_data.begin());
    std::copy(measurement->begin(), measurement->end(), req.measurement.begin());
    req.vmpl = o->vmpl;
    auto report = root->issue_report(req);
    if (!report) return fail(report.error().message());
    if (auto st = write_file(o->out, *report); !st) return fail(st.error().message());
    std::cout << "EMULATED SNP report (nestedsgx emulated platform root in " << dir << ", not AMD hardware) written to "
              << o->out << "\n";
    if (!o->certs_out.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(o->certs_out, ec);
      for (const auto& [name, cert] : {std::pair<const char*, const crypto::Certificate*>{"ark.pem", &root->ark()},
                                       {"ask.pem", &root->ask()},
                                       {"vcek.pem", &root->vcek()}})
        if (auto st = write_text(o->certs_out + "/" + name, cert->pem()); !st) return fail(st.error().message());
      const std::string c = o->certs_out + "/";
      std::cout << "verify with: nsgx verify snp --report " << o->out << " --vcek " << c << "vcek.pem --ask " << c
                << "ask.pem --ark " << c << "ark.pem --allow-emulated\n";
    }
  });
}

}  // namespace nsgx::cli
