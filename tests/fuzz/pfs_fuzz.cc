// Fuzzes the library OS's protected files (libos/fs/pfs.h) from the side
// the host controls: the first byte chooses
//   0  the rest is the storage file, opened and read whole (an
//      attacker-supplied file: parsing of the header, the tag nodes, the
//      lengths);
//   1  the rest scripts the storage's answers (short, oversize, negative,
//      zero counts, flipped bits in what it returns) to every pread and
//      pwrite while a valid file is opened, read, rewritten and flushed.
// Nothing may crash or read past a buffer; and no altered answer may be
// accepted as the file's contents.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "libos/fs/pfs.h"
#include "libos/fs/testing/fake_seal_key.h"

namespace {

using namespace nsgx::pfs;  // NOLINT(google-build-using-namespace): a fuzzer's one file

constexpr char kPath[] = "/fuzz/file";

struct Store {
  std::vector<std::uint8_t> data;
  const std::uint8_t* script = nullptr;
  std::size_t script_len = 0;
  std::size_t pos = 0;
  bool altered = false;  // an answer changed the bytes returned

  std::uint8_t next() { return pos < script_len ? script[pos++] : 0; }

  std::int64_t pread(void* buf, std::uint64_t len, std::uint64_t off) {
    std::uint64_t n = off >= data.size() ? 0 : std::min<std::uint64_t>(len, data.size() - off);
    if (n != 0) std::memcpy(buf, data.data() + off, n);
    switch (next() % 8) {
      case 0:
      case 1:
      case 2:
        return static_cast<std::int64_t>(n);
      case 3:
        return static_cast<std::int64_t>(n / 2);
      case 4:
        return -5;
      case 5:
        return static_cast<std::int64_t>(len + 1 + next());
      case 6:
        return 0;
      default:
        if (n != 0) {
          const std::uint64_t at = (static_cast<std::uint64_t>(next()) << 8 | next()) % n;
          static_cast<std::uint8_t*>(buf)[at] ^= static_cast<std::uint8_t>(1U << (next() % 8));
          altered = true;
        }
        return static_cast<std::int64_t>(n);
    }
  }
  std::int64_t pwrite(const void* buf, std::uint64_t len, std::uint64_t off) {
    switch (next() % 6) {
      case 4:
        return -28;
      case 5:
        return static_cast<std::int64_t>(len + 1);
      default:
        break;
    }
    if (data.size() < off + len) data.resize(off + len);
    std::memcpy(data.data() + off, buf, len);
    return static_cast<std::int64_t>(len);
  }

  Storage storage() {
    return Storage{
        this, [](void* c, void* b, std::uint64_t l, std::uint64_t o) { return static_cast<Store*>(c)->pread(b, l, o); },
        [](void* c, const void* b, std::uint64_t l, std::uint64_t o) {
          return static_cast<Store*>(c)->pwrite(b, l, o);
        },
        [](void* c, std::uint64_t l) {
          static_cast<Store*>(c)->data.resize(l);
          return std::int64_t{0};
        },
        [](void*) { return std::int64_t{0}; }};
  }
};

std::vector<std::uint8_t> plain(std::size_t n) {
  std::vector<std::uint8_t> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return b;
}

// A valid file of 130 chunks (two tag nodes), made once.
const std::vector<std::uint8_t>& valid_file() {
  static const std::vector<std::uint8_t> file = [] {
    Store s;
    File* fl = nullptr;
    if (open(kPath, kRead | kWrite | kCreate, KeySource{}, s.storage(), nullptr, &fl) != Error::kOk) std::abort();
    const auto p = plain(130 * format::kChunkSize - 77);
    if (write(fl, 0, p.data(), p.size()) != Error::kOk || close(fl, nullptr) != Error::kOk) std::abort();
    return s.data;
  }();
  return file;
}

void read_whole(Store& s, bool check) {
  File* fl = nullptr;
  if (open(kPath, kRead | kWrite, KeySource{}, s.storage(), nullptr, &fl) != Error::kOk) return;
  std::vector<std::uint8_t> b(static_cast<std::size_t>(std::min<std::uint64_t>(size(fl), 1U << 22)));
  std::size_t done = 0;
  const Error e = read(fl, 0, b.data(), b.size(), &done);
  // Whatever was accepted is the file's contents, whatever the host did.
  if (check && e == Error::kOk) {
    const auto p = plain(130 * format::kChunkSize - 77);
    if (done != p.size() || std::memcmp(b.data(), p.data(), done) != 0) std::abort();
  }
  const std::uint8_t x[5000] = {1};
  (void)write(fl, 4000, x, sizeof x);
  (void)truncate(fl, 129 * format::kChunkSize + 3);
  (void)close(fl, nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Store s;
  if (data[0] % 2 == 0) {
    s.data.assign(data + 1, data + size);
    read_whole(s, false);
  } else {
    s.data = valid_file();
    s.script = data + 1;
    s.script_len = size - 1;
    read_whole(s, true);
  }
  return 0;
}
