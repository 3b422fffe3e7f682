// TCB_VERSION — the SEV-SNP platform TCB, a 64-bit little-endian value.
// AMD SEV-SNP ABI Specification (pub. 56860), "TCB_VERSION Structure".
// The byte positions differ by product family: Milan and Genoa use layout
// A; Turin (family 1Ah) adds an FMC SPL and uses layout B.
#pragma once

#include <cstdint>

namespace nsgx::snp {

enum class TcbLayout : std::uint8_t { kMilanGenoa, kTurin };

struct TcbVersion {
  std::uint64_t raw = 0;

  static constexpr TcbVersion from_parts_milan(std::uint8_t bootloader, std::uint8_t tee, std::uint8_t snp,
                                               std::uint8_t microcode) {
    return TcbVersion{static_cast<std::uint64_t>(bootloader) | (static_cast<std::uint64_t>(tee) << 8) |
                      (static_cast<std::uint64_t>(snp) << 48) | (static_cast<std::uint64_t>(microcode) << 56)};
  }
  constexpr std::uint8_t byte(unsigned i) const { return static_cast<std::uint8_t>(raw >> (8 * i)); }

  // Layout A (Milan, Genoa): [0] BOOT_LOADER, [1] TEE, [2..5] reserved, [6] SNP, [7] MICROCODE.
  // Layout B (Turin):        [0] FMC, [1] BOOT_LOADER, [2] TEE, [3] SNP, [4..6] reserved, [7] MICROCODE.
  constexpr std::uint8_t fmc(TcbLayout l) const { return l == TcbLayout::kTurin ? byte(0) : 0; }
  constexpr std::uint8_t bootloader(TcbLayout l) const { return l == TcbLayout::kTurin ? byte(1) : byte(0); }
  constexpr std::uint8_t tee(TcbLayout l) const { return l == TcbLayout::kTurin ? byte(2) : byte(1); }
  constexpr std::uint8_t snp(TcbLayout l) const { return l == TcbLayout::kTurin ? byte(3) : byte(6); }
  constexpr std::uint8_t microcode(TcbLayout) const { return byte(7); }

  friend constexpr bool operator==(TcbVersion, TcbVersion) = default;
};
static_assert(sizeof(TcbVersion) == 8, "SEV-SNP ABI: TCB_VERSION is 64 bits");
static_assert(TcbVersion{0x7308000000000003ull}.bootloader(TcbLayout::kMilanGenoa) == 3);
static_assert(TcbVersion{0x7308000000000003ull}.snp(TcbLayout::kMilanGenoa) == 8);
static_assert(TcbVersion{0x7308000000000003ull}.microcode(TcbLayout::kMilanGenoa) == 0x73);

}  // namespace nsgx::snp
