#include "attest/emulation_mark.h"

namespace nsgx::attest {

bool is_marked_emulated(const crypto::Certificate& cert) {
  if (cert.subject_common_name().find(kEmulatedCnTag) != std::string::npos) return true;
  auto ext = cert.extension(kEmulatedOid);
  // A duplicated marker extension is an error to read, and still a mark.
  return !ext || ext->has_value();
}

}  // namespace nsgx::attest
