// The platform secrets of a backend, created once and kept in a state
// directory (BRIEF §5: sealed data must survive restarts).
#pragma once

#include <string>

#include "base/result.h"
#include "monitor/platform.h"

namespace nsgx::runtime {

// The state directory of a user's own monitor (private or inproc):
// $NSGX_STATE_DIR (test builds only, NSGX_ENV_OVERRIDES), else
// $XDG_STATE_HOME/nsgx, else ~/.local/state/nsgx ($HOME, else the password
// database); empty if none is known. The system monitor's is /var/lib/nsgx.
std::string default_state_dir();

// Reads `dir`/`name`, or creates it (directory 0700, file 0600, written
// atomically) with fresh random secrets. A file of the wrong size or with
// group/other access is an error, never silently replaced.
Result<monitor::PlatformSecrets> load_or_create_secrets(const std::string& dir, const std::string& name);

}  // namespace nsgx::runtime
