// The kernel's view of the CPU's extended-state support (cpu_facts.h).
#include "libos/host/cpu_facts.h"

#include <asm/prctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "libos/enclave/cpu_facts.h"

namespace nsgx::libos_host {
namespace {

using nsgx::libos::kCpuFxsr;
using nsgx::libos::kCpuInvariantTsc;
using nsgx::libos::kCpuXsave;
using nsgx::libos::kCpuXsavec;
using nsgx::libos::kXfeatureAvx;
using nsgx::libos::kXfeatureAvx512;
using nsgx::libos::kXfeatureSse;
using nsgx::libos::kXfeatureX87;

// The first processor's flags (the kernel lists what it supports and uses;
// every processor of a system has the same).
std::set<std::string> cpuinfo_flags() {
  std::set<std::string> out;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream words(line.substr(colon + 1));
    for (std::string w; words >> w;) out.insert(w);
    break;
  }
  return out;
}

std::set<std::string> hidden_by_test() {
  std::set<std::string> out;
  const char* v = std::getenv("NSGX_LIBOS_TEST_HIDE_CPU");
  if (v == nullptr) return out;
  std::istringstream in(v);
  for (std::string w; std::getline(in, w, ',');) out.insert(w);
  return out;
}

}  // namespace

ClockChoice clock_choice() {
  const char* v = std::getenv("NSGX_LIBOS_CLOCK");
  if (v == nullptr || *v == 0 || std::strcmp(v, "tsc") == 0) return ClockChoice::kTsc;
  if (std::strcmp(v, "host") == 0) return ClockChoice::kHost;
  return ClockChoice::kInvalid;
}

CpuFacts cpu_facts() {
  const std::set<std::string> flags = cpuinfo_flags(), hide = hidden_by_test();
  const auto has = [&](const char* f) { return flags.contains(f) && !hide.contains(f); };
  CpuFacts c;
  // The enclave's clock (libos/enclave/tsc_clock.h): the kernel's promise
  // of a TSC at one rate, and RDTSC not turned off for this process (the
  // enclave host of the isolated backend leaves the kernel's default, on,
  // as this process does).
  int tsc_mode = 0;
  if (has("constant_tsc") && has("nonstop_tsc") && prctl(PR_GET_TSC, &tsc_mode) == 0 && tsc_mode == PR_TSC_ENABLE &&
      clock_choice() == ClockChoice::kTsc)
    c.flags |= kCpuInvariantTsc;
  if (has("fxsr")) c.flags |= kCpuFxsr;
  if (has("xsave")) c.flags |= kCpuXsave;
  if (has("xsave") && has("xsavec")) c.flags |= kCpuXsavec;
  if ((c.flags & kCpuXsave) == 0) {
    c.xfeatures = kXfeatureX87 | kXfeatureSse;  // FXSAVE's state is all there is without XSAVE
    return c;
  }
  std::uint64_t supp = 0;
  if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_SUPP, &supp) == 0) {
    c.xfeatures = supp;
  } else {
    c.xfeatures = kXfeatureX87 | kXfeatureSse;
    if (flags.contains("avx")) c.xfeatures |= kXfeatureAvx;
    if (flags.contains("avx512f")) c.xfeatures |= kXfeatureAvx512;
  }
  return c;
}

}  // namespace nsgx::libos_host
