// Running other programs from nsgx subcommands (bench, demo): this
// binary's path, a child run to completion, and finding a helper program
// in an environment variable, beside the installed binary, or in the build tree.
#pragma once

#include <string>
#include <vector>

namespace nsgx::cli {

std::string self_exe();

// Runs argv[0] with argv, waits; its exit status (128 + signal if killed, -1 if it could not start).
int run_process(std::vector<std::string> argv);
// The same, its stdout and stderr written to files (truncated; an empty
// path leaves that stream as it is), with `env` (NAME=VALUE) added to its
// environment.
int run_process_to(std::vector<std::string> argv, const std::string& out, const std::string& err,
                   const std::vector<std::string>& env = {});

// The first readable file of: $env_var (a file or a directory holding
// `name`), then PREFIX/libexec/nestedsgx/name for an installed nsgx or
// build_dir/name in a build tree (base/install_layout.h). Empty if none.
std::string find_helper(const std::string& name, const char* env_var, const std::string& build_dir);

}  // namespace nsgx::cli
