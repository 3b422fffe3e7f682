#include "attest/vcek.h"

#include <cstdio>

namespace nsgx::attest {

namespace {

Result<std::optional<std::uint8_t>> read_spl(const crypto::Certificate& c, const char* oid, const char* name) {
  NSGX_ASSIGN_OR_RETURN(auto raw, c.extension(oid));
  if (!raw) return std::optional<std::uint8_t>();
  auto v = crypto::der_decode_integer(*raw);
  if (!v) return v.error().context(std::string("VCEK ") + name + " extension");
  if (*v < 0 || *v > 255)
    return Error(std::string("VCEK ") + name + " extension value " + std::to_string(*v) + " is not an 8-bit SPL");
  return std::optional<std::uint8_t>(static_cast<std::uint8_t>(*v));
}

}  // namespace

Result<VcekExtensions> read_vcek_extensions(const crypto::Certificate& vcek) {
  VcekExtensions out;
  NSGX_ASSIGN_OR_RETURN(auto version, vcek.extension(amd_oid::kStructVersion));
  if (version) {
    auto v = crypto::der_decode_integer(*version);
    if (!v) return v.error().context("VCEK structVersion extension");
    out.struct_version = *v;
  }
  NSGX_ASSIGN_OR_RETURN(auto name, vcek.extension(amd_oid::kProductName));
  if (name) {
    auto s = crypto::der_decode_ia5string(*name);
    if (!s) return s.error().context("VCEK productName extension");
    out.product_name = *s;
  }
  NSGX_ASSIGN_OR_RETURN(out.hw_id, vcek.extension(amd_oid::kHwId));
  NSGX_ASSIGN_OR_RETURN(out.bl_spl, read_spl(vcek, amd_oid::kBlSpl, "blSPL"));
  NSGX_ASSIGN_OR_RETURN(out.tee_spl, read_spl(vcek, amd_oid::kTeeSpl, "teeSPL"));
  NSGX_ASSIGN_OR_RETURN(out.snp_spl, read_spl(vcek, amd_oid::kSnpSpl, "snpSPL"));
  NSGX_ASSIGN_OR_RETURN(out.ucode_spl, read_spl(vcek, amd_oid::kUcodeSpl, "ucodeSPL"));
  NSGX_ASSIGN_OR_RETURN(out.fmc_spl, read_spl(vcek, amd_oid::kFmcSpl, "fmcSPL"));
  return out;
}

std::string product_family(std::string_view product_name) {
  return std::string(product_name.substr(0, product_name.find('-')));
}

std::string kds_vcek_url(std::string_view product, const ParsedReport& report) {
  if (!report.tcb_layout) return {};
  const TcbParts t = decode_tcb(report.report.reported_tcb, *report.tcb_layout);
  const std::size_t id_len = t.has_fmc ? 8 : sizeof report.report.chip_id;
  auto spl = [](const char* name, std::uint8_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s=%02u", name, static_cast<unsigned>(v));
    return std::string(buf);
  };
  std::string url = "https://kdsintf.amd.com/vcek/v1/" + std::string(product) + "/" +
                    to_hex(ByteSpan(report.report.chip_id, id_len)) + "?";
  if (t.has_fmc) url += spl("fmcSPL", t.fmc) + "&";
  return url + spl("blSPL", t.bootloader) + "&" + spl("teeSPL", t.tee) + "&" + spl("snpSPL", t.snp) + "&" +
         spl("ucodeSPL", t.microcode);
}

}  // namespace nsgx::attest
