#include "attest/quote.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "attest/emulation_mark.h"
#include "attest/quote_verify.h"
#include "attest/quoter.h"
#include "crypto/sha.h"

namespace nsgx::attest {
namespace {

namespace fs = std::filesystem;

Bytes str(const char* s) { return Bytes(s, s + std::strlen(s)); }

// The quoter's state (attestation key, emulated root) is shared by the test
// processes of this binary and kept between runs: creating the root's RSA
// keys is the slow part. Its creation is atomic, so parallel tests agree.
const Quoter& quoter() {
  static const Quoter* q = [] {
    QuoterOptions o;
    o.state_dir = (fs::temp_directory_path() / ("nsgx-quote-test-" + std::to_string(getuid()))).string();
    o.force_emulated = true;
    o.root_options.rsa_bits = 3072;
    o.root_options.tcb = snp::TcbVersion::from_parts_milan(2, 0, 5, 0x40);
    o.measurement.emplace();
    o.measurement->fill(0x5a);
    auto created = Quoter::create(o);
    EXPECT_TRUE(created) << created.error().message();
    return new Quoter(std::move(*created));
  }();
  return *q;
}

constexpr std::uint8_t kMrEnclave = 0x11, kMrSigner = 0x22;

sgx::ReportBody body_for(ByteSpan nonce, bool debug = false) {
  sgx::ReportBody b{};
  std::memset(b.mr_enclave, kMrEnclave, 32);
  std::memset(b.mr_signer, kMrSigner, 32);
  b.isv_prod_id = 7;
  b.isv_svn = 3;
  b.attributes.flags = sgx::attr::kInit | sgx::attr::kMode64Bit | (debug ? sgx::attr::kDebug : 0);
  b.attributes.xfrm = 3;
  const auto binding = nonce_binding(nonce);
  std::memcpy(b.report_data, binding.data(), 32);
  std::memset(b.report_data + 32, 0xee, 32);  // the enclave's own half
  return b;
}

QuotePolicy default_policy() {
  QuotePolicy p;
  p.mr_enclave.emplace_back().fill(kMrEnclave);
  p.isv_prod_id = 7;
  p.min_isv_svn = 3;
  return p;
}

QuoteVerifyOptions options(ByteSpan nonce, bool allow_emulated = true) {
  QuoteVerifyOptions o;
  o.nonce = Bytes(nonce.begin(), nonce.end());
  o.allow_emulated = allow_emulated;
  return o;
}

Bytes make_quote(ByteSpan nonce, bool debug = false) {
  auto q = quoter().quote(body_for(nonce, debug), nonce);
  EXPECT_TRUE(q) << q.error().message();
  return q ? *q : Bytes{};
}

QuoteVerdict verify_bytes(ByteSpan bytes, const QuotePolicy& policy, const QuoteVerifyOptions& o) {
  auto q = parse_quote(bytes);
  EXPECT_TRUE(q) << q.error().message();
  if (!q) {
    QuoteVerdict unparsable;
    unparsable.failures.emplace_back("unparsable");
    return unparsable;
  }
  return verify_quote(*q, policy, o);
}

std::string all(const QuoteVerdict& v) {
  std::string s;
  for (const auto& f : v.failures) s += f + "\n";
  return s;
}

TEST(Quote, GoodQuotePassesAndParsesBack) {
  const Bytes nonce = str("nonce-1");
  const Bytes bytes = make_quote(nonce);
  EXPECT_EQ(bytes.size(), quoter().quote_size());
  auto q = parse_quote(bytes);
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->kind, EvidenceKind::kEmulated);
  EXPECT_EQ(q->nonce, nonce);
  EXPECT_EQ(q->body.isv_prod_id, 7);
  EXPECT_EQ(q->certs.size(), 3u);
  EXPECT_EQ(Bytes(q->public_key.begin(), q->public_key.end()), quoter().public_key().uncompressed_point());
  const QuoteVerdict v = verify_quote(*q, default_policy(), options(nonce));
  EXPECT_TRUE(v.ok()) << all(v);
  EXPECT_TRUE(v.emulated);
  ASSERT_TRUE(v.snp);
  // MRSIGNER alone also identifies the enclave.
  QuotePolicy by_signer;
  by_signer.mr_signer.emplace_back().fill(kMrSigner);
  EXPECT_TRUE(verify_quote(*q, by_signer, options(nonce)).ok());
}

TEST(Quote, EmulatedEvidenceNeedsAllowEmulated) {
  const Bytes nonce = str("n");
  const QuoteVerdict v = verify_bytes(make_quote(nonce), default_policy(), options(nonce, false));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("emulated platform root"), std::string::npos) << v.failures[0];
  QuotePolicy p = default_policy();
  p.allow_emulated = true;  // the policy may allow it too
  EXPECT_TRUE(verify_bytes(make_quote(nonce), p, options(nonce, false)).ok());
}

TEST(Quote, EmulatedRootsCanBePinned) {
  const Bytes nonce = str("n");
  const Bytes bytes = make_quote(nonce);
  const auto ark = crypto::sha256(quoter().certs()[2]);
  // Unpinned: accepted, with a note that anyone could have made the root.
  QuoteVerdict v = verify_bytes(bytes, default_policy(), options(nonce));
  ASSERT_TRUE(v.ok()) << all(v);
  ASSERT_TRUE(v.emulated_root);
  EXPECT_EQ(*v.emulated_root, ark);
  auto has_note = [](const QuoteVerdict& verdict) {
    for (const auto& n : verdict.notes)
      if (n.find("anyone can make one") != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has_note(v));
  // Pinned to this root: accepted without the note.
  QuotePolicy pinned = default_policy();
  pinned.emulated_roots.push_back(ark);
  v = verify_bytes(bytes, pinned, options(nonce));
  EXPECT_TRUE(v.ok()) << all(v);
  EXPECT_FALSE(has_note(v));
  // Pinned to another root: refused, naming the root.
  QuotePolicy other = default_policy();
  other.emulated_roots.emplace_back().fill(0xab);
  v = verify_bytes(bytes, other, options(nonce));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("is not one of the policy's emulated_roots"), std::string::npos);
  EXPECT_NE(v.failures[0].find(to_hex(ark)), std::string::npos);
}

TEST(Quote, DebugEnclaveFailsTheDefaultPolicy) {
  const Bytes nonce = str("n");
  const Bytes bytes = make_quote(nonce, true);
  const QuoteVerdict v = verify_bytes(bytes, default_policy(), options(nonce));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("DEBUG enclave"), std::string::npos);
  QuotePolicy allow = default_policy();
  allow.allow_debug = true;
  EXPECT_TRUE(verify_bytes(bytes, allow, options(nonce)).ok());
}

TEST(Quote, ReplayedWithAnotherNonceFails) {
  const Bytes bytes = make_quote(str("first"));
  const QuoteVerdict v = verify_bytes(bytes, default_policy(), options(str("second")));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("replayed"), std::string::npos);
  // Swapping the nonce inside the quote breaks the signature and the binding.
  auto q = parse_quote(bytes);
  ASSERT_TRUE(q);
  Bytes forged = bytes;
  forged[kQuoteNonceOffset + 4] ^= 1;
  auto fq = parse_quote(forged);
  ASSERT_TRUE(fq);
  const QuoteVerdict fv = verify_quote(*fq, default_policy(), options(fq->nonce));
  EXPECT_EQ(fv.failures.size(), 2u) << all(fv);
  EXPECT_NE(all(fv).find("signature does not verify"), std::string::npos);
  EXPECT_NE(all(fv).find("does not bind the nonce"), std::string::npos);
}

TEST(Quote, TheQuoterRefusesAReportThatDoesNotBindTheNonce) {
  auto q = quoter().quote(body_for(str("a")), str("b"));
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("not SHA-256(nonce)"), std::string::npos);
  EXPECT_FALSE(quoter().quote(body_for(str("a")), Bytes(65, 1)));
  // Without a nonce, REPORT_DATA is the enclave's alone (DCAP semantics).
  auto plain = quoter().quote(body_for(str("a")), {});
  ASSERT_TRUE(plain);
  QuoteVerifyOptions o;
  o.allow_emulated = true;
  const QuoteVerdict v = verify_bytes(*plain, default_policy(), o);
  EXPECT_TRUE(v.ok()) << all(v);
  EXPECT_FALSE(v.notes.empty());
  // ... and a verifier that expects a nonce refuses it.
  EXPECT_FALSE(verify_bytes(*plain, default_policy(), options(str("a"))).ok());
}

TEST(Quote, ModifiedEnclaveFailsTheMrenclavePolicy) {
  const Bytes nonce = str("n");
  sgx::ReportBody b = body_for(nonce);
  b.mr_enclave[31] ^= 1;
  auto bytes = quoter().quote(b, nonce);
  ASSERT_TRUE(bytes);
  const QuoteVerdict v = verify_bytes(*bytes, default_policy(), options(nonce));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("is not an accepted mrenclave"), std::string::npos);
}

TEST(Quote, SignedByARandomKeyFails) {
  const Bytes nonce = str("n");
  const Bytes bytes = make_quote(nonce);
  auto other = crypto::EcdsaP384PrivateKey::generate();
  ASSERT_TRUE(other);
  // Re-signed by another key, which the quote then names: the signature
  // verifies, but the platform root vouches for the monitor's key only.
  Bytes forged = bytes;
  const Bytes point = other->public_key().uncompressed_point();
  std::copy(point.begin(), point.end(), forged.begin() + kQuoteKeyOffset);
  forged.resize(forged.size() - kQuoteSignatureSize);
  auto sig = other->sign_sha384(forged);
  ASSERT_TRUE(sig);
  append_signature(forged, *sig);
  QuoteVerdict v = verify_bytes(forged, default_policy(), options(nonce));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("key binding"), std::string::npos);
  // Signed by another key but still naming the monitor's: the signature fails.
  Bytes wrong = bytes;
  wrong.resize(wrong.size() - kQuoteSignatureSize);
  append_signature(wrong, *sig);
  v = verify_bytes(wrong, default_policy(), options(nonce));
  ASSERT_EQ(v.failures.size(), 1u) << all(v);
  EXPECT_NE(v.failures[0].find("signature does not verify"), std::string::npos);
}

TEST(Quote, EveryPolicyRuleHasItsReason) {
  const Bytes nonce = str("n");
  const Bytes bytes = make_quote(nonce);
  QuotePolicy p = default_policy();
  p.isv_prod_id = 8;
  p.min_isv_svn = 4;
  p.monitor_measurements.emplace_back().fill(0x5b);
  p.min_tcb = MinimumTcb{2, 0, 6, 0x40, 0};
  const QuoteVerdict v = verify_bytes(bytes, p, options(nonce));
  const std::string s = all(v);
  EXPECT_EQ(v.failures.size(), 4u) << s;
  EXPECT_NE(s.find("ISVPRODID 7 is not 8"), std::string::npos) << s;
  EXPECT_NE(s.find("ISVSVN 3 is below the minimum 4"), std::string::npos) << s;
  EXPECT_NE(s.find("not among the accepted monitor_measurements"), std::string::npos) << s;
  EXPECT_NE(s.find("snp SPL 5 is below the minimum 6"), std::string::npos) << s;
  // And each passes at its boundary.
  p.isv_prod_id = 7;
  p.min_isv_svn = 3;
  p.monitor_measurements.emplace_back().fill(0x5a);
  p.min_tcb = MinimumTcb{2, 0, 5, 0x40, 0};
  EXPECT_TRUE(verify_bytes(bytes, p, options(nonce)).ok()) << all(verify_bytes(bytes, p, options(nonce)));
}

TEST(Quote, TamperedEvidenceFails) {
  const Bytes nonce = str("n");
  const Bytes bytes = make_quote(nonce);
  // A byte of the SNP report's signed part (its REPORT_DATA), re-signed by
  // the monitor's key is impossible here; the quote signature fails, and
  // so do the report signature and the key binding.
  Bytes t = bytes;
  t[kQuoteSnpOffset + 0x50] ^= 1;
  const QuoteVerdict v = verify_bytes(t, default_policy(), options(nonce));
  const std::string s = all(v);
  EXPECT_NE(s.find("signature does not verify"), std::string::npos) << s;
  EXPECT_NE(s.find("evidence:"), std::string::npos) << s;
  EXPECT_NE(s.find("key binding"), std::string::npos) << s;
}

TEST(QuoteParse, TruncatedOversizedAndMalformed) {
  const Bytes bytes = make_quote(str("n"));
  auto err = [](ByteSpan b) {
    auto q = parse_quote(b);
    return q ? std::string("parsed") : q.error().message();
  };
  EXPECT_NE(err(ByteSpan(bytes).first(bytes.size() - 1)).find("truncated"), std::string::npos);
  EXPECT_NE(err(ByteSpan(bytes).first(10)).find("truncated"), std::string::npos);
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_NE(err(longer).find("oversized: 1 bytes after"), std::string::npos);
  EXPECT_NE(err({}).find("truncated"), std::string::npos);

  auto mutate = [&](std::size_t off, std::uint8_t value) {
    Bytes b = bytes;
    b[off] = value;
    return err(b);
  };
  EXPECT_NE(mutate(0, 'X').find("magic"), std::string::npos);
  EXPECT_NE(mutate(8, 2).find("version 2"), std::string::npos);
  EXPECT_NE(mutate(10, 9).find("evidence kind"), std::string::npos);
  EXPECT_NE(mutate(kQuoteNonceOffset, 65).find("nonce size 65"), std::string::npos);
  EXPECT_NE(mutate(kQuoteNonceOffset + 2, 1).find("reserved"), std::string::npos);
  EXPECT_NE(mutate(kQuoteNonceOffset + 4 + 63, 1).find("past the nonce"), std::string::npos);
  EXPECT_NE(mutate(kQuoteKeyOffset, 2).find("uncompressed"), std::string::npos);
  EXPECT_NE(mutate(kQuoteKeyOffset + 98, 1).find("reserved"), std::string::npos);
  EXPECT_NE(mutate(kQuoteCertsOffset, 4).find("4 certificates"), std::string::npos);
  EXPECT_NE(mutate(kQuoteCertsOffset, 2).find("bytes between the certificates and the signature"), std::string::npos);
  // A certificate size running past the end.
  Bytes b = bytes;
  store_le<std::uint32_t>(b.data() + kQuoteCertsOffset + 4, 16000);
  EXPECT_NE(err(b).find("VCEK certificate: truncated"), std::string::npos) << err(b);
  store_le<std::uint32_t>(b.data() + kQuoteCertsOffset + 4, 0);
  EXPECT_NE(err(b).find("size 0"), std::string::npos);
  // The total size names bounds.
  b = bytes;
  store_le<std::uint32_t>(b.data() + 12, 100);
  EXPECT_NE(err(b).find("total size 100"), std::string::npos);
}

TEST(QuotePolicy, ParsesAndRefusesWhatItDoesNotKnow) {
  const std::string mr(64, 'a');
  auto p = parse_quote_policy(R"({"mrenclave": ")" + mr + R"(", "mrsigner": [")" + std::string(64, 'b') +
                              R"("], "isv_prod_id": 1, "min_isv_svn": 2, "allow_debug": true,
      "monitor_measurements": [")" +
                              std::string(96, 'c') + R"("], "min_tcb": {"snp": 8, "microcode": 115},
      "allow_snp_debug": false, "allow_emulated": true, "emulated_roots": ")" +
                              std::string(64, 'd') + R"("})");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->mr_enclave.size(), 1u);
  EXPECT_EQ(p->mr_enclave[0][0], 0xaa);
  EXPECT_EQ(p->mr_signer[0][31], 0xbb);
  EXPECT_EQ(*p->isv_prod_id, 1);
  EXPECT_EQ(p->min_isv_svn, 2);
  EXPECT_TRUE(p->allow_debug);
  EXPECT_TRUE(p->allow_emulated);
  EXPECT_EQ(p->monitor_measurements[0][47], 0xcc);
  EXPECT_EQ(p->min_tcb->snp, 8);
  EXPECT_EQ(p->min_tcb->microcode, 115);
  ASSERT_EQ(p->emulated_roots.size(), 1u);
  EXPECT_EQ(p->emulated_roots[0][0], 0xdd);

  auto err = [](const std::string& j) {
    auto r = parse_quote_policy(j);
    return r ? std::string("parsed") : r.error().message();
  };
  EXPECT_NE(err(R"({"mrenclav": "00"})").find("unknown key 'mrenclav'"), std::string::npos);
  EXPECT_NE(err(R"({"isv_prod_id": 1})").find("names no enclave"), std::string::npos);
  EXPECT_NE(err(R"({"mrenclave": "abcd"})").find("2 bytes, expected 32"), std::string::npos);
  EXPECT_NE(err(R"({"mrenclave": ")" + mr + R"(", "min_isv_svn": 70000})").find("min_isv_svn"), std::string::npos);
  EXPECT_NE(err(R"({"mrenclave": ")" + mr + R"(", "allow_debug": 1})").find("true or false"), std::string::npos);
  EXPECT_NE(err(R"({"mrenclave": ")" + mr + R"(", "min_tcb": {"ucode": 1}})").find("unknown key 'ucode'"),
            std::string::npos);
  EXPECT_NE(err("[1]").find("object"), std::string::npos);
  EXPECT_NE(err("{").find("not valid JSON"), std::string::npos);
}

TEST(Quoter, KeyIsPersistedPrivatelyAndEvidenceCommitsToIt) {
  char tmpl[] = "/tmp/nsgx-quoter-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto first = load_or_create_attestation_key(dir);
  ASSERT_TRUE(first) << first.error().message();
  struct stat st {};
  ASSERT_EQ(stat((dir + "/" + kAttestationKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = load_or_create_attestation_key(dir);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->public_key().uncompressed_point(), again->public_key().uncompressed_point());
  // A key file others may read is refused, not used.
  chmod((dir + "/" + kAttestationKeyFile).c_str(), 0644);
  EXPECT_FALSE(load_or_create_attestation_key(dir));
  fs::remove_all(dir);

  // The shared quoter's evidence: REPORT_DATA = the key's commitment,
  // SHA-512 over the domain string, its NUL and the point (recomputed).
  const Quoter& q = quoter();
  Bytes m = str("NSGX-ATTESTATION-KEY-v1");
  m.push_back(0);
  const Bytes point = q.public_key().uncompressed_point();
  m.insert(m.end(), point.begin(), point.end());
  const auto expected = crypto::sha512(m);
  auto report = parse_snp_report(q.snp_report());
  ASSERT_TRUE(report);
  EXPECT_EQ(std::memcmp(report->report.report_data, expected.data(), 64), 0);
  EXPECT_EQ(report->report.measurement[0], 0x5a);
  ASSERT_EQ(q.certs().size(), 3u);
  auto vcek = crypto::Certificate::parse(q.certs()[0]);
  ASSERT_TRUE(vcek);
  EXPECT_TRUE(is_marked_emulated(*vcek));
}

TEST(Quoter, WithTheSevGuestDeviceItNeverFallsBackToEmulation) {
  // A "device" that exists but is no SEV-SNP guest device (/dev/null: the
  // ioctl fails): the quoter reports the failure instead of quietly making
  // emulated evidence, which a verifier would then have to tell apart.
  char tmpl[] = "/tmp/nsgx-quoter-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  QuoterOptions o;
  o.state_dir = tmpl;
  o.sev_guest_device = "/dev/null";
  auto q = Quoter::create(o);
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("SNP_GET_REPORT"), std::string::npos) << q.error().message();
  EXPECT_FALSE(fs::exists(std::string(tmpl) + "/" + kEmulatedRootDir));
  fs::remove_all(tmpl);
}

TEST(Quoter, SelfMeasurementIsTheDigestOfThisBinary) {
  auto m = self_measurement();
  ASSERT_TRUE(m) << m.error().message();
  auto exe = read_file("/proc/self/exe");
  ASSERT_TRUE(exe);
  EXPECT_EQ(*m, crypto::sha384(*exe));
}

}  // namespace
}  // namespace nsgx::attest
