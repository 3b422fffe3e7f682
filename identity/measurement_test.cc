#include "identity/measurement.h"

#include <gtest/gtest.h>

#include "crypto/sha.h"
#include "identity/enclave_builder.h"
#include "identity/sgxs.h"
#include "tests/vectors.h"

namespace nsgx::identity {
namespace {

using nsgx::testing::read_vector;

constexpr char kFortanixMr[] = "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc";
constexpr char kEnarxMr[] = "b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0";

TEST(Measurement, RecordBytes) {
  auto ec = Measurement::ecreate_record(1, 0x8000);
  EXPECT_EQ(to_hex(ec), "4543524541544500" "01000000" "0080000000000000" + std::string(88, '0'));
  auto ea = Measurement::eadd_record(0x1000, 0x207);
  EXPECT_EQ(to_hex(ByteSpan(ea).first(24)), "4541444400000000" "0010000000000000" "0702000000000000");
}

TEST(Sgxs, FortanixVectorMeasuresAndRoundTrips) {
  Bytes stream = read_vector("sgx/fortanix_test_enclave.sgxs");
  auto layout = parse_sgxs(stream);
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->ssa_frame_size, 1u);
  EXPECT_EQ(layout->size, 0x40000u);
  ASSERT_EQ(layout->pages.size(), 9u);
  int tcs = 0;
  for (const auto& p : layout->pages) tcs += (p.secinfo_flags >> 8) == 1;
  EXPECT_EQ(tcs, 1);
  EXPECT_EQ(to_hex(measure(*layout)), kFortanixMr);
  // Independent check: SHA-256 of the raw stream is MRENCLAVE.
  EXPECT_EQ(to_hex(crypto::sha256(stream)), kFortanixMr);
  EXPECT_EQ(write_sgxs(*layout), stream);
}

TEST(Sgxs, EnarxRawPagesMeasure) {
  // enarx_encl.bin: page 0 TCS (0x100), pages 1..5 REG RWX (0x207), each
  // EADDed and fully EEXTENDed at index*4096; ECREATE size 0x8000, SSA 1.
  Bytes bin = read_vector("sgx/enarx_encl.bin");
  ASSERT_EQ(bin.size(), 6 * sgx::kPageSize);
  MeasuringBuilder m;
  ASSERT_TRUE(m.ecreate(1, 0x8000));
  for (std::size_t i = 0; i < 6; ++i) {
    std::span<const std::uint8_t, sgx::kPageSize> page(bin.data() + i * sgx::kPageSize, sgx::kPageSize);
    ASSERT_TRUE(m.add_page(i * sgx::kPageSize, i == 0 ? 0x100 : 0x207, page, kExtendAll));
  }
  EXPECT_EQ(to_hex(m.mrenclave()), kEnarxMr);
}

TEST(Sgxs, UnmeasuredChunksAreLoadedNotHashed) {
  EnclaveLayout l;
  l.size = 0x2000;
  EnclavePage p;
  p.secinfo_flags = 0x203;
  p.measured = 0x00ff;
  p.unmeasured = 0xff00;
  p.data.fill(0x5a);
  l.pages.push_back(p);
  Bytes stream = write_sgxs(l);
  auto back = parse_sgxs(stream);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->pages[0].unmeasured, 0xff00);
  EXPECT_EQ(back->pages[0].data, p.data);
  // MRENCLAVE equals the hash of the stream without the UNMEASRD records.
  EnclaveLayout measured_only = l;
  measured_only.pages[0].unmeasured = 0;
  EXPECT_EQ(measure(*back), crypto::sha256(write_sgxs(measured_only)));
  EXPECT_NE(measure(*back), crypto::sha256(stream));
}

// Copies n bytes of src at spos over dst at dpos (bounds-checked).
void splice(Bytes& dst, std::size_t dpos, const Bytes& src, std::size_t spos, std::size_t n) {
  ASSERT_LE(spos + n, src.size());
  ASSERT_LE(dpos + n, dst.size());
  for (std::size_t i = 0; i < n; ++i) dst[dpos + i] = src[spos + i];
}

TEST(Sgxs, RejectsMalformedStreams) {
  Bytes good = read_vector("sgx/fortanix_test_enclave.sgxs");
  auto expect_error = [](Bytes b, const char* what) {
    auto r = parse_sgxs(b);
    EXPECT_FALSE(r) << what;
    if (!r) {
      EXPECT_FALSE(r.error().message().empty());
    }
  };
  expect_error({}, "empty");
  expect_error(Bytes(good.begin(), good.begin() + 100), "truncated record");
  expect_error(Bytes(good.begin(), good.end() - 10), "truncated EEXTEND data");
  Bytes b = good;
  b[0] = 'X';
  expect_error(b, "unknown tag");
  b = good;
  splice(b, 64, good, 0, 64);  // second ECREATE
  expect_error(b, "second ECREATE");
  b = good;
  store_le<std::uint64_t>(b.data() + 12, 0x30000);  // size not a power of two
  expect_error(b, "size");
  b = good;
  store_le<std::uint64_t>(b.data() + 64 + 8, 0x40000);  // EADD outside ELRANGE
  expect_error(b, "EADD outside");
  b = good;
  store_le<std::uint64_t>(b.data() + 64 + 8, 0x123);  // unaligned EADD
  expect_error(b, "unaligned EADD");
  b = good;
  store_le<std::uint64_t>(b.data() + 128 + 8, 0x10000);  // EEXTEND outside its page
  expect_error(b, "EEXTEND elsewhere");
  b = good;
  splice(b, 128 + 320, good, 128, 320);  // same chunk twice
  expect_error(b, "chunk twice");
  b = good;
  b[64 + 16 + 8] = 1;  // SECINFO reserved byte
  expect_error(b, "SECINFO reserved");
  Bytes unsized = good;
  std::memcpy(unsized.data(), "UNSIZED", 8);
  expect_error(unsized, "UNSIZED");
}

TEST(Measurement, ExtendMaskSelectsChunks) {
  std::array<std::uint8_t, sgx::kPageSize> page{};
  page[300] = 1;  // in chunk 1
  Measurement a, b, c;
  a.ecreate(1, 0x2000);
  b.ecreate(1, 0x2000);
  c.ecreate(1, 0x2000);
  a.add_page(0, 0x201, page, 0x0001);
  page[300] = 2;
  b.add_page(0, 0x201, page, 0x0001);  // chunk 1 not measured: same digest
  c.add_page(0, 0x201, page, 0x0003);
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_NE(a.digest(), c.digest());
}

}  // namespace
}  // namespace nsgx::identity
