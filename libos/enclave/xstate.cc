// The program's extended state across system calls (xstate.h).
#include "libos/enclave/xstate.h"

#include <stddef.h>

#include <string>

#include "libos/enclave/cpu_facts.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/threads.h"
#include "sgx_utils.h"

// xstate.S reads the info's RIP and vector at these offsets.
static_assert(offsetof(sgx_exception_info_t, cpu_context) == 0 && offsetof(sgx_cpu_context_t, rip) == 136 &&
              offsetof(sgx_exception_info_t, exception_vector) == 144 && sizeof(sgx_exception_vector_t) == 4 &&
              SGX_EXCEPTION_VECTOR_UD == 6);

__attribute__((visibility("hidden"))) uint32_t libos_xstate_mode = nsgx::libos::kXstateNone;
__attribute__((visibility("hidden"))) uint64_t libos_xstate_mask = 0;

namespace nsgx::libos {
namespace {

constexpr int kCannotRun = 126;

// The host's claims, as libos_cpu_facts gave them (0: none given).
uint64_t g_host_flags = 0, g_host_xfeatures = 0;
uint64_t g_xfrm = 0;  // the enclave's own, from EREPORT
bool g_started = false;

const char* mode_name(uint32_t m) {
  switch (m) {
    case kXstateXsavec:
      return "XSAVEC";
    case kXstateXsave:
      return "XSAVE";
    case kXstateFxsave:
      return "FXSAVE";
    default:
      return "nothing";
  }
}

}  // namespace

void xstate_host_facts(uint64_t flags, uint64_t xfeatures) {
  if (__atomic_load_n(&g_started, __ATOMIC_ACQUIRE)) return;  // chosen already: a later claim changes nothing
  g_host_flags = flags;
  g_host_xfeatures = xfeatures;
}

bool xstate_init(std::string& why) {
  __atomic_store_n(&g_started, true, __ATOMIC_RELEASE);
  const sgx_report_t* self = sgx_self_report();  // EREPORT on the enclave's own identity
  if (self == nullptr) {
    why = "cannot read the enclave's own report (XFRM)";
    return false;
  }
  g_xfrm = self->body.attributes.xfrm;
  const XstateChoice c = choose_xstate(g_host_flags, g_host_xfeatures, g_xfrm);
  if (c.mode == kXstateNone) {
    why = c.error;
    return false;
  }
  libos_xstate_mask = c.mask;
  __atomic_store_n(&libos_xstate_mode, static_cast<uint32_t>(c.mode), __ATOMIC_RELEASE);
  return true;
}

uint64_t host_cpu_flags() { return g_host_flags; }

std::string xstate_describe() {
  std::string facts;
  if ((g_host_flags & kCpuFxsr) != 0) facts += " fxsr";
  if ((g_host_flags & kCpuXsave) != 0) facts += " xsave";
  if ((g_host_flags & kCpuXsavec) != 0) facts += " xsavec";
  if (facts.empty()) facts = " none";
  return std::string("vector state kept across system calls with ") + mode_name(libos_xstate_mode) + ", components " +
         hex_string(libos_xstate_mask) + " (enclave XFRM " + hex_string(g_xfrm) + "; host reports" + facts +
         ", xfeatures " + hex_string(g_host_xfeatures) + ")";
}

}  // namespace nsgx::libos

extern "C" void libos_cpu_facts(uint64_t flags, uint64_t xfeatures) {
  nsgx::libos::xstate_host_facts(flags, xfeatures);
}

// A #UD at one of xstate.S's save or restore instructions: the host
// claimed an instruction this CPU does not have. Runs on the second
// phase's stack with the program's FS: no thread_local here.
extern "C" void libos_xstate_fault() {
  nsgx::libos::say(std::string("nsgx run: ") + nsgx::libos::mode_name(libos_xstate_mode) +
                   " raised #UD: the host reported a CPU feature this CPU does not have; the program is stopped\n");
  nsgx::libos::sys_exit_group(nsgx::libos::kCannotRun);
}

// An exception at libos_rdtsc's RDTSC (xstate.S): the host claimed an
// invariant TSC that this enclave cannot read (SGX1 hardware, CR4.TSD).
extern "C" void libos_tsc_fault() {
  nsgx::libos::say(
      "nsgx run: RDTSC faulted: the host reported a TSC this enclave cannot read (NSGX_LIBOS_CLOCK=host avoids it); "
      "the program is stopped\n");
  nsgx::libos::sys_exit_group(nsgx::libos::kCannotRun);
}

// After the trap handler's restore (xstate.S): rt_sigreturn's FXSAVE image
// is loaded last, over the state saved at the trap.
extern "C" void libos_finish_signals() { nsgx::libos::finish_signals(); }
