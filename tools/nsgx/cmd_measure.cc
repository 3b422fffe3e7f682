#include <iostream>
#include <memory>

#include "tools/nsgx/commands.h"
#include "tools/nsgx/source.h"

namespace nsgx::cli {

void add_measure(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("measure",
                                 "print the MRENCLAVE of an enclave, computed by replaying ECREATE/EADD/EEXTEND "
                                 "(never copied from a SIGSTRUCT)");
  auto opts = std::make_shared<SourceOptions>();
  opts->add_to(*cmd);
  cmd->callback([opts, &exit_code] {
    auto m = measure_source(*opts);
    if (!m) {
      std::cerr << "nsgx measure: " << m.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    std::cout << to_hex(m->mrenclave) << "\n";
  });
}

}  // namespace nsgx::cli
