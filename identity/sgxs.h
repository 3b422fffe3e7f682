// SGXS — the SGX measurement stream as a file (Fortanix rust-sgx, doc/SGXS.md).
//
// An SGXS file is the exact byte stream ECREATE/EADD/EEXTEND feed into
// MRENCLAVE (identity/measurement.h), EEXTEND records carrying their 256 data
// bytes; its SHA-256 is therefore MRENCLAVE. The "enhanced" extension adds
// UNMEASRD records (same shape as EEXTEND: data loaded, not measured) and
// UNSIZED (an ECREATE whose size is not yet fixed; such a stream cannot be
// measured and is rejected here).
//
// parse_sgxs accepts the canonical form: ECREATE first and once; EADD
// offsets page aligned, inside ELRANGE and each added once (in any order, as
// SDK-built images add their pages); EEXTEND and
// UNMEASRD offsets 256-byte aligned, inside the page of the preceding EADD,
// each chunk at most once; TCS pages with no R/W/X.
//
//   auto enclave = identity::parse_sgxs(bytes);   // error names the offset
//   Mrenclave mr = identity::measure(*enclave);
//   Bytes again = identity::write_sgxs(*enclave); // == bytes for canonical input
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "identity/measurement.h"

namespace nsgx::identity {

struct EnclavePage {
  std::uint64_t offset = 0;          // from the enclave base, page aligned
  std::uint64_t secinfo_flags = 0;   // SECINFO.FLAGS as EADDed
  std::uint16_t measured = 0;        // bit i: chunk i EEXTENDed
  std::uint16_t unmeasured = 0;      // bit i: chunk i loaded but not measured
  std::array<std::uint8_t, sgx::kPageSize> data{};  // chunks not loaded are zero
};

// An enclave as a measurement replays it: ECREATE parameters and the pages
// in EADD order.
struct EnclaveLayout {
  std::uint32_t ssa_frame_size = 1;
  std::uint64_t size = 0;
  std::vector<EnclavePage> pages;
};

Result<EnclaveLayout> parse_sgxs(ByteSpan stream);

// Replays the layout through the one Measurement implementation.
Mrenclave measure(const EnclaveLayout& layout);

// Writes the canonical SGXS stream (with UNMEASRD records for unmeasured chunks).
Bytes write_sgxs(const EnclaveLayout& layout);

// ECREATE's own checks on the parameters (SDM ECREATE): SIZE a power of two
// of at least two pages, SSAFRAMESIZE non-zero.
Status check_ecreate_params(std::uint32_t ssa_frame_size, std::uint64_t size);

}  // namespace nsgx::identity
