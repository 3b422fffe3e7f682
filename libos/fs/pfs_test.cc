// Protected files natively: the enclave's pfs.cc and sgx_tcrypto over an
// in-memory "untrusted" storage that tests tamper with or make hostile, and
// a fake EGETKEY (testing/fake_seal_key.h).
#include "libos/fs/pfs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "libos/fs/testing/fake_seal_key.h"

namespace nsgx::pfs {
namespace {

namespace f = format;
using Bytes = std::vector<std::uint8_t>;

// The untrusted file. hostile_pread/pwrite, if set, answer first; kHonest
// from them falls through to the honest answer.
struct MemStorage {
  MemStorage() = default;
  explicit MemStorage(Bytes d) : data(std::move(d)) {}

  Bytes data;
  std::function<std::int64_t(void*, std::uint64_t, std::uint64_t)> hostile_pread;
  std::function<std::int64_t(const void*, std::uint64_t, std::uint64_t)> hostile_pwrite;
  std::int64_t ftruncate_result = 0;
  std::int64_t fsync_result = 0;
  int fsyncs = 0;

  static constexpr std::int64_t kHonest = INT64_MAX;

  std::int64_t do_pread(void* buf, std::uint64_t len, std::uint64_t off) {
    if (hostile_pread) {
      const std::int64_t r = hostile_pread(buf, len, off);
      if (r != kHonest) return r;
    }
    return honest_pread(buf, len, off);
  }
  std::int64_t honest_pread(void* buf, std::uint64_t len, std::uint64_t off) {
    if (off >= data.size()) return 0;
    const std::uint64_t n = std::min<std::uint64_t>(len, data.size() - off);
    std::memcpy(buf, data.data() + off, n);
    return static_cast<std::int64_t>(n);
  }
  std::int64_t do_pwrite(const void* buf, std::uint64_t len, std::uint64_t off) {
    if (hostile_pwrite) {
      const std::int64_t r = hostile_pwrite(buf, len, off);
      if (r != kHonest) return r;
    }
    return honest_pwrite(buf, len, off);
  }
  std::int64_t honest_pwrite(const void* buf, std::uint64_t len, std::uint64_t off) {
    if (data.size() < off + len) data.resize(off + len);
    std::memcpy(data.data() + off, buf, len);
    return static_cast<std::int64_t>(len);
  }

  Storage storage() {
    return Storage{this,
                   [](void* c, void* b, std::uint64_t l, std::uint64_t o) {
                     return static_cast<MemStorage*>(c)->do_pread(b, l, o);
                   },
                   [](void* c, const void* b, std::uint64_t l, std::uint64_t o) {
                     return static_cast<MemStorage*>(c)->do_pwrite(b, l, o);
                   },
                   [](void* c, std::uint64_t l) {
                     auto* s = static_cast<MemStorage*>(c);
                     if (s->ftruncate_result != 0) return s->ftruncate_result;
                     s->data.resize(l);
                     return std::int64_t{0};
                   },
                   [](void* c) {
                     auto* s = static_cast<MemStorage*>(c);
                     ++s->fsyncs;
                     return s->fsync_result;
                   }};
  }
};

testing::FakeEnclave enclave(std::uint8_t platform, std::uint8_t mrenclave, std::uint8_t mrsigner) {
  testing::FakeEnclave e;
  std::memset(e.platform_secret, platform, sizeof e.platform_secret);
  std::memset(e.mrenclave, mrenclave, sizeof e.mrenclave);
  std::memset(e.mrsigner, mrsigner, sizeof e.mrsigner);
  e.svn.isv_svn = 1;
  return e;
}

constexpr char kPath[] = "/data/file.bin";
const KeySource kSeal{};  // MRENCLAVE

Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

class PfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::set_fake_enclave(enclave(1, 2, 3));
    testing::fail_seal_keys(false);
  }

  // Writes `contents` as a new file at kPath into `s`.
  static Freshness make(MemStorage& s, const Bytes& contents, const KeySource& key = kSeal, const char* path = kPath) {
    File* fl = nullptr;
    EXPECT_EQ(open(path, kRead | kWrite | kCreate, key, s.storage(), nullptr, &fl), Error::kOk);
    if (fl == nullptr) return {};
    EXPECT_EQ(write(fl, 0, contents.data(), contents.size()), Error::kOk);
    Freshness now;
    EXPECT_EQ(close(fl, &now), Error::kOk);
    return now;
  }

  // Opens read-only and reads everything: the first error, or kOk with *out.
  static Error read_all(MemStorage& s, Bytes* out = nullptr, const KeySource& key = kSeal, const char* path = kPath,
                        const Freshness* expected = nullptr) {
    File* fl = nullptr;
    Error e = open(path, kRead, key, s.storage(), expected, &fl);
    if (e != Error::kOk) return e;
    Bytes b(size(fl));
    std::size_t done = 0;
    e = read(fl, 0, b.data(), b.size(), &done);
    if (e == Error::kOk && done != b.size()) e = Error::kIo;
    (void)close(fl, nullptr);
    if (e == Error::kOk && out != nullptr) *out = std::move(b);
    return e;
  }
};

// 140 chunks: two tag nodes, a partial last chunk.
constexpr std::size_t kBig = 140 * f::kChunkSize - 1000;

TEST_F(PfsTest, WriteThenReopenReadsBack) {
  MemStorage s;
  const Bytes data = pattern(kBig, 1);
  make(s, data);
  EXPECT_EQ(s.data.size(), f::file_length(140)) << "the documented layout";
  EXPECT_EQ(std::memcmp(s.data.data(), f::kMagic, sizeof f::kMagic), 0);
  // Nothing of the plaintext is on the disk.
  EXPECT_EQ(std::search(s.data.begin(), s.data.end(), data.begin() + 5000, data.begin() + 5032), s.data.end());
  Bytes got;
  ASSERT_EQ(read_all(s, &got), Error::kOk);
  EXPECT_EQ(got, data);
}

TEST_F(PfsTest, EveryChunkWriteHasAFreshIv) {
  // GCM under one key must never see an IV twice (SP 800-38D §8): the same
  // bytes written to the same chunk again are encrypted under a new IV.
  MemStorage s;
  const Bytes data = pattern(f::kChunkSize, 17);
  make(s, data);
  const Bytes first = s.data;
  File* fl = nullptr;
  ASSERT_EQ(open(kPath, kRead | kWrite, kSeal, s.storage(), nullptr, &fl), Error::kOk);
  ASSERT_EQ(write(fl, 0, data.data(), data.size()), Error::kOk);
  ASSERT_EQ(close(fl, nullptr), Error::kOk);
  const auto iv = [](const Bytes& b) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(f::node_offset(0)),
                 b.begin() + static_cast<std::ptrdiff_t>(f::node_offset(0) + f::kIvSize));
  };
  EXPECT_NE(iv(first), iv(s.data));
  EXPECT_FALSE(std::equal(first.begin() + static_cast<std::ptrdiff_t>(f::chunk_offset(0)), first.end(),
                          s.data.begin() + static_cast<std::ptrdiff_t>(f::chunk_offset(0))));
  Bytes got;
  ASSERT_EQ(read_all(s, &got), Error::kOk);
  EXPECT_EQ(got, data);
}

TEST_F(PfsTest, AProcessRestartWithTheSameSealingKeyReadsIt) {
  MemStorage s;
  const Bytes data = pattern(10000, 2);
  make(s, data);
  // A new process: a new storage object over the same bytes, the same enclave on the same platform.
  MemStorage again{s.data};
  testing::set_fake_enclave(enclave(9, 9, 9));
  testing::set_fake_enclave(enclave(1, 2, 3));
  Bytes got;
  ASSERT_EQ(read_all(again, &got), Error::kOk);
  EXPECT_EQ(got, data);
}

TEST_F(PfsTest, RandomAccessMatchesAPlainModel) {
  MemStorage s;
  Bytes model;
  std::mt19937_64 rng(20261206);
  File* fl = nullptr;
  ASSERT_EQ(open(kPath, kRead | kWrite | kCreate, kSeal, s.storage(), nullptr, &fl), Error::kOk);
  // Offsets across the first tag node's boundary (chunk 128).
  const std::uint64_t span = 132 * f::kChunkSize;
  for (int op = 0; op < 400; ++op) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 5) {
      const std::uint64_t off = rng() % span;
      const std::size_t len = static_cast<std::size_t>(rng() % (3 * f::kChunkSize));
      const Bytes b = pattern(len, static_cast<std::uint32_t>(op));
      ASSERT_EQ(write(fl, off, b.data(), b.size()), Error::kOk)
          << op << " off " << off << " len " << len << " size " << model.size();
      if (len != 0) {
        if (model.size() < off + len) model.resize(off + len);
        std::copy(b.begin(), b.end(), model.begin() + static_cast<std::ptrdiff_t>(off));
      }
    } else if (kind < 8) {
      const std::uint64_t off = rng() % (span + 100);
      const std::size_t len = static_cast<std::size_t>(rng() % (3 * f::kChunkSize));
      Bytes b(len, 0xAA);
      std::size_t done = 0;
      ASSERT_EQ(read(fl, off, b.data(), len, &done), Error::kOk) << op;
      const std::size_t want = off >= model.size() ? 0 : std::min<std::size_t>(len, model.size() - off);
      ASSERT_EQ(done, want) << op;
      ASSERT_TRUE(std::equal(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(done),
                             model.begin() + static_cast<std::ptrdiff_t>(off)))
          << op;
    } else if (kind == 8) {
      const std::uint64_t n = rng() % span;
      ASSERT_EQ(truncate(fl, n), Error::kOk) << op;
      model.resize(n);
    } else {
      // Flush, or close and reopen (the tree and metadata from disk).
      if (rng() % 2 == 0) {
        ASSERT_EQ(flush(fl, nullptr), Error::kOk);
        EXPECT_EQ(s.data.size(), f::file_length(f::chunk_count(model.size()))) << op;
      } else {
        ASSERT_EQ(close(fl, nullptr), Error::kOk);
        ASSERT_EQ(open(kPath, kRead | kWrite, kSeal, s.storage(), nullptr, &fl), Error::kOk) << op;
      }
    }
    ASSERT_EQ(size(fl), model.size()) << op;
  }
  ASSERT_EQ(close(fl, nullptr), Error::kOk);
  Bytes got;
  ASSERT_EQ(read_all(s, &got), Error::kOk);
  EXPECT_EQ(got, model);
}

TEST_F(PfsTest, AFlippedBitAnywhereIsRefused) {
  MemStorage s;
  make(s, pattern(kBig, 3));
  const Bytes good = s.data;
  // One bit in every block (metadata, both tag nodes, every chunk), at a
  // place that moves around the block.
  for (std::size_t blk = 0; blk < good.size() / f::kBlockSize; ++blk) {
    MemStorage t{good};
    const std::size_t at = blk * f::kBlockSize + (blk * 977) % f::kBlockSize;
    t.data[at] ^= static_cast<std::uint8_t>(1U << (blk % 8));
    EXPECT_EQ(read_all(t), Error::kIntegrity) << "block " << blk << " byte " << at;
  }
  // Every byte of the metadata's clear header and of its tag.
  for (std::size_t at = 0; at < f::header::kSize; ++at) {
    MemStorage t{good};
    t.data[at] ^= 0x80;
    EXPECT_EQ(read_all(t), Error::kIntegrity) << "header byte " << at;
  }
  // Every entry of the first tag node (IV, tag, reserved).
  for (std::size_t at = 0; at < f::kBlockSize; at += 5) {
    MemStorage t{good};
    t.data[f::node_offset(0) + at] ^= 1;
    EXPECT_EQ(read_all(t), Error::kIntegrity) << "tag node byte " << at;
  }
}

// Whole blocks of the file as stored.
Bytes block(const Bytes& file, std::uint64_t off) {
  return {file.begin() + static_cast<std::ptrdiff_t>(off),
          file.begin() + static_cast<std::ptrdiff_t>(off + f::kBlockSize)};
}
void put_block(Bytes& file, std::uint64_t off, const Bytes& b) {
  std::copy(b.begin(), b.end(), file.begin() + static_cast<std::ptrdiff_t>(off));
}

TEST_F(PfsTest, SwappedOrMovedChunksAreRefused) {
  MemStorage s;
  make(s, pattern(kBig, 4));
  const Bytes good = s.data;
  {  // two chunks swapped
    MemStorage t{good};
    const Bytes a = block(good, f::chunk_offset(3));
    put_block(t.data, f::chunk_offset(3), block(good, f::chunk_offset(5)));
    put_block(t.data, f::chunk_offset(5), a);
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
  {  // a chunk copied over another, its entry with it
    MemStorage t{good};
    put_block(t.data, f::chunk_offset(7), block(good, f::chunk_offset(2)));
    std::copy_n(good.begin() + static_cast<std::ptrdiff_t>(f::node_offset(0) + 2 * f::kEntrySize), f::kEntrySize,
                t.data.begin() + static_cast<std::ptrdiff_t>(f::node_offset(0) + 7 * f::kEntrySize));
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
  {  // a chunk moved into the other tag node's group (same index in the group)
    MemStorage t{good};
    put_block(t.data, f::chunk_offset(128 + 1), block(good, f::chunk_offset(1)));
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
  {  // the two tag nodes swapped
    MemStorage t{good};
    put_block(t.data, f::node_offset(0), block(good, f::node_offset(1)));
    put_block(t.data, f::node_offset(1), block(good, f::node_offset(0)));
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
}

TEST_F(PfsTest, AChunkReplacedByItsOlderVersionIsRefused) {
  MemStorage s;
  make(s, pattern(kBig, 5));
  const Bytes old = s.data;
  {
    File* fl = nullptr;
    ASSERT_EQ(open(kPath, kRead | kWrite, kSeal, s.storage(), nullptr, &fl), Error::kOk);
    const Bytes b = pattern(100, 6);
    ASSERT_EQ(write(fl, 3 * f::kChunkSize + 10, b.data(), b.size()), Error::kOk);
    ASSERT_EQ(close(fl, nullptr), Error::kOk);
  }
  const Bytes now = s.data;
  ASSERT_EQ(read_all(s), Error::kOk);
  {  // the chunk alone
    MemStorage t{now};
    put_block(t.data, f::chunk_offset(3), block(old, f::chunk_offset(3)));
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
  {  // the chunk with its old tag node (its old IV and tag)
    MemStorage t{now};
    put_block(t.data, f::chunk_offset(3), block(old, f::chunk_offset(3)));
    put_block(t.data, f::node_offset(0), block(old, f::node_offset(0)));
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
  {  // the old metadata over the new tree
    MemStorage t{now};
    put_block(t.data, 0, block(old, 0));
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
}

TEST_F(PfsTest, TruncationAndExtensionAreRefused) {
  MemStorage s;
  make(s, pattern(kBig, 7));
  const Bytes good = s.data;
  for (std::size_t cut :
       {std::size_t{1}, std::size_t{100}, f::kBlockSize, 5 * f::kBlockSize, good.size() - f::kBlockSize, good.size()}) {
    MemStorage t{good};
    t.data.resize(good.size() - cut);
    EXPECT_EQ(read_all(t), Error::kIntegrity) << "cut " << cut;
  }
  for (std::size_t add : {std::size_t{1}, f::kBlockSize, 3 * f::kBlockSize}) {
    MemStorage t{good};
    t.data.resize(good.size() + add, 0);
    EXPECT_EQ(read_all(t), Error::kIntegrity) << "added " << add;
  }
  {  // the last chunk and its entry dropped, the length consistent again
    MemStorage t{good};
    t.data.resize(good.size() - f::kBlockSize);
    std::fill_n(t.data.begin() + static_cast<std::ptrdiff_t>(f::node_offset(1) + 11 * f::kEntrySize), f::kEntrySize, 0);
    EXPECT_EQ(read_all(t), Error::kIntegrity);
  }
}

TEST_F(PfsTest, ACopyUnderAnotherPathIsRefused) {
  MemStorage s;
  make(s, pattern(5000, 8));
  EXPECT_EQ(read_all(s, nullptr, kSeal, "/data/other.bin"), Error::kIntegrity);
  EXPECT_EQ(read_all(s, nullptr, kSeal, "/data/file.bin2"), Error::kIntegrity);
  EXPECT_EQ(read_all(s), Error::kOk);
}

TEST_F(PfsTest, AnotherSealingKeyIsRefused) {
  MemStorage s;
  make(s, pattern(5000, 9));
  testing::set_fake_enclave(enclave(1, 7, 3));  // another enclave of the same signer
  EXPECT_EQ(read_all(s), Error::kIntegrity);
  testing::set_fake_enclave(enclave(4, 2, 3));  // the same enclave on another platform
  EXPECT_EQ(read_all(s), Error::kIntegrity);
  testing::set_fake_enclave(enclave(1, 2, 3));
  // The same enclave asking for the signer's key, or a provisioned one.
  EXPECT_EQ(read_all(s, nullptr, KeySource{KeyKind::kSealMrsigner, {}}), Error::kIntegrity);
  KeySource prov{KeyKind::kProvisioned, {}};
  std::memset(prov.key, 0x5A, sizeof prov.key);
  EXPECT_EQ(read_all(s, nullptr, prov), Error::kIntegrity);
  EXPECT_EQ(read_all(s), Error::kOk);
}

TEST_F(PfsTest, MrsignerFilesOpenInTheSignersOtherEnclavesOnly) {
  MemStorage s;
  const KeySource signer{KeyKind::kSealMrsigner, {}};
  make(s, pattern(5000, 10), signer);
  testing::set_fake_enclave(enclave(1, 7, 3));
  EXPECT_EQ(read_all(s, nullptr, signer), Error::kOk);
  // A file of the signer never opens as an MRENCLAVE one (the policy is in the AAD and compared).
  EXPECT_EQ(read_all(s), Error::kIntegrity);
  MemStorage t{s.data};
  f::store_le(t.data.data() + f::header::kKeyKindOff, 1, 4);
  EXPECT_EQ(read_all(t), Error::kIntegrity);
  testing::set_fake_enclave(enclave(1, 2, 8));
  EXPECT_EQ(read_all(s, nullptr, signer), Error::kIntegrity);
}

TEST_F(PfsTest, AProvisionedKeyIsAnAlternativeKeySource) {
  MemStorage s;
  KeySource prov{KeyKind::kProvisioned, {}};
  std::memset(prov.key, 0x42, sizeof prov.key);
  const Bytes data = pattern(20000, 11);
  make(s, data, prov);
  testing::fail_seal_keys(true);  // no EGETKEY needed
  Bytes got;
  ASSERT_EQ(read_all(s, &got, prov), Error::kOk);
  EXPECT_EQ(got, data);
  KeySource other = prov;
  other.key[15] ^= 1;
  EXPECT_EQ(read_all(s, nullptr, other), Error::kIntegrity);
  // No key provisioned yet (zeros) is no key.
  File* fl = nullptr;
  MemStorage n;
  EXPECT_EQ(open(kPath, kRead | kWrite | kCreate, KeySource{KeyKind::kProvisioned, {}}, n.storage(), nullptr, &fl),
            Error::kKey);
  // Sealing without EGETKEY is no key either.
  EXPECT_EQ(open(kPath, kRead | kWrite | kCreate, kSeal, n.storage(), nullptr, &fl), Error::kKey);
  EXPECT_EQ(fl, nullptr);
}

TEST_F(PfsTest, AWholeFileRollbackIsRefusedOnlyWithTheCallersVersion) {
  MemStorage s;
  const Freshness v1 = make(s, pattern(9000, 12));
  const Bytes old = s.data;
  Freshness v2;
  {
    File* fl = nullptr;
    ASSERT_EQ(open(kPath, kRead | kWrite, kSeal, s.storage(), &v1, &fl), Error::kOk);
    const Bytes b = pattern(10, 13);
    ASSERT_EQ(write(fl, 0, b.data(), b.size()), Error::kOk);
    ASSERT_EQ(close(fl, &v2), Error::kOk);
  }
  EXPECT_EQ(v2.version, v1.version + 1);
  EXPECT_EQ(read_all(s, nullptr, kSeal, kPath, &v2), Error::kOk);
  MemStorage rolled{old};
  // Without the caller's version an older complete file is authentic (docs/libos.md says so) ...
  EXPECT_EQ(read_all(rolled), Error::kOk);
  // ... with it, refused.
  EXPECT_EQ(read_all(rolled, nullptr, kSeal, kPath, &v2), Error::kRolledBack);
  Freshness forged = v2;
  forged.version = v1.version;
  EXPECT_EQ(read_all(rolled, nullptr, kSeal, kPath, &forged), Error::kRolledBack);
  EXPECT_EQ(read_all(s, nullptr, kSeal, kPath, &v1), Error::kRolledBack);
}

TEST_F(PfsTest, AHostileStorageGivesErrorsNotCrashes) {
  MemStorage base;
  const Bytes data = pattern(kBig, 14);
  make(base, data);
  {  // short reads are legal: one byte at a time still reads the file
    MemStorage t{base.data};
    t.hostile_pread = [&t](void* b, std::uint64_t l, std::uint64_t o) {
      return l > 1 ? t.honest_pread(b, 1, o) : MemStorage::kHonest;
    };
    Bytes got;
    ASSERT_EQ(read_all(t, &got), Error::kOk);
    EXPECT_EQ(got, data);
  }
  const std::int64_t answers[] = {-EIO, -1, INT64_MIN, -4096, 1 << 20, INT64_MAX - 1};
  for (std::int64_t answer : answers) {
    // At every pread from the n-th on.
    for (int from : {0, 1, 2, 5}) {
      MemStorage t{base.data};
      int calls = 0;
      t.hostile_pread = [&, answer, from](void*, std::uint64_t, std::uint64_t) {
        return calls++ >= from ? answer : MemStorage::kHonest;
      };
      EXPECT_EQ(read_all(t), Error::kIo) << answer << " from " << from;
    }
  }
  {  // one more byte than asked, written past the request
    MemStorage t{base.data};
    t.hostile_pread = [&t](void* b, std::uint64_t l, std::uint64_t o) { return t.honest_pread(b, l, o) + 1; };
    EXPECT_EQ(read_all(t), Error::kIo);
  }
  for (std::int64_t answer : {std::int64_t{0}, std::int64_t{-EIO}, std::int64_t{f::kBlockSize + 1}, INT64_MIN}) {
    MemStorage t;
    File* fl = nullptr;
    ASSERT_EQ(open(kPath, kRead | kWrite | kCreate, kSeal, t.storage(), nullptr, &fl), Error::kOk);
    t.hostile_pwrite = [answer](const void*, std::uint64_t, std::uint64_t) { return answer; };
    EXPECT_EQ(write(fl, 0, data.data(), 10000), Error::kIo) << answer;
    EXPECT_EQ(close(fl, nullptr), Error::kIo) << answer;
  }
  {  // short writes are legal
    MemStorage t;
    t.hostile_pwrite = [&t](const void* b, std::uint64_t l, std::uint64_t o) {
      return l > 7 ? t.honest_pwrite(b, 7, o) : MemStorage::kHonest;
    };
    make(t, data);
    t.hostile_pwrite = nullptr;
    Bytes got;
    ASSERT_EQ(read_all(t, &got), Error::kOk);
    EXPECT_EQ(got, data);
  }
  {  // ftruncate and fsync failing
    MemStorage t{base.data};
    File* fl = nullptr;
    ASSERT_EQ(open(kPath, kRead | kWrite, kSeal, t.storage(), nullptr, &fl), Error::kOk);
    ASSERT_EQ(truncate(fl, 10), Error::kOk);
    t.ftruncate_result = -EIO;
    EXPECT_EQ(flush(fl, nullptr), Error::kIo);
    t.ftruncate_result = 0;
    t.fsync_result = -EIO;
    EXPECT_EQ(flush(fl, nullptr), Error::kIo);
    t.fsync_result = 0;
    EXPECT_EQ(close(fl, nullptr), Error::kOk);
    EXPECT_EQ(t.data.size(), f::file_length(1));
  }
}

TEST_F(PfsTest, BadArgumentsAreRefused) {
  MemStorage s;
  make(s, pattern(100, 15));
  File* fl = nullptr;
  EXPECT_EQ(open("relative", kRead, kSeal, s.storage(), nullptr, &fl), Error::kInvalid);
  EXPECT_EQ(open(std::string_view("/a\0b", 4), kRead, kSeal, s.storage(), nullptr, &fl), Error::kInvalid);
  EXPECT_EQ(open(std::string(f::body::kMaxPath + 1, 'a'), kRead, kSeal, s.storage(), nullptr, &fl),
            Error::kNameTooLong);
  EXPECT_EQ(open(kPath, kCreate, kSeal, s.storage(), nullptr, &fl), Error::kInvalid);
  EXPECT_EQ(open(kPath, kRead | kCreate, kSeal, s.storage(), nullptr, &fl), Error::kInvalid);
  EXPECT_EQ(open(kPath, kRead, KeySource{static_cast<KeyKind>(9), {}}, s.storage(), nullptr, &fl), Error::kInvalid);
  MemStorage empty;
  EXPECT_EQ(open(kPath, kRead, kSeal, empty.storage(), nullptr, &fl), Error::kIntegrity) << "no metadata";
  ASSERT_EQ(open(kPath, kRead, kSeal, s.storage(), nullptr, &fl), Error::kOk);
  EXPECT_EQ(write(fl, 0, "x", 1), Error::kReadOnly);
  EXPECT_EQ(truncate(fl, 0), Error::kReadOnly);
  EXPECT_EQ(close(fl, nullptr), Error::kOk);
  ASSERT_EQ(open(kPath, kRead | kWrite, kSeal, s.storage(), nullptr, &fl), Error::kOk);
  EXPECT_EQ(write(fl, f::kMaxFileSize, "x", 1), Error::kTooLarge);
  EXPECT_EQ(truncate(fl, f::kMaxFileSize + 1), Error::kTooLarge);
  EXPECT_EQ(close(fl, nullptr), Error::kOk);
  // The longest path works.
  const std::string longest = "/" + std::string(f::body::kMaxPath - 1, 'p');
  MemStorage l;
  make(l, pattern(10, 16), kSeal, longest.c_str());
  EXPECT_EQ(read_all(l, nullptr, kSeal, longest.c_str()), Error::kOk);
  // kTruncate starts afresh over anything.
  ASSERT_EQ(open(kPath, kRead | kWrite | kTruncate, kSeal, s.storage(), nullptr, &fl), Error::kOk);
  EXPECT_EQ(size(fl), 0U);
  EXPECT_EQ(close(fl, nullptr), Error::kOk);
  EXPECT_EQ(s.data.size(), f::kBlockSize);
  EXPECT_STREQ(error_name(Error::kIntegrity), "integrity check failed");
  EXPECT_EQ(to_errno(Error::kIntegrity), EIO);
}

}  // namespace
}  // namespace nsgx::pfs
