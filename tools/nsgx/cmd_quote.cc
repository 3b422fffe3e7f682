// `nsgx quote`: a quote from a real enclave, for tests and for trying the
// verifier. It runs the remote attestation example's application
// (examples/remote_attestation: ra_app), which loads the enclave — by
// default the example's own, or any enclave implementing its Enclave.edl —
// asks it for a REPORT binding the nonce, and has the monitor of the
// backend in use quote it (the isolated one by default; under
// `nsgx exec -- nsgx quote ...` the in-process one).
#include <iostream>
#include <memory>

#include "tools/nsgx/commands.h"
#include "tools/nsgx/process.h"

namespace nsgx::cli {

namespace {
struct Options {
  std::string out, nonce, enclave;
  bool debug = false;
};
}  // namespace

void add_quote(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("quote", "write a quote of an enclave (examples/remote_attestation), for tests");
  cmd->add_option("--out", o->out, "where to write the quote")->required();
  cmd->add_option("--nonce", o->nonce, "the verifier's nonce: 32 bytes of hex")->required();
  cmd->add_option("--enclave", o->enclave,
                  "a signed enclave implementing examples/remote_attestation/Enclave.edl (default: the example's)");
  cmd->add_flag("--debug", o->debug, "load it as a debug enclave");
  cmd->callback([o, &exit_code] {
    const std::string helper = find_helper("ra_app", "NSGX_RA_DIR", NSGX_RA_BUILD_DIR);
    std::string enclave = o->enclave;
    if (enclave.empty()) enclave = find_helper("ra_enclave.signed.so", "NSGX_RA_DIR", NSGX_RA_BUILD_DIR);
    if (helper.empty() || enclave.empty()) {
      std::cerr << "nsgx quote: the remote attestation example is not built (examples/remote_attestation; or set "
                   "NSGX_RA_DIR)\n";
      exit_code = kExitBadInput;
      return;
    }
    std::vector<std::string> argv = {helper, "quote", enclave, o->nonce, o->out};
    if (o->debug) argv.push_back("--debug");
    const int rc = run_process(argv);
    if (rc != 0) {
      std::cerr << "nsgx quote: " << helper << " failed (exit " << rc << ")\n";
      exit_code = rc == 2 ? kExitBadInput : kExitVerifyFailed;
    }
  });
}

}  // namespace nsgx::cli
