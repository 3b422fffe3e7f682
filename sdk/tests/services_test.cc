// The SDK's trusted services end to end on real enclaves (under `nsgx
// exec`): two enclaves of one signer with different MRENCLAVEs, A and B.
// Reports carry the measured identity and verify only at their target;
// sealing follows its key policy across enclaves and processes; tampering
// is caught.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <future>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "identity/enclave_builder.h"
#include "identity/sigstruct.h"
#include "image/sdk_image.h"
#include "loaded_enclave.h"
#include "services_u.h"
#include "sgx_tseal.h"
#include "sgx_urts.h"

namespace {

using nsgx::sdk_test::Loaded;

// MRENCLAVE and MRSIGNER as the tools compute them from the signed image.
struct Identity {
  std::array<std::uint8_t, 32> mrenclave{}, mrsigner{};
};
Identity identity_of(const char* path) {
  auto img = nsgx::image::SdkImage::parse(nsgx::read_file(path).value()).value();
  nsgx::identity::MeasuringBuilder m;
  EXPECT_TRUE(img.replay(m));
  Identity id;
  id.mrenclave = m.mrenclave();
  id.mrsigner = nsgx::identity::mrsigner(img.sigstruct());
  return id;
}

std::vector<std::uint8_t> seal(sgx_enclave_id_t eid, std::uint16_t policy, const std::string& secret,
                               const std::string& aad, sgx_status_t* st_out = nullptr) {
  std::vector<std::uint8_t> blob(4096);
  std::uint32_t len = 0;
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  EXPECT_EQ(
      ecall_seal(eid, &st, policy, reinterpret_cast<const std::uint8_t*>(secret.data()),
                 static_cast<std::uint32_t>(secret.size()), reinterpret_cast<const std::uint8_t*>(aad.data()),
                 static_cast<std::uint32_t>(aad.size()), blob.data(), static_cast<std::uint32_t>(blob.size()), &len),
      SGX_SUCCESS);
  if (st_out) *st_out = st;
  EXPECT_EQ(st, SGX_SUCCESS);
  blob.resize(len);
  return blob;
}

sgx_status_t unseal(sgx_enclave_id_t eid, const std::vector<std::uint8_t>& blob, std::string* secret,
                    std::string* aad = nullptr) {
  std::vector<std::uint8_t> out(1024), a(1024);
  std::uint32_t out_len = 0, aad_len = 0;
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  EXPECT_EQ(ecall_unseal(eid, &st, blob.data(), static_cast<std::uint32_t>(blob.size()), out.data(),
                         static_cast<std::uint32_t>(out.size()), &out_len, a.data(),
                         static_cast<std::uint32_t>(a.size()), &aad_len),
            SGX_SUCCESS);
  if (st == SGX_SUCCESS) {
    secret->assign(reinterpret_cast<char*>(out.data()), out_len);
    if (aad) aad->assign(reinterpret_cast<char*>(a.data()), aad_len);
  }
  return st;
}

class Services : public ::testing::Test {
 protected:
  Loaded a{NSGX_ENCLAVE_A}, b{NSGX_ENCLAVE_B};
  void SetUp() override {
    ASSERT_EQ(a.status, SGX_SUCCESS);
    ASSERT_EQ(b.status, SGX_SUCCESS);
  }
};

TEST_F(Services, SelfReportCarriesTheMeasuredIdentity) {
  sgx_report_t r{};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_self_report(a.eid, &st, &r), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  const Identity id = identity_of(NSGX_ENCLAVE_A);
  EXPECT_EQ(0, std::memcmp(r.body.mr_enclave.m, id.mrenclave.data(), 32));
  EXPECT_EQ(0, std::memcmp(r.body.mr_signer.m, id.mrsigner.data(), 32));
  EXPECT_EQ(r.body.isv_prod_id, 7);
  EXPECT_EQ(r.body.isv_svn, 3);
  EXPECT_TRUE(r.body.attributes.flags & SGX_FLAGS_INITTED);
  EXPECT_TRUE(r.body.attributes.flags & SGX_FLAGS_DEBUG);
  EXPECT_TRUE(r.body.attributes.flags & SGX_FLAGS_MODE64BIT);
  // B: same signer, another MRENCLAVE.
  sgx_report_t rb{};
  ASSERT_EQ(ecall_self_report(b.eid, &st, &rb), SGX_SUCCESS);
  EXPECT_NE(0, std::memcmp(r.body.mr_enclave.m, rb.body.mr_enclave.m, 32));
  EXPECT_EQ(0, std::memcmp(r.body.mr_signer.m, rb.body.mr_signer.m, 32));
}

TEST_F(Services, ReportVerifiesOnlyAtItsTarget) {
  sgx_target_info_t tb{};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_self_target(b.eid, &st, &tb), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  sgx_report_data_t data{};
  std::memcpy(data.d, "nonce-1234", 10);
  sgx_report_t r{};
  ASSERT_EQ(ecall_report_for(a.eid, &st, &tb, &data, &r), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  EXPECT_EQ(0, std::memcmp(r.body.report_data.d, "nonce-1234", 10));
  ASSERT_EQ(ecall_verify(b.eid, &st, &r), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_SUCCESS);  // B verifies A's report for B
  ASSERT_EQ(ecall_verify(a.eid, &st, &r), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_MAC_MISMATCH);  // not A's to verify
  for (std::size_t off :
       {std::size_t{0}, offsetof(sgx_report_body_t, mr_enclave), offsetof(sgx_report_body_t, report_data)}) {
    sgx_report_t t = r;
    reinterpret_cast<std::uint8_t*>(&t.body)[off] ^= 1;
    ASSERT_EQ(ecall_verify(b.eid, &st, &t), SGX_SUCCESS);
    EXPECT_EQ(st, SGX_ERROR_MAC_MISMATCH) << "offset " << off;
  }
}

TEST_F(Services, KeysAreDeterministicPerRequestAndIdentity) {
  sgx_key_request_t req{};
  req.key_name = SGX_KEYSELECT_SEAL;
  req.key_policy = SGX_KEYPOLICY_MRENCLAVE;
  req.attribute_mask.flags = 0xFF0000000000000BULL;
  std::uint8_t k1[16], k2[16], kb[16];
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_get_key(a.eid, &st, &req, k1), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  ASSERT_EQ(ecall_get_key(a.eid, &st, &req, k2), SGX_SUCCESS);
  EXPECT_EQ(0, std::memcmp(k1, k2, 16));
  ASSERT_EQ(ecall_get_key(b.eid, &st, &req, kb), SGX_SUCCESS);
  EXPECT_NE(0, std::memcmp(k1, kb, 16));  // MRENCLAVE policy: another enclave, another key
  req.key_id.id[0] = 1;
  ASSERT_EQ(ecall_get_key(a.eid, &st, &req, k2), SGX_SUCCESS);
  EXPECT_NE(0, std::memcmp(k1, k2, 16));
  req.isv_svn = 4;  // newer than the enclave's ISVSVN 3
  ASSERT_EQ(ecall_get_key(a.eid, &st, &req, k2), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_INVALID_ISVSVN);
  req.isv_svn = 0;
  req.key_name = 0x77;
  ASSERT_EQ(ecall_get_key(a.eid, &st, &req, k2), SGX_SUCCESS);
  EXPECT_EQ(st, SGX_ERROR_INVALID_KEYNAME);
}

TEST_F(Services, SealingFollowsItsPolicy) {
  const std::string secret = "the launch codes", aad = "header v1";
  std::string out, out_aad;
  auto by_signer = seal(a.eid, SGX_KEYPOLICY_MRSIGNER, secret, aad);
  EXPECT_EQ(by_signer.size(), sizeof(sgx_sealed_data_t) + 9 + 16);
  const auto* blob = reinterpret_cast<const sgx_sealed_data_t*>(by_signer.data());
  EXPECT_EQ(blob->plain_text_offset, secret.size());
  EXPECT_EQ(0, std::memcmp(blob->aes_data.payload + secret.size(), aad.data(), aad.size()));   // in clear
  EXPECT_EQ(std::string::npos, std::string(by_signer.begin(), by_signer.end()).find(secret));  // not in clear
  ASSERT_EQ(unseal(a.eid, by_signer, &out, &out_aad), SGX_SUCCESS);
  EXPECT_EQ(out, secret);
  EXPECT_EQ(out_aad, aad);
  ASSERT_EQ(unseal(b.eid, by_signer, &out), SGX_SUCCESS);  // same signer
  EXPECT_EQ(out, secret);
  auto by_enclave = seal(a.eid, SGX_KEYPOLICY_MRENCLAVE, secret, "");
  ASSERT_EQ(unseal(a.eid, by_enclave, &out), SGX_SUCCESS);
  EXPECT_EQ(unseal(b.eid, by_enclave, &out), SGX_ERROR_MAC_MISMATCH);
  // Another instance of A (same MRENCLAVE) unseals it.
  Loaded a2{NSGX_ENCLAVE_A};
  ASSERT_EQ(a2.status, SGX_SUCCESS);
  ASSERT_EQ(unseal(a2.eid, by_enclave, &out), SGX_SUCCESS);
  EXPECT_EQ(out, secret);
}

TEST_F(Services, TamperedBlobsAreRefused) {
  const auto blob = seal(a.eid, SGX_KEYPOLICY_MRSIGNER, "sixteen byte msg", "aad!");
  std::string out;
  const std::size_t payload = offsetof(sgx_sealed_data_t, aes_data) + offsetof(sgx_aes_gcm_data_t, payload);
  for (std::size_t off : {payload, payload + 15, payload + 17 /* the AAD */,
                          offsetof(sgx_sealed_data_t, aes_data) + offsetof(sgx_aes_gcm_data_t, payload_tag),
                          offsetof(sgx_sealed_data_t, key_request) + offsetof(sgx_key_request_t, key_id)}) {
    auto t = blob;
    t[off] ^= 0x40;
    EXPECT_EQ(unseal(a.eid, t, &out), SGX_ERROR_MAC_MISMATCH) << "offset " << off;
  }
  auto t = blob;
  reinterpret_cast<sgx_sealed_data_t*>(t.data())->plain_text_offset = 0xffff;  // beyond the payload
  EXPECT_EQ(unseal(a.eid, t, &out), SGX_ERROR_MAC_MISMATCH);
}

TEST_F(Services, SealedDataSurvivesAnotherProcess) {
  const auto blob = seal(a.eid, SGX_KEYPOLICY_MRENCLAVE, "kept across processes", "");
  const pid_t pid = fork();
  if (pid == 0) {
    // A new process: its platform comes back from the state directory.
    Loaded again{NSGX_ENCLAVE_A};
    std::string out;
    _exit(again.status == SGX_SUCCESS && unseal(again.eid, blob, &out) == SGX_SUCCESS && out == "kept across processes"
              ? 0
              : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(Services, RandomBytes) {
  std::uint8_t x[64] = {}, y[64] = {};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_rand(a.eid, &st, x, sizeof x), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  ASSERT_EQ(ecall_rand(a.eid, &st, y, sizeof y), SGX_SUCCESS);
  EXPECT_NE(0, std::memcmp(x, y, sizeof x));
}

TEST_F(Services, SnprintfAndPrintf) {
  char out[256] = {};
  int n = 0;
  ASSERT_EQ(ecall_format(a.eid, &n, out, sizeof out), SGX_SUCCESS);
  const std::string want =
      "[-42|   42|42   |00042|+7|ff|0XFF|10|123456789012|-9000000000|77|z|str|tru|    3.14|0x1234|%|44]";
  EXPECT_EQ(std::string(out), want);
  EXPECT_EQ(n, static_cast<int>(want.size()));
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(ecall_printf(a.eid, &n, 7), SGX_SUCCESS);
  const std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(printed, "hello from the enclave, 7\n");
  EXPECT_EQ(n, 26);
}

// What C11 7.21.6.1 says "%#.Pg" prints, from the host's %e and %f: with X
// the exponent of %.(P-1)e, "%#.(P-1-X)f" if P > X >= -4, else
// "%#.(P-1)e". (glibc 2.36 drops the zeros when rounding carries into a new
// exponent: "%#g" of 999999.5 gives "1.e+06", where the standard — and
// CPython's formatter — give "1.00000e+06".)
std::string alt_g(int p, double v) {
  char buf[512];
  if (!std::isfinite(v)) {
    std::snprintf(buf, sizeof buf, "%#g", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.*e", p - 1, v);
  const int x = std::atoi(std::strchr(buf, 'e') + 1);
  if (p > x && x >= -4)
    std::snprintf(buf, sizeof buf, "%#.*f", p - 1 - x, v);
  else
    std::snprintf(buf, sizeof buf, "%#.*e", p - 1, v);
  return buf;
}

// %f %e %g (and F E G, flags, width, precision) inside the enclave print
// exactly what the host's C library prints for the same double: every digit
// exact, rounded to nearest with ties to even — for ties, subnormals, the
// extremes, carries (9.9995 -> 10.000), and random bit patterns.
TEST_F(Services, FloatingConversionsMatchTheHostLibrary) {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.1,
                                0.5,
                                1.5,
                                2.5,
                                0.125,
                                0.375,
                                2.675,
                                -2.675,
                                9.9995,
                                9.9999996,
                                99.5,
                                999999.5,
                                1e-5,
                                1e-4,
                                0.0001234,
                                123456.0,
                                1234567.0,
                                1e15,
                                1e21,
                                1e22,
                                1e23,
                                3.141592653589793,
                                6.02214076e23,
                                1e-300,
                                5e-324,
                                2.2250738585072014e-308,
                                1.7976931348623157e308,
                                4503599627370496.5,
                                9007199254740993.0,
                                0.3,
                                1.0 / 3.0,
                                __builtin_inf(),
                                -__builtin_inf(),
                                __builtin_nan(""),
                                -__builtin_nan("")};
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    double d;
    std::memcpy(&d, &x, sizeof d);
    values.push_back(d);                                                                     // any bit pattern
    values.push_back(static_cast<double>(x >> 11) / static_cast<double>(1ull << (x % 50)));  // a "plain" number
  }
  const char* formats[] = {"%f",    "%.0f",   "%.1f",     "%.3f",    "%.17f", "%.40f", "%F",   "%#.0f", "%+f",
                           "% f",   "%12.3f", "%-12.3f|", "%012.4f", "%e",    "%.0e",  "%.3e", "%E",    "%.20e",
                           "%#.0e", "%+.2e",  "%015.3e",  "%g",      "%.0g",  "%.1g",  "%.3g", "%.10g", "%.17g",
                           "%G",    "%#g",    "%#.3g",    "%-10g|",  "%+g",   "%010g"};
  int checked = 0, mismatches = 0;
  for (const char* f : formats)
    for (double v : values) {
      char want[2048], got[2048] = {};
      int want_n = std::snprintf(want, sizeof want, f, v);
      if (std::strcmp(f, "%#g") == 0 || std::strcmp(f, "%#.3g") == 0) {
        const std::string w = alt_g(f[2] == '.' ? 3 : 6, v);
        std::snprintf(want, sizeof want, "%s", w.c_str());
        want_n = static_cast<int>(w.size());
      }
      int got_n = -1;
      ASSERT_EQ(ecall_format_double(a.eid, &got_n, f, v, got, sizeof got), SGX_SUCCESS);
      ++checked;
      if (std::string(got) != want || got_n != want_n) {
        if (++mismatches <= 20)
          ADD_FAILURE() << f << " of " << std::hexfloat << v << ": enclave '" << got << "', host '" << want << "'";
      }
    }
  EXPECT_EQ(mismatches, 0) << "of " << checked;
  // The longest: every digit of the smallest subnormal, and of the largest double.
  for (const auto& [f, v] : std::vector<std::pair<const char*, double>>{
           {"%.1074f", 5e-324}, {"%.0f", 1.7976931348623157e308}, {"%.760e", 5e-324}}) {
    char want[2048], got[2048] = {};
    std::snprintf(want, sizeof want, f, v);
    int n = -1;
    ASSERT_EQ(ecall_format_double(a.eid, &n, f, v, got, sizeof got), SGX_SUCCESS);
    EXPECT_EQ(std::string(got), want) << f;
  }
  char got[64] = {};
  int len = -1;
  ASSERT_EQ(ecall_format_double(a.eid, &len, "%#g", 999999.5, got, sizeof got), SGX_SUCCESS);
  EXPECT_EQ(std::string(got), "1.00000e+06");
  // Truncation: the length it would have had, and a terminated prefix.
  char small[8] = {};
  int n = -1;
  ASSERT_EQ(ecall_format_double(a.eid, &n, "%.6e", 12345.678, small, sizeof small), SGX_SUCCESS);
  EXPECT_EQ(n, 12);
  EXPECT_EQ(std::string(small), "1.23456");
}

TEST_F(Services, MutexAndConditionVariableAcrossThreads) {
  int r = -1;
  ASSERT_EQ(ecall_mutex_errors(a.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 0);
  int r1 = -1, r2 = -1;
  std::thread t1([&] { EXPECT_EQ(ecall_mutex_add(a.eid, &r1, 20000), SGX_SUCCESS); });
  std::thread t2([&] { EXPECT_EQ(ecall_mutex_add(a.eid, &r2, 20000), SGX_SUCCESS); });
  t1.join();
  t2.join();
  EXPECT_EQ(r1, 0);
  EXPECT_EQ(r2, 0);
  ASSERT_EQ(ecall_mutex_total(a.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 40000);  // no update lost
  // A waiter sleeps (outside, on its untrusted event) until another thread signals.
  int got = -1;
  std::thread waiter([&] { EXPECT_EQ(ecall_cond_wait_for(a.eid, &got, 1), SGX_SUCCESS); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(ecall_cond_set(a.eid, &r, 1), SGX_SUCCESS);
  waiter.join();
  EXPECT_EQ(got, 1);
}

// A crash never hangs anyone: a thread asleep on its untrusted event (in an
// OCALL of the enclave) returns SGX_ERROR_ENCLAVE_CRASHED when another
// thread's exception crashes the enclave, instead of waiting for a signal
// that can never come; with NSGX_DEBUG the fault is described.
TEST_F(Services, CrashWakesEveryWaiter) {
  std::promise<sgx_status_t> result;
  auto done = result.get_future();
  int got = -1;
  std::thread waiter([&] { result.set_value(ecall_cond_wait_for(a.eid, &got, 1)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // asleep by now, or it finds the enclave crashed
  setenv("NSGX_DEBUG", "1", 1);
  ::testing::internal::CaptureStderr();
  int r = -1;
  EXPECT_EQ(ecall_crash(a.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);
  const std::string said = ::testing::internal::GetCapturedStderr();
  unsetenv("NSGX_DEBUG");
  if (done.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "the waiter still hangs 20 s after the crash";
    std::fflush(stdout);
    std::_Exit(1);  // it can never be joined
  }
  waiter.join();
  EXPECT_EQ(done.get(), SGX_ERROR_ENCLAVE_CRASHED);
  EXPECT_NE(said.find("crashed: #UD (vector 6)"), std::string::npos) << said;
  if (std::getenv("NSGX_BACKEND") == nullptr) {  // isolated: the debug enclave's RIP, relative to its base
    EXPECT_NE(said.find("rip = base + 0x"), std::string::npos) << said;
  }
  // Later calls fail at once; the other enclave is untouched.
  EXPECT_EQ(ecall_mutex_total(a.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);
  EXPECT_EQ(ecall_mutex_total(b.eid, &r), SGX_SUCCESS);
}

TEST_F(Services, BuiltinTstdcOcalls) {
  int regs[4] = {};
  sgx_status_t st = SGX_ERROR_UNEXPECTED;
  ASSERT_EQ(ecall_cpuid(a.eid, &st, 0, regs), SGX_SUCCESS);
  ASSERT_EQ(st, SGX_SUCCESS);
  unsigned ea = 0, eb = 0, ec = 0, ed = 0;
  __asm__ volatile("cpuid" : "=a"(ea), "=b"(eb), "=c"(ec), "=d"(ed) : "a"(0), "c"(0));
  EXPECT_EQ(static_cast<unsigned>(regs[1]), eb);  // the vendor string, as the host sees it
  EXPECT_EQ(static_cast<unsigned>(regs[2]), ec);
  int r = -1;
  ASSERT_EQ(ecall_events(a.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 0);
}

}  // namespace
