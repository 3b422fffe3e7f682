// TCS — Thread Control Structure. SDM Vol.3D 34.8, Table 34-5.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace nsgx::sgx {

namespace tcs_flags {
inline constexpr std::uint64_t kDbgOptIn = 1ull << 0;  // allow debugger single-step/breakpoints
inline constexpr std::uint64_t kAexNotify = 1ull << 1;
inline constexpr std::uint64_t kReservedMask = ~(kDbgOptIn | kAexNotify);
}  // namespace tcs_flags

struct Tcs {
  std::uint64_t state;     // reserved to software: INACTIVE/ACTIVE is tracked by hardware
  std::uint64_t flags;     // tcs_flags
  std::uint64_t ossa;      // offset of the SSA stack from the enclave base, page aligned
  std::uint32_t cssa;      // current SSA frame index
  std::uint32_t nssa;      // number of SSA frames
  std::uint64_t oentry;    // entry point offset from the enclave base
  std::uint64_t aep;       // written by EENTER: asynchronous exit pointer
  std::uint64_t ofs_base;  // FS base offset from the enclave base
  std::uint64_t ogs_base;  // GS base offset from the enclave base
  std::uint32_t fs_limit;
  std::uint32_t gs_limit;
  std::uint64_t ocet_ssa;  // CET
  std::uint64_t prev_ssp;  // CET
  std::uint8_t reserved[4008];
};
static_assert(std::is_trivially_copyable_v<Tcs>);
static_assert(sizeof(Tcs) == 4096, "SDM Table 34-5: TCS is one page");
static_assert(offsetof(Tcs, flags) == 8, "SDM Table 34-5 FLAGS");
static_assert(offsetof(Tcs, ossa) == 16, "SDM Table 34-5 OSSA");
static_assert(offsetof(Tcs, cssa) == 24, "SDM Table 34-5 CSSA");
static_assert(offsetof(Tcs, nssa) == 28, "SDM Table 34-5 NSSA");
static_assert(offsetof(Tcs, oentry) == 32, "SDM Table 34-5 OENTRY");
static_assert(offsetof(Tcs, aep) == 40, "SDM Table 34-5 AEP");
static_assert(offsetof(Tcs, ofs_base) == 48, "SDM Table 34-5 OFSBASE");
static_assert(offsetof(Tcs, ogs_base) == 56, "SDM Table 34-5 OGSBASE");
static_assert(offsetof(Tcs, fs_limit) == 64, "SDM Table 34-5 FSLIMIT");
static_assert(offsetof(Tcs, gs_limit) == 68, "SDM Table 34-5 GSLIMIT");
static_assert(offsetof(Tcs, ocet_ssa) == 72, "SDM Table 34-5 OCETSSA");
static_assert(offsetof(Tcs, prev_ssp) == 80, "SDM Table 34-5 PREVSSP");

}  // namespace nsgx::sgx
