// `nsgx demo`: the example applications (examples/) end to end on the
// default backend — the isolated one, served by the system monitor when one
// runs (the boundary: user nsgx-monitor), else by a private nsgx-monitor per
// application (no isolation from the user); it says which:
//  1. hello: a measured launch, an ECALL in and an OCALL out;
//  2. local attestation: a REPORT targeted at a second enclave, verified
//     there; tampered, mis-targeted and replayed reports refused;
//  3. the sealed counter: a count that exists on disk only sealed to the
//     enclave's signer, bumped in two processes (a new monitor instance,
//     same platform secrets), and a modified blob refused.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "base/bytes.h"
#include "identity/sigstruct.h"
#include "image/sdk_image.h"
#include "runtime/common/platform_secrets.h"
#include "runtime/isolated/paths.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/process.h"

namespace nsgx::cli {
namespace {

std::string example(const std::string& dir, const std::string& name) {
  return find_helper(name, "NSGX_DEMO_DIR", std::string(NSGX_DEMO_BUILD_DIR) + "/" + dir);
}

// MRENCLAVE by replaying the image (what the monitor will measure; never
// read from the SIGSTRUCT) and MRSIGNER from its SIGSTRUCT's key.
struct Identity {
  std::string mrenclave, mrsigner;
};
Identity identity_of(const std::string& path) {
  Identity id{"(unreadable)", "(unreadable)"};
  auto bytes = read_file(path);
  if (!bytes) return id;
  auto img = image::SdkImage::parse(std::move(*bytes));
  if (!img) return id;
  identity::MeasuringBuilder m;
  if (img->replay(m)) id.mrenclave = to_hex(ByteSpan(m.mrenclave().data(), m.mrenclave().size()));
  const auto s = identity::mrsigner(img->sigstruct());
  id.mrsigner = to_hex(ByteSpan(s.data(), s.size()));
  return id;
}

// Runs one example; `title` (if any) heads its output.
bool step(const std::string& title, const std::vector<std::string>& argv) {
  if (!title.empty()) std::cout << "\n=== " << title << "\n";
  std::cout << std::flush;
  const int rc = run_process(argv);
  if (rc != 0) std::cerr << "nsgx demo: " << argv[0] << " failed (exit " << rc << ")\n";
  return rc == 0;
}

}  // namespace

void add_demo(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("demo", "run the example enclave applications end to end (isolated backend, the default)");
  cmd->callback([&exit_code] {
    const std::string hello = example("hello", "hello"), hello_enclave = example("hello", "hello_enclave.signed.so");
    const std::string la = example("local_attestation", "local_attestation");
    const std::string la_ini = example("local_attestation", "la_initiator.signed.so");
    const std::string la_res = example("local_attestation", "la_responder.signed.so");
    const std::string sample = example("sealed_counter", "sealed_counter");
    const std::string enclave = example("sealed_counter", "sealed_counter_enclave.signed.so");
    for (const std::string* p : {&hello, &hello_enclave, &la, &la_ini, &la_res, &sample, &enclave})
      if (p->empty()) {
        std::cerr << "nsgx demo: the example applications are not built (examples/; or set NSGX_DEMO_DIR to a "
                     "directory holding them)\n";
        exit_code = kExitBadInput;
        return;
      }
    // One counter per signer: a blob sealed under another key (an earlier
    // build's) would rightly be refused, so each signer keeps its own.
    std::cout
        << "nestedsgx demo: SGX SDK-style applications and their signed enclaves, unmodified, on the isolated\n"
        << "backend (the default): each enclave runs in its own sandboxed enclave-host process, the monitor\n"
        << "process keeps its memory and keys and checks its launch; the application never maps enclave memory.\n";
    // The same search the applications' untrusted runtime makes.
    std::string why;
    auto found = isolated::find_monitor(&why);
    if (found.conn.refused) {
      std::cerr << "nsgx demo: " << why << "\n";
      exit_code = kExitVerifyFailed;
      return;
    }
    if (found.conn.fd >= 0) close(found.conn.fd);
    // One counter per signer and per kind of monitor: a blob sealed under
    // another key or other platform secrets (a private monitor's) would
    // rightly be refused.
    const Identity counter_id = identity_of(enclave);
    const bool system = found.kind == isolated::MonitorKind::kSystem;
    const std::string state = (std::filesystem::path(runtime::default_state_dir()) / "demo" /
                               (system ? "system" : "private") / counter_id.mrsigner.substr(0, 16))
                                  .string();
    std::error_code ec;
    std::filesystem::create_directories(state, ec);
    std::cout << "\nmonitor: " << isolated::describe(found.kind);
    if (found.kind == isolated::MonitorKind::kSystem)
      std::cout << " at " << found.path << "\n  enclave memory, platform secrets and keys are out of reach of "
                << (getuid() == 0 ? "every unprivileged user (root, which you are, stays trusted).\n"
                                  : "your user and of every other unprivileged user.\n");
    else
      std::cout << "\n  the monitor runs as your user: it keeps enclaves from this application's code, but any\n"
                << "  process of your user can read its secrets. For the real boundary start the system monitor:\n"
                << "  sudo scripts/install-service (docs/isolated.md).\n";

    const Identity h = identity_of(hello_enclave);
    std::cout << "\n=== 1. hello: one ECALL in, one OCALL out\n  enclave   " << hello_enclave << "\n  MRENCLAVE "
              << h.mrenclave << "  (replayed from the image, as the monitor measures it)\n  MRSIGNER  " << h.mrsigner
              << "\n";
    if (!step("", {hello, hello_enclave, "nestedsgx"})) {
      exit_code = kExitVerifyFailed;
      return;
    }
    std::cout << "proved: the monitor launched the enclave from its measured image (EINIT checked the SIGSTRUCT\n"
              << "against that measurement), the ECALL ran inside on a copy of its input, and came back out.\n";

    if (!step("2. local attestation between two enclaves of one signer", {la, la_ini, la_res})) {
      exit_code = kExitVerifyFailed;
      return;
    }
    std::cout << "proved: a REPORT is bound to the enclave that asked for it (MRENCLAVE, MRSIGNER) and to the\n"
              << "enclave it targets; only that target can check it, and any change to it is detected.\n";

    std::cout << "\n=== 3. a sealed counter\n  enclave   " << enclave << "\n  MRENCLAVE " << counter_id.mrenclave
              << "\n  MRSIGNER  " << counter_id.mrsigner << "\n  state     " << state << "\n";
    for (int round = 1; round <= 2; ++round) {
      std::cout << "\n--- run " << round
                << (round == 2 ? (system ? " (a new process)" : " (a new process: a new monitor instance)") : "") << "\n";
      if (!step("", {sample, enclave, state})) {
        exit_code = kExitVerifyFailed;
        return;
      }
    }
    std::cout << "proved: data sealed to the signer survives a new process; a modified\n"
              << "sealed blob is refused.\n"
              << "\ndemo done: measured launch, ECALL/OCALL, local attestation, sealing bound to the signer, tamper "
                 "detection.\n";
  });
}

}  // namespace nsgx::cli
