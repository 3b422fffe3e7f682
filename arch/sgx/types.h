// SGX architectural constants and enumerations.
//
// Source: Intel SDM Vol.3D, chapters 34-38 ("Enclave Data Structures",
// "Intel SGX Instruction References"); numbers are the SDM's, so that a
// status code or bit seen here is the one hardware returns or checks.
// Hardware-defined values only — no software state in this folder.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsgx::sgx {

inline constexpr std::size_t kPageSize = 4096;
inline constexpr std::uint64_t kPageMask = kPageSize - 1;

// SDM 34.11 SECINFO, FLAGS bits 15:8 — the EPC page types.
enum class PageType : std::uint8_t {
  kSecs = 0,
  kTcs = 1,
  kReg = 2,
  kVa = 3,
  kTrim = 4,
  kSsFirst = 5,  // CET shadow stack, first page
  kSsRest = 6,   // CET shadow stack, other pages
};

// SDM Table 34-13 "Layout of SECINFO Flags Field".
namespace secinfo_flags {
inline constexpr std::uint64_t kR = 1ull << 0;
inline constexpr std::uint64_t kW = 1ull << 1;
inline constexpr std::uint64_t kX = 1ull << 2;
inline constexpr std::uint64_t kPending = 1ull << 3;   // SGX2: page added by EAUG, awaits EACCEPT
inline constexpr std::uint64_t kModified = 1ull << 4;  // SGX2: type changed by EMODT, awaits EACCEPT
inline constexpr std::uint64_t kPr = 1ull << 5;        // SGX2: permissions restricted by EMODPR
inline constexpr std::uint64_t kPermMask = kR | kW | kX;
inline constexpr unsigned kPageTypeShift = 8;
inline constexpr std::uint64_t kPageTypeMask = 0xffull << kPageTypeShift;
// Bits 7:6 and 63:16 are reserved and must be zero.
inline constexpr std::uint64_t kReservedMask = ~(kPermMask | kPending | kModified | kPr | kPageTypeMask);
constexpr std::uint64_t page_type(PageType t) { return static_cast<std::uint64_t>(t) << kPageTypeShift; }
}  // namespace secinfo_flags

// SDM 34.7.1 ATTRIBUTES, the FLAGS half.
namespace attr {
inline constexpr std::uint64_t kInit = 1ull << 0;
inline constexpr std::uint64_t kDebug = 1ull << 1;
inline constexpr std::uint64_t kMode64Bit = 1ull << 2;
// bit 3 reserved
inline constexpr std::uint64_t kProvisionKey = 1ull << 4;
inline constexpr std::uint64_t kEinitTokenKey = 1ull << 5;
inline constexpr std::uint64_t kCet = 1ull << 6;
inline constexpr std::uint64_t kKss = 1ull << 7;
// bits 9:8 reserved
inline constexpr std::uint64_t kAexNotify = 1ull << 10;
inline constexpr std::uint64_t kKnownMask =
    kInit | kDebug | kMode64Bit | kProvisionKey | kEinitTokenKey | kCet | kKss | kAexNotify;
inline constexpr std::uint64_t kReservedMask = ~kKnownMask;
}  // namespace attr

// XFRM: the XSAVE feature set the enclave runs with (XCR0 layout, SDM Vol.1 13.1).
namespace xfrm {
inline constexpr std::uint64_t kX87 = 1ull << 0;  // must be set
inline constexpr std::uint64_t kSse = 1ull << 1;  // must be set
inline constexpr std::uint64_t kAvx = 1ull << 2;
inline constexpr std::uint64_t kBndRegs = 1ull << 3;
inline constexpr std::uint64_t kBndCsr = 1ull << 4;
inline constexpr std::uint64_t kOpmask = 1ull << 5;
inline constexpr std::uint64_t kZmmHi256 = 1ull << 6;
inline constexpr std::uint64_t kHi16Zmm = 1ull << 7;
inline constexpr std::uint64_t kPkru = 1ull << 9;
inline constexpr std::uint64_t kAmxTileCfg = 1ull << 17;
inline constexpr std::uint64_t kAmxTileData = 1ull << 18;
inline constexpr std::uint64_t kLegacy = kX87 | kSse;
}  // namespace xfrm

// SDM 34.7.2 MISCSELECT: extra information written to the SSA MISC region.
namespace misc {
inline constexpr std::uint32_t kExinfo = 1u << 0;  // EXINFO (#PF/#GP address and error code)
inline constexpr std::uint32_t kCpinfo = 1u << 1;  // CET #CP information
}  // namespace misc

// SDM 34.18 KEYREQUEST.KEYNAME.
enum class KeyName : std::uint16_t {
  kEinitToken = 0,
  kProvision = 1,
  kProvisionSeal = 2,
  kReport = 3,
  kSeal = 4,
};

// SDM Table 34-20 "Layout of KEYPOLICY Field".
namespace key_policy {
inline constexpr std::uint16_t kMrEnclave = 1u << 0;
inline constexpr std::uint16_t kMrSigner = 1u << 1;
inline constexpr std::uint16_t kNoIsvProdId = 1u << 2;  // KSS
inline constexpr std::uint16_t kConfigId = 1u << 3;     // KSS
inline constexpr std::uint16_t kIsvFamilyId = 1u << 4;  // KSS
inline constexpr std::uint16_t kIsvExtProdId = 1u << 5; // KSS
inline constexpr std::uint16_t kKssMask = kNoIsvProdId | kConfigId | kIsvFamilyId | kIsvExtProdId;
inline constexpr std::uint16_t kReservedMask = static_cast<std::uint16_t>(~(kMrEnclave | kMrSigner | kKssMask));
}  // namespace key_policy

// ENCLS leaf numbers (EAX), SDM 38.1 / Linux arch/x86/kernel/cpu/sgx/encls.h.
enum class Encls : std::uint32_t {
  kEcreate = 0x00,
  kEadd = 0x01,
  kEinit = 0x02,
  kEremove = 0x03,
  kEdbgrd = 0x04,
  kEdbgwr = 0x05,
  kEextend = 0x06,
  kEldb = 0x07,
  kEldu = 0x08,
  kEblock = 0x09,
  kEpa = 0x0a,
  kEwb = 0x0b,
  kEtrack = 0x0c,
  kEaug = 0x0d,
  kEmodpr = 0x0e,
  kEmodt = 0x0f,
};

// ENCLU leaf numbers (EAX), SDM 38.4.
enum class Enclu : std::uint32_t {
  kEreport = 0x00,
  kEgetkey = 0x01,
  kEenter = 0x02,
  kEresume = 0x03,
  kEexit = 0x04,
  kEaccept = 0x05,
  kEmodpe = 0x06,
  kEacceptcopy = 0x07,
  kEdeccssa = 0x09,
};

// Status codes returned in EAX (SDM Table 38-4 "Error or Information Codes
// for Intel SGX Instructions"). Kept apart from faults (#GP, #PF), which SGX
// raises instead of returning a code.
enum class Status : std::uint32_t {
  kSuccess = 0,
  kInvalidSigStruct = 1,
  kInvalidAttribute = 2,
  kBlkstate = 3,
  kInvalidMeasurement = 4,
  kNotBlockable = 5,
  kPgInvld = 6,
  kEpcPageConflict = 7,
  kInvalidSignature = 8,
  kMacCompareFail = 9,
  kPageNotBlocked = 10,
  kNotTracked = 11,
  kVaSlotOccupied = 12,
  kChildPresent = 13,
  kEnclaveAct = 14,
  kEntryEpochLocked = 15,
  kInvalidEinitToken = 16,
  kPrevTrkIncmpl = 17,
  kPgIsSecs = 18,
  kPageAttributesMismatch = 19,
  kPageNotModifiable = 20,
  kPageNotDebuggable = 21,
  kInvalidCounter = 25,
  kPgNonEpc = 26,
  kTrackNotRequired = 27,
  kInvalidReportMacStruct = 28,
  kInvalidCpusvn = 32,
  kInvalidIsvsvn = 64,
  kUnmaskedEvent = 128,
  kInvalidKeyname = 256,
};

const char* status_name(Status s);

// EXITINFO.EXIT_TYPE (SDM Table 34-9 "Layout of EXITINFO Field").
enum class ExitType : std::uint8_t {
  kHardwareException = 3,
  kSoftwareException = 6,
};

// Exception vectors SGX reports in EXITINFO.
namespace vector {
inline constexpr std::uint8_t kDe = 0;
inline constexpr std::uint8_t kDb = 1;
inline constexpr std::uint8_t kBp = 3;
inline constexpr std::uint8_t kBr = 5;
inline constexpr std::uint8_t kUd = 6;
inline constexpr std::uint8_t kGp = 13;
inline constexpr std::uint8_t kPf = 14;
inline constexpr std::uint8_t kMf = 16;
inline constexpr std::uint8_t kAc = 17;
inline constexpr std::uint8_t kXm = 19;
inline constexpr std::uint8_t kCp = 21;
}  // namespace vector

// #PF error code bits; bit 15 marks an EPCM (SGX) violation (SDM Vol.3A 4.7).
namespace pf_error {
inline constexpr std::uint32_t kPresent = 1u << 0;
inline constexpr std::uint32_t kWrite = 1u << 1;
inline constexpr std::uint32_t kUser = 1u << 2;
inline constexpr std::uint32_t kFetch = 1u << 4;
inline constexpr std::uint32_t kSgx = 1u << 15;
}  // namespace pf_error

}  // namespace nsgx::sgx
