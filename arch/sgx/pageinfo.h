// PAGEINFO, SECINFO and PCMD — the operands of page-management leaves.
// SDM Vol.3D 34.10 (PAGEINFO), 34.11 (SECINFO), 34.12 (PCMD).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/types.h"

namespace nsgx::sgx {

// SDM Table 34-11. SRCPGE and SECS are effective addresses; SECINFO/PCMD
// share the third slot (SECINFO for EADD/EAUG, PCMD for EWB/ELDU).
struct Pageinfo {
  std::uint64_t linaddr;
  std::uint64_t srcpge;
  std::uint64_t secinfo_or_pcmd;
  std::uint64_t secs;
};
static_assert(sizeof(Pageinfo) == 32, "SDM Table 34-11: PAGEINFO is 32 bytes");
static_assert(offsetof(Pageinfo, linaddr) == 0, "SDM Table 34-11 LINADDR");
static_assert(offsetof(Pageinfo, srcpge) == 8, "SDM Table 34-11 SRCPGE");
static_assert(offsetof(Pageinfo, secinfo_or_pcmd) == 16, "SDM Table 34-11 SECINFO/PCMD");
static_assert(offsetof(Pageinfo, secs) == 24, "SDM Table 34-11 SECS");

// SDM Table 34-12. Only the first 48 bytes (FLAGS and the first 40 reserved
// bytes) enter the EADD measurement record.
struct Secinfo {
  std::uint64_t flags;  // secinfo_flags
  std::uint8_t reserved[56];

  constexpr PageType page_type() const {
    return static_cast<PageType>((flags & secinfo_flags::kPageTypeMask) >> secinfo_flags::kPageTypeShift);
  }
  constexpr std::uint64_t perms() const { return flags & secinfo_flags::kPermMask; }
};
static_assert(std::is_trivially_copyable_v<Secinfo>);
static_assert(sizeof(Secinfo) == 64, "SDM Table 34-12: SECINFO is 64 bytes");
static_assert(offsetof(Secinfo, flags) == 0, "SDM Table 34-12 FLAGS");

// SDM Table 34-14: metadata of an evicted page, MACed together with it.
struct Pcmd {
  Secinfo secinfo;
  std::uint64_t enclave_id;
  std::uint8_t reserved[40];
  std::uint8_t mac[16];
};
static_assert(std::is_trivially_copyable_v<Pcmd>);
static_assert(sizeof(Pcmd) == 128, "SDM Table 34-14: PCMD is 128 bytes");
static_assert(offsetof(Pcmd, secinfo) == 0, "SDM Table 34-14 SECINFO");
static_assert(offsetof(Pcmd, enclave_id) == 64, "SDM Table 34-14 ENCLAVEID");
static_assert(offsetof(Pcmd, reserved) == 72, "SDM Table 34-14 RESERVED");
static_assert(offsetof(Pcmd, mac) == 112, "SDM Table 34-14 MAC");

// A Version Array page holds 512 eight-byte slots (SDM 34.20).
inline constexpr std::size_t kVaSlotsPerPage = kPageSize / 8;

}  // namespace nsgx::sgx
