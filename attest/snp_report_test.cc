#include "attest/snp_report.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/vectors.h"

namespace nsgx::attest {
namespace {

using nsgx::testing::read_vector;

Bytes vector_binary() { return *from_hex(nsgx::testing::read_text_vector("snp/virtee_report_milan.hex")); }

ByteSpan text(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Reparses after a change to the binary report.
Result<ParsedReport> parse_modified(Bytes b, std::size_t offset, std::uint32_t value) {
  store_le<std::uint32_t>(b.data() + offset, value);
  return parse_snp_report(b);
}

TEST(SnpReport, ParsesTheMilanVector) {
  const Bytes hex_text = read_vector("snp/virtee_report_milan.hex");
  auto r = parse_snp_report(hex_text);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->report.version, 2u);
  EXPECT_EQ(r->report.policy, 0x30000u);
  EXPECT_EQ(r->report.vmpl, 0u);
  EXPECT_EQ(r->report.signature_algo, 1u);
  EXPECT_EQ(r->report.reported_tcb.raw, 0x7308000000000003ull);
  EXPECT_EQ(r->report.platform_info, 1u);  // SMT_EN
  EXPECT_EQ(r->report.signing_key(), 0u);
  EXPECT_EQ(to_hex(ByteSpan(r->report.chip_id, 8)), "d49554ec717f4e5b");
  EXPECT_EQ(to_hex(ByteSpan(r->report.report_data, 4)), "d447b55d");
  EXPECT_FALSE(r->has_cpuid());
  EXPECT_EQ(r->cpu_product(), "");
  ASSERT_TRUE(r->tcb_layout);
  EXPECT_EQ(*r->tcb_layout, snp::TcbLayout::kMilanGenoa);
  const TcbParts t = decode_tcb(r->report.reported_tcb, *r->tcb_layout);
  EXPECT_EQ(t.bootloader, 3);
  EXPECT_EQ(t.tee, 0);
  EXPECT_EQ(t.snp, 8);
  EXPECT_EQ(t.microcode, 0x73);
  EXPECT_FALSE(t.has_fmc);
  EXPECT_EQ(describe_tcb(r->report.reported_tcb, r->tcb_layout),
            "bootloader 3, tee 0, snp 8, microcode 115 (0x7308000000000003)");
  EXPECT_EQ(r->signed_bytes().size(), 0x2a0u);

  // The binary form parses to the same report.
  auto b = parse_snp_report(vector_binary());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bytes, r->bytes);
}

TEST(SnpReport, HexToleratesWhitespaceCaseAndPrefix) {
  const std::string hex = to_hex(vector_binary());
  std::string spaced = "  0x";
  for (std::size_t i = 0; i < hex.size(); ++i) {
    spaced += hex[i];
    if (i % 64 == 63)
      spaced += "\r\n";
    else if (i % 8 == 7)
      spaced += ' ';
  }
  spaced += "\n\t";
  auto r = parse_snp_report(text(spaced));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->report.reported_tcb.raw, 0x7308000000000003ull);
}

TEST(SnpReport, WrongSizesAndGarbageAreClearErrors) {
  Bytes b = vector_binary();
  const auto expect_error = [](ByteSpan in, const std::string& want) {
    auto r = parse_snp_report(in);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
  };
  expect_error(ByteSpan(b).first(0x49f), "1183 bytes, expected 1184 (0x4a0)");
  Bytes longer = b;
  longer.push_back(0);
  expect_error(longer, "1185 bytes, expected 1184");
  expect_error({}, "0 bytes");
  const std::string hex = to_hex(b);
  expect_error(text(hex.substr(0, hex.size() - 2)), "1183 bytes (decoded from hex)");
  expect_error(text(hex + "00"), "1185 bytes (decoded from hex)");
  expect_error(text(hex.substr(1)), "odd number of hex digits");
  expect_error(text("this is not a report"), "20 bytes");
  expect_error(text(hex.substr(0, 100) + "zz" + hex.substr(102)), "bytes, expected 1184");  // not hex: taken as binary
}

TEST(SnpReport, VersionsAndSignatureAlgorithm) {
  const Bytes b = vector_binary();
  for (std::uint32_t v : {0u, 1u}) {
    auto r = parse_modified(b, 0, v);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("version " + std::to_string(v) + " is not supported"), std::string::npos);
  }
  for (std::uint32_t v : {3u, 4u, 5u, 200u}) EXPECT_TRUE(parse_modified(b, 0, v)) << v;
  for (std::uint32_t algo : {0u, 2u, 0xffffffffu}) {
    auto r = parse_modified(b, 0x34, algo);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("unknown signature algorithm " + std::to_string(algo)), std::string::npos);
  }
  // A later version may fill today's reserved bytes; they are tolerated.
  Bytes future = b;
  store_le<std::uint32_t>(future.data(), 9);
  for (std::size_t i = 0x208; i < 0x2a0; ++i) future[i] = 0x5a;
  future[0x1eb] = 1;
  auto r = parse_snp_report(future);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has_mitigation_vectors());
}

TEST(SnpReport, CpuidFamilyChoosesTheTcbLayout) {
  Bytes b = vector_binary();
  store_le<std::uint32_t>(b.data(), 3);
  b[0x188] = kCpuidFamilyTurin;
  b[0x189] = 0x02;
  auto turin = parse_snp_report(b);
  ASSERT_TRUE(turin);
  EXPECT_EQ(turin->tcb_layout, snp::TcbLayout::kTurin);
  EXPECT_EQ(turin->cpu_product(), "Turin");
  // Turin: [0] FMC, [1] BOOT_LOADER, [2] TEE, [3] SNP, [7] MICROCODE.
  const TcbParts t = decode_tcb(snp::TcbVersion{0x4800000003020501ull}, snp::TcbLayout::kTurin);
  EXPECT_TRUE(t.has_fmc);
  EXPECT_EQ(t.fmc, 1);
  EXPECT_EQ(t.bootloader, 5);
  EXPECT_EQ(t.tee, 2);
  EXPECT_EQ(t.snp, 3);
  EXPECT_EQ(t.microcode, 0x48);
  EXPECT_EQ(describe_tcb(snp::TcbVersion{0x4800000003020501ull}, snp::TcbLayout::kTurin),
            "fmc 1, bootloader 5, tee 2, snp 3, microcode 72 (0x4800000003020501)");

  b[0x188] = kCpuidFamilyMilanGenoa;
  b[0x189] = 0x11;
  auto genoa = parse_snp_report(b);
  ASSERT_TRUE(genoa);
  EXPECT_EQ(genoa->tcb_layout, snp::TcbLayout::kMilanGenoa);
  EXPECT_EQ(genoa->cpu_product(), "Genoa");
  b[0x189] = 0x01;
  EXPECT_EQ(parse_snp_report(b)->cpu_product(), "Milan");

  b[0x188] = 0x1b;  // a family this code does not know: parsed, layout unknown
  auto future = parse_snp_report(b);
  ASSERT_TRUE(future);
  EXPECT_FALSE(future->tcb_layout);
  EXPECT_NE(describe_tcb(future->report.reported_tcb, future->tcb_layout).find("layout unknown"), std::string::npos);

  // Version 2 has no CPUID fields, whatever those bytes hold.
  store_le<std::uint32_t>(b.data(), 2);
  b[0x188] = kCpuidFamilyTurin;
  EXPECT_EQ(parse_snp_report(b)->tcb_layout, snp::TcbLayout::kMilanGenoa);
}

TEST(SnpReport, SignAndVerifyRoundTrip) {
  auto key = crypto::EcdsaP384PrivateKey::generate();
  ASSERT_TRUE(key);
  std::array<std::uint8_t, snp::kReportSize> raw{};
  const Bytes b = vector_binary();
  std::copy(b.begin(), b.end(), raw.begin());
  store_le<std::uint32_t>(raw.data() + 0x34, 0);  // sign_snp_report sets SIGNATURE_ALGO
  ASSERT_TRUE(sign_snp_report(raw, *key));
  auto r = parse_snp_report(raw);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(verify_report_signature(*r, key->public_key()));
  auto other = crypto::EcdsaP384PrivateKey::generate();
  auto bad = verify_report_signature(*r, other->public_key());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "report signature does not verify with the VCEK");

  // R and S are P-384 scalars zero-extended to 72 bytes.
  raw[0x2a0 + 60] = 1;
  auto wide = parse_snp_report(raw);
  ASSERT_TRUE(wide);
  auto wide_sig = verify_report_signature(*wide, key->public_key());
  ASSERT_FALSE(wide_sig);
  EXPECT_NE(wide_sig.error().message().find("longer than 48 bytes"), std::string::npos);
}

}  // namespace
}  // namespace nsgx::attest
