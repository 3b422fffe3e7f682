// nsgx — the nestedsgx command line (BRIEF §6).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <exception>

#include "base/cli/command_line.h"
#include "tools/nsgx/commands.h"

// A function-try-block: whatever a command did not turn into an exit status
// (std::bad_alloc, a std::filesystem error) ends in a message and status 1,
// the documented failure status, not in std::terminate's abort.
int main(int argc, char** argv) try {
  CLI::App app{"nsgx: SGX-compatible enclaves on a security monitor"};
  app.name("nsgx");
  nsgx::cli::set_version(app, "nsgx");
  app.require_subcommand(1);
  int exit_code = nsgx::cli::kExitOk;
  nsgx::cli::add_measure(app, exit_code);
  nsgx::cli::add_sigstruct(app, exit_code);
  nsgx::cli::add_sign(app, exit_code);
  nsgx::cli::add_keygen(app, exit_code);
  nsgx::cli::add_exec(app, exit_code);
  nsgx::cli::add_gdb(app);
  nsgx::cli::add_bench(app, exit_code);
  nsgx::cli::add_demo(app, exit_code);
  nsgx::cli::add_manifest(app, exit_code);
  nsgx::cli::add_run(app, exit_code);
  CLI::App* verify = nsgx::cli::add_verify(app);
  nsgx::cli::add_verify_snp(*verify, exit_code);
  nsgx::cli::add_verify_quote(*verify, exit_code);
  nsgx::cli::add_quote(app, exit_code);
  nsgx::cli::add_snp(app, exit_code);
  if (argc >= 2 && std::strcmp(argv[1], "gdb") == 0)
    if (const auto rc = nsgx::cli::run_gdb(argc - 2, argv + 2)) return *rc;
  if (const auto rc = nsgx::cli::parse_command_line(app, argc, argv)) return *rc;
  return exit_code;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nsgx: error: %s\n", e.what());
  return nsgx::cli::kExitVerifyFailed;
} catch (...) {
  std::fprintf(stderr, "nsgx: error: unexpected exception\n");
  return nsgx::cli::kExitVerifyFailed;
}
