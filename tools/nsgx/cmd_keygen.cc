#include <sys/stat.h>

#include <iostream>
#include <memory>

#include "crypto/rsa.h"
#include "identity/sigstruct.h"
#include "tools/nsgx/commands.h"

namespace nsgx::cli {

void add_keygen(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("keygen", "make an RSA-3072 signing key with public exponent 3 (PKCS#1 PEM)");
  auto out = std::make_shared<std::string>();
  cmd->add_option("--out", *out, "where to write the private key (mode 0600)")->required();
  cmd->callback([out, &exit_code] {
    auto key = crypto::RsaPrivateKey::generate(3072, 3);
    auto pem = key ? key->to_pem() : Result<std::string>(key.error());
    if (!pem) {
      std::cerr << "nsgx keygen: " << pem.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    const mode_t old = umask(077);
    auto st = write_file(*out, ByteSpan(reinterpret_cast<const std::uint8_t*>(pem->data()), pem->size()));
    umask(old);
    if (!st) {
      std::cerr << "nsgx keygen: " << st.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    std::cout << "MRSIGNER " << to_hex(identity::mrsigner(*key)) << "\n";
  });
}

}  // namespace nsgx::cli
