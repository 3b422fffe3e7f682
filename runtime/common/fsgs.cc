#include "runtime/common/fsgs.h"

#include <sys/auxv.h>

#include <cstring>

namespace nsgx::runtime {

namespace {
constexpr unsigned long kHwcap2Fsgsbase = 1UL << 1;  // HWCAP2_FSGSBASE
}

bool kernel_offers_fsgsbase() { return (getauxval(AT_HWCAP2) & kHwcap2Fsgsbase) != 0; }

FsgsMode choose_fsgs_mode(const char* env) {
  if (env != nullptr && std::strcmp(env, "off") == 0) return FsgsMode::kArchPrctl;
  // Only to show what the check prevents (the tests' negative control):
  // the instructions even where the kernel does not keep what they write.
  if (env != nullptr && std::strcmp(env, "force-unsafe") == 0) return FsgsMode::kInstructions;
  return kernel_offers_fsgsbase() ? FsgsMode::kInstructions : FsgsMode::kArchPrctl;
}

const char* fsgs_mode_name(FsgsMode m) {
  switch (m) {
    case FsgsMode::kHold:
      return "held per thread";
    case FsgsMode::kInstructions:
      return "FSGSBASE instructions";
    case FsgsMode::kArchPrctl:
      return "arch_prctl";
  }
  return "?";
}

}  // namespace nsgx::runtime
