// The SGX SDK surface beyond the basics, end to end on real enclaves: two
// enclaves of one signer with different MRENCLAVEs (A: ProdID 11, ISVSVN 1;
// B: ProdID 12, ISVSVN 2). sgx_tcrypto against known answers, sgx_dh
// sessions between A and B (and tampering with every message), spin locks
// under contention, and the untrusted extensions: sgx_create_enclave_ex,
// _from_buffer_ex, sgx_get_target_info, sgx_get_metadata, sgx_is_capable,
// the timed untrusted-event wait.
#include <cpuid.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "crypto/ecdh.h"
#include "crypto/sha.h"
#include "crypto/symmetric.h"
#include "loaded_enclave.h"
#include "sdkapi_u.h"
#include "sgx_capable.h"
#include "sgx_metadata.h"
#include "sgx_urts.h"
#include "sgx_uswitchless.h"

extern "C" int sgx_thread_wait_untrusted_event_timeout_ocall(const void* self, long tv_sec, long tv_nsec, int* err);
extern "C" int sgx_thread_set_untrusted_event_ocall(const void* waiter);

namespace {

using nsgx::sdk_test::Loaded;

struct Pair : ::testing::Test {
  Loaded a{NSGX_SDKAPI_A};
  Loaded b{NSGX_SDKAPI_B};
  void SetUp() override {
    ASSERT_EQ(a.status, SGX_SUCCESS);
    ASSERT_EQ(b.status, SGX_SUCCESS);
  }
  static sgx_report_t self(sgx_enclave_id_t eid) {
    sgx_report_t r{};
    sgx_status_t st = SGX_ERROR_UNEXPECTED;
    EXPECT_EQ(ecall_self_report(eid, &st, &r), SGX_SUCCESS);
    EXPECT_EQ(st, SGX_SUCCESS);
    return r;
  }
};

TEST_F(Pair, CryptoKnownAnswers) {
  int failed = -1;
  ASSERT_EQ(ecall_crypto_kat(a.eid, &failed), SGX_SUCCESS);
  EXPECT_EQ(failed, 0) << "the enclave's check number " << failed << " failed (sdkapi_enclave.c)";
}

TEST_F(Pair, TrustedLibcStringAdditions) {
  int failed = -1;
  ASSERT_EQ(ecall_tlibc_string(a.eid, &failed), SGX_SUCCESS);
  EXPECT_EQ(failed, 0) << "check " << failed << " in ecall_tlibc_string";
}

TEST_F(Pair, SecureAlignAndAexNotify) {
  int failed = -1;
  ASSERT_EQ(ecall_secure_align_aex(a.eid, &failed), SGX_SUCCESS);
  EXPECT_EQ(failed, 0) << "check " << failed << " in ecall_secure_align_aex";
}

TEST_F(Pair, CryptoRsa) {
  int failed = -1;
  ASSERT_EQ(ecall_crypto_rsa(a.eid, &failed), SGX_SUCCESS);
  EXPECT_EQ(failed, 0) << "the enclave's check number " << failed << " failed (sdkapi_enclave.c)";
}

// One DH session, `init` the initiator and `resp` the responder; the
// messages pass through `tamper` on their way.
struct Session {
  sgx_dh_msg1_t m1{};
  sgx_dh_msg2_t m2{};
  sgx_dh_msg3_t m3{};
  sgx_dh_session_enclave_identity_t seen_by_resp{}, seen_by_init{};
  sgx_status_t st1 = SGX_ERROR_UNEXPECTED, st2 = SGX_ERROR_UNEXPECTED, st3 = SGX_ERROR_UNEXPECTED,
               st4 = SGX_ERROR_UNEXPECTED;
};

Session run_session(sgx_enclave_id_t init, sgx_enclave_id_t resp, void (*tamper2)(sgx_dh_msg2_t&) = nullptr,
                    void (*tamper3)(sgx_dh_msg3_t&) = nullptr) {
  Session s;
  EXPECT_EQ(ecall_dh_responder_msg1(resp, &s.st1, &s.m1), SGX_SUCCESS);
  if (s.st1 != SGX_SUCCESS) return s;
  EXPECT_EQ(ecall_dh_initiator_msg1(init, &s.st2, &s.m1, &s.m2), SGX_SUCCESS);
  if (s.st2 != SGX_SUCCESS) return s;
  if (tamper2) tamper2(s.m2);
  EXPECT_EQ(ecall_dh_responder_msg2(resp, &s.st3, &s.m2, &s.m3, &s.seen_by_resp), SGX_SUCCESS);
  if (s.st3 != SGX_SUCCESS) return s;
  if (tamper3) tamper3(s.m3);
  EXPECT_EQ(ecall_dh_initiator_msg3(init, &s.st4, &s.m3, &s.seen_by_init), SGX_SUCCESS);
  return s;
}

std::array<std::uint8_t, 16> aek_proof(sgx_enclave_id_t eid, sgx_status_t* st) {
  std::array<std::uint8_t, 16> mac{};
  EXPECT_EQ(ecall_dh_aek_proof(eid, st, mac.data()), SGX_SUCCESS);
  return mac;
}

TEST_F(Pair, DhSessionDerivesOneKeyAndTheRightIdentities) {
  for (int dir = 0; dir < 2; ++dir) {
    const sgx_enclave_id_t init = dir == 0 ? a.eid : b.eid, resp = dir == 0 ? b.eid : a.eid;
    const Session s = run_session(init, resp);
    ASSERT_EQ(s.st1, SGX_SUCCESS);
    ASSERT_EQ(s.st2, SGX_SUCCESS);
    ASSERT_EQ(s.st3, SGX_SUCCESS);
    ASSERT_EQ(s.st4, SGX_SUCCESS);
    sgx_status_t pi = SGX_ERROR_UNEXPECTED, pr = SGX_ERROR_UNEXPECTED;
    const auto proof_i = aek_proof(init, &pi), proof_r = aek_proof(resp, &pr);
    ASSERT_EQ(pi, SGX_SUCCESS);
    ASSERT_EQ(pr, SGX_SUCCESS);
    EXPECT_EQ(proof_i, proof_r) << "both sides must hold the same AEK";
    // Each side learned the other's identity, as EREPORT states it.
    const sgx_report_t ri = self(init), rr = self(resp);
    EXPECT_EQ(0, std::memcmp(&s.seen_by_resp.mr_enclave, &ri.body.mr_enclave, 32));
    EXPECT_EQ(0, std::memcmp(&s.seen_by_resp.mr_signer, &ri.body.mr_signer, 32));
    EXPECT_EQ(s.seen_by_resp.isv_prod_id, ri.body.isv_prod_id);
    EXPECT_EQ(s.seen_by_resp.isv_svn, ri.body.isv_svn);
    EXPECT_EQ(0, std::memcmp(&s.seen_by_init.mr_enclave, &rr.body.mr_enclave, 32));
    EXPECT_EQ(s.seen_by_init.isv_prod_id, rr.body.isv_prod_id);
    EXPECT_EQ(s.seen_by_init.isv_svn, rr.body.isv_svn);
    EXPECT_EQ(s.seen_by_resp.isv_prod_id, dir == 0 ? 11 : 12);
    EXPECT_EQ(s.seen_by_init.isv_prod_id, dir == 0 ? 12 : 11);
    EXPECT_NE(0, std::memcmp(&s.seen_by_init.mr_enclave, &s.seen_by_resp.mr_enclave, 32));
  }
  // A second session gives a fresh key.
  const Session s1 = run_session(a.eid, b.eid);
  ASSERT_EQ(s1.st4, SGX_SUCCESS);
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  const auto k1 = aek_proof(a.eid, &st);
  const Session s2 = run_session(a.eid, b.eid);
  ASSERT_EQ(s2.st4, SGX_SUCCESS);
  EXPECT_NE(k1, aek_proof(a.eid, &st));
}

TEST_F(Pair, DhTamperedMessagesFail) {
  // The SDK's errors: a failed check is SGX_ERROR_UNEXPECTED; a changed
  // KDF-ID SGX_ERROR_KDF_MISMATCH. No key results.
  struct Case {
    const char* what;
    void (*t2)(sgx_dh_msg2_t&);
    void (*t3)(sgx_dh_msg3_t&);
    sgx_status_t want2, want3;
  } cases[] = {
      {"msg2 g_b", [](sgx_dh_msg2_t& m) { m.g_b.gx[3] ^= 1; }, nullptr, SGX_ERROR_UNEXPECTED, SGX_SUCCESS},
      {"msg2 cmac", [](sgx_dh_msg2_t& m) { m.cmac[0] ^= 1; }, nullptr, SGX_ERROR_UNEXPECTED, SGX_SUCCESS},
      {"msg2 report body", [](sgx_dh_msg2_t& m) { m.report.body.isv_svn ^= 1; }, nullptr, SGX_ERROR_UNEXPECTED,
       SGX_SUCCESS},
      {"msg2 report mac", [](sgx_dh_msg2_t& m) { m.report.mac[2] ^= 1; }, nullptr, SGX_ERROR_UNEXPECTED, SGX_SUCCESS},
      {"msg2 kdf id", [](sgx_dh_msg2_t& m) { m.report.body.report_data.d[32] ^= 1; }, nullptr, SGX_ERROR_KDF_MISMATCH,
       SGX_SUCCESS},
      {"msg3 cmac", nullptr, [](sgx_dh_msg3_t& m) { m.cmac[15] ^= 1; }, SGX_SUCCESS, SGX_ERROR_UNEXPECTED},
      {"msg3 report", nullptr, [](sgx_dh_msg3_t& m) { m.msg3_body.report.body.report_data.d[0] ^= 1; }, SGX_SUCCESS,
       SGX_ERROR_UNEXPECTED},
      {"msg3 length", nullptr, [](sgx_dh_msg3_t& m) { m.msg3_body.additional_prop_length = 0x7fffffff; }, SGX_SUCCESS,
       SGX_ERROR_INVALID_PARAMETER},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Session s = run_session(a.eid, b.eid, c.t2, c.t3);
    ASSERT_EQ(s.st2, SGX_SUCCESS);
    EXPECT_EQ(s.st3, c.want2);
    if (c.want2 != SGX_SUCCESS) {
      sgx_status_t st = SGX_SUCCESS;
      aek_proof(b.eid, &st);
      EXPECT_EQ(st, SGX_ERROR_INVALID_STATE) << "no AEK after a failed msg2";
      // The failed session is over and wiped (its role too, as the SDK's):
      // the untampered msg2 is refused now.
      Session again = s;
      sgx_status_t st3 = SGX_SUCCESS;
      ASSERT_EQ(ecall_dh_responder_msg2(b.eid, &st3, &again.m2, &again.m3, &again.seen_by_resp), SGX_SUCCESS);
      EXPECT_EQ(st3, SGX_ERROR_INVALID_PARAMETER);
      continue;
    }
    EXPECT_EQ(s.st4, c.want3);
    sgx_status_t st = SGX_SUCCESS;
    aek_proof(a.eid, &st);
    EXPECT_EQ(st, SGX_ERROR_INVALID_STATE) << "no AEK after a failed msg3";
  }
  // Afterwards both enclaves still complete a session.
  EXPECT_EQ(run_session(a.eid, b.eid).st4, SGX_SUCCESS);
}

TEST_F(Pair, DhMessageForAnotherEnclaveFails) {
  // msg2 from a session with B as responder, replayed to A's own responder
  // session: its REPORT targets B, so A cannot verify it (and its keys differ).
  Session s;
  ASSERT_EQ(ecall_dh_responder_msg1(b.eid, &s.st1, &s.m1), SGX_SUCCESS);
  ASSERT_EQ(ecall_dh_initiator_msg1(a.eid, &s.st2, &s.m1, &s.m2), SGX_SUCCESS);
  ASSERT_EQ(s.st2, SGX_SUCCESS);
  sgx_dh_msg1_t other{};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_dh_responder_msg1(a.eid, &st, &other), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  ASSERT_EQ(ecall_dh_responder_msg2(a.eid, &st, &s.m2, &s.m3, &s.seen_by_resp), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_UNEXPECTED);
  ASSERT_EQ(ecall_dh_out_of_order(a.eid, &st), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_INVALID_STATE);
}

// The application as a man in the middle: it runs the initiator's side
// itself (its own ECDH key, so it knows SMK and can MAC anything) and
// presents a REPORT that A, a genuine enclave, made. B must refuse both a
// REPORT whose REPORTDATA the attacker rewrote to bind its keys (its MAC no
// longer verifies) and the untouched REPORT (it does not bind the keys).
TEST_F(Pair, DhApplicationInTheMiddleIsRefused) {
  for (const bool rewrite : {true, false}) {
    SCOPED_TRACE(rewrite ? "rewritten REPORTDATA" : "genuine REPORT");
    sgx_dh_msg1_t m1{};
    sgx_status_t st = SGX_ERROR_UNEXPECTED;
    ASSERT_EQ(ecall_dh_responder_msg1(b.eid, &st, &m1), SGX_SUCCESS);
    ASSERT_EQ(st, SGX_SUCCESS);
    auto mine = nsgx::crypto::EcdhP256::generate();
    ASSERT_TRUE(mine);
    const nsgx::Bytes point = mine->public_point();  // 04 || x || y, big-endian
    sgx_dh_msg2_t m2{};
    for (int i = 0; i < 32; ++i) {
      m2.g_b.gx[i] = point[static_cast<std::size_t>(32 - i)];
      m2.g_b.gy[i] = point[static_cast<std::size_t>(64 - i)];
    }
    nsgx::Bytes peer(65);
    peer[0] = 4;
    for (int i = 0; i < 32; ++i) {
      peer[static_cast<std::size_t>(1 + i)] = m1.g_a.gx[31 - i];
      peer[static_cast<std::size_t>(33 + i)] = m1.g_a.gy[31 - i];
    }
    auto z = mine->derive(peer);
    ASSERT_TRUE(z);
    nsgx::Bytes z_le(z->rbegin(), z->rend());
    const auto kdk = nsgx::crypto::aes128_cmac(nsgx::crypto::Key128{}, z_le);
    ASSERT_TRUE(kdk);
    const std::uint8_t label[] = {1, 'S', 'M', 'K', 0, 0x80, 0};
    const auto smk = nsgx::crypto::aes128_cmac(*kdk, label);
    ASSERT_TRUE(smk);
    ASSERT_EQ(ecall_report_for(a.eid, &st, &m1.target, &m2.report), SGX_SUCCESS);
    ASSERT_EQ(st, SGX_SUCCESS);
    if (rewrite) {
      nsgx::Bytes keys(m1.g_a.gx, m1.g_a.gx + 64);
      keys.insert(keys.end(), m2.g_b.gx, m2.g_b.gx + 64);
      const auto h = nsgx::crypto::sha256(keys);
      std::memcpy(m2.report.body.report_data.d, h.data(), 32);
      m2.report.body.report_data.d[32] = 1;
    }
    const auto mac = nsgx::crypto::aes128_cmac(
        *smk, nsgx::ByteSpan(reinterpret_cast<const std::uint8_t*>(&m2.report), sizeof m2.report));
    ASSERT_TRUE(mac);
    std::memcpy(m2.cmac, mac->data(), 16);
    sgx_dh_msg3_t m3{};
    sgx_dh_session_enclave_identity_t id{};
    ASSERT_EQ(ecall_dh_responder_msg2(b.eid, &st, &m2, &m3, &id), SGX_SUCCESS);
    EXPECT_EQ(st, rewrite ? SGX_ERROR_UNEXPECTED : SGX_ERROR_KDF_MISMATCH);
    aek_proof(b.eid, &st);
    EXPECT_EQ(st, SGX_ERROR_INVALID_STATE) << "B must hold no session key";
  }
}

TEST_F(Pair, SpinLockExcludesConcurrentThreads) {
  constexpr int kThreads = 4, kIterations = 200000;
  std::vector<std::thread> threads;
  std::vector<sgx_status_t> status(kThreads, SGX_ERROR_UNEXPECTED);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back(
        [&, t] { status[static_cast<std::size_t>(t)] = ecall_spin_add(a.eid, kThreads, kIterations); });
  for (auto& th : threads) th.join();
  for (sgx_status_t st : status) ASSERT_EQ(st, SGX_SUCCESS);
  long total = 0;
  ASSERT_EQ(ecall_spin_total(a.eid, &total), SGX_SUCCESS);
  EXPECT_EQ(total, long{kThreads} * kIterations) << "updates were lost: the lock did not exclude";
}

TEST_F(Pair, CpuidThroughTheApplication) {
  int regs[4] = {};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_cpuid(a.eid, &st, 0, regs), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  unsigned x[4] = {};
  __cpuid_count(0, 0, x[0], x[1], x[2], x[3]);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<unsigned>(regs[i]), x[i]);
}

TEST_F(Pair, TargetInfoNamesTheEnclave) {
  sgx_target_info_t tb{};
  ASSERT_EQ(sgx_get_target_info(b.eid, &tb), SGX_SUCCESS);
  const sgx_report_t rb = self(b.eid);
  EXPECT_EQ(0, std::memcmp(&tb.mr_enclave, &rb.body.mr_enclave, 32));
  EXPECT_EQ(tb.attributes.flags, rb.body.attributes.flags);
  EXPECT_EQ(tb.attributes.xfrm, rb.body.attributes.xfrm);
  EXPECT_EQ(tb.misc_select, rb.body.misc_select);
  // A's report for that target verifies in B, and not in A.
  sgx_report_t r{};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_report_for(a.eid, &st, &tb, &r), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  ASSERT_EQ(ecall_verify_report(b.eid, &st, &r), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_SUCCESS);
  ASSERT_EQ(ecall_verify_report(a.eid, &st, &r), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_MAC_MISMATCH);
  EXPECT_EQ(sgx_get_target_info(0xdead, &tb), SGX_ERROR_INVALID_ENCLAVE_ID);
  EXPECT_EQ(sgx_get_target_info(b.eid, nullptr), SGX_ERROR_INVALID_PARAMETER);
}

sgx_status_t create_ex(const char* path, uint32_t features, const void* configs[32], sgx_enclave_id_t* eid) {
  return sgx_create_enclave_ex(path, 1, nullptr, nullptr, eid, nullptr, features, configs);
}

TEST(SdkApi, CreateEnclaveExFeatures) {
  const void* none[32] = {};
  sgx_enclave_id_t eid = 0;
  ASSERT_EQ(create_ex(NSGX_SDKAPI_A, 0, none, &eid), SGX_SUCCESS);
  long total = -1;
  EXPECT_EQ(ecall_spin_total(eid, &total), SGX_SUCCESS);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
  ASSERT_EQ(create_ex(NSGX_SDKAPI_A, 0, nullptr, &eid), SGX_SUCCESS);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);

  // Switchless (its calls: switchless_test.cc): accepted; more workers
  // than the runtime allows is refused.
  sgx_uswitchless_config_t us = SGX_USWITCHLESS_CONFIG_INITIALIZER;
  const void* sl[32] = {};
  sl[SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX] = &us;
  ASSERT_EQ(create_ex(NSGX_SDKAPI_A, SGX_CREATE_ENCLAVE_EX_SWITCHLESS, sl, &eid), SGX_SUCCESS);
  EXPECT_EQ(ecall_spin_total(eid, &total), SGX_SUCCESS);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
  us.num_tworkers = 65;
  EXPECT_EQ(create_ex(NSGX_SDKAPI_A, SGX_CREATE_ENCLAVE_EX_SWITCHLESS, sl, &eid), SGX_ERROR_INVALID_PARAMETER);
  // PCL: not available, the SDK's "feature not supported".
  EXPECT_EQ(create_ex(NSGX_SDKAPI_A, SGX_CREATE_ENCLAVE_EX_PCL, none, &eid), SGX_ERROR_FEATURE_NOT_SUPPORTED);
  // KSS for an enclave not signed with ATTRIBUTES.KSS.
  sgx_kss_config_t kss{};
  kss.config_svn = 5;
  const void* k[32] = {};
  k[SGX_CREATE_ENCLAVE_EX_KSS_BIT_IDX] = &kss;
  EXPECT_EQ(create_ex(NSGX_SDKAPI_A, SGX_CREATE_ENCLAVE_EX_KSS, k, &eid), SGX_ERROR_FEATURE_NOT_SUPPORTED);
  // Malformed requests.
  EXPECT_EQ(create_ex(NSGX_SDKAPI_A, 1u << 5, none, &eid), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create_ex(NSGX_SDKAPI_A, 0, k, &eid), SGX_ERROR_INVALID_PARAMETER);  // a config without its bit
  EXPECT_EQ(create_ex(NSGX_SDKAPI_A, SGX_CREATE_ENCLAVE_EX_KSS, none, &eid), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create_ex(nullptr, 0, none, &eid), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create_ex("/nonexistent/enclave.signed.so", 0, none, &eid), SGX_ERROR_ENCLAVE_FILE_ACCESS);
  // And the runtime still works.
  ASSERT_EQ(create_ex(NSGX_SDKAPI_B, 0, none, &eid), SGX_SUCCESS);
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);
}

TEST(SdkApi, CreateFromBufferAndMetadata) {
  auto file = nsgx::read_file(NSGX_SDKAPI_B);
  ASSERT_TRUE(file);
  sgx_enclave_id_t eid = 0;
  sgx_misc_attribute_t misc{};
  ASSERT_EQ(sgx_create_enclave_from_buffer_ex(file->data(), file->size(), 1, &eid, &misc, 0, nullptr), SGX_SUCCESS);
  EXPECT_NE(misc.secs_attr.flags & SGX_FLAGS_DEBUG, 0u);
  sgx_target_info_t ti{};
  ASSERT_EQ(sgx_get_target_info(eid, &ti), SGX_SUCCESS);

  metadata_t* md = new metadata_t;
  ASSERT_EQ(sgx_get_metadata(NSGX_SDKAPI_B, md), SGX_SUCCESS);
  EXPECT_EQ(md->magic_num, METADATA_MAGIC);
  EXPECT_EQ(0, std::memcmp(md->enclave_css.body.enclave_hash.m, ti.mr_enclave.m, 32))
      << "the metadata's ENCLAVEHASH is the loaded enclave's MRENCLAVE";
  EXPECT_EQ(md->enclave_css.body.isv_prod_id, 12);
  EXPECT_EQ(md->enclave_css.body.isv_svn, 2);
  EXPECT_EQ(md->enclave_size & (md->enclave_size - 1), 0u);
  EXPECT_EQ(sgx_get_metadata("/nonexistent", md), SGX_ERROR_ENCLAVE_FILE_ACCESS);
  EXPECT_EQ(sgx_get_metadata(NSGX_SDKAPI_B, nullptr), SGX_ERROR_INVALID_PARAMETER);
  delete md;
  EXPECT_EQ(sgx_destroy_enclave(eid), SGX_SUCCESS);

  // A corrupted image is refused and nothing else changes.
  std::vector<std::uint8_t> bad(*file);
  std::memset(bad.data(), 0, 64);  // no ELF header
  EXPECT_EQ(sgx_create_enclave_from_buffer_ex(bad.data(), bad.size(), 1, &eid, nullptr, 0, nullptr),
            SGX_ERROR_INVALID_ENCLAVE);
  EXPECT_EQ(sgx_create_enclave_from_buffer_ex(nullptr, 10, 1, &eid, nullptr, 0, nullptr), SGX_ERROR_INVALID_PARAMETER);
}

TEST(SdkApi, Capable) {
  int capable = 0;
  EXPECT_EQ(sgx_is_capable(&capable), SGX_SUCCESS);
  EXPECT_EQ(capable, 1);
  sgx_device_status_t dev = SGX_DISABLED;
  EXPECT_EQ(sgx_cap_get_status(&dev), SGX_SUCCESS);
  EXPECT_EQ(dev, SGX_ENABLED);
  EXPECT_EQ(sgx_is_capable(nullptr), SGX_ERROR_INVALID_PARAMETER);
  // The hardware backend where there is no SGX device: not capable.
  const char* backend = std::getenv("NSGX_BACKEND");
  if (backend == nullptr && access("/dev/sgx_enclave", F_OK) != 0) {
    setenv("NSGX_BACKEND", "sgx", 1);
    capable = 1;
    EXPECT_EQ(sgx_is_capable(&capable), SGX_SUCCESS);
    EXPECT_EQ(capable, 0);
    EXPECT_EQ(sgx_cap_get_status(&dev), SGX_SUCCESS);
    EXPECT_EQ(dev, SGX_DISABLED);
    unsetenv("NSGX_BACKEND");
  }
}

TEST(SdkApi, UntrustedEventWaitTimesOut) {
  static int self_a, self_b;
  int err = -1;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sgx_thread_wait_untrusted_event_timeout_ocall(&self_a, 0, 50'000'000, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50)) << "returned before the timeout";
  // A set event is consumed at once, without waiting.
  EXPECT_EQ(sgx_thread_set_untrusted_event_ocall(&self_a), 0);
  err = -1;
  EXPECT_EQ(sgx_thread_wait_untrusted_event_timeout_ocall(&self_a, 10, 0, &err), 0);
  EXPECT_EQ(err, 0);
  // A setter on another thread wakes the waiter before its timeout.
  std::thread setter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sgx_thread_set_untrusted_event_ocall(&self_b);
  });
  err = -1;
  EXPECT_EQ(sgx_thread_wait_untrusted_event_timeout_ocall(&self_b, 30, 0, &err), 0);
  EXPECT_EQ(err, 0);
  setter.join();
  // Bad timeouts.
  EXPECT_EQ(sgx_thread_wait_untrusted_event_timeout_ocall(&self_a, -1, 0, &err), -1);
  EXPECT_EQ(err, EINVAL);
  EXPECT_EQ(sgx_thread_wait_untrusted_event_timeout_ocall(&self_a, 0, 1'000'000'000, &err), -1);
  EXPECT_EQ(err, EINVAL);
  EXPECT_EQ(sgx_thread_wait_untrusted_event_timeout_ocall(nullptr, 0, 1, &err), -1);
}

}  // namespace
