#include "driver/driver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>
#include <utility>

#include "crypto/rsa.h"
#include "identity/enclave_builder.h"
#include "identity/sigstruct.h"
#include "monitor/testing/fake_platform.h"
#include "tests/vectors.h"

namespace nsgx::driver {
namespace {

using monitor::testing::FakePlatform;
constexpr std::uint64_t kBase = 0x40000000;

// The caller's memory: only registered buffers are readable, like a process
// whose other addresses are unmapped.
class TestMemory final : public UserMemory {
 public:
  std::uint64_t add(const void* p, std::size_t n) {
    regions_.emplace_back(reinterpret_cast<std::uint64_t>(p), n);
    return reinterpret_cast<std::uint64_t>(p);
  }
  bool read(std::uint64_t addr, MutableByteSpan out) const override {
    for (auto [start, len] : regions_)
      if (addr >= start && out.size() <= len && addr - start <= len - out.size()) {
        std::memcpy(out.data(), reinterpret_cast<const void*>(addr), out.size());
        return true;
      }
    return false;
  }

 private:
  std::vector<std::pair<std::uint64_t, std::size_t>> regions_;
};

class DriverTest : public ::testing::Test {
 protected:
  DriverTest() : platform_(256), monitor_(platform_, {}), epc_(monitor_), encl_(epc_, mem_) {
    const Bytes bin = nsgx::testing::read_vector("sgx/enarx_encl.bin");
    std::memcpy(bin_.data(), bin.data(), std::min(bin.size(), bin_.size()));
    ss_ = *identity::parse_sigstruct(nsgx::testing::read_vector("sgx/enarx_encl.ss"));
    secs_.size = 0x8000;
    secs_.base_addr = kBase;
    secs_.ssa_frame_size = 1;
    secs_.attributes = {sgx::attr::kMode64Bit, 3};
    tcs_si_.flags = 0x100;
    reg_si_.flags = 0x207;
    mem_.add(bin_.data(), bin_.size());
    mem_.add(&secs_, sizeof secs_);
    mem_.add(&tcs_si_, sizeof tcs_si_);
    mem_.add(&reg_si_, sizeof reg_si_);
    mem_.add(&ss_, sizeof ss_);
  }
  int create() { return encl_.create({reinterpret_cast<std::uint64_t>(&secs_)}); }
  int add(std::uint64_t page, std::uint64_t count, const sgx::Secinfo& si, std::uint64_t flags = SGX_PAGE_MEASURE,
          std::uint64_t* done = nullptr) {
    sgx_enclave_add_pages a{};
    a.src = reinterpret_cast<std::uint64_t>(bin_.data() + page * 4096);
    a.offset = page * 4096;
    a.length = count * 4096;
    a.secinfo = reinterpret_cast<std::uint64_t>(&si);
    a.flags = flags;
    const int rc = encl_.add_pages(a);
    if (done) *done = a.count;
    return rc;
  }
  int build_and_init() {
    if (int rc = create()) return rc;
    if (int rc = add(0, 1, tcs_si_)) return rc;
    if (int rc = add(1, 5, reg_si_)) return rc;
    return encl_.init({reinterpret_cast<std::uint64_t>(&ss_)});
  }

  FakePlatform platform_;
  monitor::Monitor monitor_;
  EpcPool epc_;
  TestMemory mem_;
  DriverEnclave encl_;
  alignas(4096) std::array<std::uint8_t, 6 * 4096> bin_{};  // sources must be page aligned, as for the kernel
  sgx::Sigstruct ss_{};
  sgx::Secs secs_{};
  sgx::Secinfo tcs_si_{}, reg_si_{};
};

TEST_F(DriverTest, EnarxEnclaveThroughTheIoctls) {
  ASSERT_EQ(build_and_init(), 0);
  EXPECT_TRUE(encl_.initialized());
  auto secs = monitor_.secs(*encl_.id());
  EXPECT_EQ(to_hex(ByteSpan(secs->mr_enclave, 32)), "b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0");
  EXPECT_EQ(encl_.page(kBase + 0x1000).max_perms, 7u);
  EXPECT_EQ(encl_.page(kBase).max_perms, 3u);  // a TCS: always R/W for mmap
  EXPECT_FALSE(encl_.page(kBase + 0x7000).max_perms);
}

TEST_F(DriverTest, CreateErrors) {
  EXPECT_EQ(encl_.create({0x1234}), -EFAULT);
  sgx::Secs good = secs_;
  secs_.size = 0x3000;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.base_addr = kBase + 0x1000;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.ssa_frame_size = 0;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.attributes.flags |= 1ull << 3;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.attributes.xfrm = 0x1;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.attributes.xfrm = 0xb;  // BNDREGS without BNDCSR
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.misc_select = 0x80;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.reserved4[7] = 1;
  EXPECT_EQ(create(), -EINVAL);
  secs_ = good;
  secs_.attributes.flags |= sgx::attr::kInit;  // passes the driver's checks, faults in ECREATE
  EXPECT_EQ(create(), -EIO);
  secs_ = good;
  ASSERT_EQ(create(), 0);
  EXPECT_EQ(create(), -EINVAL);  // one enclave per file
  EXPECT_EQ(epc_.free_count(), 255u);
}

TEST_F(DriverTest, AddPagesErrors) {
  EXPECT_EQ(add(0, 1, tcs_si_), -EINVAL);  // before create
  ASSERT_EQ(create(), 0);
  sgx_enclave_add_pages a{};
  a.src = reinterpret_cast<std::uint64_t>(bin_.data());
  a.secinfo = reinterpret_cast<std::uint64_t>(&reg_si_);
  a.length = 4096;
  a.offset = 0x10;
  EXPECT_EQ(encl_.add_pages(a), -EINVAL);  // unaligned offset
  a.offset = 0;
  a.length = 0;
  EXPECT_EQ(encl_.add_pages(a), -EINVAL);  // empty
  a.length = 100;
  EXPECT_EQ(encl_.add_pages(a), -EINVAL);  // not whole pages
  a.length = 4096;
  a.offset = 0x8000;
  EXPECT_EQ(encl_.add_pages(a), -EINVAL);  // outside the enclave
  a.offset = 0;
  a.src += 8;
  EXPECT_EQ(encl_.add_pages(a), -EINVAL);  // unaligned source
  sgx::Secinfo bad{};
  mem_.add(&bad, sizeof bad);
  bad.flags = 0x107;
  EXPECT_EQ(add(0, 1, bad), -EINVAL);  // TCS with permissions
  bad.flags = 0x202;
  EXPECT_EQ(add(1, 1, bad), -EINVAL);  // W without R
  bad.flags = 0x300;
  EXPECT_EQ(add(1, 1, bad), -EINVAL);  // PT_VA
  bad.flags = 0x203;
  bad.reserved[3] = 1;
  EXPECT_EQ(add(1, 1, bad), -EINVAL);  // reserved SECINFO byte
  EXPECT_EQ(add(1, 1, reg_si_, 0x2), -EINVAL);  // unknown flag
  sgx_enclave_add_pages unreadable{reinterpret_cast<std::uint64_t>(bin_.data()), 0, 4096, 0x10, 0, 0};
  EXPECT_EQ(encl_.add_pages(unreadable), -EFAULT);  // SECINFO pointer into nothing
  std::uint64_t done = 99;
  ASSERT_EQ(add(1, 3, reg_si_, SGX_PAGE_MEASURE, &done), 0);
  EXPECT_EQ(done, 3 * 4096u);
  EXPECT_EQ(add(2, 2, reg_si_, SGX_PAGE_MEASURE, &done), -EEXIST);  // page 2 already there
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(add(4, 2, reg_si_, SGX_PAGE_MEASURE, &done), 0);  // the enclave is still usable
  EXPECT_EQ(done, 2 * 4096u);
}

TEST_F(DriverTest, InitErrorsAndProvision) {
  EXPECT_EQ(encl_.init({reinterpret_cast<std::uint64_t>(&ss_)}), -EINVAL);  // nothing created
  ASSERT_EQ(create(), 0);
  ASSERT_EQ(add(0, 1, tcs_si_), 0);
  ASSERT_EQ(add(1, 5, reg_si_), 0);
  EXPECT_EQ(encl_.init({0x10}), -EFAULT);
  sgx::Sigstruct bad = ss_;
  bad.signature[3] ^= 1;
  mem_.add(&bad, sizeof bad);
  EXPECT_EQ(encl_.init({reinterpret_cast<std::uint64_t>(&bad)}), -EPERM);
  ASSERT_EQ(encl_.init({reinterpret_cast<std::uint64_t>(&ss_)}), 0);
  EXPECT_EQ(encl_.init({reinterpret_cast<std::uint64_t>(&ss_)}), -EINVAL);  // twice
  EXPECT_EQ(add(6, 1, reg_si_), -EINVAL);                                     // after INIT
  EXPECT_EQ(encl_.provision(false), -EINVAL);
}

TEST(DriverProvision, ProvisionKeyNeedsTheProvisionFd) {
  FakePlatform p(64);
  monitor::Monitor m(p, {});
  EpcPool epc(m);
  TestMemory mem;
  sgx::Secs secs{};
  secs.size = 0x2000;
  secs.base_addr = kBase;
  secs.ssa_frame_size = 1;
  secs.attributes = {sgx::attr::kMode64Bit | sgx::attr::kProvisionKey, 3};
  mem.add(&secs, sizeof secs);
  auto key = crypto::RsaPrivateKey::from_pem(nsgx::testing::read_text_vector("sgx/enarx_encl.pem"));
  identity::MeasuringBuilder mb;
  ASSERT_TRUE(mb.ecreate(1, 0x2000));
  identity::SigstructFields f;
  f.enclave_hash = mb.mrenclave();
  f.attributes = secs.attributes;
  sgx::Sigstruct ss = identity::make_sigstruct(f);
  ASSERT_TRUE(identity::sign_sigstruct(ss, *key));
  mem.add(&ss, sizeof ss);
  {
    DriverEnclave e(epc, mem);
    ASSERT_EQ(e.create({reinterpret_cast<std::uint64_t>(&secs)}), 0);
    EXPECT_EQ(e.init({reinterpret_cast<std::uint64_t>(&ss)}), -EACCES);
  }
  DriverEnclave e(epc, mem);
  ASSERT_EQ(e.create({reinterpret_cast<std::uint64_t>(&secs)}), 0);
  ASSERT_EQ(e.provision(true), 0);
  EXPECT_EQ(e.init({reinterpret_cast<std::uint64_t>(&ss)}), 0);
}

TEST_F(DriverTest, Sgx2IoctlsAndTheirErrors) {
  sgx_enclave_restrict_permissions rp{};
  rp.length = 4096;
  rp.permissions = 1;
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);  // not initialized
  ASSERT_EQ(build_and_init(), 0);
  rp.offset = 0;  // the TCS
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);
  rp.offset = 0x1000;
  rp.length = 0;
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);
  rp.length = 0x1001;
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);
  rp.length = 4096;
  rp.permissions = 2;
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);  // W without R
  rp.permissions = 1;
  rp.count = 1;
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);  // count must be 0 on input
  rp.count = 0;
  rp.result = 1;
  EXPECT_EQ(encl_.restrict_permissions(rp), -EINVAL);
  rp.result = 0;
  rp.length = 2 * 4096;
  ASSERT_EQ(encl_.restrict_permissions(rp), 0);
  EXPECT_EQ(rp.count, 2 * 4096u);
  EXPECT_EQ(monitor_.epcm(*[&] {
              for (std::uint32_t i = 0; i < 256; ++i)
                if (monitor_.epcm(monitor::EpcIndex{i})->addr.value == kBase + 0x1000) return std::optional{monitor::EpcIndex{i}};
              return std::optional<monitor::EpcIndex>{};
            }())->perms,
            1u);

  sgx_enclave_remove_pages rm{};
  rm.offset = 0x3000;
  rm.length = 4096;
  EXPECT_EQ(encl_.remove_pages(rm), -EPERM);  // not trimmed
  sgx_enclave_modify_types mt{};
  mt.offset = 0x3000;
  mt.length = 4096;
  mt.page_type = 2;  // PT_REG is not a target
  EXPECT_EQ(encl_.modify_types(mt), -EINVAL);
  mt.page_type = 4;  // PT_TRIM
  ASSERT_EQ(encl_.modify_types(mt), 0);
  EXPECT_EQ(mt.count, 4096u);
  rm.count = 0;
  EXPECT_EQ(encl_.remove_pages(rm), -EPERM);  // the enclave has not EACCEPTed the trim
  EXPECT_EQ(rm.count, 0u);
  sgx::Secinfo trim{};
  trim.flags = 0x410;
  ASSERT_TRUE(monitor_.eaccept(*encl_.id(), monitor::LinearAddr{kBase + 0x3000}, trim));
  const auto free_before = epc_.free_count();
  ASSERT_EQ(encl_.remove_pages(rm), 0);
  EXPECT_EQ(rm.count, 4096u);
  EXPECT_EQ(epc_.free_count(), free_before + 1);
  rm.count = 0;
  EXPECT_EQ(encl_.remove_pages(rm), -EFAULT);  // nothing there any more
  rm.count = 5;
  EXPECT_EQ(encl_.remove_pages(rm), -EINVAL);
}

TEST_F(DriverTest, FaultsAugmentAnInitializedEnclave) {
  ASSERT_EQ(create(), 0);
  EXPECT_EQ(encl_.handle_fault(kBase + 0x6000), -EFAULT);  // before EINIT
  ASSERT_EQ(add(0, 1, tcs_si_), 0);
  ASSERT_EQ(add(1, 5, reg_si_), 0);
  ASSERT_EQ(encl_.init({reinterpret_cast<std::uint64_t>(&ss_)}), 0);
  EXPECT_EQ(encl_.handle_fault(kBase + 0x8000), -EFAULT);  // outside the enclave
  EXPECT_EQ(encl_.handle_fault(kBase + 0x1234), 0);        // an existing page
  ASSERT_EQ(encl_.handle_fault(kBase + 0x6010), 0);        // EAUG
  EXPECT_EQ(encl_.page(kBase + 0x6000).max_perms, 3u);
  sgx::Secinfo pending{};
  pending.flags = 0x20b;
  EXPECT_TRUE(monitor_.eaccept(*encl_.id(), monitor::LinearAddr{kBase + 0x6000}, pending));
  EXPECT_EQ(platform_.mapped.at(kBase + 0x6000).second.rwx, 3u);
}

// Over-commit: an enclave larger than the EPC is built and every page comes
// back intact through EWB/ELDU; a full EPC with nothing evictable is
// -ENOMEM, not a hang.
TEST(DriverOvercommit, EnclaveLargerThanTheEpc) {
  constexpr std::uint32_t kEpc = 24, kPages = 64;
  FakePlatform p(kEpc);
  monitor::Monitor m(p, {});
  EpcPool epc(m);
  TestMemory mem;
  sgx::Secs secs{};
  secs.size = 0x40000;  // 256 KiB: 64 pages
  secs.base_addr = kBase;
  secs.ssa_frame_size = 1;
  secs.attributes = {sgx::attr::kMode64Bit, 3};
  mem.add(&secs, sizeof secs);
  struct alignas(4096) Pages {
    std::array<std::uint8_t, kPages * 4096> bytes;
  };
  auto pages = std::make_unique<Pages>();  // ADD_PAGES wants a page-aligned source
  auto& src = pages->bytes;
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<std::uint8_t>((i * 131) ^ (i >> 12));
  mem.add(src.data(), src.size());
  sgx::Secinfo reg{};
  reg.flags = 0x203;
  mem.add(&reg, sizeof reg);

  DriverEnclave e(epc, mem);
  ASSERT_EQ(e.create({reinterpret_cast<std::uint64_t>(&secs)}), 0);
  sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(src.data()), 0, kPages * 4096,
                          reinterpret_cast<std::uint64_t>(&reg), 0, 0};
  ASSERT_EQ(e.add_pages(a), 0);
  EXPECT_EQ(a.count, kPages * 4096u);
  EXPECT_GT(epc.evictions(), 0u);
  // Every page, resident or brought back, holds what was added.
  for (int round = 0; round < 2; ++round)
    for (std::uint32_t i = 0; i < kPages; ++i) {
      const std::uint64_t addr = kBase + i * 4096ull;
      ASSERT_EQ(e.handle_fault(addr), 0) << i;
      const auto info = e.page(addr);
      ASSERT_EQ(info.where, DriverEnclave::PageInfo::Where::kResident);
      auto mem_page = p.epc_page(info.epc);
      ASSERT_EQ(std::memcmp(mem_page.data(), src.data() + i * 4096ull, 4096), 0) << i;
    }
  EXPECT_GT(epc.loads(), 0u);
  EXPECT_EQ(*m.child_count(*e.id()) + 1 + 1, kEpc - epc.free_count());  // + SECS + VA page
}

TEST(DriverOvercommit, NothingEvictableIsEnomem) {
  FakePlatform p(8);
  monitor::Monitor m(p, {});
  EpcPool epc(m);
  TestMemory mem;
  sgx::Secs secs{};
  secs.size = 0x10000;
  secs.base_addr = kBase;
  secs.ssa_frame_size = 1;
  secs.attributes = {sgx::attr::kMode64Bit, 3};
  mem.add(&secs, sizeof secs);
  struct alignas(4096) Pages {
    std::array<std::uint8_t, 16 * 4096> bytes{};
  };
  auto pages = std::make_unique<Pages>();
  auto& src = pages->bytes;
  mem.add(src.data(), src.size());
  sgx::Secinfo tcs{};
  tcs.flags = 0x100;
  mem.add(&tcs, sizeof tcs);
  DriverEnclave e(epc, mem);
  ASSERT_EQ(e.create({reinterpret_cast<std::uint64_t>(&secs)}), 0);
  // TCS pages are never evicted: 6 of them fill the EPC (SECS + VA + 6).
  sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(src.data()), 0, 16 * 4096,
                          reinterpret_cast<std::uint64_t>(&tcs), 0, 0};
  EXPECT_EQ(e.add_pages(a), -ENOMEM);
  EXPECT_EQ(a.count, 6 * 4096u);
  EXPECT_EQ(epc.free_count(), 0u);
}

// An initialized enclave of `size` bytes at kBase for the over-commit
// tests: a TCS (OSSA 0x1000, NSSA 1), its SSA page and `reg_pages` more REG
// pages, contents unmeasured (MRENCLAVE from the EADD records alone),
// signed with the enarx test key.
class SignedImage {
 public:
  SignedImage(TestMemory& mem, std::uint64_t size, std::uint32_t reg_pages)
      : pages_(std::make_unique<Pages>()), reg_pages_(reg_pages) {
    secs_.size = size;
    secs_.base_addr = kBase;
    secs_.ssa_frame_size = 1;
    secs_.attributes = {sgx::attr::kMode64Bit, 3};
    sgx::Tcs tcs{};
    tcs.ossa = 0x1000;
    tcs.nssa = 1;
    std::memcpy(pages_->bytes.data(), &tcs, sizeof tcs);
    tcs_si_.flags = 0x100;
    reg_si_.flags = 0x203;
    identity::MeasuringBuilder mb;
    ok_ = static_cast<bool>(mb.ecreate(1, size)) && static_cast<bool>(mb.add_page(0, tcs_si_.flags, page(0), 0));
    for (std::uint32_t i = 1; ok_ && i <= 1 + reg_pages; ++i)
      ok_ = static_cast<bool>(mb.add_page(i * 4096ull, reg_si_.flags, page(1), 0));
    identity::SigstructFields f;
    f.enclave_hash = mb.mrenclave();
    f.attributes = secs_.attributes;
    ss_ = identity::make_sigstruct(f);
    auto key = crypto::RsaPrivateKey::from_pem(nsgx::testing::read_text_vector("sgx/enarx_encl.pem"));
    ok_ = ok_ && key && static_cast<bool>(identity::sign_sigstruct(ss_, *key));
    mem.add(&secs_, sizeof secs_);
    mem.add(pages_->bytes.data(), pages_->bytes.size());
    mem.add(&tcs_si_, sizeof tcs_si_);
    mem.add(&reg_si_, sizeof reg_si_);
    mem.add(&ss_, sizeof ss_);
  }
  std::uint64_t secs_address() const { return reinterpret_cast<std::uint64_t>(&secs_); }
  // CREATE, ADD_PAGES, INIT: 0 or the first failing ioctl's -errno.
  int build(DriverEnclave& e) {
    if (!ok_) return -EINVAL;
    if (int rc = e.create({reinterpret_cast<std::uint64_t>(&secs_)})) return rc;
    sgx_enclave_add_pages a{src(0), 0, 4096, reinterpret_cast<std::uint64_t>(&tcs_si_), 0, 0};
    if (int rc = e.add_pages(a)) return rc;
    for (std::uint32_t i = 1; i <= 1 + reg_pages_; ++i) {
      a = {src(1), i * 4096ull, 4096, reinterpret_cast<std::uint64_t>(&reg_si_), 0, 0};
      if (int rc = e.add_pages(a)) return rc;
    }
    return e.init({reinterpret_cast<std::uint64_t>(&ss_)});
  }

 private:
  struct alignas(4096) Pages {
    std::array<std::uint8_t, 2 * 4096> bytes{};  // a TCS, then a zero page for every REG page
  };
  std::span<const std::uint8_t, 4096> page(int i) const {
    return std::span<const std::uint8_t, 4096>(pages_->bytes.data() + i * 4096, 4096);
  }
  std::uint64_t src(int i) const { return reinterpret_cast<std::uint64_t>(pages_->bytes.data() + i * 4096); }

  std::unique_ptr<Pages> pages_;
  std::uint32_t reg_pages_;
  sgx::Secs secs_{};
  sgx::Secinfo tcs_si_{}, reg_si_{};
  sgx::Sigstruct ss_{};
  bool ok_ = false;
};

// As the kernel's page removal stress test (selftests/sgx
// unclobbered_vdso_oversubscribed_remove), on a dynamic range larger than
// the EPC: EAUG + EACCEPT every page, MODIFY_TYPES(TRIM) over the whole
// range, EACCEPT each trimmed page, REMOVE_PAGES. Trimmed pages must be
// evicted like regular ones, or the trim runs out of EPC half-way.
TEST(DriverOvercommit, TrimMoreThanTheEpc) {
  constexpr std::uint32_t kEpc = 24, kPages = 64;  // SECS + VA + TCS + 21 pages of room
  constexpr std::uint64_t kSize = kPages * 4096ull, kDynamic = 2 * 4096;
  FakePlatform p(kEpc);
  monitor::Monitor m(p, {});
  EpcPool epc(m);
  TestMemory mem;
  SignedImage image(mem, kSize, 0);
  DriverEnclave e(epc, mem);
  ASSERT_EQ(image.build(e), 0);
  const monitor::EnclaveId id = *e.id();

  const auto accept = [&](std::uint64_t addr, std::uint64_t flags) {
    // The enclave's EACCEPT on a page that may have been evicted: the
    // touch loads (or adds) it first, as the fault path does.
    if (int rc = e.handle_fault(addr); rc != 0) return ::testing::AssertionFailure() << "fault: " << rc;
    sgx::Secinfo si{};
    si.flags = flags;
    auto r = m.eaccept(id, monitor::LinearAddr{addr}, si);
    if (!r) return ::testing::AssertionFailure() << r.detail;
    return ::testing::AssertionSuccess();
  };
  for (std::uint64_t off = kDynamic; off < kSize; off += 4096)
    ASSERT_TRUE(accept(kBase + off, 0x20b)) << off;  // EAUG on touch, REG | PENDING | RW
  EXPECT_GT(epc.evictions(), 0u);

  sgx_enclave_modify_types mt{kDynamic, kSize - kDynamic, 4 /* PT_TRIM */, 0, 0};
  ASSERT_EQ(e.modify_types(mt), 0);
  EXPECT_EQ(mt.count, kSize - kDynamic);
  EXPECT_EQ(mt.result, 0u);
  for (std::uint64_t off = kDynamic; off < kSize; off += 4096)
    ASSERT_TRUE(accept(kBase + off, 0x410)) << off;  // TRIM | MODIFIED

  sgx_enclave_remove_pages rm{kDynamic, kSize - kDynamic, 0};
  ASSERT_EQ(e.remove_pages(rm), 0);
  EXPECT_EQ(rm.count, kSize - kDynamic);
  for (std::uint64_t off = kDynamic; off < kSize; off += 4096)
    EXPECT_EQ(e.page(kBase + off).where, DriverEnclave::PageInfo::Where::kNone) << off;
  // What is left in the EPC: the SECS, the VA page and the resident ones of the TCS and SSA page.
  EXPECT_LE(*m.child_count(id), 2u);
  EXPECT_EQ(epc.free_count(), kEpc - 2 - *m.child_count(id));
}

// Hooks that run `on_kick` once, at the first kick.
class KickHooks final : public DriverHooks {
 public:
  void page_changed(DriverEnclave&, std::uint64_t) override {}
  void kick(DriverEnclave&) override {
    ++kicks;
    if (on_kick) std::exchange(on_kick, nullptr)();
  }
  std::function<void()> on_kick;
  int kicks = 0;
};

// A thread inside enclave A since before its page was blocked holds up the
// write-back (SDM EWB: SGX_NOT_TRACKED) until it leaves. The driver kicks it
// and waits — with the pool lock dropped, for every other enclave's
// requests need that lock. Here the kicked thread leaves only after it could
// take the pool lock itself, so waiting under the lock never ends (the old
// driver gave up after its spin budget: -ENOMEM).
TEST(DriverOvercommit, WaitsForThreadsWithoutThePoolLock) {
  constexpr std::uint32_t kEpc = 8;
  FakePlatform p(kEpc);
  monitor::Monitor m(p, {});
  KickHooks hooks;
  EpcPool epc(m, &hooks);
  TestMemory mem;
  SignedImage image(mem, 0x10000, 4);  // SECS + VA + TCS + SSA + 4 pages: the EPC is full
  DriverEnclave a(epc, mem);
  ASSERT_EQ(image.build(a), 0);
  ASSERT_EQ(epc.free_count(), 0u);
  const monitor::EnclaveId id = *a.id();
  const monitor::LinearAddr tcs{kBase};
  monitor::EnterState st;
  ASSERT_TRUE(m.eenter(id, tcs, 0, 0, 0, 0, st));  // a thread of A is inside

  std::thread helper;
  std::atomic<bool> left{false};
  hooks.on_kick = [&] {
    helper = std::thread([&] {
      (void)epc.free_count();  // needs the pool lock
      left = static_cast<bool>(m.eexit(id, tcs));
    });
  };
  SignedImage other(mem, 0x10000, 0);
  DriverEnclave b(epc, mem);
  EXPECT_EQ(b.create({other.secs_address()}), 0);  // needs an EPC page: one of A's must go
  if (helper.joinable()) helper.join();
  EXPECT_TRUE(left);
  EXPECT_GE(hooks.kicks, 1);
  EXPECT_EQ(epc.evictions(), 1u);
  // Nothing is left half-evicted, and A's thread can enter again.
  for (std::uint64_t addr = kBase; addr < kBase + 0x10000; addr += 4096) {
    const auto info = a.page(addr);
    if (info.where == DriverEnclave::PageInfo::Where::kResident) {
      EXPECT_FALSE(m.epcm(info.epc)->blocked) << addr;
    }
  }
  for (std::uint64_t addr : {kBase, kBase + 0x1000}) ASSERT_EQ(a.handle_fault(addr), 0);  // TCS and SSA in
  EXPECT_TRUE(m.eenter(id, tcs, 0, 0, 0, 0, st));
  EXPECT_TRUE(m.eexit(id, tcs));
}

// A backend that holds the pool lock around a fault (handle_fault_locked)
// gets -EAGAIN at once when the eviction it needs must wait for threads to
// leave: it resumes the enclave, which faults again after the lock is
// dropped. The page whose write-back had to wait stays blocked meanwhile;
// the next touch of it finishes the eviction and loads it back.
TEST(DriverOvercommit, AFaultUnderThePoolLockDoesNotWait) {
  constexpr std::uint32_t kEpc = 8;
  FakePlatform p(kEpc);
  monitor::Monitor m(p, {});
  KickHooks hooks;
  EpcPool epc(m, &hooks);
  TestMemory mem;
  SignedImage image(mem, 0x10000, 4);
  DriverEnclave a(epc, mem);
  ASSERT_EQ(image.build(a), 0);
  ASSERT_EQ(epc.free_count(), 0u);
  const monitor::EnclaveId id = *a.id();
  const monitor::LinearAddr tcs{kBase};
  monitor::EnterState st;
  ASSERT_TRUE(m.eenter(id, tcs, 0, 0, 0, 0, st));
  const std::uint64_t fresh = kBase + 0x8000;  // no page yet: EAUG needs one evicted
  {
    std::lock_guard lock(epc.mutex());
    EXPECT_EQ(a.handle_fault_locked(fresh), -EAGAIN);
  }
  EXPECT_EQ(hooks.kicks, 1);
  EXPECT_EQ(a.page(fresh).where, DriverEnclave::PageInfo::Where::kNone);
  std::vector<std::uint64_t> blocked;
  for (std::uint64_t addr = kBase; addr < kBase + 0x10000; addr += 4096) {
    const auto info = a.page(addr);
    if (info.where == DriverEnclave::PageInfo::Where::kResident && m.epcm(info.epc)->blocked) blocked.push_back(addr);
  }
  ASSERT_EQ(blocked.size(), 1u);
  ASSERT_TRUE(m.eexit(id, tcs));  // the kicked thread leaves

  ASSERT_EQ(a.handle_fault(blocked[0]), 0);  // EWB finishes, ELDU brings it back
  const auto info = a.page(blocked[0]);
  ASSERT_EQ(info.where, DriverEnclave::PageInfo::Where::kResident);
  EXPECT_FALSE(m.epcm(info.epc)->blocked);
  EXPECT_EQ(epc.evictions(), 1u);
  EXPECT_EQ(epc.loads(), 1u);
  ASSERT_EQ(a.handle_fault(fresh), 0);  // and the EAUG now goes through
  EXPECT_EQ(a.page(fresh).where, DriverEnclave::PageInfo::Where::kResident);
}

TEST_F(DriverTest, ClosingReleasesEveryPage) {
  {
    DriverEnclave e(epc_, mem_);
    ASSERT_EQ(e.create({reinterpret_cast<std::uint64_t>(&secs_)}), 0);
    sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(bin_.data() + 4096), 0x1000, 5 * 4096,
                            reinterpret_cast<std::uint64_t>(&reg_si_), SGX_PAGE_MEASURE, 0};
    ASSERT_EQ(e.add_pages(a), 0);
    EXPECT_EQ(epc_.free_count(), 249u);  // SECS, 5 pages, a VA page
  }
  EXPECT_EQ(epc_.free_count(), 256u);
  EXPECT_EQ(monitor_.free_pages(), 256u);
}

// A budget caps what a group of enclaves holds — SECS, EADD, VA pages and
// EAUG alike — and fails beyond it as a full EPC does; pages given back
// return to it, so another enclave of the group can use them.
TEST_F(DriverTest, BudgetCapsEveryPageAnEnclaveTakes) {
  PageBudget budget{.limit = 8};
  encl_.set_budget(&budget);
  ASSERT_EQ(build_and_init(), 0);  // SECS, TCS, 5 pages, a VA page
  EXPECT_EQ(budget.used, 8u);
  EXPECT_EQ(encl_.handle_fault(kBase + 0x6000), -ENOMEM);  // EAUG beyond the budget
  EXPECT_EQ(epc_.free_count(), 248u);                        // though the EPC has room
  budget.limit = 9;
  EXPECT_EQ(encl_.handle_fault(kBase + 0x6000), 0);
  EXPECT_EQ(budget.used, 9u);
  {
    DriverEnclave other(epc_, mem_);
    other.set_budget(&budget);
    EXPECT_EQ(other.create({reinterpret_cast<std::uint64_t>(&secs_)}), -ENOMEM);
  }
  DriverEnclave unlimited(epc_, mem_);
  secs_.base_addr = kBase + 0x100000;
  EXPECT_EQ(unlimited.create({reinterpret_cast<std::uint64_t>(&secs_)}), 0);  // no budget: not charged
  EXPECT_EQ(budget.used, 9u);
}

TEST_F(DriverTest, BudgetRefundedWhenTheEnclaveCloses) {
  PageBudget budget{.limit = 100};
  {
    DriverEnclave e(epc_, mem_);
    e.set_budget(&budget);
    ASSERT_EQ(e.create({reinterpret_cast<std::uint64_t>(&secs_)}), 0);
    sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(bin_.data() + 4096), 0x1000, 5 * 4096,
                            reinterpret_cast<std::uint64_t>(&reg_si_), SGX_PAGE_MEASURE, 0};
    ASSERT_EQ(e.add_pages(a), 0);
    EXPECT_EQ(budget.used, 7u);
  }
  EXPECT_EQ(budget.used, 0u);
}

}  // namespace
}  // namespace nsgx::driver
