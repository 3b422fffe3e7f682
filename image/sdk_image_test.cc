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
