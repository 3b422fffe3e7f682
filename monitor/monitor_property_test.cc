// Property test: random sequences of leaves over a small EPC, checking the
// EPCM invariants after every step, for many seeds; then teardown must
// return every page. Also: leaves on different enclaves and on different
// TCSs of one enclave running concurrently.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "identity/sgxs.h"
#include "image/raw_pages.h"
#include "monitor/monitor.h"
#include "monitor/testing/fake_platform.h"
#include "tests/vectors.h"

namespace nsgx::monitor {
namespace {

using testing::FakePlatform;
constexpr std::uint32_t kPages = 48;
constexpr std::uint64_t kSize = 0x10000;

sgx::Secinfo si(std::uint64_t flags) {
  sgx::Secinfo s{};
  s.flags = flags;
  return s;
}

// Each enclave gets its own ELRANGE so that mappings never collide.
std::uint64_t base_of(EnclaveId id) { return 0x100000000ull + std::uint64_t{id.value} * kSize; }

// Checks every invariant the EPCM must keep; returns a description of the first violation.
std::string check_invariants(const Monitor& m, const FakePlatform& p) {
  std::map<std::uint32_t, std::uint64_t> children;
  std::set<std::pair<std::uint32_t, std::uint64_t>> addrs;
  std::uint32_t free = 0;
  for (std::uint32_t i = 0; i < m.page_count(); ++i) {
    const EpcmEntry e = *m.epcm(EpcIndex{i});
    if (!e.valid) {
      ++free;
      continue;
    }
    if (e.type == sgx::PageType::kSecs) {
      if (e.owner.value != i) return "SECS " + std::to_string(i) + " not its own owner";
      if (!m.state(EnclaveId{i})) return "valid SECS " + std::to_string(i) + " without an enclave";
      children.try_emplace(i, 0);
      continue;
    }
    if (e.type == sgx::PageType::kVa) continue;
    const auto owner = m.epcm(EpcIndex{e.owner.value});
    if (!owner || !owner->valid || owner->type != sgx::PageType::kSecs)
      return "page " + std::to_string(i) + " owned by a non-SECS";
    const std::uint64_t base = base_of(e.owner);
    if (e.addr.value < base || e.addr.value >= base + kSize) return "page " + std::to_string(i) + " outside ELRANGE";
    if (!addrs.emplace(e.owner.value, e.addr.value).second) return "two pages at one address";
    ++children[e.owner.value];
  }
  for (const auto& [secs, count] : children)
    if (m.child_count(EnclaveId{secs}) != count)
      return "child count of " + std::to_string(secs) + " is " + std::to_string(*m.child_count(EnclaveId{secs})) +
             ", EPCM says " + std::to_string(count);
  if (free != m.free_pages()) return "free page count disagrees";
  // The backend holds exactly the rights the EPCM gives (page_rights): every
  // EPCM change that changes them reached the Platform, and nothing stale is left.
  for (const auto& [addr, mapping] : p.mapped) {
    const EpcmEntry e = *m.epcm(EpcIndex{mapping.first});
    if (!e.valid || e.addr.value != addr || page_rights(e) != mapping.second)
      return "mapping of " + std::to_string(addr) + " disagrees with the EPCM";
  }
  for (std::uint32_t i = 0; i < m.page_count(); ++i) {
    const EpcmEntry e = *m.epcm(EpcIndex{i});
    if (page_rights(e).none()) continue;
    const auto it = p.mapped.find(e.addr.value);
    if (it == p.mapped.end() || it->second.first != i)
      return "page " + std::to_string(i) + " is accessible but the backend was never told";
  }
  return "";
}

TEST(MonitorProperty, RandomLeafSequencesKeepTheEpcmConsistent) {
  const Bytes bin = nsgx::testing::read_vector("sgx/enarx_encl.bin");
  const auto ss = identity::parse_sigstruct(nsgx::testing::read_vector("sgx/enarx_encl.ss"));
  ASSERT_TRUE(ss);
  std::array<std::uint8_t, sgx::kPageSize> page{};
  // Successful leaves per kind across all seeds: the sequences must reach
  // the interesting states, not only bounce off operand checks.
  std::map<std::string, int> ok;
  auto count = [&](const char* name, const LeafResult& r) {
    if (r) ++ok[name];
  };
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    FakePlatform p(kPages);
    Monitor m(p, {});
    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); };
    auto any_page = [&] { return EpcIndex{static_cast<std::uint32_t>(pick(kPages))}; };
    auto any_enclave = [&] { return EnclaveId{static_cast<std::uint32_t>(pick(kPages))}; };
    std::vector<EnclaveId> created;
    std::vector<std::pair<EnclaveId, LinearAddr>> changed;  // pages with something to accept
    // Mostly an enclave that was created (it may be gone since), sometimes any page.
    auto some_enclave = [&] {
      return !created.empty() && pick(10) != 0 ? created[pick(created.size())] : any_enclave();
    };
    auto any_addr = [&](EnclaveId id) { return LinearAddr{base_of(id) + pick(kSize / 4096 + 1) * 4096}; };
    struct Evicted {
      Monitor::EvictedPage page;
      EpcIndex va;
      std::uint32_t slot;
    };
    std::vector<Evicted> evicted;
    for (int step = 0; step < 400; ++step) {
      auto op = pick(16);
      if (op >= 14) op = 4;  // launches are rarer to succeed, so try them more often
      switch (op) {
        case 0: {
          sgx::Secs s{};
          const EpcIndex at = any_page();
          s.size = kSize;
          s.base_addr = base_of(EnclaveId{at.value});
          s.ssa_frame_size = 1;
          s.attributes = {sgx::attr::kMode64Bit, 3};
          if (m.ecreate(at, s, si(0))) {
            ++ok["ecreate"];
            created.push_back(EnclaveId{at.value});
          }
          break;
        }
        case 1:
        case 2: {
          // Random picks sequenced into locals: argument evaluation order
          // differs between compilers, and the sequences must not.
          const EnclaveId id = some_enclave();
          const EpcIndex at = any_page();
          const LinearAddr addr = any_addr(id);
          const std::uint64_t flags = pick(2) ? 0x203 : 0x100;
          count("eadd", m.eadd(at, id, addr, page, si(flags)));
          break;
        }
        case 3:
          (void)m.eextend(any_page(), static_cast<std::uint32_t>(pick(17) * 256));
          break;
        case 4: {
          // Launch the enarx enclave (ELRANGE 0x8000): ECREATE, six pages, EINIT.
          const EpcIndex at = any_page();
          const EnclaveId id{at.value};
          sgx::Secs s{};
          s.size = 0x8000;
          s.base_addr = base_of(id);
          s.ssa_frame_size = 1;
          s.attributes = {sgx::attr::kMode64Bit, 3};
          if (m.ecreate(at, s, si(0))) {
            ++ok["ecreate"];
            created.push_back(id);
          }
          for (std::uint32_t i = 0; i < 6; ++i) {
            std::span<const std::uint8_t, 4096> src(bin.data() + i * 4096, 4096);
            const EpcIndex pg = any_page();
            if (!m.eadd(pg, id, LinearAddr{base_of(id) + i * 4096}, src, si(i == 0 ? 0x100 : 0x207))) break;
            for (std::uint32_t c = 0; c < 16; ++c) (void)m.eextend(pg, c * 256);
          }
          count("einit", m.einit(id, *ss, nullptr));
          break;
        }
        case 5:
          count("eremove", m.eremove(any_page()));
          break;
        case 6: {
          const EnclaveId id = some_enclave();
          const LinearAddr addr = any_addr(id);
          if (m.eaug(any_page(), id, addr)) {
            ++ok["eaug"];
            changed.emplace_back(id, addr);
          }
          break;
        }
        case 7: {
          EnclaveId id = some_enclave();
          LinearAddr addr = any_addr(id);
          if (!changed.empty() && pick(5) != 0) std::tie(id, addr) = changed[pick(changed.size())];
          static constexpr std::uint64_t kFlags[] = {0x20b, 0x221, 0x223, 0x201, 0x410, 0x110, 0x207};
          count("eaccept", m.eaccept(id, addr, si(kFlags[pick(std::size(kFlags))])));
          break;
        }
        case 8:
          count("emodpr", m.emodpr(any_page(), si(pick(8))));
          break;
        case 9:
          count("emodt", m.emodt(any_page(), si(pick(2) ? 0x400 : 0x100)));
          break;
        case 10:
          count("eblock", m.eblock(any_page()));
          break;
        case 11: {
          count("etrack", m.etrack(some_enclave()));
          count("epa", m.epa(any_page()));
          break;
        }
        case 12: {
          Monitor::EvictedPage ev;
          const EpcIndex va = any_page();
          const auto slot = static_cast<std::uint32_t>(pick(4));
          const EpcIndex victim = any_page();
          auto r = m.ewb(victim, va, slot, ev);
          count("ewb", r);
          if (r) evicted.push_back({ev, va, slot});
          // Often load it right back (below), while its enclave and VA page
          // are surely still there; otherwise some later step may.
          if (!r || pick(2) == 0) break;
          [[fallthrough]];
        }
        case 13: {
          if (evicted.empty()) break;
          const auto& ev = op == 12 ? evicted.back() : evicted[pick(evicted.size())];
          const bool right_slot = op == 12 || pick(4) != 0;
          // Mostly into a free page, so that loads get past the operand checks.
          EpcIndex dst = any_page();
          if (pick(2) != 0)
            for (std::uint32_t i = 0; i < kPages; ++i)
              if (!m.epcm(EpcIndex{(dst.value + i) % kPages})->valid) {
                dst = EpcIndex{(dst.value + i) % kPages};
                break;
              }
          const EpcIndex va = right_slot ? ev.va : any_page();
          const auto slot = right_slot ? ev.slot : static_cast<std::uint32_t>(pick(4));
          count("eldu", m.eldu(dst, EnclaveId{static_cast<std::uint32_t>((ev.page.linaddr - 0x100000000ull) / kSize)},
                               va, slot, ev.page));
          break;
        }
      }
      const std::string broken = check_invariants(m, p);
      ASSERT_EQ(broken, "") << "seed " << seed << " step " << step << " op " << op;
    }
    // Teardown: every page, then every SECS and VA page, comes back.
    for (std::uint32_t i = 0; i < kPages; ++i) {
      const EpcmEntry e = *m.epcm(EpcIndex{i});
      if (e.valid && e.type != sgx::PageType::kSecs) {
        ASSERT_TRUE(m.eremove(EpcIndex{i})) << "seed " << seed;
      }
    }
    for (std::uint32_t i = 0; i < kPages; ++i) ASSERT_TRUE(m.eremove(EpcIndex{i})) << "seed " << seed;
    EXPECT_EQ(m.free_pages(), kPages) << "seed " << seed;
    EXPECT_TRUE(p.mapped.empty()) << "seed " << seed;
  }
  for (const char* name : {"ecreate", "eadd", "einit", "eremove", "eaug", "eaccept", "emodpr", "emodt", "eblock",
                           "etrack", "epa", "ewb", "eldu"})
    EXPECT_GT(ok[name], 0) << name << " never succeeded";
}

TEST(MonitorConcurrency, EnclavesAndTcssInParallel) {
  const Bytes bin = nsgx::testing::read_vector("sgx/enarx_encl.bin");
  const auto ss = identity::parse_sigstruct(nsgx::testing::read_vector("sgx/enarx_encl.ss"));
  ASSERT_TRUE(ss);
  FakePlatform p(4096);
  Monitor m(p, {});
  constexpr int kThreads = 4;
  // Each thread builds and launches its own enclave, then enters and leaves it.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const std::uint32_t first = static_cast<std::uint32_t>(t * 1000 + (round % 2) * 500);
        const EnclaveId id{first};
        sgx::Secs s{};
        s.size = 0x8000;
        s.base_addr = 0x40000000ull + static_cast<std::uint64_t>(t) * 0x100000;
        s.ssa_frame_size = 1;
        s.attributes = {sgx::attr::kMode64Bit, 3};
        bool ok = m.ecreate(EpcIndex{first}, s, si(0)).ok();
        for (std::uint32_t i = 0; ok && i < 6; ++i) {
          std::span<const std::uint8_t, 4096> src(bin.data() + i * 4096, 4096);
          ok = m.eadd(EpcIndex{first + 1 + i}, id, LinearAddr{s.base_addr + i * 4096}, src, si(i == 0 ? 0x100 : 0x207))
                   .ok();
          for (std::uint32_t c = 0; ok && c < 16; ++c) ok = m.eextend(EpcIndex{first + 1 + i}, c * 256).ok();
        }
        ok = ok && m.einit(id, *ss, nullptr).ok();
        EnterState st;
        ok = ok && m.eenter(id, LinearAddr{s.base_addr}, 0, 0, 0, 0, st).ok() &&
             m.eexit(id, LinearAddr{s.base_addr}).ok();
        for (std::uint32_t i = 0; ok && i < 6; ++i) ok = m.eremove(EpcIndex{first + 1 + i}).ok();
        ok = ok && m.eremove(EpcIndex{first}).ok();
        if (!ok) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(m.free_pages(), 4096u);
}

TEST(MonitorConcurrency, TwoTcssOfOneEnclave) {
  // Two TCSs (pages 0 and 1), each with its own SSA page, entered from two threads at once.
  FakePlatform p(64);
  Monitor m(p, {});
  const std::uint64_t base = 0x40000000;
  sgx::Secs s{};
  s.size = 0x8000;
  s.base_addr = base;
  s.ssa_frame_size = 1;
  s.attributes = {sgx::attr::kMode64Bit, 3};
  ASSERT_TRUE(m.ecreate(EpcIndex{0}, s, si(0)));
  std::array<std::uint8_t, 4096> pg{};
  identity::MeasuringBuilder mb;
  ASSERT_TRUE(mb.ecreate(1, 0x8000));
  for (std::uint32_t i = 0; i < 4; ++i) {
    pg.fill(0);
    std::uint64_t flags = 0x203;
    if (i < 2) {
      sgx::Tcs t{};
      t.ossa = 0x2000 + i * 0x1000;
      t.nssa = 1;
      t.oentry = 0x100;
      std::memcpy(pg.data(), &t, sizeof t);
      flags = 0x100;
    }
    ASSERT_TRUE(m.eadd(EpcIndex{1 + i}, EnclaveId{0}, LinearAddr{base + i * 4096}, pg, si(flags)));
    ASSERT_TRUE(mb.add_page(i * 4096, flags, pg, 0));
  }
  auto key = crypto::RsaPrivateKey::from_pem(nsgx::testing::read_text_vector("sgx/enarx_encl.pem"));
  identity::SigstructFields f;
  f.enclave_hash = mb.mrenclave();
  sgx::Sigstruct sig = identity::make_sigstruct(f);
  ASSERT_TRUE(identity::sign_sigstruct(sig, *key));
  ASSERT_TRUE(m.einit(EnclaveId{0}, sig, nullptr));
  std::atomic<int> failures{0};
  auto worker = [&](std::uint64_t tcs) {
    for (int i = 0; i < 2000; ++i) {
      EnterState st;
      if (!m.eenter(EnclaveId{0}, LinearAddr{tcs}, 0, 0, 0, 0, st) || !m.eexit(EnclaveId{0}, LinearAddr{tcs}))
        ++failures;
    }
  };
  std::thread a(worker, base), b(worker, base + 0x1000);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace nsgx::monitor
