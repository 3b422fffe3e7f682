// ENCLU's user leaves as enclave code executes them, once for both native
// backends (SDM Vol. 3D, "Intel SGX Instruction References"): which
// register holds which operand, the alignment and ELRANGE checks (#GP) and
// the accessibility checks (#PF) in the SDM's order, what each leaf leaves
// in RAX and RFLAGS, and whether RIP moves on. The backend supplies memory
// access and the monitor's part — in process for inproc
// (runtime/inproc/exceptions.cc), a request to nsgx-monitor for the
// isolated backend's enclave host (runtime/isolated/host_main.cc).
//
// Header-only, and free of TLS, errno and allocation: the enclave host runs
// it on threads that hold the enclave's FS base.
//
// The backend B provides:
//   bool in_elrange(std::uint64_t addr, std::uint64_t len);
//   Access load(std::uint64_t addr, MutableByteSpan out, Exception& ex);
//   Access store(std::uint64_t addr, ByteSpan in, Exception& ex);
//     enclave memory the enclave may read (write) there, copied; kRetry when
//     the page was missing and the driver's fault handling brought it (the
//     leaf runs again, as after the kernel's fault handler on hardware);
//     kFault with `ex` the #PF otherwise.
//   monitor::LeafResult ereport(const sgx::TargetInfo&, const ReportData&, sgx::Report&);
//   monitor::LeafResult egetkey(const sgx::KeyRequest&, Key&);
//   monitor::LeafResult page_leaf(sgx::Enclu leaf, std::uint64_t page, std::uint64_t src,
//                                 const sgx::Secinfo&, bool& retry);
//     EACCEPT, EACCEPTCOPY (src), EMODPE; the backend updates the page's
//     mapping; `retry` when the page was missing and has been added.
//   bool eexit(ucontext_t* uc, std::uint64_t target, std::uint64_t next_rip, Exception& ex);
//     leaves the enclave (SDM EEXIT: RIP = target, RCX = next_rip); false
//     with `ex` if EEXIT faults. Reached from a trapping ENCLU
//     (run_enclu_leaf) and from the backend's exit gate (run_gate_eexit).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/report.h"
#include "arch/sgx/types.h"
#include "base/bytes.h"
#include "monitor/types.h"
#include "runtime/common/cpu_context.h"

namespace nsgx::runtime {

enum class LeafOutcome {
  kDone,    // emulated: registers and RIP updated
  kRetry,   // an operand's page was brought in: RIP unchanged, the leaf runs again
  kFault,   // `ex` is what the instruction raises
  kExited,  // EEXIT: the thread has left the enclave
};

enum class Access { kOk, kRetry, kFault };

using ReportData = std::array<std::uint8_t, 64>;
using Key = std::array<std::uint8_t, 16>;

// The exception a leaf's #GP or #PF result raises (an EPCM-caused #PF has
// the SGX bit in its error code: SDM 37.3).
inline Exception exception_of(const monitor::LeafResult& r) {
  if (r.kind == monitor::LeafKind::kPf)
    return {sgx::vector::kPf, sgx::pf_error::kUser | sgx::pf_error::kPresent | sgx::pf_error::kSgx, r.address};
  return {sgx::vector::kGp, 0, 0};
}

// RAX and the arithmetic flags as a leaf that reports a status leaves them:
// 0 and ZF clear on success, the status and ZF set on an error.
inline void set_leaf_status(ucontext_t* uc, const monitor::LeafResult& r) {
  constexpr std::uint64_t kArith = 0x8d5;  // CF PF AF ZF SF OF
  std::uint64_t fl = ureg(uc, REG_EFL) & ~kArith;
  if (r.kind == monitor::LeafKind::kStatus) {
    set(uc, REG_RAX, static_cast<std::uint64_t>(r.status));
    fl |= 0x40;  // ZF
  } else {
    set(uc, REG_RAX, 0);
  }
  set(uc, REG_EFL, fl);
}

// EEXIT as enclave code performs it, through ENCLU or through the
// backend's exit gate (runtime/common/exit_gate.h): the same leaf either way.
template <typename B>
LeafOutcome run_eexit(B& b, ucontext_t* uc, std::uint64_t next_rip, Exception& ex) {
  return b.eexit(uc, ureg(uc, REG_RBX), next_rip, ex) ? LeafOutcome::kExited : LeafOutcome::kFault;
}

// EEXIT through the exit gate: `uc` holds the registers as the enclave's
// runtime left them for ENCLU[EEXIT], with RIP = that ENCLU (RCX - 3, RCX
// being what EEXIT leaves there: the address following it). A fault (a
// target inside ELRANGE) is raised at that ENCLU, as on the trap path.
template <typename B>
LeafOutcome run_gate_eexit(B& b, ucontext_t* uc, Exception& ex) {
  return run_eexit(b, uc, ureg(uc, REG_RCX), ex);
}

// The leaf in RAX, executed by enclave code at RIP (`len` bytes of ENCLU).
template <typename B>
LeafOutcome run_enclu_leaf(B& b, ucontext_t* uc, std::size_t len, Exception& ex) {
  const auto leaf = static_cast<sgx::Enclu>(ureg(uc, REG_RAX) & 0xffffffff);
  const std::uint64_t rbx = ureg(uc, REG_RBX), rcx = ureg(uc, REG_RCX), rdx = ureg(uc, REG_RDX);
  const std::uint64_t rip = ureg(uc, REG_RIP);
  // #GP(0): an operand not aligned as the leaf requires, or outside ELRANGE.
  const auto placed = [&](std::uint64_t a, std::uint64_t n, std::uint64_t align) {
    if ((a & (align - 1)) == 0 && b.in_elrange(a, n)) return true;
    ex = {sgx::vector::kGp, 0, 0};
    return false;
  };
  const auto outcome_of = [](Access a) { return a == Access::kRetry ? LeafOutcome::kRetry : LeafOutcome::kFault; };
  const auto next = [&] { set(uc, REG_RIP, rip + len); };
  const auto failed = [&](const monitor::LeafResult& r) {
    ex = exception_of(r);
    return LeafOutcome::kFault;
  };

  switch (leaf) {
    case sgx::Enclu::kEexit:
      return run_eexit(b, uc, rip + len, ex);

    case sgx::Enclu::kEreport: {
      // SDM EREPORT: TARGETINFO at RBX (512-aligned), REPORTDATA at RCX
      // (128-aligned), the REPORT written at RDX (512-aligned). No status.
      sgx::TargetInfo ti;
      ReportData data;
      sgx::Report rep;
      if (!placed(rbx, sizeof ti, 512) || !placed(rcx, data.size(), 128) || !placed(rdx, sizeof rep, 512))
        return LeafOutcome::kFault;
      if (Access a = b.load(rbx, as_writable_bytes(ti), ex); a != Access::kOk) return outcome_of(a);
      if (Access a = b.load(rcx, MutableByteSpan(data), ex); a != Access::kOk) return outcome_of(a);
      const auto r = b.ereport(ti, data, rep);
      if (!r) return failed(r);
      if (Access a = b.store(rdx, as_bytes(rep), ex); a != Access::kOk) return outcome_of(a);
      next();
      return LeafOutcome::kDone;
    }

    case sgx::Enclu::kEgetkey: {
      // SDM EGETKEY: KEYREQUEST at RBX (512-aligned), the key written at RCX
      // (16-aligned); RAX = 0 or the error, ZF.
      sgx::KeyRequest req;
      Key key{};
      if (!placed(rbx, sizeof req, 512) || !placed(rcx, key.size(), 16)) return LeafOutcome::kFault;
      if (Access a = b.load(rbx, as_writable_bytes(req), ex); a != Access::kOk) return outcome_of(a);
      const auto r = b.egetkey(req, key);
      if (r.kind == monitor::LeafKind::kGp || r.kind == monitor::LeafKind::kPf) return failed(r);
      if (r) {
        const Access a = b.store(rcx, ByteSpan(key), ex);
        explicit_bzero(key.data(), key.size());  // the enclave's copy is the only one left
        if (a != Access::kOk) return outcome_of(a);
      }
      set_leaf_status(uc, r);
      next();
      return LeafOutcome::kDone;
    }

    case sgx::Enclu::kEaccept:
    case sgx::Enclu::kEacceptcopy:
    case sgx::Enclu::kEmodpe: {
      // SDM EACCEPT/EACCEPTCOPY/EMODPE: SECINFO at RBX (64-aligned), the
      // page at RCX (page-aligned); EACCEPTCOPY's source page at RDX. The
      // target page is the monitor's to check (it may be pending, so not
      // accessible yet). EMODPE sets no status.
      sgx::Secinfo si;
      if (!placed(rbx, sizeof si, 64) || !placed(rcx, sgx::kPageSize, sgx::kPageSize)) return LeafOutcome::kFault;
      if (leaf == sgx::Enclu::kEacceptcopy && !placed(rdx, sgx::kPageSize, sgx::kPageSize)) return LeafOutcome::kFault;
      if (Access a = b.load(rbx, as_writable_bytes(si), ex); a != Access::kOk) return outcome_of(a);
      bool retry = false;
      const auto r = b.page_leaf(leaf, rcx, leaf == sgx::Enclu::kEacceptcopy ? rdx : 0, si, retry);
      if (retry) return LeafOutcome::kRetry;
      if (r.kind == monitor::LeafKind::kGp || r.kind == monitor::LeafKind::kPf) return failed(r);
      if (!(r && leaf == sgx::Enclu::kEmodpe)) set_leaf_status(uc, r);
      next();
      return LeafOutcome::kDone;
    }

    default:
      // EENTER/ERESUME from inside an enclave, and leaves not offered: #GP(0).
      ex = {sgx::vector::kGp, 0, 0};
      return LeafOutcome::kFault;
  }
}

}  // namespace nsgx::runtime
