// nsgx-edger8r: EDL → trusted and untrusted C bridges, command-line
// compatible with the SGX SDK's sgx_edger8r.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/cli/command_line.h"
#include "sdk/edger8r/codegen.h"
#include "sdk/edger8r/parser.h"

namespace {

bool write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "nsgx-edger8r: cannot write " << p.string() << "\n";
    return false;
  }
  return true;
}

}  // namespace

// A function-try-block: an exception nothing else caught (std::bad_alloc, a
// filesystem error) ends in a message and status 1, not std::terminate's abort.
int main(int argc, char** argv) try {
  CLI::App app{"nsgx-edger8r: generates the trusted and untrusted bridges of an EDL file"};
  app.name("nsgx-edger8r");
  nsgx::cli::set_version(app, "nsgx-edger8r");
  std::vector<std::string> files, search;
  std::string trusted_dir = ".", untrusted_dir = ".";
  bool trusted = false, untrusted = false, header_only = false, use_prefix = false;
  app.add_option("files", files, "EDL files")->required()->check(CLI::ExistingFile);
  app.add_flag("--trusted", trusted, "generate the trusted side only (with --untrusted: both)");
  app.add_flag("--untrusted", untrusted, "generate the untrusted side only (with --trusted: both)");
  app.add_option("--trusted-dir", trusted_dir, "directory for <name>_t.h/.c");
  app.add_option("--untrusted-dir", untrusted_dir, "directory for <name>_u.h/.c");
  app.add_option("--search-path", search, "directories to search for imported EDL files (':'-separated, repeatable)");
  app.add_flag("--header-only", header_only, "generate headers only");
  app.add_flag("--use-prefix", use_prefix, "prefix untrusted ECALL proxies with the enclave name");
  // Exit status, as every nestedsgx tool: 0 generated, 1 a file that
  // cannot be written, 2 bad input (an EDL that does not compile) or usage.
  if (const auto rc = nsgx::cli::parse_command_line(app, argc, argv)) return *rc;
  if (!trusted && !untrusted) trusted = untrusted = true;

  nsgx::edl::ParseOptions po;
  for (const auto& s : search) {
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t colon = s.find(':', start);
      const std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) po.search_path.push_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  po.require_public_ecall = !header_only;
  for (const auto& file : files) {
    auto e = nsgx::edl::parse_file(file, po);
    if (!e) {
      std::cerr << e.error().message() << "\n";
      return 2;
    }
    const auto g = nsgx::edl::generate(*e, nsgx::edl::CodegenOptions{use_prefix});
    namespace fs = std::filesystem;
    const fs::path td(trusted_dir), ud(untrusted_dir);
    if (trusted && !(write(td / (e->short_name + "_t.h"), g.trusted_header) &&
                     (header_only || write(td / (e->short_name + "_t.c"), g.trusted_source))))
      return 1;
    if (untrusted && !(write(ud / (e->short_name + "_u.h"), g.untrusted_header) &&
                       (header_only || write(ud / (e->short_name + "_u.c"), g.untrusted_source))))
      return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nsgx-edger8r: error: %s\n", e.what());
  return 1;
} catch (...) {
  std::fprintf(stderr, "nsgx-edger8r: error: unexpected exception\n");
  return 1;
}
