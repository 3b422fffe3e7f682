#include "monitor/monitor.h"

#include <array>
#include <gtest/gtest.h>

#include <cstring>

#include "identity/sgxs.h"
#include "image/raw_pages.h"
#include "image/sdk_image.h"
#include "monitor/testing/fake_platform.h"
#include "tests/vectors.h"

namespace nsgx::monitor {
namespace {

using nsgx::testing::read_vector;
using testing::FakePlatform;

constexpr std::uint64_t kBase = 0x40000000;

sgx::Secinfo secinfo(std::uint64_t flags) {
  sgx::Secinfo s{};
  s.flags = flags;
  return s;
}

sgx::Secs make_secs(std::uint64_t size, std::uint32_t ssa = 1, sgx::Attributes attrs = {sgx::attr::kMode64Bit, 3}) {
  sgx::Secs s{};
  s.size = size;
  s.base_addr = kBase;
  s.ssa_frame_size = ssa;
  s.attributes = attrs;
  return s;
}

std::string hex32(const std::uint8_t* p) { return to_hex(ByteSpan(p, 32)); }

// Builds an enclave through the monitor's leaves, the way a loader does,
// taking EPC pages in order.
class MonitorBuilder final : public identity::EnclaveBuilder {
 public:
  MonitorBuilder(Monitor& m, sgx::Attributes attrs, std::uint32_t first_page = 0, std::uint32_t misc = 0)
      : m_(m), attrs_(attrs), next_(first_page), misc_(misc) {}
  Status ecreate(std::uint32_t ssa, std::uint64_t size) override {
    secs_ = EpcIndex{next_++};
    sgx::Secs s = make_secs(size, ssa, attrs_);
    s.misc_select = misc_;
    auto r = m_.ecreate(secs_, s, secinfo(0));
    return r ? Status{} : Error(r.detail);
  }
  Status add_page(std::uint64_t offset, std::uint64_t flags, std::span<const std::uint8_t, sgx::kPageSize> data,
                  std::uint16_t mask) override {
    const EpcIndex page{next_++};
    auto r = m_.eadd(page, id(), LinearAddr{kBase + offset}, data, secinfo(flags));
    if (!r) return Error(r.detail);
    for (std::uint32_t i = 0; i < 16; ++i) {
      if (((static_cast<unsigned>(mask) >> i) & 1u) == 0) continue;
      r = m_.eextend(page, i * 256);
      if (!r) return Error(r.detail);
    }
    return {};
  }
  EnclaveId id() const { return EnclaveId{secs_.value}; }
  std::uint32_t used() const { return next_; }

 private:
  Monitor& m_;
  sgx::Attributes attrs_;
  EpcIndex secs_{};
  std::uint32_t next_ = 0;
  std::uint32_t misc_ = 0;
};

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest() : platform_(8192), monitor_(platform_, {}) {}

  // A small created enclave: SECS at page 0, one REG page at kBase in page 1.
  EnclaveId small_enclave() {
    EXPECT_TRUE(monitor_.ecreate(EpcIndex{0}, make_secs(0x10000), secinfo(0)));
    std::array<std::uint8_t, sgx::kPageSize> page{};
    EXPECT_TRUE(monitor_.eadd(EpcIndex{1}, EnclaveId{0}, LinearAddr{kBase}, page, secinfo(0x203)));
    return EnclaveId{0};
  }

  FakePlatform platform_;
  Monitor monitor_;
};

// ---- known answers ----

TEST_F(MonitorTest, EnarxVectorMeasuresAndLaunches) {
  Bytes bin = read_vector("sgx/enarx_encl.bin");
  MonitorBuilder b(monitor_, {sgx::attr::kMode64Bit, 3});
  ASSERT_TRUE(b.ecreate(1, 0x8000));
  for (std::size_t i = 0; i < 6; ++i)
    ASSERT_TRUE(b.add_page(i * 4096, i == 0 ? 0x100 : 0x207,
                           std::span<const std::uint8_t, 4096>(bin.data() + i * 4096, 4096), 0xffff));
  auto ss = identity::parse_sigstruct(read_vector("sgx/enarx_encl.ss"));
  ASSERT_TRUE(ss);
  auto r = monitor_.einit(b.id(), *ss, nullptr);
  ASSERT_TRUE(r) << r.detail;
  EXPECT_EQ(hex32(monitor_.secs(b.id())->mr_enclave), "b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0");
  EXPECT_EQ(hex32(monitor_.secs(b.id())->mr_signer), to_hex(identity::mrsigner(*ss)));
  EXPECT_EQ(monitor_.state(b.id()), EnclaveState::kInitialized);
  EXPECT_NE(monitor_.secs(b.id())->attributes.flags & sgx::attr::kInit, 0u);
  // The TCS is enterable and not accessible, the other pages RWX.
  EXPECT_EQ(platform_.mapped.at(kBase).second, (PageRights{.rwx = 0, .tcs = true}));
  EXPECT_EQ(platform_.mapped.at(kBase + 4096).second.rwx, 7u);
}

TEST_F(MonitorTest, FortanixVectorMeasuresAndLaunches) {
  auto layout = identity::parse_sgxs(read_vector("sgx/fortanix_test_enclave.sgxs"));
  ASSERT_TRUE(layout);
  MonitorBuilder b(monitor_, {sgx::attr::kMode64Bit, 3});
  ASSERT_TRUE(identity::replay(*layout, b));
  auto ss = identity::parse_sigstruct(read_vector("sgx/fortanix_test_enclave.sig"));
  auto r = monitor_.einit(b.id(), *ss, nullptr);
  ASSERT_TRUE(r) << r.detail;
  EXPECT_EQ(hex32(monitor_.secs(b.id())->mr_enclave), "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc");
}

class SdkImageLaunch : public ::testing::TestWithParam<const char*> {};

TEST_P(SdkImageLaunch, LoadsAndEinits) {
  auto img = image::SdkImage::parse(read_vector(std::string("sdk/") + GetParam()));
  ASSERT_TRUE(img);
  FakePlatform platform(4096);
  Monitor monitor(platform, {});
  MonitorBuilder b(monitor, img->sigstruct().attributes);
  auto st = img->replay(b);
  ASSERT_TRUE(st) << st.error().message();
  auto r = monitor.einit(b.id(), img->sigstruct(), nullptr);
  ASSERT_TRUE(r) << r.detail;
  EXPECT_EQ(hex32(monitor.secs(b.id())->mr_enclave), hex32(img->sigstruct().enclave_hash));
}

INSTANTIATE_TEST_SUITE_P(Vectors, SdkImageLaunch,
                         ::testing::Values("sgxsdk_SampleEnclave.signed.so", "intel_libsgx_pce.signed.so.1.25.100.1"));

// ---- ECREATE ----

TEST_F(MonitorTest, EcreateChecksItsOperands) {
  auto gp = [&](sgx::Secs s, const char* what) {
    auto r = monitor_.ecreate(EpcIndex{0}, s, secinfo(0));
    EXPECT_EQ(r.kind, LeafKind::kGp) << what << ": " << r.detail;
  };
  sgx::Secs s = make_secs(0x10000);
  s.size = 0x3000;
  gp(s, "size not a power of two");
  s = make_secs(0x1000);
  gp(s, "one page");
  s = make_secs(0x10000);
  s.base_addr = kBase + 0x1000;
  gp(s, "base not aligned");
  s = make_secs(0x10000, 0);
  gp(s, "SSA frame 0");
  s = make_secs(0x10000, 1, {sgx::attr::kMode64Bit, 0xe3});
  gp(s, "AVX-512 without AVX");
  s = make_secs(0x10000, 3, {sgx::attr::kMode64Bit, 0x60003});
  gp(s, "AMX not supported by this platform");
  s = make_secs(0x10000, 1, {sgx::attr::kMode64Bit, 0x1});
  gp(s, "XFRM without SSE");
  s = make_secs(0x10000, 1, {sgx::attr::kMode64Bit | sgx::attr::kInit, 3});
  gp(s, "INIT set");
  s = make_secs(0x10000, 1, {sgx::attr::kMode64Bit | (1ull << 3), 3});
  gp(s, "reserved attribute");
  s = make_secs(0x10000);
  s.config_svn = 1;
  gp(s, "CONFIGSVN without KSS");
  s = make_secs(0x10000);
  s.reserved4[100] = 1;
  gp(s, "reserved SECS byte");
  EXPECT_EQ(monitor_.ecreate(EpcIndex{0}, make_secs(0x10000), secinfo(0x200)).kind, LeafKind::kGp);  // not PT_SECS
  EXPECT_EQ(monitor_.ecreate(EpcIndex{0}, make_secs(0x10000), secinfo(0x3)).kind, LeafKind::kGp);    // permissions
  EXPECT_EQ(monitor_.ecreate(EpcIndex{9000}, make_secs(0x10000), secinfo(0)).kind, LeafKind::kPf);   // not EPC
  EXPECT_TRUE(monitor_.ecreate(EpcIndex{0}, make_secs(0x10000, 1, {sgx::attr::kMode64Bit, 0xe7}), secinfo(0)));
  EXPECT_EQ(monitor_.ecreate(EpcIndex{0}, make_secs(0x10000), secinfo(0)).kind, LeafKind::kPf);  // page in use
}

TEST(MonitorSsa, FrameMustHoldXsaveMiscAndGprsgx) {
  FakePlatform p(16);
  MonitorConfig cfg;
  cfg.supported_xfrm |= sgx::xfrm::kAmxTileCfg | sgx::xfrm::kAmxTileData;
  Monitor m(p, cfg);
  // AMX tile data ends at 11008 bytes of XSAVE: with GPRSGX that needs 3 pages.
  EXPECT_EQ(m.ecreate(EpcIndex{0}, make_secs(0x10000, 2, {sgx::attr::kMode64Bit, 0x60003}), secinfo(0)).kind,
            LeafKind::kGp);
  EXPECT_TRUE(m.ecreate(EpcIndex{0}, make_secs(0x10000, 3, {sgx::attr::kMode64Bit, 0x60003}), secinfo(0)));
}

// Frame n of a TCS starts at OSSA + n * SSAFRAMESIZE pages; CSSA/NSSA and
// OSSA are the enclave's, SSAFRAMESIZE the OS's, so every step is checked.
TEST(MonitorSsa, FramePageOffsetsAreCheckedArithmetic) {
  constexpr std::uint64_t kElrange = 1ull << 36;
  EXPECT_EQ(ssa_page_offset(0x4000, 0, 1, 0, kElrange), 0x4000u);
  EXPECT_EQ(ssa_page_offset(0x4000, 2, 3, 1, kElrange), 0x4000u + 7 * 4096);
  EXPECT_EQ(ssa_page_offset(0x4000, 0, 1, 0, 0x4000), std::nullopt);  // just past ELRANGE
  // 2^21 frames of 2^31 pages are 2^64 bytes: the product wraps to 0 and
  // would name the page at OSSA (frame 0's) without the multiplication check.
  EXPECT_EQ(ssa_page_offset(0, 1u << 21, 1u << 31, 0, kElrange), std::nullopt);
  EXPECT_EQ(ssa_page_offset(0x1000, 1u << 21, 1u << 31, 3, kElrange), std::nullopt);
  // The addition of OSSA wraps.
  EXPECT_EQ(ssa_page_offset(~0ull - 0xfff, 1, 1, 0, ~0ull), std::nullopt);
  // The largest operands.
  EXPECT_EQ(ssa_page_offset(0, 0xffffffffu, 0xffffffffu, 0xffffffffu, ~0ull), std::nullopt);
}

// ---- EADD / EEXTEND ----

TEST_F(MonitorTest, EaddErrors) {
  EnclaveId id = small_enclave();
  std::array<std::uint8_t, sgx::kPageSize> page{};
  auto eadd = [&](std::uint32_t epc, std::uint64_t addr, std::uint64_t flags) {
    return monitor_.eadd(EpcIndex{epc}, id, LinearAddr{addr}, page, secinfo(flags));
  };
  EXPECT_EQ(eadd(2, kBase + 0x10000, 0x203).kind, LeafKind::kGp);  // outside ELRANGE
  EXPECT_EQ(eadd(2, kBase - 0x1000, 0x203).kind, LeafKind::kGp);   // below ELRANGE
  EXPECT_EQ(eadd(2, kBase + 0x10, 0x203).kind, LeafKind::kGp);     // unaligned
  EXPECT_EQ(eadd(2, kBase, 0x203).kind, LeafKind::kGp);            // address already backed
  EXPECT_EQ(eadd(1, kBase + 0x1000, 0x203).kind, LeafKind::kPf);   // EPC page in use
  EXPECT_EQ(eadd(0, kBase + 0x1000, 0x203).kind, LeafKind::kPf);   // the SECS page
  EXPECT_EQ(eadd(2, kBase + 0x1000, 0x202).kind, LeafKind::kGp);   // W without R
  EXPECT_EQ(eadd(2, kBase + 0x1000, 0x300).kind, LeafKind::kGp);   // PT_VA
  EXPECT_EQ(eadd(2, kBase + 0x1000, 0x20b).kind, LeafKind::kGp);   // PENDING
  EXPECT_EQ(eadd(2, kBase + 0x1000, 0x10203).kind, LeafKind::kGp); // reserved bit
  EXPECT_EQ(monitor_.eadd(EpcIndex{2}, EnclaveId{1}, LinearAddr{kBase + 0x1000}, page, secinfo(0x203)).kind,
            LeafKind::kPf);  // SECS operand is a REG page
  std::memcpy(page.data() + 16, "\x01", 1);  // TCS.OSSA not page aligned
  EXPECT_EQ(eadd(2, kBase + 0x1000, 0x100).kind, LeafKind::kGp);
  // Nothing above changed the EPCM.
  EXPECT_FALSE(monitor_.epcm(EpcIndex{2})->valid);
}

TEST_F(MonitorTest, EextendErrors) {
  small_enclave();
  EXPECT_EQ(monitor_.eextend(EpcIndex{0}, 0).kind, LeafKind::kPf);    // SECS page
  EXPECT_EQ(monitor_.eextend(EpcIndex{5}, 0).kind, LeafKind::kPf);    // free page
  EXPECT_EQ(monitor_.eextend(EpcIndex{1}, 100).kind, LeafKind::kGp);  // unaligned
  EXPECT_EQ(monitor_.eextend(EpcIndex{1}, 4096).kind, LeafKind::kGp); // beyond the page
  EXPECT_TRUE(monitor_.eextend(EpcIndex{1}, 3840));
}

// ---- EINIT ----

class EinitTest : public MonitorTest {
 protected:
  // The enarx enclave, built but not initialized, and its SIGSTRUCT.
  void SetUp() override {
    bin_ = read_vector("sgx/enarx_encl.bin");
    ss_ = *identity::parse_sigstruct(read_vector("sgx/enarx_encl.ss"));
  }
  EnclaveId build(sgx::Attributes attrs = {sgx::attr::kMode64Bit, 3}) {
    MonitorBuilder b(monitor_, attrs);
    EXPECT_TRUE(b.ecreate(1, 0x8000));
    for (std::size_t i = 0; i < 6; ++i)
      EXPECT_TRUE(b.add_page(i * 4096, i == 0 ? 0x100 : 0x207,
                             std::span<const std::uint8_t, 4096>(bin_.data() + i * 4096, 4096), 0xffff));
    return b.id();
  }
  Bytes bin_;
  sgx::Sigstruct ss_{};
};

TEST_F(EinitTest, WrongMeasurement) {
  bin_[4096 + 10] ^= 1;
  auto r = monitor_.einit(build(), ss_, nullptr);
  EXPECT_EQ(r.kind, LeafKind::kStatus);
  EXPECT_EQ(r.status, sgx::Status::kInvalidMeasurement);
}

TEST_F(EinitTest, BadSignatureAndMalformedSigstruct) {
  EnclaveId id = build();
  sgx::Sigstruct bad = ss_;
  bad.signature[7] ^= 1;
  EXPECT_EQ(monitor_.einit(id, bad, nullptr).status, sgx::Status::kInvalidSignature);
  bad = ss_;
  bad.isv_svn = 5;  // signed body changed
  EXPECT_EQ(monitor_.einit(id, bad, nullptr).status, sgx::Status::kInvalidSignature);
  bad = ss_;
  bad.header[0] = 7;
  EXPECT_EQ(monitor_.einit(id, bad, nullptr).status, sgx::Status::kInvalidSigStruct);
  bad = ss_;
  bad.exponent = 65537;
  EXPECT_EQ(monitor_.einit(id, bad, nullptr).status, sgx::Status::kInvalidSigStruct);
  // Still launchable with the right one afterwards.
  EXPECT_TRUE(monitor_.einit(id, ss_, nullptr));
}

TEST_F(EinitTest, AttributesUnderMask) {
  // The enarx SIGSTRUCT masks nothing, so DEBUG passes; build a key that enforces DEBUG=0.
  auto key = crypto::RsaPrivateKey::generate(3072, 3);
  ASSERT_TRUE(key);
  identity::SigstructFields f;
  std::memcpy(f.enclave_hash.data(), ss_.enclave_hash, 32);
  sgx::Sigstruct strict = identity::make_sigstruct(f);  // default masks: every attribute but DEBUG enforced
  f.attributes.flags = sgx::attr::kMode64Bit | sgx::attr::kProvisionKey;
  sgx::Sigstruct wants_provision = identity::make_sigstruct(f);
  ASSERT_TRUE(identity::sign_sigstruct(strict, *key));
  ASSERT_TRUE(identity::sign_sigstruct(wants_provision, *key));
  EnclaveId id = build({sgx::attr::kMode64Bit | sgx::attr::kDebug, 3});
  EXPECT_EQ(monitor_.einit(id, wants_provision, nullptr).status, sgx::Status::kInvalidAttribute);
  EXPECT_TRUE(monitor_.einit(id, strict, nullptr));  // DEBUG is outside the default mask
}

TEST_F(EinitTest, MiscselectUnderMask) {
  auto key = crypto::RsaPrivateKey::generate(3072, 3);
  identity::SigstructFields f;
  std::memcpy(f.enclave_hash.data(), ss_.enclave_hash, 32);
  f.misc_select = sgx::misc::kExinfo;
  sgx::Sigstruct s = identity::make_sigstruct(f);
  ASSERT_TRUE(identity::sign_sigstruct(s, *key));
  EXPECT_EQ(monitor_.einit(build(), s, nullptr).status, sgx::Status::kInvalidAttribute);
}

TEST_F(EinitTest, TwiceAndAfterInitNoMorePages) {
  EnclaveId id = build();
  ASSERT_TRUE(monitor_.einit(id, ss_, nullptr));
  EXPECT_EQ(monitor_.einit(id, ss_, nullptr).kind, LeafKind::kGp);
  std::array<std::uint8_t, sgx::kPageSize> page{};
  EXPECT_EQ(monitor_.eadd(EpcIndex{100}, id, LinearAddr{kBase + 0x7000}, page, secinfo(0x203)).kind, LeafKind::kGp);
  EXPECT_EQ(monitor_.eextend(EpcIndex{1}, 0).kind, LeafKind::kGp);
}

TEST_F(EinitTest, LaunchPolicy) {
  FakePlatform p(64);
  MonitorConfig cfg;
  cfg.launch.allowed_signers.push_back(identity::Mrsigner{});  // someone else
  Monitor strict(p, cfg);
  MonitorBuilder b(strict, {sgx::attr::kMode64Bit, 3});
  ASSERT_TRUE(b.ecreate(1, 0x8000));
  for (std::size_t i = 0; i < 6; ++i)
    ASSERT_TRUE(b.add_page(i * 4096, i == 0 ? 0x100 : 0x207,
                           std::span<const std::uint8_t, 4096>(bin_.data() + i * 4096, 4096), 0xffff));
  EXPECT_EQ(strict.einit(b.id(), ss_, nullptr).status, sgx::Status::kInvalidEinitToken);

  MonitorConfig no_debug;
  no_debug.launch.allow_debug = false;
  FakePlatform p2(64);
  Monitor m2(p2, no_debug);
  MonitorBuilder b2(m2, {sgx::attr::kMode64Bit | sgx::attr::kDebug, 3});
  ASSERT_TRUE(b2.ecreate(1, 0x8000));
  for (std::size_t i = 0; i < 6; ++i)
    ASSERT_TRUE(b2.add_page(i * 4096, i == 0 ? 0x100 : 0x207,
                            std::span<const std::uint8_t, 4096>(bin_.data() + i * 4096, 4096), 0xffff));
  EXPECT_EQ(m2.einit(b2.id(), ss_, nullptr).status, sgx::Status::kInvalidEinitToken);
}

// ---- EREMOVE ----

TEST_F(MonitorTest, EremoveSecsWithChildrenAndTeardown) {
  const std::uint32_t free_before = monitor_.free_pages();
  EnclaveId id = small_enclave();
  auto r = monitor_.eremove(EpcIndex{id.value});
  EXPECT_EQ(r.kind, LeafKind::kStatus);
  EXPECT_EQ(r.status, sgx::Status::kChildPresent);
  EXPECT_TRUE(monitor_.eremove(EpcIndex{1}));
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_TRUE(monitor_.eremove(EpcIndex{1}));  // already free: a no-op
  EXPECT_TRUE(monitor_.eremove(EpcIndex{id.value}));
  EXPECT_FALSE(monitor_.state(id));
  EXPECT_EQ(monitor_.free_pages(), free_before);
  EXPECT_EQ(monitor_.eremove(EpcIndex{100000}).kind, LeafKind::kPf);
  // The pages can be used again.
  small_enclave();
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// ---- EGETKEY / EREPORT ----

class KeysTest : public ::testing::Test {
 protected:
  explicit KeysTest(MonitorConfig config = {}) : platform_(1024), monitor_(platform_, std::move(config)) {}
  void SetUp() override {
    bin_ = read_vector("sgx/enarx_encl.bin");
    key1_.emplace(*crypto::RsaPrivateKey::from_pem(nsgx::testing::read_text_vector("sgx/enarx_encl.pem")));
    key2_.emplace(*crypto::RsaPrivateKey::generate(3072, 3));
  }
  // Builds the enarx enclave (optionally with one byte changed) and launches it.
  EnclaveId launch(const crypto::RsaPrivateKey& key, std::uint16_t svn, bool changed = false,
                   std::uint64_t flags = sgx::attr::kMode64Bit, std::uint32_t misc = 0) {
    Bytes pages = bin_;
    if (changed) pages[3 * 4096 + 17] ^= 1;
    image::RawPagesLayout l;
    l.tcs_pages = {0};
    l.enclave_size = 0x8000;
    identity::MeasuringBuilder mb;
    EXPECT_TRUE(image::replay_raw_pages(pages, l, mb));
    MonitorBuilder b(monitor_, {flags, 3}, next_page_, misc);
    EXPECT_TRUE(image::replay_raw_pages(pages, l, b));
    next_page_ = b.used();
    identity::SigstructFields f;
    f.enclave_hash = mb.mrenclave();
    f.isv_svn = svn;
    f.attributes = {flags & ~sgx::attr::kDebug, 3};
    f.misc_select = misc;
    sgx::Sigstruct ss = identity::make_sigstruct(f);
    EXPECT_TRUE(identity::sign_sigstruct(ss, key));
    auto r = monitor_.einit(b.id(), ss, nullptr);
    EXPECT_TRUE(r) << r.detail;
    return b.id();
  }
  sgx::KeyRequest request(sgx::KeyName name, std::uint16_t policy, std::uint16_t svn = 0) {
    sgx::KeyRequest r{};
    r.key_name = static_cast<std::uint16_t>(name);
    r.key_policy = policy;
    r.isv_svn = svn;
    r.attribute_mask = {~0ull, ~0ull};
    r.misc_mask = ~0u;
    return r;
  }
  crypto::Key128 key(EnclaveId id, const sgx::KeyRequest& r) {
    crypto::Key128 k{};
    auto res = monitor_.egetkey(id, r, k);
    EXPECT_TRUE(res) << res.detail;
    return k;
  }

  FakePlatform platform_;
  Monitor monitor_;
  Bytes bin_;
  std::optional<crypto::RsaPrivateKey> key1_, key2_;
  std::uint32_t next_page_ = 0;
};

TEST_F(KeysTest, SealKeysFollowThePolicy) {
  EnclaveId a = launch(*key1_, 2);
  EnclaveId b = launch(*key1_, 2, /*changed=*/true);  // same signer, other MRENCLAVE
  EnclaveId c = launch(*key2_, 2);                     // same MRENCLAVE, other signer
  const auto by_enclave = request(sgx::KeyName::kSeal, sgx::key_policy::kMrEnclave, 2);
  const auto by_signer = request(sgx::KeyName::kSeal, sgx::key_policy::kMrSigner, 2);
  EXPECT_EQ(key(a, by_enclave), key(a, by_enclave));  // deterministic
  EXPECT_NE(key(a, by_enclave), key(b, by_enclave));
  EXPECT_EQ(key(a, by_enclave), key(c, by_enclave));  // MRSIGNER not in an MRENCLAVE-policy key
  EXPECT_EQ(key(a, by_signer), key(b, by_signer));
  EXPECT_NE(key(a, by_signer), key(c, by_signer));
  EXPECT_NE(key(a, by_signer), key(a, by_enclave));
  // An older ISVSVN gives an older key; KEYID changes the key.
  EXPECT_NE(key(a, request(sgx::KeyName::kSeal, sgx::key_policy::kMrSigner, 1)), key(a, by_signer));
  auto with_id = by_signer;
  with_id.key_id[0] = 1;
  EXPECT_NE(key(a, with_id), key(a, by_signer));
}

TEST_F(KeysTest, KeysAreBoundToThePlatform) {
  EnclaveId a = launch(*key1_, 0);
  const auto r = request(sgx::KeyName::kSeal, sgx::key_policy::kMrSigner);
  const auto before = key(a, r);
  platform_.mutable_secrets().seal_root[0] ^= 1;
  EXPECT_NE(key(a, r), before);
  platform_.mutable_secrets().seal_root[0] ^= 1;
  platform_.mutable_secrets().owner_epoch[0] ^= 1;  // a new owner
  EXPECT_NE(key(a, r), before);
}

TEST_F(KeysTest, EgetkeyErrors) {
  EnclaveId a = launch(*key1_, 2);
  crypto::Key128 k{};
  auto status = [&](const sgx::KeyRequest& r) { return monitor_.egetkey(a, r, k); };
  EXPECT_EQ(status(request(sgx::KeyName::kSeal, sgx::key_policy::kMrSigner, 3)).status, sgx::Status::kInvalidIsvsvn);
  auto cpusvn = request(sgx::KeyName::kSeal, sgx::key_policy::kMrSigner);
  cpusvn.cpu_svn[0] = 1;
  EXPECT_EQ(status(cpusvn).status, sgx::Status::kInvalidCpusvn);
  EXPECT_EQ(status(request(static_cast<sgx::KeyName>(9), 0)).status, sgx::Status::kInvalidKeyname);
  EXPECT_EQ(status(request(sgx::KeyName::kProvision, 0)).status, sgx::Status::kInvalidAttribute);
  EXPECT_EQ(status(request(sgx::KeyName::kEinitToken, 0)).status, sgx::Status::kInvalidAttribute);
  EXPECT_EQ(status(request(sgx::KeyName::kSeal, 0x40)).kind, LeafKind::kGp);  // reserved policy bit
  EXPECT_EQ(status(request(sgx::KeyName::kSeal, sgx::key_policy::kConfigId)).kind, LeafKind::kGp);  // KSS bit
  auto reserved = request(sgx::KeyName::kSeal, sgx::key_policy::kMrSigner);
  reserved.reserved2[5] = 1;
  EXPECT_EQ(status(reserved).kind, LeafKind::kGp);
  // Only initialized enclaves run ENCLU.
  ASSERT_TRUE(monitor_.ecreate(EpcIndex{900}, make_secs(0x10000), secinfo(0)));
  EXPECT_EQ(monitor_.egetkey(EnclaveId{900}, request(sgx::KeyName::kSeal, 2), k).kind, LeafKind::kGp);
  EXPECT_EQ(monitor_.egetkey(EnclaveId{901}, request(sgx::KeyName::kSeal, 2), k).kind, LeafKind::kGp);
}

TEST_F(KeysTest, ProvisionKeyNeedsTheAttribute) {
  EnclaveId p = launch(*key1_, 1, false, sgx::attr::kMode64Bit | sgx::attr::kProvisionKey);
  EnclaveId q = launch(*key1_, 1, true, sgx::attr::kMode64Bit | sgx::attr::kProvisionKey);
  // Provisioning keys depend on the signer, not on MRENCLAVE or the owner.
  const auto r = request(sgx::KeyName::kProvision, 0, 1);
  EXPECT_EQ(key(p, r), key(q, r));
  const auto before = key(p, r);
  platform_.mutable_secrets().owner_epoch[0] ^= 1;
  EXPECT_EQ(key(p, r), before);
}

TEST_F(KeysTest, ReportVerifiesAtItsTargetOnly) {
  EnclaveId a = launch(*key1_, 0);
  EnclaveId b = launch(*key1_, 0, true);
  // B's TARGETINFO, as sgx_self_target would fill it.
  const sgx::Secs sb = *monitor_.secs(b);
  sgx::TargetInfo tb{};
  std::memcpy(tb.mr_enclave, sb.mr_enclave, 32);
  tb.attributes = sb.attributes;
  tb.misc_select = sb.misc_select;
  std::array<std::uint8_t, 64> data{};
  data[0] = 0x42;
  sgx::Report rep{};
  ASSERT_TRUE(monitor_.ereport(a, tb, data, rep));
  const sgx::Secs sa = *monitor_.secs(a);
  EXPECT_EQ(std::memcmp(rep.body.mr_enclave, sa.mr_enclave, 32), 0);
  EXPECT_EQ(std::memcmp(rep.body.mr_signer, sa.mr_signer, 32), 0);
  EXPECT_EQ(rep.body.report_data[0], 0x42);
  EXPECT_NE(rep.body.attributes.flags & sgx::attr::kInit, 0u);

  auto verify_at = [&](EnclaveId verifier, const sgx::Report& r) {
    auto req = request(sgx::KeyName::kReport, 0);
    std::memcpy(req.key_id, r.key_id, 32);
    const auto k = key(verifier, req);
    auto mac = crypto::aes128_cmac(k, as_bytes(r.body));
    return mac && std::memcmp(mac->data(), r.mac, 16) == 0;
  };
  EXPECT_TRUE(verify_at(b, rep));
  EXPECT_FALSE(verify_at(a, rep));  // targeted at B, not at A
  sgx::Report forged = rep;
  forged.body.isv_svn = 9;
  EXPECT_FALSE(verify_at(b, forged));
  // KEYID (CR_REPORT_KEYID) stays fixed for the lifetime of this monitor.
  sgx::Report again{};
  ASSERT_TRUE(monitor_.ereport(a, tb, data, again));
  EXPECT_EQ(std::memcmp(again.key_id, rep.key_id, 32), 0);
}

TEST_F(KeysTest, QuotingIdentityVerifiesReportsTargetedAtIt) {
  EnclaveId a = launch(*key1_, 0);
  const sgx::TargetInfo qt = Monitor::quoting_target();
  // SHA-256("NSGX-QUOTING-IDENTITY-v1"), recomputed here.
  const char id[] = "NSGX-QUOTING-IDENTITY-v1";
  const auto mr = crypto::sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(id), sizeof id - 1));
  EXPECT_EQ(std::memcmp(qt.mr_enclave, mr.data(), 32), 0);
  EXPECT_NE(std::memcmp(qt.mr_enclave, monitor_.secs(a)->mr_enclave, 32), 0);
  std::array<std::uint8_t, 64> data{};
  data[7] = 7;
  sgx::Report rep{};
  ASSERT_TRUE(monitor_.ereport(a, qt, data, rep));
  EXPECT_TRUE(monitor_.verify_report(rep, qt));

  // Each field of the body is under the MAC; so are the target and KEYID.
  for (std::size_t i : {std::size_t{0}, std::size_t{64}, std::size_t{256}, std::size_t{383}}) {
    sgx::Report bad = rep;
    as_writable_bytes(bad)[i] ^= 1;
    auto r = monitor_.verify_report(bad, qt);
    EXPECT_EQ(r.status, sgx::Status::kMacCompareFail) << "byte " << i;
  }
  sgx::Report mac = rep;
  mac.mac[15] ^= 0x80;
  EXPECT_EQ(monitor_.verify_report(mac, qt).status, sgx::Status::kMacCompareFail);
  sgx::Report keyid = rep;
  keyid.key_id[0] ^= 1;
  EXPECT_EQ(std::string(monitor_.verify_report(keyid, qt).detail), "REPORT: KEYID is not this monitor's");
  // A REPORT targeted at an enclave does not verify for the quoting identity.
  sgx::TargetInfo other{};
  std::memcpy(other.mr_enclave, monitor_.secs(a)->mr_enclave, 32);
  other.attributes = monitor_.secs(a)->attributes;
  sgx::Report elsewhere{};
  ASSERT_TRUE(monitor_.ereport(a, other, data, elsewhere));
  EXPECT_EQ(monitor_.verify_report(elsewhere, qt).status, sgx::Status::kMacCompareFail);
  EXPECT_TRUE(monitor_.verify_report(elsewhere, other));
  // The key is the one the target would get from EGETKEY(REPORT).
  auto req = request(sgx::KeyName::kReport, 0);
  std::memcpy(req.key_id, elsewhere.key_id, 32);
  // (a is the target here: it can check a report targeted at itself)
  const auto k = key(a, req);
  auto m = crypto::aes128_cmac(k, as_bytes(elsewhere.body));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::memcmp(m->data(), elsewhere.mac, 16), 0);
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// ---- EENTER / EEXIT / AEX / ERESUME (the enarx TCS: OSSA 0x2000, NSSA 1, OENTRY 0x1075) ----

using ThreadTest = KeysTest;
constexpr LinearAddr kTcs{kBase};

TEST_F(ThreadTest, EnterExitAndBusy) {
  EnclaveId e = launch(*key1_, 0);
  EnterState st;
  ASSERT_TRUE(monitor_.eenter(e, kTcs, 0x1111, 0x2222, 0x7000, 0x7100, st));
  EXPECT_EQ(st.rip, kBase + 0x1075);
  EXPECT_EQ(st.rax, 0u);
  EXPECT_EQ(st.rcx, 0x2222u);
  EXPECT_EQ(st.fs_base, kBase);
  EXPECT_EQ(monitor_.eenter(e, kTcs, 0, 0, 0, 0, st).kind, LeafKind::kGp);  // busy
  EXPECT_TRUE(monitor_.eexit(e, kTcs));
  EXPECT_EQ(monitor_.eexit(e, kTcs).kind, LeafKind::kGp);  // nobody inside
  EXPECT_TRUE(monitor_.eenter(e, kTcs, 0, 0, 0, 0, st));
  EXPECT_EQ(monitor_.eenter(e, LinearAddr{kBase + 0x1000}, 0, 0, 0, 0, st).kind, LeafKind::kPf);  // a REG page
  EXPECT_EQ(monitor_.eenter(e, LinearAddr{kBase + 0x10}, 0, 0, 0, 0, st).kind, LeafKind::kGp);    // unaligned
}

TEST_F(ThreadTest, NotBeforeEinit) {
  MonitorBuilder b(monitor_, {sgx::attr::kMode64Bit, 3});
  image::RawPagesLayout l;
  l.tcs_pages = {0};
  ASSERT_TRUE(image::replay_raw_pages(bin_, l, b));
  EnterState st;
  EXPECT_EQ(monitor_.eenter(b.id(), kTcs, 0, 0, 0, 0, st).kind, LeafKind::kGp);
}

TEST_F(ThreadTest, AexSavesStateAndEresumeRestoresIt) {
  EnclaveId e = launch(*key1_, 0, false, sgx::attr::kMode64Bit, sgx::misc::kExinfo);
  EnterState st;
  ASSERT_TRUE(monitor_.eenter(e, kTcs, /*aep=*/0xaee, 0, /*ursp=*/0x7000, /*urbp=*/0x7100, st));
  CpuState inside;
  inside.rax = 1, inside.rbx = 2, inside.r15 = 15, inside.rip = kBase + 0x1234, inside.rsp = kBase + 0x4ff0;
  inside.fs_base = kBase, inside.rflags = 0x202;
  ExitEvent pf{.vector = sgx::vector::kPf, .report = true, .address = kBase + 0x5008, .error_code = 0x8007};
  CpuState outside;
  std::array<std::uint8_t, 600> xsave_in;
  for (std::size_t i = 0; i < xsave_in.size(); ++i) xsave_in[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_TRUE(monitor_.aex(e, kTcs, inside, pf, outside, xsave_in));
  EXPECT_EQ(outside.rax, 3u);  // ERESUME
  EXPECT_EQ(outside.rbx, kTcs.value);
  EXPECT_EQ(outside.rcx, 0xaeeu);
  EXPECT_EQ(outside.rip, 0xaeeu);
  EXPECT_EQ(outside.rsp, 0x7000u);  // the untrusted stack EENTER saved
  EXPECT_EQ(outside.rbp, 0x7100u);
  EXPECT_EQ(outside.r15, 0u);  // enclave state never leaks

  // The SSA frame (enclave page 0x2000 = EPC page 3 here) holds GPRSGX and EXINFO.
  auto entry = monitor_.epcm(EpcIndex{3});
  ASSERT_TRUE(entry && entry->addr.value == kBase + 0x2000);
  auto frame = platform_.epc_page(EpcIndex{3});
  auto gpr = copy_struct<sgx::Gprsgx>(frame.subspan(sgx::gprsgx_offset(1)));
  EXPECT_EQ(gpr.rip, kBase + 0x1234);
  EXPECT_EQ(gpr.r15, 15u);
  EXPECT_EQ(gpr.ursp, 0x7000u);
  EXPECT_EQ(gpr.exit_info.vector(), sgx::vector::kPf);
  EXPECT_TRUE(gpr.exit_info.valid());
  auto exinfo = copy_struct<sgx::Exinfo>(frame.subspan(sgx::exinfo_offset(1)));
  EXPECT_EQ(exinfo.maddr, kBase + 0x5008);
  EXPECT_EQ(exinfo.errcd, 0x8007u);

  // CSSA is now 1 == NSSA: no handler entry is possible, only ERESUME.
  EXPECT_EQ(monitor_.eenter(e, kTcs, 0, 0, 0, 0, st).kind, LeafKind::kGp);
  CpuState back;
  std::array<std::uint8_t, 600> xsave_out{};
  ASSERT_TRUE(monitor_.eresume(e, kTcs, 0xaee, back, xsave_out));
  EXPECT_EQ(xsave_out, xsave_in);  // the XSAVE region travels through the frame
  EXPECT_EQ(back.rip, inside.rip);
  EXPECT_EQ(back.rax, 1u);
  EXPECT_EQ(back.rsp, inside.rsp);
  EXPECT_EQ(monitor_.eresume(e, kTcs, 0, back).kind, LeafKind::kGp);  // busy again
  EXPECT_TRUE(monitor_.eexit(e, kTcs));
  EXPECT_EQ(monitor_.eresume(e, kTcs, 0, back).kind, LeafKind::kGp);  // CSSA is 0: nothing to resume
  EXPECT_TRUE(monitor_.eenter(e, kTcs, 0, 0, 0, 0, st));
  EXPECT_EQ(st.rax, 0u);
}

TEST_F(ThreadTest, InterruptsAreNotReported) {
  EnclaveId e = launch(*key1_, 0);
  EnterState st;
  ASSERT_TRUE(monitor_.eenter(e, kTcs, 0, 0, 0, 0, st));
  CpuState outside;
  ASSERT_TRUE(monitor_.aex(e, kTcs, CpuState{}, ExitEvent{.vector = 32, .report = false}, outside));
  auto gpr = copy_struct<sgx::Gprsgx>(platform_.epc_page(EpcIndex{3}).subspan(sgx::gprsgx_offset(1)));
  EXPECT_FALSE(gpr.exit_info.valid());
  EXPECT_EQ(monitor_.aex(e, kTcs, CpuState{}, ExitEvent{}, outside).kind, LeafKind::kGp);  // not inside
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// ---- EPA / EBLOCK / ETRACK / EWB / ELDU ----

class PagingTest : public KeysTest {
 protected:
  void SetUp() override {
    KeysTest::SetUp();
    e_ = launch(*key1_, 0);
    ASSERT_TRUE(monitor_.epa(kVa));
  }
  // EPC page backing enclave address `addr`.
  EpcIndex page_at(std::uint64_t addr) {
    for (std::uint32_t i = 0; i < monitor_.page_count(); ++i) {
      auto e = monitor_.epcm(EpcIndex{i});
      if (e->valid && e->owner == e_ && e->addr.value == addr && e->type != sgx::PageType::kSecs) return EpcIndex{i};
    }
    ADD_FAILURE() << "no page at " << addr;
    return EpcIndex{0};
  }
  Monitor::EvictedPage evict(std::uint64_t addr, std::uint32_t slot) {
    const EpcIndex p = page_at(addr);
    EXPECT_TRUE(monitor_.eblock(p));
    EXPECT_TRUE(monitor_.etrack(e_));
    Monitor::EvictedPage out;
    auto r = monitor_.ewb(p, kVa, slot, out);
    EXPECT_TRUE(r) << r.detail;
    return out;
  }
  static constexpr EpcIndex kVa{500};
  static constexpr EpcIndex kFree{600};
  EnclaveId e_{};
};

TEST_F(PagingTest, EvictAndReload) {
  const std::uint64_t addr = kBase + 0x3000;
  const EpcIndex p = page_at(addr);
  std::array<std::uint8_t, sgx::kPageSize> before;
  std::copy_n(platform_.epc_page(p).begin(), sgx::kPageSize, before.begin());
  const std::uint32_t free_before = monitor_.free_pages();
  auto ev = evict(addr, 7);
  EXPECT_FALSE(monitor_.epcm(p)->valid);
  EXPECT_EQ(platform_.mapped.count(addr), 0u);
  EXPECT_EQ(monitor_.free_pages(), free_before + 1);
  EXPECT_NE(std::memcmp(ev.data.data(), before.data(), sgx::kPageSize), 0);  // encrypted
  auto r = monitor_.eldu(kFree, e_, kVa, 7, ev);
  ASSERT_TRUE(r) << r.detail;
  EXPECT_EQ(std::memcmp(platform_.epc_page(kFree).data(), before.data(), sgx::kPageSize), 0);
  EXPECT_EQ(platform_.mapped.at(addr), std::make_pair(kFree.value, PageRights{.rwx = 7, .tcs = false}));
  EXPECT_EQ(monitor_.epcm(kFree)->perms, 7u);
  // The same copy cannot be loaded twice: its slot was consumed.
  EXPECT_TRUE(monitor_.eremove(kFree));
  EXPECT_EQ(monitor_.eldu(kFree, e_, kVa, 7, ev).status, sgx::Status::kMacCompareFail);
}

// A TCS leaves the backend's mappings when blocked and comes back enterable
// (and still not accessible) when reloaded.
TEST_F(PagingTest, AnEvictedTcsComesBackEnterable) {
  EXPECT_EQ(platform_.mapped.at(kBase).second, (PageRights{.rwx = 0, .tcs = true}));
  auto ev = evict(kBase, 9);
  EXPECT_EQ(platform_.mapped.count(kBase), 0u);
  ASSERT_TRUE(monitor_.eldu(kFree, e_, kVa, 9, ev));
  EXPECT_EQ(platform_.mapped.at(kBase), std::make_pair(kFree.value, PageRights{.rwx = 0, .tcs = true}));
}

TEST_F(PagingTest, ElduRejectsTamperedStaleAndForeignPages) {
  const std::uint64_t addr = kBase + 0x4000;
  auto v1 = evict(addr, 0);
  auto bad = v1;
  bad.data[100] ^= 1;
  EXPECT_EQ(monitor_.eldu(kFree, e_, kVa, 0, bad).status, sgx::Status::kMacCompareFail);
  bad = v1;
  bad.linaddr = kBase + 0x6000;  // an unbacked address: the MAC binds the original one
  EXPECT_EQ(monitor_.eldu(kFree, e_, kVa, 0, bad).status, sgx::Status::kMacCompareFail);
  bad.linaddr = kBase + 0x5000;  // an address backed by another page
  EXPECT_EQ(monitor_.eldu(kFree, e_, kVa, 0, bad).kind, LeafKind::kGp);
  bad = v1;
  bad.pcmd.secinfo.flags |= 0x2;  // claim other permissions
  bad.pcmd.secinfo.flags &= ~0x1ull;
  EXPECT_EQ(monitor_.eldu(kFree, e_, kVa, 0, bad).status, sgx::Status::kMacCompareFail);
  // Another enclave cannot take it.
  EnclaveId other = launch(*key2_, 0);
  EXPECT_EQ(monitor_.eldu(kFree, other, kVa, 0, v1).kind, LeafKind::kGp);
  // Reload, evict again (a newer version), then try the stale copy.
  ASSERT_TRUE(monitor_.eldu(kFree, e_, kVa, 0, v1));
  auto v2 = evict(addr, 1);
  EXPECT_EQ(monitor_.eldu(EpcIndex{601}, e_, kVa, 1, v1).status, sgx::Status::kMacCompareFail);
  EXPECT_TRUE(monitor_.eldu(EpcIndex{601}, e_, kVa, 1, v2));
  // Nothing failed above changed the EPCM.
  EXPECT_FALSE(monitor_.epcm(EpcIndex{602})->valid);
}

TEST_F(PagingTest, BlockTrackAndSlotErrors) {
  const EpcIndex p = page_at(kBase + 0x3000);
  Monitor::EvictedPage out;
  EXPECT_EQ(monitor_.ewb(p, kVa, 0, out).status, sgx::Status::kPageNotBlocked);
  ASSERT_TRUE(monitor_.eblock(p));
  EXPECT_EQ(monitor_.eblock(p).status, sgx::Status::kBlkstate);
  EXPECT_EQ(monitor_.ewb(p, kVa, 0, out).status, sgx::Status::kNotTracked);
  EXPECT_EQ(monitor_.eblock(EpcIndex{e_.value}).status, sgx::Status::kPgIsSecs);
  EXPECT_EQ(monitor_.eblock(kVa).status, sgx::Status::kNotBlockable);
  EXPECT_EQ(monitor_.eblock(kFree).status, sgx::Status::kPgInvld);
  EXPECT_EQ(monitor_.ewb(p, kFree, 0, out).kind, LeafKind::kPf);  // not a VA page
  EXPECT_EQ(monitor_.ewb(p, kVa, 512, out).kind, LeafKind::kGp);  // no such slot

  // A thread inside since before the block keeps the page from being evicted.
  EnterState st;
  ASSERT_TRUE(monitor_.eenter(e_, LinearAddr{kBase}, 0, 0, 0, 0, st));
  ASSERT_TRUE(monitor_.etrack(e_));
  EXPECT_EQ(monitor_.etrack(e_).status, sgx::Status::kPrevTrkIncmpl);
  EXPECT_EQ(monitor_.ewb(p, kVa, 0, out).status, sgx::Status::kNotTracked);
  ASSERT_TRUE(monitor_.eexit(e_, LinearAddr{kBase}));
  ASSERT_TRUE(monitor_.ewb(p, kVa, 0, out));

  const EpcIndex q = page_at(kBase + 0x4000);
  ASSERT_TRUE(monitor_.eblock(q));
  ASSERT_TRUE(monitor_.etrack(e_));
  EXPECT_EQ(monitor_.ewb(q, kVa, 0, out).status, sgx::Status::kVaSlotOccupied);
  EXPECT_TRUE(monitor_.ewb(q, kVa, 1, out));
  EXPECT_TRUE(monitor_.eremove(kVa));  // VA pages belong to no enclave
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// ---- SGX2: EAUG, EACCEPT, EACCEPTCOPY, EMODPR, EMODPE, EMODT; EDBGRD/EDBGWR ----

class Sgx2Test : public PagingTest {};

TEST_F(Sgx2Test, EaugThenEaccept) {
  const LinearAddr addr{kBase + 0x6000};
  EXPECT_EQ(monitor_.eaug(kFree, e_, LinearAddr{kBase + 0x1000}).kind, LeafKind::kGp);  // backed
  EXPECT_EQ(monitor_.eaug(kFree, e_, LinearAddr{kBase + 0x8000}).kind, LeafKind::kGp);  // outside
  ASSERT_TRUE(monitor_.eaug(kFree, e_, addr));
  EXPECT_TRUE(monitor_.epcm(kFree)->pending);
  EXPECT_EQ(platform_.mapped.count(addr.value), 0u);  // unusable until accepted
  EXPECT_EQ(monitor_.eaccept(e_, addr, secinfo(0x203)).status, sgx::Status::kPageAttributesMismatch);
  EXPECT_EQ(monitor_.eaccept(e_, addr, secinfo(0x20f)).status, sgx::Status::kPageAttributesMismatch);
  ASSERT_TRUE(monitor_.eaccept(e_, addr, secinfo(0x20b)));  // REG | PENDING | RW
  EXPECT_EQ(platform_.mapped.at(addr.value).second.rwx, 3u);
  EXPECT_EQ(monitor_.eaccept(e_, addr, secinfo(0x20b)).status, sgx::Status::kPageAttributesMismatch);
  EXPECT_EQ(monitor_.eaccept(e_, LinearAddr{kBase + 0x7000}, secinfo(0x20b)).kind, LeafKind::kPf);
  // Before EINIT there is no EAUG.
  ASSERT_TRUE(monitor_.ecreate(EpcIndex{900}, make_secs(0x10000), secinfo(0)));
  EXPECT_EQ(monitor_.eaug(EpcIndex{901}, EnclaveId{900}, LinearAddr{kBase}).kind, LeafKind::kGp);
}

TEST_F(Sgx2Test, RestrictAndExtendPermissions) {
  const LinearAddr addr{kBase + 0x3000};
  const EpcIndex p = page_at(addr.value);
  ASSERT_TRUE(monitor_.emodpr(p, secinfo(0x1)));
  EXPECT_EQ(monitor_.epcm(p)->perms, 1u);
  EXPECT_EQ(platform_.mapped.at(addr.value).second.rwx, 1u);  // restricted at once
  EXPECT_EQ(monitor_.eaccept(e_, addr, secinfo(0x221)).status, sgx::Status::kNotTracked);
  ASSERT_TRUE(monitor_.etrack(e_));
  EXPECT_EQ(monitor_.eaccept(e_, addr, secinfo(0x223)).status, sgx::Status::kPageAttributesMismatch);
  ASSERT_TRUE(monitor_.eaccept(e_, addr, secinfo(0x221)));  // REG | PR | R
  EXPECT_EQ(monitor_.emodpe(e_, addr, secinfo(0x2)).kind, LeafKind::kGp);  // W without R
  ASSERT_TRUE(monitor_.emodpe(e_, addr, secinfo(0x3)));
  EXPECT_EQ(monitor_.epcm(p)->perms, 3u);
  EXPECT_EQ(monitor_.emodpr(p, secinfo(0x201)).kind, LeafKind::kGp);  // a page type in EMODPR's SECINFO
  ASSERT_TRUE(monitor_.eaug(kFree, e_, LinearAddr{kBase + 0x6000}));
  EXPECT_EQ(monitor_.emodpr(kFree, secinfo(0x1)).status, sgx::Status::kPageNotModifiable);  // pending
}

TEST_F(Sgx2Test, TrimAndRemove) {
  const LinearAddr addr{kBase + 0x4000};
  const EpcIndex p = page_at(addr.value);
  EXPECT_EQ(monitor_.emodt(p, secinfo(0x207)).kind, LeafKind::kGp);  // permissions with EMODT
  EXPECT_EQ(monitor_.emodt(p, secinfo(0x200)).kind, LeafKind::kGp);  // not TCS/TRIM
  ASSERT_TRUE(monitor_.emodt(p, secinfo(0x400)));
  EXPECT_EQ(platform_.mapped.count(addr.value), 0u);
  EXPECT_TRUE(monitor_.epcm(p)->modified);
  EXPECT_EQ(monitor_.emodt(p, secinfo(0x400)).kind, LeafKind::kPf);  // a TRIM page changes no further
  ASSERT_TRUE(monitor_.etrack(e_));
  ASSERT_TRUE(monitor_.eaccept(e_, addr, secinfo(0x410)));  // TRIM | MODIFIED
  EXPECT_FALSE(monitor_.epcm(p)->modified);
  EXPECT_TRUE(monitor_.eremove(p));
  EXPECT_FALSE(monitor_.epcm(p)->valid);
}

TEST_F(Sgx2Test, ChangeAPageToTcsAndEnterThroughIt) {
  const LinearAddr tcs{kBase + 0x6000}, ssa{kBase + 0x7000};
  ASSERT_TRUE(monitor_.eaug(kFree, e_, tcs));
  ASSERT_TRUE(monitor_.eaccept(e_, tcs, secinfo(0x20b)));
  ASSERT_TRUE(monitor_.eaug(EpcIndex{601}, e_, ssa));
  ASSERT_TRUE(monitor_.eaccept(e_, ssa, secinfo(0x20b)));
  // The enclave writes a TCS into the new page (OSSA 0x7000, NSSA 1, OENTRY 0x1075).
  sgx::Tcs t{};
  t.ossa = 0x7000;
  t.nssa = 1;
  t.oentry = 0x1075;
  std::memcpy(platform_.epc_page(kFree).data(), &t, sizeof t);
  ASSERT_TRUE(monitor_.emodt(kFree, secinfo(0x100)));
  EXPECT_EQ(platform_.mapped.count(tcs.value), 0u);  // MODIFIED: neither accessible nor enterable
  EnterState st;
  EXPECT_EQ(monitor_.eenter(e_, tcs, 0, 0, 0, 0, st).kind, LeafKind::kPf);  // not accepted yet
  ASSERT_TRUE(monitor_.etrack(e_));
  ASSERT_TRUE(monitor_.eaccept(e_, tcs, secinfo(0x110)));  // TCS | MODIFIED
  // The backend learns it may enter on the page, and that enclave code may not touch it.
  EXPECT_EQ(platform_.mapped.at(tcs.value), std::make_pair(kFree.value, PageRights{.rwx = 0, .tcs = true}));
  ASSERT_TRUE(monitor_.eenter(e_, tcs, 0, 0, 0, 0, st));
  EXPECT_EQ(st.rip, kBase + 0x1075);
  EXPECT_EQ(monitor_.emodt(kFree, secinfo(0x400)).status, sgx::Status::kPageNotModifiable);  // in use
  ASSERT_TRUE(monitor_.eexit(e_, tcs));
}

// A thread the backend runs without the monitor's EENTER (the isolated
// enclave host reports it through Platform::revoke_tcs) makes its TCS
// busy for EMODT and the enclave active for EREMOVE, exactly as one the
// monitor entered itself.
TEST_F(Sgx2Test, ThreadsTheBackendReportsCountAsInside) {
  const LinearAddr tcs{kBase};  // the image's TCS
  const EpcIndex tp = page_at(tcs.value);
  ASSERT_EQ(monitor_.epcm(tp)->type, sgx::PageType::kTcs);
  platform_.foreign_inside.insert(tcs.value);
  EXPECT_EQ(monitor_.emodt(tp, secinfo(0x400)).status, sgx::Status::kPageNotModifiable);  // in use
  const LinearAddr reg{kBase + 0x4000};
  ASSERT_TRUE(monitor_.emodt(page_at(reg.value), secinfo(0x400)));
  ASSERT_TRUE(monitor_.etrack(e_));
  ASSERT_TRUE(monitor_.eaccept(e_, reg, secinfo(0x410)));
  EXPECT_EQ(monitor_.eremove(page_at(reg.value)).status, sgx::Status::kEnclaveAct);  // a thread is inside
  platform_.foreign_inside.clear();
  EXPECT_TRUE(monitor_.eremove(page_at(reg.value)));
  EXPECT_TRUE(monitor_.emodt(tp, secinfo(0x400)));  // nobody inside now
}

TEST_F(Sgx2Test, EacceptcopyFillsFromAnEnclavePage) {
  const LinearAddr dst{kBase + 0x6000}, src{kBase + 0x1000};
  ASSERT_TRUE(monitor_.eaug(kFree, e_, dst));
  EXPECT_EQ(monitor_.eacceptcopy(e_, dst, LinearAddr{kBase + 0x7000}, secinfo(0x205)).kind, LeafKind::kPf);
  ASSERT_TRUE(monitor_.eacceptcopy(e_, dst, src, secinfo(0x205)));
  EXPECT_EQ(std::memcmp(platform_.epc_page(kFree).data(), platform_.epc_page(page_at(src.value)).data(), 4096), 0);
  EXPECT_EQ(platform_.mapped.at(dst.value).second.rwx, 5u);
  EXPECT_EQ(monitor_.eacceptcopy(e_, dst, src, secinfo(0x205)).status, sgx::Status::kPageAttributesMismatch);
}

TEST_F(Sgx2Test, DebugReadWriteOnlyForDebugEnclaves) {
  std::uint64_t v = 0;
  const EpcIndex code = page_at(kBase + 0x1000);
  EXPECT_EQ(monitor_.edbgrd(code, 0, v).status, sgx::Status::kPageNotDebuggable);
  EXPECT_EQ(monitor_.edbgwr(code, 0, 1).status, sgx::Status::kPageNotDebuggable);
  EnclaveId dbg = launch(*key1_, 0, false, sgx::attr::kMode64Bit | sgx::attr::kDebug);
  EpcIndex dcode{0}, dtcs{0};
  for (std::uint32_t i = 0; i < monitor_.page_count(); ++i) {
    auto e = monitor_.epcm(EpcIndex{i});
    if (e->valid && e->owner == dbg && e->addr.value == kBase + 0x1000) dcode = EpcIndex{i};
    if (e->valid && e->owner == dbg && e->type == sgx::PageType::kTcs) dtcs = EpcIndex{i};
  }
  ASSERT_TRUE(monitor_.edbgrd(dcode, 8, v));
  EXPECT_EQ(v, load_le<std::uint64_t>(platform_.epc_page(dcode).data() + 8));
  ASSERT_TRUE(monitor_.edbgwr(dcode, 8, 0x1122334455667788ull));
  ASSERT_TRUE(monitor_.edbgrd(dcode, 8, v));
  EXPECT_EQ(v, 0x1122334455667788ull);
  EXPECT_EQ(monitor_.edbgrd(dcode, 4, v).kind, LeafKind::kGp);
  EXPECT_TRUE(monitor_.edbgwr(dtcs, 8, sgx::tcs_flags::kDbgOptIn));
  EXPECT_EQ(monitor_.edbgwr(dtcs, 16, 0).status, sgx::Status::kPageNotDebuggable);  // OSSA stays
  EXPECT_EQ(monitor_.edbgwr(EpcIndex{dbg.value}, 0, 0).status, sgx::Status::kPageNotDebuggable);  // SECS
  ASSERT_TRUE(monitor_.edbgrd(EpcIndex{dbg.value}, 0, v));  // SECS.SIZE
  EXPECT_EQ(v, 0x8000u);
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// ---- EINITTOKEN: a launch enclave (signed by the configured LE signer) issues a token ----

MonitorConfig with_launch_enclave() {
  MonitorConfig c;
  auto key = crypto::RsaPrivateKey::from_pem(nsgx::testing::read_text_vector("sgx/enarx_encl.pem"));
  if (key) c.launch.launch_enclave_signer = identity::mrsigner(*key);
  return c;
}

class TokenTest : public KeysTest {
 protected:
  TokenTest() : KeysTest(with_launch_enclave()) {}
};

TEST_F(TokenTest, EinitChecksTheToken) {
  EnclaveId le = launch(*key1_, 0, false, sgx::attr::kMode64Bit | sgx::attr::kEinitTokenKey);
  // The target: the changed enarx enclave signed by key2, built but not launched.
  Bytes pages = bin_;
  pages[3 * 4096 + 17] ^= 1;
  image::RawPagesLayout l;
  l.tcs_pages = {0};
  identity::MeasuringBuilder mb;
  ASSERT_TRUE(image::replay_raw_pages(pages, l, mb));
  MonitorBuilder b(monitor_, {sgx::attr::kMode64Bit, 3}, next_page_);
  ASSERT_TRUE(image::replay_raw_pages(pages, l, b));
  identity::SigstructFields f;
  f.enclave_hash = mb.mrenclave();
  sgx::Sigstruct ss = identity::make_sigstruct(f);
  ASSERT_TRUE(identity::sign_sigstruct(ss, *key2_));

  // The launch enclave's token for it.
  sgx::EinitToken token{};
  token.valid = 1;
  token.attributes = {sgx::attr::kMode64Bit, 3};
  std::memcpy(token.mr_enclave, mb.mrenclave().data(), 32);
  std::memcpy(token.mr_signer, identity::mrsigner(*key2_).data(), 32);
  token.key_id[0] = 0x5a;
  token.masked_attributes_le = monitor_.secs(le)->attributes;
  auto req = request(sgx::KeyName::kEinitToken, 0);
  std::memcpy(req.key_id, token.key_id, 32);
  const auto k = key(le, req);
  auto sign_token = [&](sgx::EinitToken& t) {
    auto mac = crypto::aes128_cmac(k, as_bytes(t).first(sgx::kEinitTokenMacedSize));
    std::memcpy(t.mac, mac->data(), 16);
  };
  sign_token(token);

  sgx::EinitToken bad = token;
  bad.mac[0] ^= 1;
  EXPECT_EQ(monitor_.einit(b.id(), ss, &bad).status, sgx::Status::kInvalidEinitToken);
  bad = token;
  bad.mr_enclave[0] ^= 1;  // a token for another enclave, correctly MACed
  sign_token(bad);
  EXPECT_EQ(monitor_.einit(b.id(), ss, &bad).status, sgx::Status::kInvalidEinitToken);
  bad = token;
  bad.key_id[0] ^= 1;  // MACed under another key than the one the fields name
  EXPECT_EQ(monitor_.einit(b.id(), ss, &bad).status, sgx::Status::kInvalidEinitToken);
  auto r = monitor_.einit(b.id(), ss, &token);
  EXPECT_TRUE(r) << r.detail;
}

TEST_F(KeysTest, TokensNeedAConfiguredLaunchEnclave) {
  image::RawPagesLayout l;
  l.tcs_pages = {0};
  MonitorBuilder b(monitor_, {sgx::attr::kMode64Bit, 3});
  ASSERT_TRUE(image::replay_raw_pages(bin_, l, b));
  auto ss = identity::parse_sigstruct(read_vector("sgx/enarx_encl.ss"));
  sgx::EinitToken token{};
  token.valid = 1;
  EXPECT_EQ(monitor_.einit(b.id(), *ss, &token).status, sgx::Status::kInvalidEinitToken);
  token.valid = 0;  // an invalid token is ignored under flexible launch control
  EXPECT_TRUE(monitor_.einit(b.id(), *ss, &token));
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

TEST(MonitorScale, SeveralGibOfEpc) {
  constexpr std::uint32_t kPages = 1u << 20;  // a 4 GiB EPC
  FakePlatform p(kPages);
  Monitor m(p, {});
  EXPECT_EQ(m.page_count(), kPages);
  EXPECT_EQ(m.free_pages(), kPages);
  sgx::Secs s = make_secs(8ull << 30);  // an 8 GiB ELRANGE
  s.base_addr = 8ull << 30;
  const EpcIndex secs{kPages - 1};
  const EnclaveId id{secs.value};
  ASSERT_TRUE(m.ecreate(secs, s, secinfo(0)));
  std::array<std::uint8_t, sgx::kPageSize> page{};
  for (std::uint32_t i = 0; i < 64; ++i) {
    page[0] = static_cast<std::uint8_t>(i);
    const LinearAddr addr{s.base_addr + s.size - (i + 1) * sgx::kPageSize};
    ASSERT_TRUE(m.eadd(EpcIndex{kPages - 2 - i * 4096}, id, addr, page, secinfo(0x203)));
    ASSERT_TRUE(m.eextend(EpcIndex{kPages - 2 - i * 4096}, 0));
  }
  EXPECT_EQ(m.free_pages(), kPages - 65);
  EXPECT_EQ(*m.child_count(id), 64u);
  for (std::uint32_t i = 0; i < 64; ++i) ASSERT_TRUE(m.eremove(EpcIndex{kPages - 2 - i * 4096}));
  ASSERT_TRUE(m.eremove(secs));
  EXPECT_EQ(m.free_pages(), kPages);
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

TEST_F(ThreadTest, EremoveWhileAThreadIsInside) {
  EnclaveId e = launch(*key1_, 0);
  EnterState st;
  ASSERT_TRUE(monitor_.eenter(e, kTcs, 0, 0, 0, 0, st));
  const auto entry = monitor_.epcm(EpcIndex{2});
  ASSERT_TRUE(entry && entry->valid && entry->owner == e);
  auto r = monitor_.eremove(EpcIndex{2});
  EXPECT_EQ(r.kind, LeafKind::kStatus);
  EXPECT_EQ(r.status, sgx::Status::kEnclaveAct);
  ASSERT_TRUE(monitor_.eexit(e, kTcs));
  EXPECT_TRUE(monitor_.eremove(EpcIndex{2}));
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

TEST_F(Sgx2Test, EmodprRefusesWriteWithoutRead) {
  EXPECT_EQ(monitor_.emodpr(page_at(kBase + 0x3000), secinfo(0x2)).kind, LeafKind::kGp);
}

TEST_F(Sgx2Test, AnEvictedPendingPageComesBackUnmapped) {
  const LinearAddr addr{kBase + 0x6000};
  ASSERT_TRUE(monitor_.eaug(kFree, e_, addr));
  ASSERT_TRUE(monitor_.eblock(kFree));
  ASSERT_TRUE(monitor_.etrack(e_));
  Monitor::EvictedPage ev;
  ASSERT_TRUE(monitor_.ewb(kFree, kVa, 3, ev));
  ASSERT_TRUE(monitor_.eldu(kFree, e_, kVa, 3, ev));
  EXPECT_TRUE(monitor_.epcm(kFree)->pending);
  EXPECT_EQ(platform_.mapped.count(addr.value), 0u);  // still awaiting EACCEPT
  ASSERT_TRUE(monitor_.eaccept(e_, addr, secinfo(0x20b)));
  EXPECT_EQ(platform_.mapped.at(addr.value).second.rwx, 3u);
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// SDM EBLOCK/EWB/ELDU take PT_TRIM pages: a trimmed page still holds EPC
// until the enclave accepts the trim and the OS removes it, so it must be
// evictable like any other (SGX_IOC_ENCLAVE_MODIFY_TYPES over more than the
// EPC relies on it). It comes back as it left: trimmed, and MODIFIED until
// accepted, never mapped.
TEST_F(Sgx2Test, ATrimmedPageIsEvictedAndComesBackTrimmed) {
  const LinearAddr addr{kBase + 0x4000};
  const EpcIndex p = page_at(addr.value);
  ASSERT_TRUE(monitor_.emodt(p, secinfo(0x400)));
  auto r = monitor_.eblock(p);
  ASSERT_TRUE(r) << r.detail;
  ASSERT_TRUE(monitor_.etrack(e_));
  Monitor::EvictedPage ev;
  r = monitor_.ewb(p, kVa, 5, ev);
  ASSERT_TRUE(r) << r.detail;
  EXPECT_FALSE(monitor_.epcm(p)->valid);
  EXPECT_EQ(ev.pcmd.secinfo.page_type(), sgx::PageType::kTrim);
  r = monitor_.eldu(kFree, e_, kVa, 5, ev);
  ASSERT_TRUE(r) << r.detail;
  auto e = monitor_.epcm(kFree);
  EXPECT_EQ(e->type, sgx::PageType::kTrim);
  EXPECT_TRUE(e->modified);
  EXPECT_EQ(e->perms, 0u);
  EXPECT_EQ(platform_.mapped.count(addr.value), 0u);
  // The trim was tracked before the eviction (EWB needs an ETRACK after the
  // EBLOCK, which followed the EMODT), so the enclave can accept it now.
  ASSERT_TRUE(monitor_.eaccept(e_, addr, secinfo(0x410)));  // TRIM | MODIFIED

  // Accepted and evicted again: still a trimmed page, then removable.
  ASSERT_TRUE(monitor_.eblock(kFree));
  ASSERT_TRUE(monitor_.etrack(e_));
  ASSERT_TRUE(monitor_.ewb(kFree, kVa, 6, ev));
  const EpcIndex again{601};
  ASSERT_TRUE(monitor_.eldu(again, e_, kVa, 6, ev));
  e = monitor_.epcm(again);
  EXPECT_EQ(e->type, sgx::PageType::kTrim);
  EXPECT_FALSE(e->modified);
  EXPECT_EQ(platform_.mapped.count(addr.value), 0u);
  EXPECT_TRUE(monitor_.eremove(again));
  EXPECT_FALSE(monitor_.epcm(again)->valid);
}

// The types EBLOCK still refuses, with their SDM status codes.
TEST_F(Sgx2Test, EblockRefusesSecsAndVaPages) {
  EXPECT_EQ(monitor_.eblock(EpcIndex{e_.value}).status, sgx::Status::kPgIsSecs);
  EXPECT_EQ(monitor_.eblock(kVa).status, sgx::Status::kNotBlockable);
  Monitor::EvictedPage ev;
  EXPECT_EQ(monitor_.ewb(kVa, kVa, 0, ev).kind, LeafKind::kPf);
}

}  // namespace
}  // namespace nsgx::monitor

namespace nsgx::monitor {
namespace {

// The rule every backend is handed (SDM 34.5, 38.5.7): only an accepted,
// unblocked REG page is accessible, with its EPCM R/W/X (restricted ones
// already while EMODPR awaits EACCEPT); an accepted TCS is enterable only.
TEST(PageRights, FollowTheEpcmEntry) {
  const EpcmEntry reg{.valid = true, .type = sgx::PageType::kReg, .perms = 5};
  EXPECT_EQ(page_rights(reg), (PageRights{.rwx = 5, .tcs = false}));
  EpcmEntry e = reg;
  e.pr = true;
  EXPECT_EQ(page_rights(e), (PageRights{.rwx = 5, .tcs = false}));
  for (bool EpcmEntry::*state : {&EpcmEntry::pending, &EpcmEntry::modified, &EpcmEntry::blocked}) {
    e = reg;
    e.*state = true;
    EXPECT_TRUE(page_rights(e).none());
  }
  e = reg;
  e.valid = false;
  EXPECT_TRUE(page_rights(e).none());
  e = reg;
  e.type = sgx::PageType::kTcs;
  EXPECT_EQ(page_rights(e), (PageRights{.rwx = 0, .tcs = true}));  // not accessible, whatever the EPCM's R/W/X
  e.modified = true;
  EXPECT_TRUE(page_rights(e).none());
  for (sgx::PageType t : {sgx::PageType::kTrim, sgx::PageType::kSecs, sgx::PageType::kVa}) {
    e = reg;
    e.type = t;
    EXPECT_TRUE(page_rights(e).none());
  }
}

}  // namespace
}  // namespace nsgx::monitor
