// Writes seeds for pfs_fuzz (scripts/fuzz): a valid protected file (mode
// 0) and an all-honest storage script (mode 1).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "libos/fs/pfs.h"

namespace {
struct Store {
  std::vector<unsigned char> data;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  using namespace nsgx::pfs;  // NOLINT(google-build-using-namespace)
  Store s;
  Storage st{&s,
             [](void* c, void* b, std::uint64_t l, std::uint64_t o) -> std::int64_t {
               auto& d = static_cast<Store*>(c)->data;
               if (o >= d.size()) return 0;
               const std::uint64_t n = l < d.size() - o ? l : d.size() - o;
               std::copy_n(d.begin() + static_cast<std::ptrdiff_t>(o), n, static_cast<unsigned char*>(b));
               return static_cast<std::int64_t>(n);
             },
             [](void* c, const void* b, std::uint64_t l, std::uint64_t o) -> std::int64_t {
               auto& d = static_cast<Store*>(c)->data;
               if (d.size() < o + l) d.resize(o + l);
               std::copy_n(static_cast<const unsigned char*>(b), l, d.begin() + static_cast<std::ptrdiff_t>(o));
               return static_cast<std::int64_t>(l);
             },
             [](void* c, std::uint64_t l) -> std::int64_t {
               static_cast<Store*>(c)->data.resize(l);
               return 0;
             },
             [](void*) -> std::int64_t { return 0; }};
  File* fl = nullptr;
  if (open("/fuzz/file", kRead | kWrite | kCreate, KeySource{}, st, nullptr, &fl) != Error::kOk) return 1;
  const unsigned char text[] = "a protected file";
  if (write(fl, 0, text, sizeof text) != Error::kOk || close(fl, nullptr) != Error::kOk) return 1;
  FILE* f = std::fopen(argv[1], "wb");
  if (f == nullptr || std::fputc(0, f) == EOF || std::fwrite(s.data.data(), 1, s.data.size(), f) != s.data.size() ||
      std::fclose(f) != 0)
    return 1;
  f = std::fopen(argv[2], "wb");
  const unsigned char honest[64] = {1};
  return f != nullptr && std::fwrite(honest, 1, sizeof honest, f) == sizeof honest && std::fclose(f) == 0 ? 0 : 1;
}
