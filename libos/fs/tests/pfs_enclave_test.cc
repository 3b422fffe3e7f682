// Protected files in real enclaves, on both backends: written by one
// enclave instance, read back by the next (the sealing key from EGETKEY,
// not a test's), a tampered or moved copy refused, the MRENCLAVE and
// MRSIGNER policies told apart by a second enclave of the same signer, and
// a rolled-back copy refused against the version the caller kept.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "libos/fs/pfs.h"
#include "pfs_u.h"
#include "sgx_urts.h"

namespace {

namespace fs = std::filesystem;
using nsgx::pfs::Error;
using nsgx::pfs::KeyKind;
using Bytes = std::vector<std::uint8_t>;

constexpr char kPath[] = "/data/secret.bin";

Bytes pattern(std::size_t n) {
  Bytes b(n);
  std::uint32_t x = 12345;
  for (auto& v : b) v = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16);
  return b;
}
Bytes slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void spill(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

struct Version {
  std::uint64_t version = 0;
  std::uint8_t digest[32] = {};
};

class Enclave {
 public:
  explicit Enclave(const char* image) {
    EXPECT_EQ(sgx_create_enclave(image, 1, nullptr, nullptr, &eid_, nullptr), SGX_SUCCESS) << image;
  }
  ~Enclave() { sgx_destroy_enclave(eid_); }
  Enclave(const Enclave&) = delete;
  Enclave& operator=(const Enclave&) = delete;

  int write(const fs::path& host, const char* path, KeyKind kind, const Bytes& data, Version* v = nullptr) const {
    int rc = -2;
    Version tmp;
    if (v == nullptr) v = &tmp;
    EXPECT_EQ(ecall_pfs_write(eid_, &rc, host.c_str(), path, static_cast<int>(kind), data.data(), data.size(),
                              &v->version, v->digest),
              SGX_SUCCESS);
    return rc;
  }
  int read(const fs::path& host, const char* path, KeyKind kind, Bytes* out, const Version* expected = nullptr) const {
    int rc = -2;
    Bytes buf(1 << 20);
    std::size_t n = 0;
    const Version none;
    const Version& e = expected != nullptr ? *expected : none;
    EXPECT_EQ(ecall_pfs_read(eid_, &rc, host.c_str(), path, static_cast<int>(kind), expected != nullptr ? 1 : 0,
                             e.version, e.digest, buf.data(), buf.size(), &n),
              SGX_SUCCESS);
    if (out != nullptr) *out = Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    return rc;
  }

 private:
  sgx_enclave_id_t eid_ = 0;
};

class PfsEnclave : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nsgx-pfs-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

constexpr int kOk = static_cast<int>(Error::kOk);
constexpr int kIntegrity = static_cast<int>(Error::kIntegrity);

TEST_F(PfsEnclave, WrittenByOneInstanceReadByTheNextTamperedCopiesRefused) {
  const Bytes data = pattern(600 * 1024 + 123);  // 151 chunks: two tag nodes
  const fs::path host = dir_ / "secret.pfs";
  {
    Enclave a(NSGX_PFS_ENCLAVE_A);
    ASSERT_EQ(a.write(host, kPath, KeyKind::kSealMrenclave, data), kOk);
  }
  const Bytes disk = slurp(host);
  ASSERT_EQ(disk.size(), nsgx::pfs::format::file_length(151));
  EXPECT_EQ(std::search(disk.begin(), disk.end(), data.begin() + 9000, data.begin() + 9040), disk.end())
      << "plaintext on the disk";
  Enclave a(NSGX_PFS_ENCLAVE_A);  // a second instance of the same enclave
  Bytes got;
  ASSERT_EQ(a.read(host, kPath, KeyKind::kSealMrenclave, &got), kOk);
  EXPECT_EQ(got, data);
  // One flipped bit in a chunk, in the metadata, in a tag node.
  for (std::size_t at :
       {std::size_t{0} + 50, std::size_t{90}, std::size_t{4096 + 10}, std::size_t{3 * 4096 + 7}, disk.size() - 1}) {
    Bytes t = disk;
    t[at] ^= 4;
    spill(dir_ / "tampered.pfs", t);
    EXPECT_EQ(a.read(dir_ / "tampered.pfs", kPath, KeyKind::kSealMrenclave, nullptr), kIntegrity) << at;
  }
  // Cut by one block.
  spill(dir_ / "cut.pfs", Bytes(disk.begin(), disk.end() - 4096));
  EXPECT_EQ(a.read(dir_ / "cut.pfs", kPath, KeyKind::kSealMrenclave, nullptr), kIntegrity);
  // An intact copy opened as another path.
  spill(dir_ / "copy.pfs", disk);
  EXPECT_EQ(a.read(dir_ / "copy.pfs", "/data/other.bin", KeyKind::kSealMrenclave, nullptr), kIntegrity);
  EXPECT_EQ(a.read(dir_ / "copy.pfs", kPath, KeyKind::kSealMrenclave, nullptr), kOk);
}

TEST_F(PfsEnclave, MrenclaveFilesStayInTheEnclaveMrsignerFilesReachTheSigner) {
  const Bytes data = pattern(10000);
  Enclave a(NSGX_PFS_ENCLAVE_A);
  Enclave b(NSGX_PFS_ENCLAVE_B);  // same signer, another MRENCLAVE
  ASSERT_EQ(a.write(dir_ / "enclave.pfs", kPath, KeyKind::kSealMrenclave, data), kOk);
  ASSERT_EQ(a.write(dir_ / "signer.pfs", kPath, KeyKind::kSealMrsigner, data), kOk);
  EXPECT_EQ(b.read(dir_ / "enclave.pfs", kPath, KeyKind::kSealMrenclave, nullptr), kIntegrity);
  Bytes got;
  ASSERT_EQ(b.read(dir_ / "signer.pfs", kPath, KeyKind::kSealMrsigner, &got), kOk);
  EXPECT_EQ(got, data);
  EXPECT_EQ(b.read(dir_ / "signer.pfs", kPath, KeyKind::kSealMrenclave, nullptr), kIntegrity);
}

TEST_F(PfsEnclave, ARolledBackFileIsRefusedAgainstTheKeptVersion) {
  Enclave a(NSGX_PFS_ENCLAVE_A);
  const fs::path host = dir_ / "counter.pfs";
  Version v1, v2;
  ASSERT_EQ(a.write(host, kPath, KeyKind::kSealMrenclave, Bytes(100, 1), &v1), kOk);
  const Bytes old = slurp(host);
  ASSERT_EQ(a.write(host, kPath, KeyKind::kSealMrenclave, Bytes(100, 2), &v2), kOk);
  EXPECT_EQ(a.read(host, kPath, KeyKind::kSealMrenclave, nullptr, &v2), kOk);
  spill(host, old);
  EXPECT_EQ(a.read(host, kPath, KeyKind::kSealMrenclave, nullptr), kOk) << "authentic without the kept version";
  EXPECT_EQ(a.read(host, kPath, KeyKind::kSealMrenclave, nullptr, &v2), static_cast<int>(Error::kRolledBack));
}

}  // namespace
