#include "identity/sigstruct.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/vectors.h"

namespace nsgx::identity {
namespace {

using nsgx::testing::read_text_vector;
using nsgx::testing::read_vector;

std::array<std::uint8_t, 32> hash32(const char* hex) {
  auto b = from_hex(hex);
  std::array<std::uint8_t, 32> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

Bytes bytes_of(const sgx::Sigstruct& ss) {
  ByteSpan s = as_bytes(ss);
  return Bytes(s.begin(), s.end());
}

TEST(Sigstruct, FortanixDeterministicSigningVector) {
  auto key = crypto::RsaPrivateKey::from_pem(read_text_vector("sgx/fortanix_sig1.key.pem"));
  ASSERT_TRUE(key) << key.error().message();
  SigstructFields f;
  f.enclave_hash = hash32("c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d");
  f.attributes = {0x4, 0x3};
  f.attribute_mask = {~0x2ull, ~0xe4ull};
  f.misc_select = 0;
  f.misc_mask = 0xffffffff;
  f.date = 0x20160109;
  sgx::Sigstruct ss = make_sigstruct(f);
  ASSERT_TRUE(sign_sigstruct(ss, *key));
  EXPECT_EQ(bytes_of(ss), read_vector("sgx/fortanix_sig1.sigstruct.bin"));
  EXPECT_EQ(to_hex(mrsigner(ss)), "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e");
  EXPECT_EQ(mrsigner(ss), mrsigner(*key));
  EXPECT_TRUE(verify_sigstruct(ss));
}

TEST(Sigstruct, EnarxResignReproducesVector) {
  auto key = crypto::RsaPrivateKey::from_pem(read_text_vector("sgx/enarx_encl.pem"));
  ASSERT_TRUE(key) << key.error().message();
  SigstructFields f;
  f.enclave_hash = hash32("b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0");
  f.attributes = {0x4, 0x3};
  f.attribute_mask = {0, 0};
  f.misc_mask = 0;
  sgx::Sigstruct ss = make_sigstruct(f);
  ASSERT_TRUE(sign_sigstruct(ss, *key));
  EXPECT_EQ(bytes_of(ss), read_vector("sgx/enarx_encl.ss"));
}

TEST(Sigstruct, FortanixTestEnclaveFields) {
  auto ss = parse_sigstruct(read_vector("sgx/fortanix_test_enclave.sig"));
  ASSERT_TRUE(ss);
  EXPECT_TRUE(verify_sigstruct(*ss));
  EXPECT_EQ(to_hex(ByteSpan(ss->enclave_hash, 32)), "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc");
  EXPECT_EQ(to_hex(mrsigner(*ss)), "fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542");
  EXPECT_EQ(ss->attributes.flags, 0x4u);
  EXPECT_EQ(ss->attributes.xfrm, 0x3u);
  EXPECT_EQ(ss->attribute_mask.flags, 0xfffffffffffffffdull);
  EXPECT_EQ(ss->attribute_mask.xfrm, 0xffffffffffffff1bull);
  EXPECT_EQ(ss->date, 0x20161214u);
  // The vectors README says "isvprodid 0, isvsvn 65535", but the bytes hold
  // 0xffff at offset 1024, which the SDM (and the Intel PCE vector, whose
  // ISVPRODID 1 / ISVSVN 16 sit at 1024 / 1026) defines as ISVPRODID.
  EXPECT_EQ(ss->isv_prod_id, 65535);
  EXPECT_EQ(ss->isv_svn, 0);
}

// Every byte EINIT depends on is covered: flipping one in the signed
// regions, the key, the signature or Q1/Q2 makes verification fail.
TEST(Sigstruct, EveryFlippedByteIsRejected) {
  for (const char* name : {"sgx/fortanix_test_enclave.sig", "sgx/fortanix_sig1.sigstruct.bin", "sgx/enarx_encl.ss"}) {
    Bytes good = read_vector(name);
    ASSERT_TRUE(verify_sigstruct(*parse_sigstruct(good))) << name;
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < 128; ++i) offsets.push_back(i);               // HEADER
    for (std::size_t i = 900; i < 1028; ++i) offsets.push_back(i);            // BODY
    for (std::size_t i : {128ul, 300ul, 511ul, 512ul, 516ul, 700ul, 899ul, 1040ul, 1300ul, 1423ul, 1424ul, 1807ul})
      offsets.push_back(i);  // modulus, exponent, signature, Q1, Q2
    for (std::size_t off : offsets) {
      Bytes bad = good;
      bad[off] ^= 0x01;
      auto r = verify_sigstruct(*parse_sigstruct(bad));
      EXPECT_FALSE(r) << name << " byte " << off;
    }
  }
}

TEST(Sigstruct, ReasonsAreSpecific) {
  Bytes good = read_vector("sgx/fortanix_sig1.sigstruct.bin");
  auto reason = [&](std::size_t off) {
    Bytes bad = good;
    bad[off] ^= 0x01;
    auto r = verify_sigstruct(*parse_sigstruct(bad));
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_NE(reason(0).find("HEADER"), std::string::npos);
  EXPECT_NE(reason(30).find("HEADER2"), std::string::npos);
  EXPECT_NE(reason(512).find("EXPONENT"), std::string::npos);
  EXPECT_NE(reason(1100).find("Q1"), std::string::npos);
  EXPECT_NE(reason(1500).find("Q2"), std::string::npos);
  EXPECT_NE(reason(960).find("SIGNATURE"), std::string::npos);
  EXPECT_FALSE(parse_sigstruct(Bytes(1807)));
  EXPECT_FALSE(parse_sigstruct(Bytes(1809)));
}

TEST(Sigstruct, RejectsWrongKeys) {
  auto e65537 = crypto::RsaPrivateKey::generate(3072, 65537);
  ASSERT_TRUE(e65537);
  sgx::Sigstruct ss = make_sigstruct({});
  EXPECT_FALSE(sign_sigstruct(ss, *e65537));
  auto small = crypto::RsaPrivateKey::generate(2048, 3);
  ASSERT_TRUE(small);
  EXPECT_FALSE(sign_sigstruct(ss, *small));
}

}  // namespace
}  // namespace nsgx::identity
