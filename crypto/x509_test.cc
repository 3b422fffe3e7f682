#include "crypto/x509.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/x509_builder.h"

namespace nsgx::crypto {
namespace {

const std::string kSnp = std::string(NSGX_VECTORS_DIR) + "/snp/";

Certificate load(const std::string& name) {
  auto bytes = read_file(kSnp + name);
  EXPECT_TRUE(bytes) << bytes.error().message();
  auto c = Certificate::parse(*bytes);
  EXPECT_TRUE(c) << c.error().message();
  return *c;
}

TEST(X509, ParsesTheVectorVcekAndItsExtensions) {
  const Certificate vcek = load("virtee_vcek_milan.der");
  EXPECT_EQ(vcek.subject_common_name(), "SEV-VCEK");
  EXPECT_NE(vcek.issuer().find("CN=SEV-Milan"), std::string::npos);
  EXPECT_EQ(format_utc(vcek.not_before()), "2023-04-03 19:23:43 UTC");
  EXPECT_EQ(format_utc(vcek.not_after()), "2030-04-03 19:23:43 UTC");
  EXPECT_EQ(vcek.signature_algorithm(), "RSASSA-PSS");
  auto pss = vcek.pss_parameters();
  ASSERT_TRUE(pss) << pss.error().message();
  EXPECT_EQ(pss->hash, "SHA384");
  EXPECT_EQ(pss->mgf1_hash, "SHA384");
  EXPECT_EQ(pss->salt_length, 48);
  EXPECT_EQ(pss->trailer_field, 1);

  auto hwid = vcek.extension("1.3.6.1.4.1.3704.1.4");
  ASSERT_TRUE(hwid && hwid->has_value());
  EXPECT_EQ(to_hex(**hwid).substr(0, 16), "d49554ec717f4e5b");
  EXPECT_EQ((*hwid)->size(), 64u);
  auto bl = vcek.extension("1.3.6.1.4.1.3704.1.3.1");
  ASSERT_TRUE(bl && bl->has_value());
  EXPECT_EQ(*der_decode_integer(**bl), 3);
  auto name = vcek.extension("1.3.6.1.4.1.3704.1.2");
  ASSERT_TRUE(name && name->has_value());
  EXPECT_EQ(*der_decode_ia5string(**name), "Milan-B0");
  auto absent = vcek.extension("1.3.6.1.4.1.3704.1.3.9");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
  EXPECT_FALSE(vcek.extension("not.an.oid"));

  EXPECT_TRUE(vcek.ec_p384_public_key());
  EXPECT_FALSE(vcek.rsa_public_key());
}

TEST(X509, VerifiesTheMilanChainAndNotAcrossChains) {
  const Certificate ark = load("amd_milan_ark.pem"), ask = load("amd_milan_ask.pem");
  const Certificate genoa_ask = load("amd_genoa_ask.pem");
  const Certificate vcek = load("virtee_vcek_milan.der");
  EXPECT_TRUE(ark.verify_signature(*ark.rsa_public_key()));
  EXPECT_TRUE(ask.verify_signature(*ark.rsa_public_key()));
  EXPECT_TRUE(vcek.verify_signature(*ask.rsa_public_key()));
  EXPECT_FALSE(vcek.verify_signature(*genoa_ask.rsa_public_key()));
  EXPECT_FALSE(vcek.verify_signature(*ark.rsa_public_key()));
  EXPECT_EQ(ark.subject_common_name(), "ARK-Milan");

  Certificate copy = ask;  // shares the OpenSSL object
  EXPECT_EQ(copy, ask);
  EXPECT_NE(copy, ark);
  auto again = Certificate::from_pem(ask.pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->der(), ask.der());
}

TEST(X509, RejectsMalformedInput) {
  const Certificate vcek = load("virtee_vcek_milan.der");
  EXPECT_FALSE(Certificate::parse(Bytes{}));
  EXPECT_FALSE(Certificate::parse(Bytes{0x30, 0x82, 0x01}));
  Bytes trailing = vcek.der();
  trailing.push_back(0);
  auto t = Certificate::parse(trailing);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message().find("after the DER certificate"), std::string::npos);
  Bytes truncated(vcek.der().begin(), vcek.der().end() - 1);
  EXPECT_FALSE(Certificate::parse(truncated));
  const std::string two = load("amd_milan_ark.pem").pem() + load("amd_milan_ask.pem").pem();
  auto t2 = Certificate::from_pem(two);
  ASSERT_FALSE(t2);
  EXPECT_NE(t2.error().message().find("more than one"), std::string::npos);
  EXPECT_FALSE(Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  const std::string annotated = "subject=CN = ARK-Milan\n" + load("amd_milan_ark.pem").pem();
  EXPECT_TRUE(Certificate::parse(ByteSpan(reinterpret_cast<const std::uint8_t*>(annotated.data()), annotated.size())));
}

TEST(X509, DerValues) {
  for (std::int64_t v : {0, 1, 127, 128, 255, 256, -1, 1 << 20}) {
    auto d = der_decode_integer(der_encode_integer(v));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, v);
  }
  EXPECT_EQ(to_hex(der_encode_integer(0x73)), "020173");
  EXPECT_EQ(*der_decode_ia5string(der_encode_ia5string("Milan-B0")), "Milan-B0");
  EXPECT_EQ(*der_decode_utf8string(der_encode_utf8string("nestedsgx")), "nestedsgx");
  EXPECT_FALSE(der_decode_integer(der_encode_ia5string("x")));
  EXPECT_FALSE(der_decode_ia5string(der_encode_integer(3)));
  Bytes extra = der_encode_integer(3);
  extra.push_back(0);
  EXPECT_FALSE(der_decode_integer(extra));
  EXPECT_FALSE(der_decode_integer({}));
}

TEST(X509, IssuesAnAmdShapedChain) {
  auto root_key = RsaPrivateKey::generate(2048, 65537);
  ASSERT_TRUE(root_key) << root_key.error().message();
  CertificateSpec spec;
  spec.subject = {{"O", "nestedsgx test"}, {"CN", "ARK-Test"}};
  spec.not_before = 1700000000;
  spec.not_after = spec.not_before + 86400;
  spec.ca = true;
  auto root = issue_certificate(spec, root_key->public_key(), *root_key, nullptr);
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->subject(), root->issuer());
  EXPECT_EQ(root->not_before(), 1700000000);
  EXPECT_TRUE(root->verify_signature(*root->rsa_public_key()));
  auto pss = root->pss_parameters();
  ASSERT_TRUE(pss);
  EXPECT_EQ(pss->hash, "SHA384");
  EXPECT_EQ(pss->mgf1_hash, "SHA384");
  EXPECT_EQ(pss->salt_length, 48);

  auto leaf_key = EcdsaP384PrivateKey::generate();
  ASSERT_TRUE(leaf_key);
  CertificateSpec leaf_spec;
  leaf_spec.subject = {{"CN", "SEV-VCEK test"}};
  leaf_spec.not_before = spec.not_before;
  leaf_spec.not_after = spec.not_after;
  leaf_spec.serial = 7;
  leaf_spec.extensions.push_back({"1.3.6.1.4.1.3704.1.3.1", false, der_encode_integer(3)});
  leaf_spec.extensions.push_back({"1.3.6.1.4.1.3704.1.4", false, Bytes(64, 0xab)});
  auto leaf = issue_certificate(leaf_spec, leaf_key->public_key(), *root_key, &*root);
  ASSERT_TRUE(leaf) << leaf.error().message();
  EXPECT_EQ(leaf->issuer(), root->subject());
  EXPECT_TRUE(leaf->verify_signature(*root->rsa_public_key()));
  EXPECT_EQ(*der_decode_integer(**leaf->extension("1.3.6.1.4.1.3704.1.3.1")), 3);
  EXPECT_EQ(**leaf->extension("1.3.6.1.4.1.3704.1.4"), Bytes(64, 0xab));
  auto reparsed = Certificate::parse(leaf->der());
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(reparsed->ec_p384_public_key()->uncompressed_point(), leaf_key->public_key().uncompressed_point());

  // A duplicated extension is refused on read (RFC 5280 §4.2).
  leaf_spec.extensions.push_back(leaf_spec.extensions[0]);
  auto dup = issue_certificate(leaf_spec, leaf_key->public_key(), *root_key, &*root);
  ASSERT_TRUE(dup);
  EXPECT_FALSE(dup->extension("1.3.6.1.4.1.3704.1.3.1"));

  leaf_spec.not_after = leaf_spec.not_before - 1;
  EXPECT_FALSE(issue_certificate(leaf_spec, leaf_key->public_key(), *root_key, &*root));
}

}  // namespace
}  // namespace nsgx::crypto
