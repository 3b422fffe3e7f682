// Files only the monitor's user may read: the emulated root's keys and the
// attestation key. Each is a regular file owned by this user with mode
// 0600, in directories made 0700; anything else is refused, never repaired.
#pragma once

#include <string>

#include "base/result.h"

namespace nsgx::attest {

// Creates `path` and its missing parents with mode 0700.
Status make_private_dirs(const std::string& path);
// Reads a file that must be regular, ours, mode 0600 and at most 1 MiB.
Result<std::string> read_private(const std::string& path);
// Creates `path` (which must not exist) with mode 0600 and `data`, synced.
Status write_private(const std::string& path, const std::string& data);
// Creates `path` with `data` all at once: written to a temporary sibling,
// then linked into place, so that a reader sees the whole file or none and
// of two processes creating it at once exactly one wins (EEXIST for the
// other, which should then read the winner's).
Status publish_private(const std::string& path, const std::string& data);

}  // namespace nsgx::attest
