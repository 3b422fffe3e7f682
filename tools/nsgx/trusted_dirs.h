// Trusted directories for `nsgx libos build` (docs/libos.md, "Trusted
// directories"): a manifest's "file:DIR/" entry trusts every file below
// DIR. The build lists them, each with its SHA-256, in a listing
// (libos/manifest/manifest.h) whose own SHA-256 the measured manifest
// holds; the enclave reads the listing through the host when it starts and
// checks it against that hash.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "libos/manifest/manifest.h"

namespace nsgx::cli {

// Every file below `dir` with its SHA-256, by path: regular files, and
// links to regular files (listed under the link's path, hashed from what
// it names, which is what the enclave's open reads). Links to directories
// are not followed (a loop, or a directory outside listed through it),
// and sockets, pipes and devices are left out. An unreadable file or
// directory is an error that names it.
Result<std::vector<libos::TrustedFile>> list_trusted_dir(const std::string& dir);

// For each of m.trusted_dirs (zero hashes from the TOML): lists the
// directory, fills in its listing's SHA-256 and returns the listings by
// directory path. `covered` are files the manifest's entrypoint needs that
// lie in a trusted directory (the entrypoint itself, its interpreter and
// libraries: add_dynamic_closure leaves them to the directory): each must
// be in its directory's listing, or the build fails here rather than the
// program's start.
Result<std::map<std::string, Bytes>> list_trusted_dirs(libos::Manifest& m, const std::vector<std::string>& covered);

}  // namespace nsgx::cli
