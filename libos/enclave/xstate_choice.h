// Which instruction keeps the program's extended state across a system
// call (xstate.h; docs/libos.md, "The vector state across a system
// call"): a pure function of the host's CPU claims (cpu_facts.h) and the
// enclave's own XFRM, built natively too for its test.
#pragma once

#include <stdint.h>

#include <string>

namespace nsgx::libos {

enum XstateMode : uint32_t { kXstateNone = 0, kXstateFxsave = 1, kXstateXsave = 2, kXstateXsavec = 3 };

// The components the library OS saves: x87, SSE, AVX, AVX-512 (its
// compilers emit no other; MPX, PKRU and AMX state it leaves alone).
constexpr uint64_t kXstateSaved = 0xe7;
// The save area on the handler's stack (syscall_stub.S, xstate.S): the
// standard form of the components above ends at 2,688 bytes (SDM Vol. 1,
// 13.4; CPUID leaf 0xD's offsets, fixed for these components).
constexpr uint64_t kXstateArea = 4096;

struct XstateChoice {
  XstateMode mode = kXstateNone;
  uint64_t mask = 0;  // the requested-feature bitmap (XSAVE*'s EDX:EAX)
  std::string error;  // why nothing fits (mode kXstateNone)
};

// The choice, a pure function of the host's claims and the enclave's XFRM.
XstateChoice choose_xstate(uint64_t host_flags, uint64_t host_xfeatures, uint64_t xfrm);

// "0x" and the lowercase hex digits of a value: a component mask in the
// choice's messages and its --trace line, addresses in the loader's.
std::string hex_string(uint64_t v);

}  // namespace nsgx::libos
