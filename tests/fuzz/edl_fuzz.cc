// Fuzzes the EDL parser and code generator: hostile EDL gets an error with
// a file and line, never a crash. Runs in an empty directory so imports
// find nothing.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sdk/edger8r/codegen.h"
#include "sdk/edger8r/parser.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/edl-fuzz-XXXXXX";
  if (mkdtemp(tmpl) == nullptr || chdir(tmpl) != 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nsgx::edl::ParseOptions o;
  o.require_public_ecall = (size % 2) == 0;
  auto e = nsgx::edl::parse_text("fuzz.edl", text, o);
  if (e) (void)nsgx::edl::generate(*e, nsgx::edl::CodegenOptions{(size % 3) == 0});
  else if (e.error().message().rfind("fuzz.edl:", 0) != 0 && e.error().message().find(".edl") == std::string::npos)
    std::abort();  // every error names its file
  return 0;
}
