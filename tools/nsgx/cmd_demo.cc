// `nsgx demo`: the sample application (examples/sealed_counter) end to end
// on the default backend — the isolated one (a private nsgx-monitor per run). It
// loads a signed enclave, shows the identity the monitor reports, bumps a
// counter that exists on disk only sealed to the enclave's signer, runs a
// second time in a new process (a new monitor instance, same platform
// secrets) to show the count survives, and shows a modified blob refused.
#include <filesystem>
#include <iostream>

#include "base/bytes.h"
#include "identity/sigstruct.h"
#include "image/sdk_image.h"
#include "runtime/common/platform_secrets.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/process.h"

namespace nsgx::cli {

void add_demo(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("demo", "run the sample enclave application end to end (isolated backend, the default)");
  cmd->callback([&exit_code] {
    const std::string sample = find_helper("sealed_counter", "NSGX_DEMO_DIR", NSGX_DEMO_BUILD_DIR);
    const std::string enclave = find_helper("sealed_counter_enclave.signed.so", "NSGX_DEMO_DIR", NSGX_DEMO_BUILD_DIR);
    if (sample.empty() || enclave.empty()) {
      std::cerr << "nsgx demo: the sample application is not built (examples/sealed_counter; or set NSGX_DEMO_DIR)\n";
      exit_code = kExitBadInput;
      return;
    }
    // One counter per signer: a blob sealed under another key (an earlier
    // build's) would rightly be refused, so each signer keeps its own.
    std::string signer = "unsigned";
    if (auto bytes = read_file(enclave)) {
      if (auto img = image::SdkImage::parse(std::move(*bytes))) {
        const auto m = identity::mrsigner(img->sigstruct());
        signer = to_hex(ByteSpan(m.data(), 8));
      }
    }
    const std::string state = (std::filesystem::path(runtime::default_state_dir()) / "demo" / signer).string();
    std::error_code ec;
    std::filesystem::create_directories(state, ec);
    std::cout << "nestedsgx demo: an SGX SDK-style application and its signed enclave, unmodified, on the isolated\n"
              << "backend (the default): the enclave runs in its own sandboxed enclave-host process, the monitor\n"
              << "process keeps its memory and keys and checks its launch; the application never maps enclave memory.\n"
              << "  application: " << sample << "\n  enclave:     " << enclave << "\n  state:       " << state << "\n";
    for (int round = 1; round <= 2; ++round) {
      std::cout << "\n--- run " << round << (round == 2 ? " (a new process: a new monitor instance)" : "") << "\n";
      const int rc = run_process({sample, enclave, state});
      if (rc != 0) {
        std::cerr << "nsgx demo: the sample application failed (exit " << rc << ")\n";
        exit_code = kExitVerifyFailed;
        return;
      }
    }
    std::cout << "\ndemo done: measured launch, reports, sealing bound to the signer, tamper detection.\n";
  });
}

}  // namespace nsgx::cli
