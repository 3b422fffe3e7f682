#include "image/sdk_image.h"

#include <gtest/gtest.h>

#include <cstring>

#include "identity/sigstruct.h"
#include "tests/vectors.h"

namespace nsgx::image {
namespace {

using nsgx::testing::read_vector;

std::string measure_hex(const Bytes& file) {
  auto img = SdkImage::parse(file);
  if (!img) return "error: " + img.error().message();
  identity::MeasuringBuilder m;
  auto st = img->replay(m);
  if (!st) return "error: " + st.error().message();
  return to_hex(m.mrenclave());
}

class SdkVector : public ::testing::TestWithParam<const char*> {};

TEST_P(SdkVector, MeasuresToItsEnclaveHash) {
  Bytes file = read_vector(std::string("sdk/") + GetParam());
  auto img = SdkImage::parse(file);
  ASSERT_TRUE(img) << img.error().message();
  EXPECT_TRUE(identity::verify_sigstruct(img->sigstruct()));
  EXPECT_EQ(measure_hex(file), to_hex(ByteSpan(img->sigstruct().enclave_hash, 32)));
}

TEST_P(SdkVector, ChangingAMeasuredCodeByteChangesTheMeasurement) {
  Bytes file = read_vector(std::string("sdk/") + GetParam());
  auto img = SdkImage::parse(file);
  ASSERT_TRUE(img);
  const std::string before = measure_hex(file);
  // A byte in the middle of the executable segment.
  std::uint64_t off = 0;
  for (const auto& s : img->elf().segments())
    if (s.type == 1 && (s.flags & 1) && s.filesz > 0x1000) off = s.offset + s.filesz / 2;
  ASSERT_NE(off, 0u);
  file[off] ^= 0xff;
  const std::string after = measure_hex(file);
  EXPECT_NE(before, after);
  EXPECT_EQ(after.find("error"), std::string::npos) << after;
}

INSTANTIATE_TEST_SUITE_P(Vectors, SdkVector,
                         ::testing::Values("sgxsdk_SampleEnclave.signed.so", "intel_libsgx_pce.signed.so.1.25.100.1"));

TEST(SdkImage, PceIdentity) {
  auto img = SdkImage::parse(read_vector("sdk/intel_libsgx_pce.signed.so.1.25.100.1"));
  ASSERT_TRUE(img);
  EXPECT_EQ(to_hex(identity::mrsigner(img->sigstruct())),
            "c54a62f2be9ef76efb1f3930ad81ea7f60defc1f5f25e09b7c067a815ae0c6cb");
  EXPECT_EQ(img->sigstruct().vendor, 0x8086u);
  EXPECT_EQ(img->sigstruct().isv_prod_id, 1);
  EXPECT_EQ(img->sigstruct().isv_svn, 16);
  EXPECT_EQ(img->metadata().enclave_size, 0x400000u);
  EXPECT_EQ(img->metadata().version, sdk::make_version(1, 5));
}

TEST(SdkImage, ResignedImageKeepsMeasurementAndVerifies) {
  Bytes file = read_vector("sdk/sgxsdk_SampleEnclave.signed.so");
  auto img = SdkImage::parse(file);
  ASSERT_TRUE(img);
  auto key = crypto::RsaPrivateKey::generate(3072, 3);
  ASSERT_TRUE(key);
  identity::SigstructFields f;
  std::memcpy(f.enclave_hash.data(), img->sigstruct().enclave_hash, 32);
  sgx::Sigstruct ss = identity::make_sigstruct(f);
  ASSERT_TRUE(identity::sign_sigstruct(ss, *key));
  Bytes resigned = img->with_sigstruct(ss);
  auto again = SdkImage::parse(resigned);
  ASSERT_TRUE(again);
  EXPECT_TRUE(identity::verify_sigstruct(again->sigstruct()));
  EXPECT_EQ(identity::mrsigner(again->sigstruct()), identity::mrsigner(*key));
  EXPECT_EQ(measure_hex(resigned), measure_hex(file));
}

}  // namespace
}  // namespace nsgx::image

namespace nsgx::image {
namespace {

// Malformed images: each gets a clear error from parse() (or replay()), never a crash.
class Malformed : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = read_vector("sdk/sgxsdk_SampleEnclave.signed.so");
    auto img = SdkImage::parse(good_);
    ASSERT_TRUE(img);
    md_ = img->selected_metadata_offset();
    layout_ = md_ + img->metadata().dirs[sdk::kDirLayout].offset;
    layout_count_ = img->metadata().dirs[sdk::kDirLayout].size / 32;
    patch_ = md_ + img->metadata().dirs[sdk::kDirPatch].offset;
  }
  // Expects an error mentioning `needle` from parse or replay.
  void expect_error(const Bytes& b, const std::string& needle) {
    auto img = SdkImage::parse(b);
    std::string msg;
    if (!img) {
      msg = img.error().message();
    } else {
      identity::MeasuringBuilder m;
      auto st = img->replay(m);
      ASSERT_FALSE(st) << "accepted an image that should fail with '" << needle << "'";
      msg = st.error().message();
    }
    EXPECT_NE(msg.find(needle), std::string::npos) << "error was: " << msg;
  }
  template <typename T>
  Bytes with(std::uint64_t off, T v) {
    Bytes b = good_;
    store_le<T>(b.data() + off, v);
    return b;
  }
  // Offset of field `field` of layout element i.
  std::uint64_t entry(std::size_t i, std::size_t field) const { return layout_ + i * 32 + field; }
  // Index of the first layout entry that adds pages (EADD, non-zero SECINFO).
  std::size_t first_added_entry() const {
    for (std::size_t i = 0; i < layout_count_; ++i) {
      auto id = load_le<std::uint16_t>(good_.data() + entry(i, 0));
      auto attr = load_le<std::uint16_t>(good_.data() + entry(i, 2));
      if (!(id & sdk::kGroupFlag) && (attr & sdk::page_attr::kEadd)) return i;
    }
    return SIZE_MAX;
  }

  Bytes good_;
  std::uint64_t md_ = 0, layout_ = 0, patch_ = 0;
  std::size_t layout_count_ = 0;
};

TEST_F(Malformed, Truncated) {
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, std::size_t{63}, std::size_t{64}, std::size_t{4096},
                        good_.size() / 2, static_cast<std::size_t>(md_ + 100), good_.size() - 1}) {
    Bytes b(good_.begin(), good_.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(SdkImage::parse(b)) << "truncated to " << n;
  }
}

TEST_F(Malformed, WrongMagics) {
  expect_error(with<std::uint8_t>(0, 0x7e), "bad magic");
  expect_error(with<std::uint8_t>(4, 1), "64-bit");
  expect_error(with<std::uint16_t>(16, 2), "ET_DYN");
  expect_error(with<std::uint64_t>(md_, 0x1122334455667788ull), "no metadata");
}

TEST_F(Malformed, HeadersOutsideTheFile) {
  expect_error(with<std::uint64_t>(0x20, good_.size() - 8), "program headers");  // e_phoff
  expect_error(with<std::uint64_t>(0x28, good_.size() - 8), "section headers");  // e_shoff
  expect_error(with<std::uint16_t>(0x3e, 0xfff), "name table");                 // e_shstrndx
}

TEST_F(Malformed, MetadataOffsetsOutside) {
  const std::uint64_t dirs = md_ + offsetof(sdk::Metadata, dirs);
  expect_error(with<std::uint32_t>(dirs + 8, 0xffffff00u), "directory 1");
  expect_error(with<std::uint32_t>(dirs + 12, 0xffffff00u), "directory 1");
  expect_error(with<std::uint32_t>(dirs + 0, 16), "directory 0");
  expect_error(with<std::uint32_t>(md_ + offsetof(sdk::Metadata, size), 0xfffffff0u), "size");
  expect_error(with<std::uint32_t>(patch_ + 8, 0xfffffff0u), "patch entry 0");   // src
  expect_error(with<std::uint64_t>(patch_ + 0, 0xfffffffffffff000ull), "patch entry 0");  // dst
}

TEST_F(Malformed, AbsurdSizes) {
  const std::uint64_t size = md_ + offsetof(sdk::Metadata, enclave_size);
  expect_error(with<std::uint64_t>(size, 1ull << 62), "too large");
  expect_error(with<std::uint64_t>(size, 0x1000001), "power of two");
  expect_error(with<std::uint64_t>(size, 0x1000), "power of two");
  expect_error(with<std::uint32_t>(md_ + offsetof(sdk::Metadata, ssa_frame_size), 0), "SSA frame size");
  const std::size_t e = first_added_entry();
  ASSERT_NE(e, SIZE_MAX);
  expect_error(with<std::uint32_t>(entry(e, 4), 0xffffffffu), "outside the enclave");  // page_count
}

TEST_F(Malformed, OverlappingAndWrappingLayout) {
  const std::size_t e = first_added_entry();
  ASSERT_NE(e, SIZE_MAX);
  expect_error(with<std::uint64_t>(entry(e, 8), 0x2000), "overlaps");                 // onto the ELF text
  expect_error(with<std::uint64_t>(entry(e, 8), 0xfffffffffffff000ull), "outside");   // wraps
  expect_error(with<std::uint64_t>(entry(e, 8), 0x123), "page aligned");
  expect_error(with<std::uint64_t>(entry(e, 24), 0x10203), "SECINFO flags");
  expect_error(with<std::uint32_t>(entry(e, 20), 0xfffffff0u), "content outside");
}

TEST_F(Malformed, HostileGroups) {
  for (std::size_t i = 0; i < layout_count_; ++i) {
    if (!(load_le<std::uint16_t>(good_.data() + entry(i, 0)) & sdk::kGroupFlag)) continue;
    expect_error(with<std::uint16_t>(entry(i, 2), 0xffff), "entry count");
    expect_error(with<std::uint32_t>(entry(i, 4), 0xffffffffu), "repeats");
    expect_error(with<std::uint64_t>(entry(i, 8), 0), "overlaps");
    expect_error(with<std::uint64_t>(entry(i, 8), 0xfffffffffffff000ull), "load step");
    return;
  }
  GTEST_FAIL() << "the SampleEnclave vector has no thread group";
}

TEST_F(Malformed, BadSegments) {
  // The text segment's program header: p_offset beyond the file, overlapping the next segment, ...
  auto img = SdkImage::parse(good_);
  ASSERT_TRUE(img);
  std::size_t text = 0;
  while (text < img->elf().segments().size() &&
         !(img->elf().segments()[text].type == 1 && (img->elf().segments()[text].flags & 1)))
    ++text;
  ASSERT_LT(text, img->elf().segments().size());
  const std::uint64_t ph1 = 64 + 56 * text;
  expect_error(with<std::uint64_t>(ph1 + 8, good_.size()), "outside the file");
  expect_error(with<std::uint64_t>(ph1 + 40, 0x100000), "overlap");  // p_memsz
  expect_error(with<std::uint64_t>(ph1 + 48, 0x10), "alignment");   // p_align
  expect_error(with<std::uint32_t>(ph1 + 4, 0), "without R, W or X");  // p_flags
}

}  // namespace
}  // namespace nsgx::image
