// What an AEX writes into the SSA frame and what ERESUME reads back — one
// implementation for every backend. The monitor applies it to EPC pages
// (Monitor::aex/eresume, the inproc backend); the isolated backend's enclave
// host, which runs the thread in another process, applies it to its view of
// the same pages. Pure functions: no platform, no state.
//
// Layout (SDM Vol.3D 35.9 "State Save Area Frame"): the XSAVE region from the
// frame's first byte, MISC (EXINFO) just below GPRSGX, GPRSGX in the frame's
// last 184 bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "arch/sgx/ssa.h"
#include "monitor/thread.h"

namespace nsgx::monitor {

// Bytes of the XSAVE image an AEX saves: from the frame's start up to MISC,
// and within the frame's first page (the XSAVE size of every XFRM we accept
// fits there; ECREATE checks SSAFRAMESIZE against it).
constexpr std::size_t ssa_xsave_room(std::uint32_t frame_pages) {
  return std::min(sgx::exinfo_offset(frame_pages), sgx::kPageSize);
}

// GPRSGX after an AEX: the interrupted state `s`, EXITINFO valid only for an
// exception SGX reports (an interrupt leaves it 0), URSP/URBP kept from
// EENTER (`entered`: the frame's GPRSGX before the AEX).
sgx::Gprsgx aex_gprsgx(const sgx::Gprsgx& entered, const CpuState& s, const ExitEvent& event);

// EXINFO after an AEX: when MISCSELECT.EXINFO is set and the exception is a
// reported #PF (MADDR = the address) or #GP (MADDR = 0).
std::optional<sgx::Exinfo> aex_exinfo(std::uint32_t misc_select, const ExitEvent& event);

// The state the untrusted side sees after an AEX (SDM 36.4.1, "synthetic
// state"): RAX = ERESUME, RBX = the TCS, RCX = RIP = the AEP, RSP/RBP the
// untrusted stack EENTER saved; everything else 0.
CpuState aex_synthetic(std::uint64_t tcs, std::uint64_t aep, const sgx::Gprsgx& gpr);

// The registers ERESUME restores from GPRSGX (its FS/GS bases are the
// TCS's, which ERESUME loads as EENTER does).
CpuState eresume_state(const sgx::Gprsgx& gpr);

}  // namespace nsgx::monitor
