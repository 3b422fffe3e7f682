// ATTESTATION_REPORT — the SEV-SNP guest attestation report.
// AMD SEV-SNP ABI Specification (pub. 56860), Table "ATTESTATION_REPORT
// Structure" (0x4A0 bytes). Versions 2 and 3 share the layout; version 3
// fills CPUID_FAM_ID/MOD_ID/STEP, version 5 the mitigation vectors. The
// signature (ECDSA P-384 with SHA-384, "Signature Format" table) covers bytes
// 0x000-0x29F; R and S are zero-extended little-endian 72-byte fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/snp/tcb_version.h"

namespace nsgx::snp {

inline constexpr std::size_t kReportSize = 0x4a0;
inline constexpr std::size_t kReportSignedSize = 0x2a0;
inline constexpr std::uint32_t kSignatureAlgoEcdsaP384Sha384 = 1;

struct EcdsaSignatureLe {
  std::uint8_t r[72];
  std::uint8_t s[72];
  std::uint8_t reserved[368];
};
static_assert(sizeof(EcdsaSignatureLe) == 0x200, "SEV-SNP ABI Signature Format: 512 bytes");

// PLATFORM_INFO bits.
namespace platform_info {
inline constexpr std::uint64_t kSmtEn = 1ull << 0;
inline constexpr std::uint64_t kTsmeEn = 1ull << 1;
inline constexpr std::uint64_t kEccEn = 1ull << 2;
inline constexpr std::uint64_t kRaplDis = 1ull << 3;
inline constexpr std::uint64_t kCiphertextHidingEn = 1ull << 4;
inline constexpr std::uint64_t kAliasCheckComplete = 1ull << 5;
}  // namespace platform_info

// Guest POLICY bits (SEV-SNP ABI "Guest Policy").
namespace policy {
inline constexpr std::uint64_t kSmt = 1ull << 16;
inline constexpr std::uint64_t kReserved1 = 1ull << 17;  // must be one
inline constexpr std::uint64_t kMigrateMa = 1ull << 18;
inline constexpr std::uint64_t kDebug = 1ull << 19;
inline constexpr std::uint64_t kSingleSocket = 1ull << 20;
}  // namespace policy

struct AttestationReport {
  std::uint32_t version;
  std::uint32_t guest_svn;
  std::uint64_t policy;
  std::uint8_t family_id[16];
  std::uint8_t image_id[16];
  std::uint32_t vmpl;
  std::uint32_t signature_algo;
  TcbVersion current_tcb;
  std::uint64_t platform_info;
  std::uint32_t key_info;  // bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
  std::uint32_t reserved1;
  std::uint8_t report_data[64];
  std::uint8_t measurement[48];
  std::uint8_t host_data[32];
  std::uint8_t id_key_digest[48];
  std::uint8_t author_key_digest[48];
  std::uint8_t report_id[32];
  std::uint8_t report_id_ma[32];
  TcbVersion reported_tcb;
  std::uint8_t cpuid_fam_id;  // version >= 3
  std::uint8_t cpuid_mod_id;  // version >= 3
  std::uint8_t cpuid_step;    // version >= 3
  std::uint8_t reserved2[21];
  std::uint8_t chip_id[64];
  TcbVersion committed_tcb;
  std::uint8_t current_build;
  std::uint8_t current_minor;
  std::uint8_t current_major;
  std::uint8_t reserved3;
  std::uint8_t committed_build;
  std::uint8_t committed_minor;
  std::uint8_t committed_major;
  std::uint8_t reserved4;
  TcbVersion launch_tcb;
  std::uint64_t launch_mit_vector;   // version >= 5
  std::uint64_t current_mit_vector;  // version >= 5
  std::uint8_t reserved5[0x2a0 - 0x208];
  EcdsaSignatureLe signature;

  constexpr bool author_key_en() const { return (key_info & 1u) != 0; }
  constexpr bool mask_chip_key() const { return (key_info & 2u) != 0; }
  constexpr std::uint32_t signing_key() const { return (key_info >> 2) & 7u; }  // 0 VCEK, 1 VLEK, 7 none
};
static_assert(std::is_trivially_copyable_v<AttestationReport>);
static_assert(sizeof(AttestationReport) == kReportSize, "SEV-SNP ABI: ATTESTATION_REPORT is 0x4A0 bytes");
static_assert(offsetof(AttestationReport, version) == 0x00, "SNP ABI VERSION");
static_assert(offsetof(AttestationReport, guest_svn) == 0x04, "SNP ABI GUEST_SVN");
static_assert(offsetof(AttestationReport, policy) == 0x08, "SNP ABI POLICY");
static_assert(offsetof(AttestationReport, family_id) == 0x10, "SNP ABI FAMILY_ID");
static_assert(offsetof(AttestationReport, image_id) == 0x20, "SNP ABI IMAGE_ID");
static_assert(offsetof(AttestationReport, vmpl) == 0x30, "SNP ABI VMPL");
static_assert(offsetof(AttestationReport, signature_algo) == 0x34, "SNP ABI SIGNATURE_ALGO");
static_assert(offsetof(AttestationReport, current_tcb) == 0x38, "SNP ABI CURRENT_TCB");
static_assert(offsetof(AttestationReport, platform_info) == 0x40, "SNP ABI PLATFORM_INFO");
static_assert(offsetof(AttestationReport, key_info) == 0x48, "SNP ABI AUTHOR_KEY_EN/MASK_CHIP_KEY/SIGNING_KEY");
static_assert(offsetof(AttestationReport, report_data) == 0x50, "SNP ABI REPORT_DATA");
static_assert(offsetof(AttestationReport, measurement) == 0x90, "SNP ABI MEASUREMENT");
static_assert(offsetof(AttestationReport, host_data) == 0xc0, "SNP ABI HOST_DATA");
static_assert(offsetof(AttestationReport, id_key_digest) == 0xe0, "SNP ABI ID_KEY_DIGEST");
static_assert(offsetof(AttestationReport, author_key_digest) == 0x110, "SNP ABI AUTHOR_KEY_DIGEST");
static_assert(offsetof(AttestationReport, report_id) == 0x140, "SNP ABI REPORT_ID");
static_assert(offsetof(AttestationReport, report_id_ma) == 0x160, "SNP ABI REPORT_ID_MA");
static_assert(offsetof(AttestationReport, reported_tcb) == 0x180, "SNP ABI REPORTED_TCB");
static_assert(offsetof(AttestationReport, cpuid_fam_id) == 0x188, "SNP ABI CPUID_FAM_ID");
static_assert(offsetof(AttestationReport, cpuid_mod_id) == 0x189, "SNP ABI CPUID_MOD_ID");
static_assert(offsetof(AttestationReport, cpuid_step) == 0x18a, "SNP ABI CPUID_STEP");
static_assert(offsetof(AttestationReport, chip_id) == 0x1a0, "SNP ABI CHIP_ID");
static_assert(offsetof(AttestationReport, committed_tcb) == 0x1e0, "SNP ABI COMMITTED_TCB");
static_assert(offsetof(AttestationReport, current_build) == 0x1e8, "SNP ABI CURRENT_BUILD");
static_assert(offsetof(AttestationReport, current_minor) == 0x1e9, "SNP ABI CURRENT_MINOR");
static_assert(offsetof(AttestationReport, current_major) == 0x1ea, "SNP ABI CURRENT_MAJOR");
static_assert(offsetof(AttestationReport, committed_build) == 0x1ec, "SNP ABI COMMITTED_BUILD");
static_assert(offsetof(AttestationReport, committed_minor) == 0x1ed, "SNP ABI COMMITTED_MINOR");
static_assert(offsetof(AttestationReport, committed_major) == 0x1ee, "SNP ABI COMMITTED_MAJOR");
static_assert(offsetof(AttestationReport, launch_tcb) == 0x1f0, "SNP ABI LAUNCH_TCB");
static_assert(offsetof(AttestationReport, launch_mit_vector) == 0x1f8, "SNP ABI LAUNCH_MIT_VECTOR (v5)");
static_assert(offsetof(AttestationReport, current_mit_vector) == 0x200, "SNP ABI CURRENT_MIT_VECTOR (v5)");
static_assert(offsetof(AttestationReport, signature) == 0x2a0, "SNP ABI SIGNATURE");

}  // namespace nsgx::snp
