// SEV-SNP attestation reports from inside an SNP guest, through the Linux
// SEV guest driver: SNP_GET_REPORT on /dev/sev-guest (uapi
// <linux/sev-guest.h>; kernel Documentation/virt/coco/sev-guest.rst §2.1).
// The firmware answers with MSG_REPORT_RSP (SEV-SNP ABI pub. 56860,
// "MSG_REPORT_RSP Message Structure"): STATUS, REPORT_SIZE, then the
// ATTESTATION_REPORT at offset 20h.
//
//   std::array<std::uint8_t, 64> data = commitment_to(key);
//   auto report = attest::request_snp_report(data, 0);   // VMPL 0
//   if (!report) ...  // e.g. "no SEV-SNP guest device (/dev/sev-guest)"
//
// Only the "device absent" path can be tested off SNP hardware.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"

namespace nsgx::attest {

inline constexpr char kSevGuestDevice[] = "/dev/sev-guest";

bool sev_guest_available(const std::string& device = kSevGuestDevice);

// The raw report (0x4A0 bytes) with REPORT_DATA = `report_data`, requested
// for VMPL `vmpl` (at or above the caller's own).
Result<Bytes> request_snp_report(std::span<const std::uint8_t, 64> report_data, std::uint32_t vmpl,
                                 const std::string& device = kSevGuestDevice);

}  // namespace nsgx::attest
