#include "attest/snp_verify.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "crypto/symmetric.h"
#include "crypto/x509_builder.h"
#include "tests/vectors.h"

namespace nsgx::attest {
namespace {

using crypto::Certificate;
using nsgx::testing::read_vector;

constexpr crypto::UnixTime kJune2024 = 1717200000;  // inside every vector certificate's validity

Certificate cert(const std::string& rel) {
  auto c = Certificate::parse(read_vector(rel));
  EXPECT_TRUE(c) << c.error().message();
  return *c;
}

SnpVerifyOptions at(crypto::UnixTime t) {
  SnpVerifyOptions o;
  o.at = t;
  return o;
}

void expect_reason(const Result<SnpVerdict>& v, const std::string& want) {
  ASSERT_FALSE(v) << "verified, expected: " << want;
  EXPECT_NE(v.error().message().find(want), std::string::npos) << v.error().message();
}

class VectorEvidence : public ::testing::Test {
 protected:
  void SetUp() override {
    raw = *from_hex(nsgx::testing::read_text_vector("snp/virtee_report_milan.hex"));
    auto r = parse_snp_report(raw);
    ASSERT_TRUE(r) << r.error().message();
    report = std::make_unique<ParsedReport>(*r);
    vcek = std::make_unique<Certificate>(cert("snp/virtee_vcek_milan.der"));
  }
  Bytes raw;
  std::unique_ptr<ParsedReport> report;
  std::unique_ptr<Certificate> vcek;
};

TEST_F(VectorEvidence, VerifiesWithTheBuiltInMilanChain) {
  auto v = verify_snp_builtin(*report, *vcek, AmdProduct::kMilan, at(kJune2024));
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->chain, "Milan");
  EXPECT_FALSE(v->emulated);
  EXPECT_EQ(v->checked_at, kJune2024);
  EXPECT_EQ(v->vcek.product_name, "Milan-B0");
  EXPECT_EQ(v->vcek.bl_spl, 3);
  EXPECT_EQ(v->vcek.ucode_spl, 0x73);

  // auto: the VCEK's productName picks the chain.
  auto autov = verify_snp_builtin(*report, *vcek, std::nullopt, at(kJune2024));
  ASSERT_TRUE(autov) << autov.error().message();
  EXPECT_EQ(autov->chain, "Milan");
}

TEST_F(VectorEvidence, KdsUrlForTheVcek) {
  EXPECT_EQ(
      kds_vcek_url("Milan", *report),
      "https://kdsintf.amd.com/vcek/v1/Milan/"
      "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c"
      "72b082e2f87a44d541eb6?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115");
}

TEST_F(VectorEvidence, VerifiesWithTheChainGivenAsFiles) {
  SnpChain chain = supplied_chain(cert("snp/amd_milan_ark.pem"), cert("snp/amd_milan_ask.pem"));
  EXPECT_FALSE(chain.builtin);
  EXPECT_EQ(chain.product, "Milan");
  auto v = verify_snp_evidence(*report, *vcek, chain, at(kJune2024));
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_NE(v->chain.find("Milan"), std::string::npos);
}

TEST_F(VectorEvidence, EveryByteOfTheSignedRegionMatters) {
  auto chain = builtin_chain(AmdProduct::kMilan);
  ASSERT_TRUE(chain);
  std::map<std::string, int> reasons;
  for (std::size_t off = 0; off < snp::kReportSignedSize; ++off) {
    Bytes b = raw;
    b[off] ^= 0xff;
    auto r = parse_snp_report(b);
    if (!r) {  // e.g. VERSION or SIGNATURE_ALGO made invalid
      ++reasons["parse: " + r.error().message().substr(0, 40)];
      continue;
    }
    auto v = verify_snp_evidence(*r, *vcek, *chain, at(kJune2024));
    ASSERT_FALSE(v) << "flipping byte " << off << " still verifies";
    ++reasons[v.error().message().substr(0, 32)];
  }
  // Most flips are caught by the signature itself; CHIP_ID, REPORTED_TCB and
  // KEY_INFO flips by the binding checks that come before it.
  EXPECT_EQ(reasons["report signature does not verify"], 599) << ::testing::PrintToString(reasons);
  EXPECT_EQ(reasons["VCEK hwID does not match report "], 64);
}

TEST_F(VectorEvidence, EverySignatureByteMatters) {
  auto chain = builtin_chain(AmdProduct::kMilan);
  ASSERT_TRUE(chain);
  for (std::size_t off = 0x2a0; off < 0x2a0 + 144; ++off) {
    Bytes b = raw;
    b[off] ^= 0x01;
    auto r = parse_snp_report(b);
    ASSERT_TRUE(r);
    auto v = verify_snp_evidence(*r, *vcek, *chain, at(kJune2024));
    ASSERT_FALSE(v) << "flipping signature byte " << off << " still verifies";
  }
}

TEST_F(VectorEvidence, TheGenoaChainIsTheWrongChain) {
  expect_reason(verify_snp_builtin(*report, *vcek, AmdProduct::kGenoa, at(kJune2024)),
                "VCEK not signed by ASK (wrong product chain?)");
  expect_reason(
      verify_snp_evidence(*report, *vcek, supplied_chain(cert("snp/amd_milan_ark.pem"), cert("snp/amd_genoa_ask.pem")),
                          at(kJune2024)),
      "ASK not signed by ARK (wrong product chain?)");
  expect_reason(
      verify_snp_evidence(*report, *vcek, supplied_chain(cert("snp/amd_milan_ask.pem"), cert("snp/amd_milan_ask.pem")),
                          at(kJune2024)),
      "ARK 'SEV-Milan' is not self-signed");
}

TEST_F(VectorEvidence, CertificatesOutsideTheirValidity) {
  auto chain = builtin_chain(AmdProduct::kMilan);
  ASSERT_TRUE(chain);
  auto late = verify_snp_evidence(*report, *vcek, *chain, at(vcek->not_after() + 1));
  expect_reason(late, "VCEK expired on 2030-04-03 19:23:43 UTC");
  expect_reason(verify_snp_evidence(*report, *vcek, *chain, at(vcek->not_before() - 1)),
                "VCEK is not yet valid: valid from 2023-04-03 19:23:43 UTC");
  expect_reason(verify_snp_evidence(*report, *vcek, *chain, at(1577836800)),  // 2020-01-01
                "ARK is not yet valid: valid from 2020-10-22 17:23:05 UTC");
  expect_reason(verify_snp_evidence(*report, *vcek, *chain, at(2524608000)),  // 2050-01-01
                "ARK expired on 2045-10-22 17:23:05 UTC");
}

TEST_F(VectorEvidence, ReportFieldsTheVcekEndorses) {
  auto chain = builtin_chain(AmdProduct::kMilan);
  ASSERT_TRUE(chain);
  Bytes b = raw;
  b[0x180] = 2;  // REPORTED_TCB bootloader 3 -> 2
  expect_reason(verify_snp_evidence(*parse_snp_report(b), *vcek, *chain, at(kJune2024)),
                "VCEK blSPL 3 != report reported_tcb bootloader 2");
  b = raw;
  b[0x1a0 + 63] ^= 1;
  expect_reason(verify_snp_evidence(*parse_snp_report(b), *vcek, *chain, at(kJune2024)),
                "VCEK hwID does not match report CHIP_ID");
  b = raw;
  std::fill(b.begin() + 0x1a0, b.begin() + 0x1e0, 0);
  expect_reason(verify_snp_evidence(*parse_snp_report(b), *vcek, *chain, at(kJune2024)), "MASK_CHIP_ID");
  b = raw;
  b[0x48] = 1 << 2;  // SIGNING_KEY = 1: VLEK
  expect_reason(verify_snp_evidence(*parse_snp_report(b), *vcek, *chain, at(kJune2024)), "VLEK");
  b[0x48] = 7 << 2;
  expect_reason(verify_snp_evidence(*parse_snp_report(b), *vcek, *chain, at(kJune2024)), "SIGNING_KEY = 7");
  b[0x48] = 2;  // MASK_CHIP_KEY
  expect_reason(verify_snp_evidence(*parse_snp_report(b), *vcek, *chain, at(kJune2024)), "MASK_CHIP_KEY");
}

// A chain of our own, shaped like AMD's, for what the vectors cannot show:
// a VCEK of another chip, TCB mismatches, Turin, expiry of a leaf we choose.
class GeneratedEvidence : public ::testing::Test {
 protected:
  struct Root {
    crypto::RsaPrivateKey ark_key, ask_key;
    Certificate ark, ask;
  };
  static void SetUpTestSuite() {
    // The verifier does not judge key sizes; small keys keep the suite fast.
    auto ark_key = crypto::RsaPrivateKey::generate(2048, 65537);
    auto ask_key = crypto::RsaPrivateKey::generate(2048, 65537);
    ASSERT_TRUE(ark_key && ask_key);
    crypto::CertificateSpec s;
    s.subject = {{"O", "test"}, {"CN", "ARK-Test"}};
    s.not_before = kJune2024 - 86400;
    s.not_after = kJune2024 + 86400 * 365;
    s.ca = true;
    auto ark = crypto::issue_certificate(s, ark_key->public_key(), *ark_key, nullptr);
    s.subject = {{"O", "test"}, {"CN", "SEV-Test"}};
    auto ask = crypto::issue_certificate(s, ask_key->public_key(), *ark_key, &*ark);
    ASSERT_TRUE(ark && ask);
    root_ = new Root{std::move(*ark_key), std::move(*ask_key), std::move(*ark), std::move(*ask)};
  }
  static void TearDownTestSuite() {
    delete root_;
    root_ = nullptr;
  }
  static SnpChain chain() { return SnpChain{"test", root_->ark, root_->ask, std::nullopt, false}; }

  struct VcekShape {
    Bytes hw_id = Bytes(64, 0x11);
    std::optional<int> bl = 3, tee = 0, snp = 8, ucode = 0x73, fmc;
    std::optional<std::string> product;
    crypto::UnixTime not_before = kJune2024 - 3600, not_after = kJune2024 + 3600;
  };
  struct Vcek {
    crypto::EcdsaP384PrivateKey key;
    Certificate cert;
  };
  static Vcek make_vcek(const VcekShape& shape) {
    auto key = crypto::EcdsaP384PrivateKey::generate();
    crypto::CertificateSpec s;
    s.subject = {{"CN", "SEV-VCEK"}};
    s.not_before = shape.not_before;
    s.not_after = shape.not_after;
    auto add = [&](const char* oid, std::optional<int> v) {
      if (v) s.extensions.push_back({oid, false, crypto::der_encode_integer(*v)});
    };
    add(amd_oid::kBlSpl, shape.bl);
    add(amd_oid::kTeeSpl, shape.tee);
    add(amd_oid::kSnpSpl, shape.snp);
    add(amd_oid::kUcodeSpl, shape.ucode);
    add(amd_oid::kFmcSpl, shape.fmc);
    if (shape.product)
      s.extensions.push_back({amd_oid::kProductName, false, crypto::der_encode_ia5string(*shape.product)});
    s.extensions.push_back({amd_oid::kHwId, false, shape.hw_id});
    auto c = crypto::issue_certificate(s, key->public_key(), root_->ask_key, &root_->ask);
    EXPECT_TRUE(c) << c.error().message();
    return Vcek{std::move(*key), std::move(*c)};
  }
  // A version-3 report from `chip` at `tcb`, signed with `key`.
  static ParsedReport make_report(const crypto::EcdsaP384PrivateKey& key, const Bytes& chip, std::uint64_t tcb,
                                  std::uint8_t family = 0x19) {
    snp::AttestationReport r{};
    r.version = 3;
    r.policy = 0x30000;
    r.reported_tcb.raw = r.current_tcb.raw = tcb;
    r.cpuid_fam_id = family;
    std::copy(chip.begin(), chip.end(), r.chip_id);
    std::array<std::uint8_t, snp::kReportSize> raw{};
    const ByteSpan b = as_bytes(r);
    std::copy(b.begin(), b.end(), raw.begin());
    EXPECT_TRUE(sign_snp_report(raw, key));
    auto p = parse_snp_report(raw);
    EXPECT_TRUE(p) << p.error().message();
    return *p;
  }
  static constexpr std::uint64_t kTcb = 0x7308000000000003ull;  // bl 3, tee 0, snp 8, ucode 0x73
  static Root* root_;
};
GeneratedEvidence::Root* GeneratedEvidence::root_ = nullptr;

TEST_F(GeneratedEvidence, TheRightChipAndTcbVerify) {
  const Vcek v = make_vcek({});
  auto verdict = verify_snp_evidence(make_report(v.key, Bytes(64, 0x11), kTcb), v.cert, chain(), at(kJune2024));
  ASSERT_TRUE(verdict) << verdict.error().message();
  EXPECT_EQ(verdict->chain, "test");
}

TEST_F(GeneratedEvidence, AVcekOfAnotherChip) {
  VcekShape other;
  other.hw_id = Bytes(64);
  ASSERT_TRUE(crypto::random_bytes(other.hw_id));
  const Vcek v = make_vcek(other);
  // The report comes from the vector's chip but is signed with the other chip's VCEK key.
  const Bytes chip = *from_hex(
      "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b"
      "082e2f87a44d541eb6");
  expect_reason(verify_snp_evidence(make_report(v.key, chip, kTcb), v.cert, chain(), at(kJune2024)),
                "VCEK hwID does not match report CHIP_ID (hwID " + to_hex(ByteSpan(other.hw_id).first(8)) +
                    "..., CHIP_ID d49554ec717f4e5b...)");
}

TEST_F(GeneratedEvidence, TcbMismatchesNameTheField) {
  const Bytes chip(64, 0x11);
  struct Case {
    VcekShape shape;
    std::string reason;
  };
  std::vector<Case> cases(5);
  cases[0].shape.bl = 2, cases[0].reason = "VCEK blSPL 2 != report reported_tcb bootloader 3";
  cases[1].shape.tee = 1, cases[1].reason = "VCEK teeSPL 1 != report reported_tcb tee 0";
  cases[2].shape.snp = 9, cases[2].reason = "VCEK snpSPL 9 != report reported_tcb snp 8";
  cases[3].shape.ucode = 0x74, cases[3].reason = "VCEK ucodeSPL 116 != report reported_tcb microcode 115";
  cases[4].shape.snp = std::nullopt, cases[4].reason = "VCEK has no snpSPL extension (1.3.6.1.4.1.3704.1.3.3)";
  for (const Case& c : cases) {
    const Vcek v = make_vcek(c.shape);
    expect_reason(verify_snp_evidence(make_report(v.key, chip, kTcb), v.cert, chain(), at(kJune2024)), c.reason);
  }
}

TEST_F(GeneratedEvidence, TurinHasAnFmcSplAndAnEightByteHwid) {
  VcekShape turin;
  turin.hw_id = Bytes(8, 0x22);
  turin.fmc = 1, turin.bl = 5, turin.tee = 2, turin.snp = 3, turin.ucode = 0x48;
  const Vcek v = make_vcek(turin);
  Bytes chip(64, 0);
  std::fill(chip.begin(), chip.begin() + 8, 0x22);
  const std::uint64_t tcb = 0x4800000003020501ull;  // fmc 1, bl 5, tee 2, snp 3, ucode 0x48
  auto ok = verify_snp_evidence(make_report(v.key, chip, tcb, kCpuidFamilyTurin), v.cert, chain(), at(kJune2024));
  ASSERT_TRUE(ok) << ok.error().message();
  expect_reason(
      verify_snp_evidence(make_report(v.key, chip, tcb + 1, kCpuidFamilyTurin), v.cert, chain(), at(kJune2024)),
      "VCEK fmcSPL 1 != report reported_tcb fmc 2");
  // Read as Milan/Genoa, the same bytes do not match.
  expect_reason(verify_snp_evidence(make_report(v.key, chip, tcb, 0x19), v.cert, chain(), at(kJune2024)),
                "VCEK hwID is 8 bytes; expected 64");
  expect_reason(verify_snp_evidence(make_report(v.key, chip, tcb, 0x1b), v.cert, chain(), at(kJune2024)),
                "TCB_VERSION layout this verifier does not know");
}

TEST_F(GeneratedEvidence, AnExpiredOrNotYetValidVcek) {
  VcekShape expired;
  expired.not_before = kJune2024 - 7200;
  expired.not_after = kJune2024 - 3600;
  const Vcek v = make_vcek(expired);
  expect_reason(verify_snp_evidence(make_report(v.key, Bytes(64, 0x11), kTcb), v.cert, chain(), at(kJune2024)),
                "VCEK expired on " + crypto::format_utc(kJune2024 - 3600));
  VcekShape future;
  future.not_before = kJune2024 + 3600;
  future.not_after = kJune2024 + 7200;
  const Vcek f = make_vcek(future);
  expect_reason(verify_snp_evidence(make_report(f.key, Bytes(64, 0x11), kTcb), f.cert, chain(), at(kJune2024)),
                "VCEK is not yet valid");
}

TEST_F(GeneratedEvidence, ProductNameAndBuiltInChains) {
  VcekShape genoa;
  genoa.product = "Genoa-B1";
  const Vcek v = make_vcek(genoa);
  SnpChain claimed = chain();
  claimed.product = "Milan";
  const ParsedReport r = make_report(v.key, Bytes(64, 0x11), kTcb);
  expect_reason(verify_snp_evidence(r, v.cert, claimed, at(kJune2024)),
                "VCEK product name 'Genoa-B1' does not match the Milan chain");
  // productName picks the Genoa chain, which did not sign it.
  expect_reason(verify_snp_builtin(r, v.cert, std::nullopt, at(kJune2024)), "VCEK not signed by ASK");
  // Without productName, each built-in chain is tried and named.
  const Vcek anon = make_vcek({});
  expect_reason(
      verify_snp_builtin(make_report(anon.key, Bytes(64, 0x11), kTcb), anon.cert, std::nullopt, at(kJune2024)),
      "no built-in AMD chain verifies this evidence — Milan: VCEK not signed by ASK");
}

TEST_F(GeneratedEvidence, OnlyRsaPssSha384IsAccepted) {
  // A leaf signed by the test ASK with ECDSA instead of RSASSA-PSS.
  auto ec_issuer = crypto::EcdsaP384PrivateKey::generate();
  const Vcek v = make_vcek({});
  crypto::ossl::X509Ptr x(X509_dup(v.cert.raw()));
  ASSERT_TRUE(X509_sign(x.get(), ec_issuer->raw(), EVP_sha384()) > 0);
  auto resigned = Certificate::from_x509(std::move(x));
  ASSERT_TRUE(resigned);
  expect_reason(verify_snp_evidence(make_report(v.key, Bytes(64, 0x11), kTcb), *resigned, chain(), at(kJune2024)),
                "VCEK signature algorithm is ecdsa-with-SHA384, expected RSASSA-PSS with SHA-384");
}

}  // namespace
}  // namespace nsgx::attest
