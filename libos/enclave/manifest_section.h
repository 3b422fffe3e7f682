// The measured manifest section (manifest_section.S, which says how it is
// filled and why it is measured).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace nsgx::libos {
// The section's size; `nsgx libos build` requires exactly this much.
constexpr size_t kManifestSectionSize = 65536;
}  // namespace nsgx::libos

extern "C" const uint8_t nsgx_libos_manifest[nsgx::libos::kManifestSectionSize];
