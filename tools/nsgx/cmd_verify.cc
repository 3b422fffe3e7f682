// `nsgx verify`: a group with one subcommand per kind of evidence
// (`snp`, `quote`).
#include "tools/nsgx/commands.h"

namespace nsgx::cli {

CLI::App* add_verify(CLI::App& app) {
  auto* verify = app.add_subcommand("verify", "verify attestation evidence; exit 0 verified, 1 not, 2 bad input");
  verify->require_subcommand(1);
  return verify;
}

}  // namespace nsgx::cli
