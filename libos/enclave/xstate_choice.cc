// The choice of save instruction (xstate_choice.h).
#include "libos/enclave/xstate_choice.h"

#include <string>

#include "libos/enclave/cpu_facts.h"

namespace nsgx::libos {
namespace {

constexpr uint64_t kLegacy = kXfeatureX87 | kXfeatureSse;

}  // namespace

std::string hex_string(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v & 15]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

XstateChoice choose_xstate(uint64_t host_flags, uint64_t host_xfeatures, uint64_t xfrm) {
  XstateChoice c;
  if ((host_flags & kCpuXsave) != 0) {
    // XFRM is the floor (on SGX hardware XCR0 = XFRM inside the enclave,
    // so it is exactly the state that exists); the host may only add:
    // XSAVE, XSAVEC and XRSTOR act on RFBM = EDX:EAX AND XCR0 (SDM Vol. 1,
    // 13.6-13.10), so a component the CPU does not enable is skipped. On
    // the emulated backends XCR0 is the kernel's, wider than XFRM: the
    // host's xfeatures name it.
    c.mask = (xfrm | host_xfeatures) & kXstateSaved;
    c.mode = (host_flags & kCpuXsavec) != 0 ? kXstateXsavec : kXstateXsave;
    return c;
  }
  // Without XSAVE only FXSAVE is left, which saves x87 and SSE (SDM Vol.
  // 1, 10.5.1): enough only if nothing else can exist.
  if ((xfrm & ~kLegacy) != 0) {
    // On SGX hardware EENTER faults unless CR4.OSXSAVE is set for such an
    // XFRM (SDM Vol. 3D, EENTER): the host's claim is false.
    c.error = "the enclave's XFRM " + hex_string(xfrm) +
              " has state beyond x87 and SSE, which only XSAVE saves, but the host reports no XSAVE";
    return c;
  }
  if ((host_xfeatures & ~kLegacy) != 0) {
    c.error = "the host reports state components " + hex_string(host_xfeatures) +
              " enabled but no XSAVE to save them (inconsistent CPU facts)";
    return c;
  }
  if ((host_flags & kCpuFxsr) == 0) {
    c.error =
        "the host reports neither XSAVE nor FXSAVE: the program's vector state cannot be kept across system calls";
    return c;
  }
  c.mode = kXstateFxsave;
  c.mask = kLegacy;
  return c;
}

}  // namespace nsgx::libos
