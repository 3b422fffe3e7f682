// The manifest as users write it: TOML in Gramine's style, parsed on the
// untrusted side only (the enclave gets the canonical binary form,
// manifest.h). Unknown keys are errors, so a misspelt setting is never
// silently ignored.
//
//   libos.entrypoint = "/usr/local/bin/hello"
//   libos.syscall_rewrite = true      # load-time system-call rewriting (default true)
//   loader.argv0_override = "hello"
//   loader.argv = ["hello", "--flag"]  # the whole argv, pinned (not with argv0_override)
//   loader.env.LANG = "C"
//   sgx.enclave_size = "256M"          # K/M/G suffix or a number of bytes
//   sgx.max_threads = 4
//   sgx.trusted_files = [ { uri = "file:/usr/local/bin/hello", sha256 = "<64 hex digits>" },
//                         "file:/usr/lib/python3.11/" ]   # a directory: every file below it
//   sgx.allowed_files = [ "file:/tmp/out.txt" ]
//   sgx.encrypted_files = [ { uri = "file:/data", key_name = "_sgx_mrenclave" } ]  # or "_sgx_mrsigner"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "libos/manifest/manifest.h"

namespace nsgx::libos {

// Parses `text` (named `source` in errors); every check of encode_manifest
// applies too.
// With `unhashed`, a trusted file may omit sha256 (as gramine-sgx-sign
// allows): its path is appended there and its hash left zero for the
// build step (`nsgx libos build`) to compute from the file; so may a
// directory (a URI ending in '/'), which is appended with its '/' and
// left in trusted_dirs with a zero hash for the build step to list.
Result<Manifest> manifest_from_toml(std::string_view text, std::string_view source,
                                    std::vector<std::string>* unhashed = nullptr);

}  // namespace nsgx::libos
