// SECS — SGX Enclave Control Structure, and ATTRIBUTES.
// SDM Vol.3D 34.7 "SGX Enclave Control Structure (SECS)", Table 34-3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/types.h"

namespace nsgx::sgx {

using Measurement = std::uint8_t[32];

// SDM 34.7.1: FLAGS (attr:: bits) and XFRM.
struct Attributes {
  std::uint64_t flags;
  std::uint64_t xfrm;
  friend bool operator==(const Attributes&, const Attributes&) = default;
};
static_assert(sizeof(Attributes) == 16, "SDM 34.7.1 ATTRIBUTES is 16 bytes");

struct Secs {
  std::uint64_t size;                   // ELRANGE size, a power of two >= 2 pages
  std::uint64_t base_addr;              // ELRANGE base, naturally aligned to size
  std::uint32_t ssa_frame_size;         // in pages
  std::uint32_t misc_select;
  std::uint64_t cet_leg_bitmap_offset;  // CET
  std::uint8_t cet_attributes;          // CET
  std::uint8_t reserved1[15];
  Attributes attributes;
  std::uint8_t mr_enclave[32];
  std::uint8_t reserved2[32];
  std::uint8_t mr_signer[32];
  std::uint8_t reserved3[32];
  std::uint8_t config_id[64];  // KSS
  std::uint16_t isv_prod_id;
  std::uint16_t isv_svn;
  std::uint16_t config_svn;  // KSS
  std::uint8_t reserved4[3834];
};
static_assert(std::is_trivially_copyable_v<Secs>);
static_assert(sizeof(Secs) == 4096, "SDM Table 34-3: SECS is one page");
static_assert(offsetof(Secs, size) == 0, "SDM Table 34-3 SIZE");
static_assert(offsetof(Secs, base_addr) == 8, "SDM Table 34-3 BASEADDR");
static_assert(offsetof(Secs, ssa_frame_size) == 16, "SDM Table 34-3 SSAFRAMESIZE");
static_assert(offsetof(Secs, misc_select) == 20, "SDM Table 34-3 MISCSELECT");
static_assert(offsetof(Secs, cet_leg_bitmap_offset) == 24, "SDM Table 34-3 CET_LEG_BITMAP_OFFSET");
static_assert(offsetof(Secs, cet_attributes) == 32, "SDM Table 34-3 CET_ATTRIBUTES");
static_assert(offsetof(Secs, attributes) == 48, "SDM Table 34-3 ATTRIBUTES");
static_assert(offsetof(Secs, mr_enclave) == 64, "SDM Table 34-3 MRENCLAVE");
static_assert(offsetof(Secs, mr_signer) == 128, "SDM Table 34-3 MRSIGNER");
static_assert(offsetof(Secs, config_id) == 192, "SDM Table 34-3 CONFIGID");
static_assert(offsetof(Secs, isv_prod_id) == 256, "SDM Table 34-3 ISVPRODID");
static_assert(offsetof(Secs, isv_svn) == 258, "SDM Table 34-3 ISVSVN");
static_assert(offsetof(Secs, config_svn) == 260, "SDM Table 34-3 CONFIGSVN");
static_assert(offsetof(Secs, reserved4) == 262, "SDM Table 34-3 reserved tail");

}  // namespace nsgx::sgx
