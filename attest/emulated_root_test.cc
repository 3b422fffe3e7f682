#include "attest/emulated_root.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "attest/emulation_mark.h"
#include "attest/snp_verify.h"
#include "attest/vcek.h"

namespace nsgx::attest {
namespace {

namespace fs = std::filesystem;

class EmulatedRootTest : public ::testing::Test {
 protected:
  // Made on first use and kept for the process: RSA key generation is the
  // slow part, and ctest runs each test in a process of its own.
  static const EmulatedRoot& root() {
    static const EmulatedRoot* r = [] {
      EmulatedRootOptions o;
      o.rsa_bits = 3072;
      o.tcb = snp::TcbVersion::from_parts_milan(2, 0, 5, 0x40);
      auto created = EmulatedRoot::create(o);
      EXPECT_TRUE(created) << created.error().message();
      return new EmulatedRoot(std::move(*created));
    }();
    return *r;
  }
  void SetUp() override {
    char tmpl[] = "/tmp/nsgx-emulated-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { fs::remove_all(tmp_); }

  static EmulatedReportRequest request() {
    EmulatedReportRequest req;
    for (std::size_t i = 0; i < req.report_data.size(); ++i) req.report_data[i] = static_cast<std::uint8_t>(i);
    req.measurement.fill(0xab);
    return req;
  }

  std::string tmp_;
};

TEST_F(EmulatedRootTest, IsShapedLikeAmdsAndMarkedEverywhere) {
  for (const crypto::Certificate* c : {&root().ark(), &root().ask(), &root().vcek()}) {
    EXPECT_TRUE(is_marked_emulated(*c));
    EXPECT_NE(c->subject_common_name().find("nestedsgx emulated"), std::string::npos);
    auto mark = c->extension(kEmulatedOid);
    ASSERT_TRUE(mark && mark->has_value());
    EXPECT_EQ(*crypto::der_decode_utf8string(**mark), kEmulatedText);
    auto pss = c->pss_parameters();
    ASSERT_TRUE(pss);
    EXPECT_EQ(pss->hash, "SHA384");
    EXPECT_EQ(pss->salt_length, 48);
  }
  EXPECT_EQ(root().ark().subject(), root().ark().issuer());
  EXPECT_EQ(root().ask().issuer(), root().ark().subject());
  EXPECT_EQ(root().vcek().issuer(), root().ask().subject());
  EXPECT_EQ(root().ark().rsa_public_key()->modulus_bytes(), 384u);
  EXPECT_TRUE(root().vcek().ec_p384_public_key());
  auto ext = read_vcek_extensions(root().vcek());
  ASSERT_TRUE(ext);
  EXPECT_EQ(*ext->hw_id, Bytes(root().chip_id().begin(), root().chip_id().end()));
  EXPECT_EQ(ext->bl_spl, 2);
  EXPECT_EQ(ext->snp_spl, 5);
  EXPECT_EQ(ext->ucode_spl, 0x40);
  EXPECT_EQ(ext->product_name, kEmulatedProductName);
  EmulatedRootOptions small;
  small.rsa_bits = 2048;
  EXPECT_FALSE(EmulatedRoot::create(small));
}

TEST_F(EmulatedRootTest, IssuesSnpReportsThatVerifyOnlyWhenAllowed) {
  const EmulatedReportRequest req = request();
  auto raw = root().issue_report(req);
  ASSERT_TRUE(raw) << raw.error().message();
  auto r = parse_snp_report(*raw);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->report.version, 3u);
  EXPECT_EQ(r->report.signature_algo, 1u);
  EXPECT_EQ(r->report.policy & snp::policy::kDebug, 0u);
  EXPECT_TRUE(std::equal(req.report_data.begin(), req.report_data.end(), r->report.report_data));
  EXPECT_TRUE(std::equal(req.measurement.begin(), req.measurement.end(), r->report.measurement));
  EXPECT_TRUE(std::equal(root().chip_id().begin(), root().chip_id().end(), r->report.chip_id));
  EXPECT_EQ(r->report.reported_tcb, root().tcb());

  SnpVerifyOptions allow;
  allow.allow_emulated = true;
  auto ok = verify_snp_evidence(*r, root().vcek(), root().chain(), allow);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_TRUE(ok->emulated);

  auto refused = verify_snp_evidence(*r, root().vcek(), root().chain());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("emulated platform root"), std::string::npos);
  EXPECT_NE(refused.error().message().find("--allow-emulated"), std::string::npos);
  auto builtin = verify_snp_builtin(*r, root().vcek(), std::nullopt);
  ASSERT_FALSE(builtin);
  EXPECT_NE(builtin.error().message().find("not from AMD hardware"), std::string::npos);
  auto builtin_allowed = verify_snp_builtin(*r, root().vcek(), std::nullopt, allow);
  ASSERT_FALSE(builtin_allowed);
  EXPECT_NE(builtin_allowed.error().message().find("--ark, --ask"), std::string::npos);

  // An emulated VCEK cannot pass under AMD's chain either.
  auto milan = builtin_chain(AmdProduct::kMilan);
  auto mixed = verify_snp_evidence(*r, root().vcek(), *milan, allow);
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().message().find("VCEK not signed by ASK"), std::string::npos);

  // Tampering with an emulated report is caught as with a real one.
  auto bad = *raw;
  bad[0x90] ^= 1;  // MEASUREMENT
  auto v = verify_snp_evidence(*parse_snp_report(bad), root().vcek(), root().chain(), allow);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message(), "report signature does not verify with the VCEK");
}

TEST_F(EmulatedRootTest, PersistsPrivatelyReloadsIdenticallyAndRefusesOtherFiles) {
  const std::string dir = tmp_ + "/state/snp-emulated";
  ASSERT_TRUE(root().save(dir));
  struct stat st {};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* f : {"ark.pem", "ask.pem", "vcek.pem", "vcek-key.pem"}) {
    ASSERT_EQ(stat((dir + "/" + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  auto loaded = EmulatedRoot::load(dir);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->ark(), root().ark());
  EXPECT_EQ(loaded->ask(), root().ask());
  EXPECT_EQ(loaded->vcek(), root().vcek());
  EXPECT_EQ(loaded->chip_id(), root().chip_id());
  EXPECT_EQ(loaded->tcb(), root().tcb());
  auto again = EmulatedRoot::load_or_create(dir);  // exists: loaded, not replaced
  ASSERT_TRUE(again);
  EXPECT_EQ(again->vcek(), root().vcek());
  EXPECT_FALSE(root().save(dir));

  // A report from the reloaded root verifies against the original chain.
  auto report = loaded->issue_report(request());
  ASSERT_TRUE(report);
  SnpVerifyOptions allow;
  allow.allow_emulated = true;
  EXPECT_TRUE(verify_snp_evidence(*parse_snp_report(*report), root().vcek(), root().chain(), allow));

  // Files readable by others are refused, not used.
  chmod((dir + "/vcek.pem").c_str(), 0644);
  auto open = EmulatedRoot::load(dir);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message().find("mode 0600"), std::string::npos) << open.error().message();
  chmod((dir + "/vcek.pem").c_str(), 0600);

  // Another key in place of the VCEK's.
  auto other = crypto::EcdsaP384PrivateKey::generate();
  fs::remove(dir + "/vcek-key.pem");
  FILE* f = fopen((dir + "/vcek-key.pem").c_str(), "w");
  ASSERT_NE(f, nullptr);
  const std::string pem = *other->to_pem();
  fwrite(pem.data(), 1, pem.size(), f);
  fclose(f);
  chmod((dir + "/vcek-key.pem").c_str(), 0600);
  auto wrong = EmulatedRoot::load(dir);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("does not belong"), std::string::npos) << wrong.error().message();

  fs::remove(dir + "/ask.pem");
  auto missing = EmulatedRoot::load(dir);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("ask.pem"), std::string::npos);
  EXPECT_FALSE(EmulatedRoot::load(tmp_ + "/nothing"));
}

TEST_F(EmulatedRootTest, LoadOrCreateCreatesOnce) {
  const std::string dir = tmp_ + "/fresh";
  EmulatedRootOptions o;
  o.rsa_bits = 3072;
  auto first = EmulatedRoot::load_or_create(dir, o);
  ASSERT_TRUE(first) << first.error().message();
  auto second = EmulatedRoot::load_or_create(dir, o);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->ark(), second->ark());
  EXPECT_EQ(first->vcek(), second->vcek());
}

}  // namespace
}  // namespace nsgx::attest
