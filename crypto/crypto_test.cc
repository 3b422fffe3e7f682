#include <gtest/gtest.h>

#include <string>

#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "crypto/rsa.h"
#include "crypto/sha.h"
#include "crypto/symmetric.h"

namespace nsgx::crypto {
namespace {

Bytes hex(const char* s) { return *from_hex(s); }
ByteSpan str(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

TEST(Sha, KnownAnswers) {
  // FIPS 180-2 appendix B.1 / D.1.
  EXPECT_EQ(to_hex(sha256(str("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha384(str("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  // FIPS 180-2 appendix C.1.
  EXPECT_EQ(to_hex(sha512(str("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
            "454d4423643ce80e2a9ac94fa54ca49f");
  Sha256 h;
  h.update(str("a"));
  Sha256 copy = h;
  h.update(str("bc"));
  copy.update(str("bc"));
  EXPECT_EQ(h.finish(), copy.finish());
}

TEST(Cmac, Rfc4493) {
  Key128 key;
  auto k = hex("2b7e151628aed2a6abf7158809cf4f3c");
  std::copy(k.begin(), k.end(), key.begin());
  auto empty = aes128_cmac(key, {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(to_hex(*empty), "bb1d6929e95937287fa37d129b756746");
  auto m = hex("6bc1bee22e409f96e93d7e117393172a");
  EXPECT_EQ(to_hex(*aes128_cmac(key, m)), "070a16b46b4d4144f79bdd9dd04a287c");
}

TEST(Gcm, NistCase2AndTamper) {
  Bytes key(16, 0), iv(12, 0), pt(16, 0), ct(16);
  auto tag = aes_gcm_encrypt(key, iv, {}, pt, ct);
  ASSERT_TRUE(tag);
  EXPECT_EQ(to_hex(ct), "0388dace60b6a392f328c2b971b2fe78");
  EXPECT_EQ(to_hex(*tag), "ab6e47d42cec13bdf53a67b21257bddf");
  Bytes back(16);
  EXPECT_TRUE(aes_gcm_decrypt(key, iv, {}, ct, *tag, back));
  EXPECT_EQ(back, pt);
  ct[3] ^= 1;
  EXPECT_FALSE(aes_gcm_decrypt(key, iv, {}, ct, *tag, back));
  EXPECT_FALSE(aes_gcm_encrypt(Bytes(15), iv, {}, pt, ct));
}

TEST(Rsa, Exponent3SignVerifyAndQ1Q2) {
  auto key = RsaPrivateKey::generate(3072, 3);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->exponent(), 3u);
  EXPECT_EQ(key->modulus_bytes(), 384u);
  Bytes msg = {1, 2, 3, 4};
  auto sig = key->sign_pkcs1_sha256(msg);
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->public_key().verify_pkcs1_sha256(msg, *sig));
  auto pub = RsaPublicKey::from_components(key->modulus_be(), 3);
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->verify_pkcs1_sha256(msg, *sig));
  msg[0] ^= 1;
  EXPECT_FALSE(pub->verify_pkcs1_sha256(msg, *sig));

  // Q1 * M + R = S^2 with 0 <= R < M, checked with independent bignum code.
  auto q = rsa_q1_q2(*sig, key->modulus_be(), 384);
  ASSERT_TRUE(q);
  ossl::BnCtx c(BN_CTX_new());
  ossl::Bn s(BN_bin2bn(sig->data(), 384, nullptr)), m(BN_bin2bn(key->modulus_be().data(), 384, nullptr));
  ossl::Bn q1(BN_bin2bn(q->first.data(), 384, nullptr)), s2(BN_new()), t(BN_new());
  BN_sqr(s2.get(), s.get(), c.get());
  BN_mul(t.get(), q1.get(), m.get(), c.get());
  BN_sub(t.get(), s2.get(), t.get());
  EXPECT_FALSE(BN_is_negative(t.get()));  // 0 <= S^2 - Q1*M
  EXPECT_LT(BN_cmp(t.get(), m.get()), 0);

  auto pem = key->to_pem();
  ASSERT_TRUE(pem);
  EXPECT_NE(pem->find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  auto again = RsaPrivateKey::from_pem(*pem);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->modulus_be(), key->modulus_be());
  EXPECT_FALSE(RsaPrivateKey::from_pem("not a key"));
}

TEST(Ecdsa, P384SignVerify) {
  auto key = EcdsaP384PrivateKey::generate();
  ASSERT_TRUE(key);
  Bytes msg = {9, 8, 7};
  auto sig = key->sign_sha384(msg);
  ASSERT_TRUE(sig);
  auto pub = key->public_key();
  EXPECT_TRUE(pub.verify_sha384(msg, *sig));
  auto point = pub.uncompressed_point();
  ASSERT_EQ(point.size(), 97u);
  auto pub2 = EcdsaP384PublicKey::from_xy(ByteSpan(point).subspan(1, 48), ByteSpan(point).subspan(49, 48));
  ASSERT_TRUE(pub2);
  EXPECT_TRUE(pub2->verify_sha384(msg, *sig));
  auto bad = *sig;
  bad.s[10] ^= 1;
  EXPECT_FALSE(pub2->verify_sha384(msg, bad));
  point[50] ^= 1;  // off the curve
  EXPECT_FALSE(EcdsaP384PublicKey::from_xy(ByteSpan(point).subspan(1, 48), ByteSpan(point).subspan(49, 48)));
}

TEST(Ecdh, P256BothSidesAgreeAndBadPointsAreRefused) {
  auto a = EcdhP256::generate();
  auto b = EcdhP256::generate();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->public_point().size(), 65u);
  auto ab = a->derive(b->public_point());
  auto ba = b->derive(a->public_point());
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(*ab, *ba);
  EXPECT_EQ(ab->size(), 32u);
  Bytes off = b->public_point();
  off[64] ^= 1;  // off the curve
  EXPECT_FALSE(a->derive(off));
  EXPECT_FALSE(a->derive(ByteSpan(off).first(33)));
}

TEST(Hkdf, Rfc5869Case1) {
  const Bytes ikm(22, 0x0b);
  Bytes salt, info;
  for (std::uint8_t i = 0; i <= 0x0c; ++i) salt.push_back(i);
  for (std::uint8_t i = 0xf0; i <= 0xf9; ++i) info.push_back(i);
  auto okm = hkdf_sha256(ikm, salt, info, 42);
  ASSERT_TRUE(okm);
  EXPECT_EQ(to_hex(*okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Random, Differs) {
  std::uint8_t a[32], b[32];
  ASSERT_TRUE(random_bytes(a));
  ASSERT_TRUE(random_bytes(b));
  EXPECT_FALSE(equal_ct(a, b));
}

TEST(Cleanse, ZeroesAndWipesOnEveryPathOut) {
  Key128 key;
  key.fill(0xa5);
  cleanse(key);
  EXPECT_EQ(key, Key128{});
  cleanse({});  // nothing to do
  key.fill(0x5a);
  const auto leave_early = [&](bool early) {
    CleanseOnExit wipe(key);
    if (early) return 1;
    return 2;
  };
  EXPECT_EQ(leave_early(true), 1);
  EXPECT_EQ(key, Key128{});
  key.fill(0x5a);
  EXPECT_EQ(leave_early(false), 2);
  EXPECT_EQ(key, Key128{});
}

}  // namespace
}  // namespace nsgx::crypto
