// Monitor vocabulary: strong address and index types (STYLE §6) and the
// outcome of a leaf function.
//
// A leaf either succeeds, returns an SGX status code in EAX (SDM Table 38-4;
// kStatus), or faults the way hardware would (#GP(0) or #PF with an
// address). Faults and status codes are kept apart because software reacts
// to them differently: a driver retries or reports a status, but a fault is
// its own bug or an attack.
#pragma once

#include <compare>
#include <cstdint>

#include "arch/sgx/types.h"

namespace nsgx::monitor {

// Index of a page in the EPC.
struct EpcIndex {
  std::uint32_t value = 0;
  friend constexpr auto operator<=>(EpcIndex, EpcIndex) = default;
};

// A linear (virtual) address inside some enclave's ELRANGE.
struct LinearAddr {
  std::uint64_t value = 0;
  friend constexpr auto operator<=>(LinearAddr, LinearAddr) = default;
  constexpr bool page_aligned() const { return (value & sgx::kPageMask) == 0; }
};

// The identity of an enclave inside one monitor: the EPC index of its SECS.
// Never reused while the enclave exists.
struct EnclaveId {
  std::uint32_t value = 0;
  friend constexpr auto operator<=>(EnclaveId, EnclaveId) = default;
};

enum class LeafKind : std::uint8_t {
  kOk,
  kStatus,  // an SDM status code in EAX (ZF=1)
  kGp,      // #GP(0)
  kPf,      // #PF at `address`
};

struct [[nodiscard]] LeafResult {
  LeafKind kind = LeafKind::kOk;
  sgx::Status status = sgx::Status::kSuccess;
  std::uint64_t address = 0;    // faulting address for kPf
  const char* detail = "";      // why, for logs and tests; a static string

  constexpr bool ok() const { return kind == LeafKind::kOk; }
  explicit constexpr operator bool() const { return ok(); }

  static constexpr LeafResult success() { return {}; }
  static constexpr LeafResult error(sgx::Status s, const char* why) { return {LeafKind::kStatus, s, 0, why}; }
  static constexpr LeafResult gp(const char* why) { return {LeafKind::kGp, sgx::Status::kSuccess, 0, why}; }
  static constexpr LeafResult pf(std::uint64_t addr, const char* why) {
    return {LeafKind::kPf, sgx::Status::kSuccess, addr, why};
  }
};

const char* leaf_kind_name(LeafKind k);

}  // namespace nsgx::monitor
