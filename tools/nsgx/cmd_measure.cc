#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "tools/nsgx/commands.h"
#include "tools/nsgx/source.h"

namespace nsgx::cli {

namespace {
struct MeasureOptions {
  SourceOptions source;
  bool json = false;
};
}  // namespace

void add_measure(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("measure",
                                 "print the MRENCLAVE of an enclave, computed by replaying ECREATE/EADD/EEXTEND "
                                 "(never copied from a SIGSTRUCT)");
  auto opts = std::make_shared<MeasureOptions>();
  opts->source.add_to(*cmd);
  cmd->add_flag("--json", opts->json, "print JSON: mrenclave, the input's kind and path, the pages added");
  cmd->callback([opts, &exit_code] {
    auto m = measure_source(opts->source);
    if (!m) {
      std::cerr << "nsgx measure: " << m.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    if (!opts->json) {
      std::cout << to_hex(m->mrenclave) << "\n";
      return;
    }
    const SourceOptions& s = opts->source;
    nlohmann::ordered_json j;
    j["mrenclave"] = to_hex(m->mrenclave);
    j["input"] = !s.sgxs.empty() ? "sgxs" : !s.pages.empty() ? "pages" : "image";
    j["file"] = !s.sgxs.empty() ? s.sgxs : !s.pages.empty() ? s.pages : s.image;
    j["pages"] = m->pages;
    std::cout << j.dump(2) << "\n";
  });
}

}  // namespace nsgx::cli
