// The AMD-specific extensions of a VCEK certificate: which chip (hwID) and
// which TCB (the SPLs) the key was derived for, and the product name.
// "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface
// Specification" (AMD pub. 57230) §3, tables "VCEK Certificate Extensions"
// for family 19h (Milan, Genoa) and 1Ah (Turin, which adds fmcSPL and
// shortens hwID to 8 bytes).
//
//   auto ext = attest::read_vcek_extensions(vcek_cert);
//   if (ext && ext->bl_spl) ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "attest/snp_report.h"
#include "base/bytes.h"
#include "crypto/x509.h"

namespace nsgx::attest {

namespace amd_oid {
// Under AMD's enterprise arc 1.3.6.1.4.1.3704.
inline constexpr char kStructVersion[] = "1.3.6.1.4.1.3704.1.1";  // INTEGER
inline constexpr char kProductName[] = "1.3.6.1.4.1.3704.1.2";    // IA5String, e.g. "Milan-B0"
inline constexpr char kBlSpl[] = "1.3.6.1.4.1.3704.1.3.1";        // INTEGER, each SPL
inline constexpr char kTeeSpl[] = "1.3.6.1.4.1.3704.1.3.2";
inline constexpr char kSnpSpl[] = "1.3.6.1.4.1.3704.1.3.3";
inline constexpr char kUcodeSpl[] = "1.3.6.1.4.1.3704.1.3.8";
inline constexpr char kFmcSpl[] = "1.3.6.1.4.1.3704.1.3.9";  // family 1Ah only
inline constexpr char kHwId[] = "1.3.6.1.4.1.3704.1.4";      // raw bytes: 64, or 8 on 1Ah
}  // namespace amd_oid

struct VcekExtensions {
  std::optional<std::int64_t> struct_version;
  std::optional<std::string> product_name;
  std::optional<Bytes> hw_id;
  std::optional<std::uint8_t> bl_spl, tee_spl, snp_spl, ucode_spl, fmc_spl;
};

// Absent extensions stay unset; a present one that does not decode (wrong
// DER type, an SPL outside 0..255, a duplicate) is an error naming it.
Result<VcekExtensions> read_vcek_extensions(const crypto::Certificate& vcek);

// The product family of a productName value: "Milan-B0" -> "Milan".
std::string product_family(std::string_view product_name);

// Where AMD's Key Distribution Service serves the VCEK for this report's
// chip and REPORTED_TCB (VCEK spec §4.1, "GET /vcek/v1/{product}/{hwid}"):
// https://kdsintf.amd.com/vcek/v1/Milan/<hwid>?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115
// (Turin: the 8-byte hwID and fmcSPL). For fetching by hand, out of band;
// nothing in nestedsgx fetches it. Empty if the TCB layout is unknown.
std::string kds_vcek_url(std::string_view product, const ParsedReport& report);

}  // namespace nsgx::attest
