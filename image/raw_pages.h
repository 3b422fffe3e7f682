// Raw pages: an enclave given as a flat file of 4 KiB pages, each EADDed at
// (index x 4096) and fully EEXTENDed — the form of the Linux kernel's and
// enarx's test enclaves. Which pages are TCSs, the ELRANGE size and the SSA
// frame size are not in the file, so the caller states them.
//
//   RawPagesLayout l;  l.tcs_pages = {0};            // enarx_encl.bin
//   identity::MeasuringBuilder m;
//   NSGX_RETURN_IF_ERROR(replay_raw_pages(bytes, l, m));
#pragma once

#include <cstdint>
#include <set>

#include "base/bytes.h"
#include "identity/enclave_builder.h"

namespace nsgx::image {

struct RawPagesLayout {
  std::set<std::uint64_t> tcs_pages;     // page indices that are TCSs (SECINFO 0x100)
  std::uint64_t reg_flags = 0x207;       // SECINFO of the other pages: REG, RWX
  std::uint64_t enclave_size = 0;        // 0: the next power of two that holds the pages
  std::uint32_t ssa_frame_size = 1;
};

Status replay_raw_pages(ByteSpan pages, const RawPagesLayout& layout, identity::EnclaveBuilder& builder);

}  // namespace nsgx::image
