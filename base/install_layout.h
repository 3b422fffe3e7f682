// Where an installed nestedsgx keeps its pieces (cmake/install.cmake lays
// the prefix out like the SGX SDK's), and whether the running code came
// from such a prefix or from a build tree.
//
//   PREFIX/bin/nsgx, nsgx-edger8r       PREFIX/bin/x64/sgx_edger8r, sgx_sign
//   PREFIX/lib64/libsgx_urts.so, ...    PREFIX/libexec/nestedsgx/nsgx-monitor, nsgx-enclave-host, ...
//
// Installed code finds the others relative to itself (the prefix may be
// moved, or unpacked from a package anywhere); code in a build tree uses the
// build tree's paths. Never both: an installed binary does not fall back to
// the build tree it was compiled in.
//
//   if (auto prefix = nsgx::installed_prefix(); !prefix.empty())
//     monitor = prefix + "/" + nsgx::kInstallLibexecDir + "/nsgx-monitor";
#pragma once

#include <string>

namespace nsgx {

inline constexpr const char* kInstallLibexecDir = "libexec/nestedsgx";
inline constexpr const char* kInstallLibDir = "lib64";

// The prefix of the module (executable or shared library) this function is
// linked into, when that module sits in PREFIX/bin, PREFIX/bin/x64,
// PREFIX/lib64 or PREFIX/libexec/nestedsgx and PREFIX/libexec/nestedsgx is a
// directory; empty otherwise (a build tree).
std::string installed_prefix();

// PREFIX/libexec/nestedsgx/NAME for an installed module, else `build_path`.
std::string installed_or_build(const std::string& name, const std::string& build_path);

}  // namespace nsgx
