#include "monitor/ssa_frame.h"

#include "arch/sgx/types.h"

namespace nsgx::monitor {

sgx::Gprsgx aex_gprsgx(const sgx::Gprsgx& entered, const CpuState& s, const ExitEvent& event) {
  sgx::Gprsgx gpr = entered;
  gpr.rax = s.rax, gpr.rcx = s.rcx, gpr.rdx = s.rdx, gpr.rbx = s.rbx, gpr.rsp = s.rsp, gpr.rbp = s.rbp;
  gpr.rsi = s.rsi, gpr.rdi = s.rdi, gpr.r8 = s.r8, gpr.r9 = s.r9, gpr.r10 = s.r10, gpr.r11 = s.r11;
  gpr.r12 = s.r12, gpr.r13 = s.r13, gpr.r14 = s.r14, gpr.r15 = s.r15;
  gpr.rflags = s.rflags, gpr.rip = s.rip, gpr.fs_base = s.fs_base, gpr.gs_base = s.gs_base;
  gpr.exit_info = event.report ? sgx::ExitInfo::make(event.vector, event.type) : sgx::ExitInfo{0};
  return gpr;
}

std::optional<sgx::Exinfo> aex_exinfo(std::uint32_t misc_select, const ExitEvent& event) {
  if ((misc_select & sgx::misc::kExinfo) == 0 || !event.report ||
      (event.vector != sgx::vector::kPf && event.vector != sgx::vector::kGp))
    return std::nullopt;
  return sgx::Exinfo{.maddr = event.vector == sgx::vector::kPf ? event.address : 0,
                     .errcd = event.error_code,
                     .reserved = 0};
}

CpuState aex_synthetic(std::uint64_t tcs, std::uint64_t aep, const sgx::Gprsgx& gpr) {
  CpuState s{};
  s.rax = static_cast<std::uint64_t>(sgx::Enclu::kEresume);
  s.rbx = tcs;
  s.rcx = aep;
  s.rip = aep;
  s.rsp = gpr.ursp;
  s.rbp = gpr.urbp;
  return s;
}

CpuState eresume_state(const sgx::Gprsgx& gpr) {
  return CpuState{gpr.rax, gpr.rcx, gpr.rdx, gpr.rbx, gpr.rsp,    gpr.rbp, gpr.rsi,     gpr.rdi,     gpr.r8, gpr.r9,
                  gpr.r10, gpr.r11, gpr.r12, gpr.r13, gpr.r14,    gpr.r15, gpr.rflags,  gpr.rip,     gpr.fs_base, gpr.gs_base};
}

}  // namespace nsgx::monitor
