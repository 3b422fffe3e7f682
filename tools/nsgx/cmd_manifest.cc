// `nsgx manifest TOML [--out FILE]`: checks a library OS manifest
// (docs/libos.md) and writes its canonical binary form, the bytes the
// library OS enclave will measure and parse. Prints the form's SHA-256 and
// what it says, so that a manifest can be reviewed as the enclave sees it.
#include <iostream>
#include <memory>
#include <string>

#include "crypto/sha.h"
#include "libos/manifest/manifest.h"
#include "libos/manifest/toml_manifest.h"
#include "tools/nsgx/commands.h"

namespace nsgx::cli {

void add_manifest(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "manifest", "check a library OS manifest (TOML) and write its canonical binary form, as the enclave measures it");
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("TOML", *in, "the manifest")->required();
  cmd->add_option("--out", *out, "where to write the binary form");
  cmd->callback([in, out, &exit_code] {
    const auto fail = [&exit_code](const std::string& why) {
      std::cerr << "nsgx manifest: " << why << "\n";
      exit_code = kExitBadInput;
    };
    auto text = read_file(*in);
    if (!text) return fail(text.error().message());
    auto m = libos::manifest_from_toml(std::string(text->begin(), text->end()), *in);
    if (!m) return fail(m.error().message());
    auto bin = libos::encode_manifest(*m);
    if (!bin) return fail(bin.error().message());
    if (!out->empty()) {
      if (auto st = write_file(*out, *bin); !st) return fail(st.error().message());
    }
    const auto digest = crypto::sha256(*bin);
    std::cout << "manifest sha256 " << to_hex(digest) << " (" << bin->size() << " bytes)\n";
    std::cout << "entrypoint " << m->entrypoint << "\n";
    if (!m->argv0.empty()) std::cout << "argv0 " << m->argv0 << "\n";
    for (std::size_t i = 0; i < m->argv.size(); ++i) std::cout << "argv " << i << " " << m->argv[i] << "\n";
    for (const auto& [name, value] : m->env) std::cout << "env " << name << "=" << value << "\n";
    for (const auto& f : m->trusted_files) std::cout << "trusted " << to_hex(f.sha256) << " " << f.path << "\n";
    for (const auto& d : m->trusted_dirs) std::cout << "trusted_dir " << to_hex(d.sha256) << " " << d.path << "\n";
    for (const auto& f : m->allowed_files) std::cout << "allowed " << f << "\n";
    for (const auto& e : m->encrypted_files)
      std::cout << "encrypted " << (e.key == libos::EncryptedKey::kMrsigner ? "_sgx_mrsigner " : "_sgx_mrenclave ")
                << e.path << "\n";
    if (m->enclave_size != 0) std::cout << "enclave_size " << m->enclave_size << "\n";
    if (m->max_threads != 0) std::cout << "max_threads " << m->max_threads << "\n";
  });
}

}  // namespace nsgx::cli
