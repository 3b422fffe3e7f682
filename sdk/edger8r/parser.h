// EDL parsing and checking, with sgx_edger8r's rules: imports resolved
// through a search path (root functions first, then imported files depth
// first), every pointer attribute combination the SDK refuses refused, and
// every error naming the file and line.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "sdk/edger8r/edl.h"

namespace nsgx::edl {

struct ParseOptions {
  std::vector<std::string> search_path;  // for `from "x.edl" import …`, after the importing file's directory
  bool require_public_ecall = true;      // sgx_edger8r refuses an enclave without one (unless --header-only)
};

// Parses the EDL file at `path` and everything it imports.
Result<Enclave> parse_file(const std::string& path, const ParseOptions& options);

// Parses EDL source `text` as if read from `path` (imports are still read
// from files).
Result<Enclave> parse_text(const std::string& path, const std::string& text, const ParseOptions& options);

// The C identifier sgx_edger8r derives from a file name: the base name
// without its last extension, every other character than [A-Za-z0-9_] → '_'.
std::string enclave_name_of(const std::string& path);

}  // namespace nsgx::edl
