// Writes a valid binary manifest to seed manifest_fuzz with (scripts/fuzz).
#include <cstdio>

#include "libos/manifest/manifest.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  nsgx::libos::Manifest m;
  m.entrypoint = "/usr/local/bin/hello";
  m.argv0 = "hello";
  m.env = {{"HOME", "/"}, {"LANG", "C"}};
  m.trusted_files = {{"/etc/data", {}}, {"/usr/local/bin/hello", {0xaa}}};
  m.allowed_files = {"/tmp/out.txt"};
  m.enclave_size = 256u << 20;
  m.max_threads = 4;
  auto b = nsgx::libos::encode_manifest(m);
  if (!b) return 1;
  FILE* f = std::fopen(argv[1], "wb");
  if (f == nullptr || std::fwrite(b->data(), 1, b->size(), f) != b->size()) return 1;
  return std::fclose(f) == 0 ? 0 : 1;
}
