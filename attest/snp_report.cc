#include "attest/snp_report.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace nsgx::attest {

namespace {

using snp::kReportSignedSize;
using snp::kReportSize;

constexpr std::size_t kSignatureOffset = offsetof(snp::AttestationReport, signature);
constexpr std::size_t kSignatureAlgoOffset = offsetof(snp::AttestationReport, signature_algo);
constexpr std::size_t kComponentSize = sizeof(snp::EcdsaSignatureLe::r);  // 72
constexpr std::size_t kP384Size = 48;
static_assert(kSignatureOffset == kReportSignedSize, "the signature follows the signed bytes");

bool is_space(std::uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_hex_digit(std::uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Hex text: hex digits and whitespace only, with an optional leading "0x".
// A binary report never qualifies: its VERSION field has zero bytes.
bool looks_like_hex(ByteSpan b) {
  std::size_t i = 0;
  while (i < b.size() && is_space(b[i])) ++i;
  if (i + 1 < b.size() && b[i] == '0' && (b[i + 1] == 'x' || b[i + 1] == 'X')) i += 2;
  bool any = false;
  for (; i < b.size(); ++i) {
    if (is_hex_digit(b[i])) {
      any = true;
    } else if (!is_space(b[i])) {
      return false;
    }
  }
  return any;
}

}  // namespace

TcbParts decode_tcb(snp::TcbVersion tcb, snp::TcbLayout layout) {
  TcbParts p;
  p.has_fmc = layout == snp::TcbLayout::kTurin;
  p.fmc = tcb.fmc(layout);
  p.bootloader = tcb.bootloader(layout);
  p.tee = tcb.tee(layout);
  p.snp = tcb.snp(layout);
  p.microcode = tcb.microcode(layout);
  return p;
}

std::string describe_tcb(snp::TcbVersion tcb, std::optional<snp::TcbLayout> layout) {
  const std::string raw = hex_u64(tcb.raw);
  if (!layout) return raw + " (layout unknown for this CPU family)";
  const TcbParts p = decode_tcb(tcb, *layout);
  std::string out;
  if (p.has_fmc) out += "fmc " + std::to_string(p.fmc) + ", ";
  out += "bootloader " + std::to_string(p.bootloader) + ", tee " + std::to_string(p.tee) + ", snp " +
         std::to_string(p.snp) + ", microcode " + std::to_string(p.microcode);
  return out + " (" + raw + ")";
}

std::string ParsedReport::cpu_product() const {
  if (!has_cpuid()) return {};
  if (report.cpuid_fam_id == kCpuidFamilyMilanGenoa) return report.cpuid_mod_id < 0x10 ? "Milan" : "Genoa";
  if (report.cpuid_fam_id == kCpuidFamilyTurin) return "Turin";
  return {};
}

Result<ParsedReport> parse_snp_report(ByteSpan binary_or_hex) {
  Bytes decoded;
  const bool hex = looks_like_hex(binary_or_hex);
  if (hex) {
    std::string_view text(reinterpret_cast<const char*>(binary_or_hex.data()), binary_or_hex.size());
    while (!text.empty() && is_space(static_cast<std::uint8_t>(text.front()))) text.remove_prefix(1);
    auto h = from_hex(text);  // strips a leading "0x", skips whitespace
    if (!h) return h.error().context("SNP report: hex text");
    decoded = std::move(*h);
    binary_or_hex = decoded;
  }
  if (binary_or_hex.size() != kReportSize)
    return Error("SNP report: " + std::to_string(binary_or_hex.size()) + " bytes" + (hex ? " (decoded from hex)" : "") +
                 ", expected " + std::to_string(kReportSize) + " (" + hex_u64(kReportSize) + ")");

  ParsedReport out;
  std::copy(binary_or_hex.begin(), binary_or_hex.end(), out.bytes.begin());
  out.report = copy_struct<snp::AttestationReport>(binary_or_hex);
  const snp::AttestationReport& r = out.report;

  if (r.version < 2)
    return Error("SNP report: version " + std::to_string(r.version) +
                 " is not supported (SEV-SNP reports are version 2 or later)");
  if (r.signature_algo != snp::kSignatureAlgoEcdsaP384Sha384)
    return Error("SNP report: unknown signature algorithm " + std::to_string(r.signature_algo) +
                 " (1 = ECDSA P-384 with SHA-384 is the only one the ABI defines)");

  // Version 2 has no CPUID fields; it predates Turin, so the Milan/Genoa
  // layout applies. From version 3 the family decides; 0 (not stated, as in
  // our emulated reports) keeps the Milan/Genoa layout.
  if (!out.has_cpuid() || r.cpuid_fam_id == kCpuidFamilyMilanGenoa || r.cpuid_fam_id == 0)
    out.tcb_layout = snp::TcbLayout::kMilanGenoa;
  else if (r.cpuid_fam_id == kCpuidFamilyTurin)
    out.tcb_layout = snp::TcbLayout::kTurin;
  return out;
}

Result<crypto::EcdsaP384Signature> report_signature(const ParsedReport& report) {
  const std::uint8_t* r_le = report.bytes.data() + kSignatureOffset;
  const std::uint8_t* s_le = r_le + kComponentSize;
  // P-384 scalars are 48 bytes; the ABI zero-extends them to 72.
  if (!all_zero({r_le + kP384Size, kComponentSize - kP384Size}) ||
      !all_zero({s_le + kP384Size, kComponentSize - kP384Size}))
    return Error("report signature R or S is longer than 48 bytes (not a P-384 signature)");
  crypto::EcdsaP384Signature sig;
  std::reverse_copy(r_le, r_le + kP384Size, sig.r.begin());
  std::reverse_copy(s_le, s_le + kP384Size, sig.s.begin());
  return sig;
}

Status verify_report_signature(const ParsedReport& report, const crypto::EcdsaP384PublicKey& vcek_key) {
  auto sig = report_signature(report);
  if (!sig) return sig.error();
  if (!vcek_key.verify_sha384(report.signed_bytes(), *sig))
    return Error("report signature does not verify with the VCEK");
  return {};
}

Status sign_snp_report(std::span<std::uint8_t, snp::kReportSize> report, const crypto::EcdsaP384PrivateKey& key) {
  store_le<std::uint32_t>(report.data() + kSignatureAlgoOffset, snp::kSignatureAlgoEcdsaP384Sha384);
  auto sig = key.sign_sha384(ByteSpan(report.data(), kReportSignedSize));
  if (!sig) return sig.error();
  std::uint8_t* out = report.data() + kSignatureOffset;
  std::fill(out, report.data() + kReportSize, std::uint8_t{0});
  std::reverse_copy(sig->r.begin(), sig->r.end(), out);
  std::reverse_copy(sig->s.begin(), sig->s.end(), out + kComponentSize);
  return {};
}

}  // namespace nsgx::attest
