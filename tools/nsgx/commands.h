// Subcommands of `nsgx`. Each registers itself on the app and writes its
// exit status to `exit_code` when it runs: 0 success, 1 a verification
// failed (the reason is printed), 2 bad input or usage.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace nsgx::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitVerifyFailed = 1;
inline constexpr int kExitBadInput = 2;

void add_measure(CLI::App& app, int& exit_code);
void add_sigstruct(CLI::App& app, int& exit_code);
void add_sign(CLI::App& app, int& exit_code);
void add_keygen(CLI::App& app, int& exit_code);
void add_exec(CLI::App& app, int& exit_code);
// Whether this kernel can make CPUID fault (arch_prctl(ARCH_SET_CPUID)):
// where it can, `nsgx exec --cpuid auto` does (cmd_exec.cc).
bool cpuid_faulting_available();
// `nsgx gdb`: add_gdb registers it (help); run_gdb runs it from main before
// CLI11 parses (argv after "gdb"), or returns nullopt for CLI11's help.
void add_gdb(CLI::App& app);
std::optional<int> run_gdb(int argc, char** argv);
void add_bench(CLI::App& app, int& exit_code);
void add_demo(CLI::App& app, int& exit_code);
// `nsgx manifest`: a library OS manifest checked and compiled (docs/libos.md).
void add_manifest(CLI::App& app, int& exit_code);
// `nsgx run` and `nsgx libos build`: a program in the library OS enclave (docs/libos.md).
void add_run(CLI::App& app, int& exit_code);

// `nsgx verify` is a group: add_verify makes it, and each kind of evidence
// adds its subcommand to the group it returns (snp, quote).
CLI::App* add_verify(CLI::App& app);
void add_verify_snp(CLI::App& verify, int& exit_code);
void add_verify_quote(CLI::App& verify, int& exit_code);
// `nsgx quote`: a quote of the remote attestation example's enclave (tests).
void add_quote(CLI::App& app, int& exit_code);
// `nsgx snp report`: SNP evidence from /dev/sev-guest or the emulated root.
void add_snp(CLI::App& app, int& exit_code);

}  // namespace nsgx::cli
