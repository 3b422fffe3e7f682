// Writes a valid binary manifest, and a valid listing of a trusted
// directory, to seed manifest_fuzz with (scripts/fuzz).
#include <cstdio>

#include "libos/manifest/manifest.h"

namespace {

bool write(const char* path, const nsgx::Bytes& b) {
  FILE* f = std::fopen(path, "wb");
  if (f == nullptr || std::fwrite(b.data(), 1, b.size(), f) != b.size()) return false;
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  nsgx::libos::Manifest m;
  m.entrypoint = "/usr/local/bin/hello";
  m.argv0 = "hello";
  m.env = {{"HOME", "/"}, {"LANG", "C"}};
  m.trusted_files = {{"/etc/data", {}}, {"/usr/local/bin/hello", {0xaa}}};
  m.allowed_files = {"/tmp/out.txt"};
  m.enclave_size = 256u << 20;
  m.max_threads = 4;
  m.trusted_dirs = {{"/usr/lib/py", {0x11}}};
  auto b = nsgx::libos::encode_manifest(m);
  auto l = nsgx::libos::encode_trusted_listing(
      "/usr/lib/py",
      {{"/usr/lib/py/os.py", {0x22}}, {"/usr/lib/py/json/__init__.py", {0x33}}, {"/usr/lib/py/a-b", {}}});
  if (!b || !l) return 1;
  return write(argv[1], *b) && write(argv[2], *l) ? 0 : 1;
}
