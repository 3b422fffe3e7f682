// The bridges nsgx-edger8r generates for testdata/marshal.edl, exercised
// end to end: the untrusted proxies and OCALL bridges here, the trusted
// bridges, OCALL proxies and marshal_trusted.c on the other side. Built
// twice: with NSGX_FAKE_URTS against a stand-in trusted runtime in a
// separately loaded object (fake_trts.c), and (sdk/tests) against a real
// enclave loaded by the untrusted runtime under `nsgx exec`. Checks the
// SDK's marshalling semantics: copies in and out, zeroed out-buffers,
// string lengths, pointer checks on both sides, overflow checks, ECALL
// permissions, errno propagation.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <cwchar>

#include "marshal_u.h"
#ifndef NSGX_FAKE_URTS
#include "sgx_urts.h"
#endif

namespace {

sgx_enclave_id_t g_eid = 1;

#ifdef NSGX_FAKE_URTS

using OcallDispatch = sgx_status_t (*)(unsigned, void*);
using TrtsEcall = sgx_status_t (*)(int, void*, OcallDispatch);

struct OcallTable {
  std::size_t nr_ocall;
  void* table[1];
};
const OcallTable* g_table = nullptr;

sgx_status_t dispatch(unsigned index, void* ms) {
  if (index >= g_table->nr_ocall) return SGX_ERROR_INVALID_FUNCTION;
  return reinterpret_cast<sgx_status_t (*)(void*)>(g_table->table[index])(ms);
}

struct Trusted {
  void* handle = dlopen(NSGX_TRUSTED_SO, RTLD_NOW | RTLD_LOCAL);
  TrtsEcall ecall = handle ? reinterpret_cast<TrtsEcall>(dlsym(handle, "fake_trts_ecall")) : nullptr;
  void* (*inside)() = handle ? reinterpret_cast<void* (*)()>(dlsym(handle, "fake_trts_inside")) : nullptr;
};
Trusted& trusted() {
  static Trusted t;
  return t;
}

#else
// The real enclave, loaded once for every test.
class EnclaveEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    int updated = 0;
    sgx_launch_token_t token{};
    sgx_misc_attribute_t misc{};
    ASSERT_EQ(sgx_create_enclave(NSGX_SIGNED_ENCLAVE, 1, &token, &updated, &g_eid, &misc), SGX_SUCCESS);
    EXPECT_TRUE(misc.secs_attr.flags & SGX_FLAGS_DEBUG);
  }
  void TearDown() override { EXPECT_EQ(sgx_destroy_enclave(g_eid), SGX_SUCCESS); }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EnclaveEnvironment);
#endif

int g_naked_ocalls = 0;

void* enclave_address() {
  std::uint64_t a = 0;
  EXPECT_EQ(ecall_enclave_address(g_eid, &a), SGX_SUCCESS);
  return reinterpret_cast<void*>(a);
}

}  // namespace

#ifdef NSGX_FAKE_URTS
// The untrusted runtime's entry point, as the generated proxies call it.
extern "C" sgx_status_t sgx_ecall(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms) {
  if (eid != 1) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (trusted().ecall == nullptr) return SGX_ERROR_INVALID_ENCLAVE;
  const OcallTable* saved = g_table;
  g_table = static_cast<const OcallTable*>(ocall_table);
  const sgx_status_t r = trusted().ecall(index, ms, dispatch);
  g_table = saved;
  return r;
}
extern "C" void* nsgx_untrusted_alloc(size_t size) { return std::calloc(1, size); }
extern "C" void nsgx_untrusted_free(void* p) { std::free(p); }
extern "C" sgx_status_t nsgx_ecall_ex(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms,
                                      size_t, const nsgx_ecall_buffer_t*, size_t) {
  return sgx_ecall(eid, index, ocall_table, ms);
}
#endif

// OCALL implementations.
extern "C" {
int ocall_sum(const int* v, size_t n, int* twice) {
  int s = 0;
  for (size_t i = 0; i < n; ++i) s += v[i];
  if (twice) *twice = 2 * s;
  return s;
}
void ocall_fill(char* buf, size_t len) {
  for (size_t i = 0; i < len; ++i) buf[i] = static_cast<char>('a' + i);
}
size_t ocall_string(char* s) {
  for (char* p = s; *p; ++p) *p = static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  return std::strlen(s);
}
int ocall_errno(int value) {
  errno = value;
  return 0;
}
void ocall_naked(void) { ++g_naked_ocalls; }
int ocall_nested(int x) {
  int ret = -1;
  if (x == -1) {
    int v = 1;
    return static_cast<int>(ecall_sum_in(g_eid, &ret, &v, 1));  // not allowed from this OCALL
  }
  if (ecall_private(g_eid, &ret, x) != SGX_SUCCESS) return -100;
  if (ecall_naked(g_eid) != SGX_SUCCESS) return -200;
  return ret;
}
int ocall_imported(int x) { return x + 1; }
}

namespace {

#ifdef NSGX_FAKE_URTS
TEST(Bridges, TrustedObjectLoads) {
  ASSERT_NE(trusted().handle, nullptr) << dlerror();
  ASSERT_NE(trusted().ecall, nullptr);
}
#endif

TEST(Bridges, InBufferIsCopiedIntoTheEnclave) {
  int v[4] = {1, 2, 3, 4}, ret = 0;
  ASSERT_EQ(ecall_sum_in(g_eid, &ret, v, 4), SGX_SUCCESS);
  EXPECT_EQ(ret, 10);  // -1000 if the callee had been given the untrusted buffer
  ASSERT_EQ(ecall_sum_in(g_eid, &ret, nullptr, 0), SGX_SUCCESS);
  EXPECT_EQ(ret, 0);
}

TEST(Bridges, OutBufferIsZeroedInsideThenCopiedOut) {
  std::uint8_t buf[16];
  std::memset(buf, 0x55, sizeof buf);
  ASSERT_EQ(ecall_fill_out(g_eid, buf, sizeof buf, 0x7a), SGX_SUCCESS);
  for (auto b : buf) EXPECT_EQ(b, 0x7a);  // 0xEE if the callee saw our 0x55s or an outside buffer
}

TEST(Bridges, InOutCountRoundTrips) {
  int v[3] = {1, -2, 30}, ret = 0;
  ASSERT_EQ(ecall_double_inout(g_eid, &ret, v, 3), SGX_SUCCESS);
  EXPECT_EQ(ret, 1);
  EXPECT_EQ(v[0], 2);
  EXPECT_EQ(v[1], -4);
  EXPECT_EQ(v[2], 60);
}

TEST(Bridges, CountTimesSizeMustNotWrap) {
  int v = 1, ret = 0;
  EXPECT_EQ(ecall_double_inout(g_eid, &ret, &v, SIZE_MAX / 2), SGX_ERROR_INVALID_PARAMETER);
}

TEST(Bridges, Strings) {
  std::size_t n = 0;
  ASSERT_EQ(ecall_strlen(g_eid, &n, "enclave"), SGX_SUCCESS);
  EXPECT_EQ(n, 7u);
  ASSERT_EQ(ecall_strlen(g_eid, &n, nullptr), SGX_SUCCESS);
  EXPECT_EQ(n, static_cast<std::size_t>(-1));
  char s[] = "mixed Case";
  ASSERT_EQ(ecall_upper_inout(g_eid, s), SGX_SUCCESS);
  EXPECT_STREQ(s, "MIXED CASE");
  ASSERT_EQ(ecall_wcslen(g_eid, &n, L"wide"), SGX_SUCCESS);
  EXPECT_EQ(n, 4u);
}

// A marshalling struct built by hand, as a hostile application could.
struct MsStrlen {
  std::size_t ms_retval;
  const char* ms_s;
  std::size_t ms_s_len;
};

// Untrusted memory the enclave can read on every backend (the isolated
// backend's enclaves see only the window of this process).
template <typename T>
T* untrusted(const T& value) {
  auto* p = static_cast<T*>(nsgx_untrusted_alloc(sizeof(T)));
  std::memcpy(static_cast<void*>(p), &value, sizeof(T));
  return p;
}

TEST(Bridges, StringLengthThatDisagreesWithTheStringIsRefused) {
  const int idx = 3;  // ecall_strlen
  auto* s1 = static_cast<char*>(nsgx_untrusted_alloc(8));
  std::memcpy(s1, "abc\0def", 8);
  auto* s2 = static_cast<char*>(nsgx_untrusted_alloc(8));
  std::memcpy(s2, "abcdef", 7);
  MsStrlen* ms = untrusted(MsStrlen{0, s1, 8});  // a NUL before the stated end
  EXPECT_EQ(sgx_ecall(g_eid, idx, nullptr, ms), SGX_ERROR_UNEXPECTED);
  *ms = {0, s2, 4};  // shorter than the string: cut at the stated length
  ASSERT_EQ(sgx_ecall(g_eid, idx, nullptr, ms), SGX_SUCCESS);
  EXPECT_EQ(ms->ms_retval, 3u);
  nsgx_untrusted_free(ms);
  nsgx_untrusted_free(s1);
  nsgx_untrusted_free(s2);
}

TEST(Bridges, PointersIntoTheEnclaveAreRefused) {
  void* inside = enclave_address();
  int ret = 0;
  EXPECT_EQ(ecall_sum_in(g_eid, &ret, static_cast<const int*>(inside), 4), SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(ecall_fill_out(g_eid, static_cast<std::uint8_t*>(inside), 4, 1), SGX_ERROR_INVALID_PARAMETER);
  // The marshalling struct itself inside the enclave.
  EXPECT_EQ(sgx_ecall(g_eid, 0, nullptr, inside), SGX_ERROR_INVALID_PARAMETER);
  // A NULL struct where one is expected; a struct where none is.
  EXPECT_EQ(sgx_ecall(g_eid, 0, nullptr, nullptr), SGX_ERROR_INVALID_PARAMETER);
  int dummy = 0;
  EXPECT_EQ(sgx_ecall(g_eid, 12, nullptr, &dummy), SGX_ERROR_INVALID_PARAMETER);  // ecall_naked
}

TEST(Bridges, UserCheckPassesThePointerUntouched) {
  int* x = untrusted(0);
  std::uint64_t got = 0;
  ASSERT_EQ(ecall_user_check(g_eid, &got, x), SGX_SUCCESS);
  EXPECT_EQ(got, reinterpret_cast<std::uint64_t>(x));
  nsgx_untrusted_free(x);
}

TEST(Bridges, ArraysStructsUnionsEnums) {
  int a[4] = {1, 2, 3, 4}, b[2][3] = {}, ret = 0;
  ASSERT_EQ(ecall_array(g_eid, &ret, a, b), SGX_SUCCESS);
  EXPECT_EQ(ret, 10);
  EXPECT_EQ(b[0][0], 10);
  EXPECT_EQ(b[1][2], 20);  // a[5 % 4] * 10
  point p{1, 2}, r{};
  word w;
  w.u = 100;
  ASSERT_EQ(ecall_struct(g_eid, &r, p, BLUE, w), SGX_SUCCESS);
  EXPECT_EQ(r.x, 1 + 6);  // BLUE = GREEN + 1 = 6
  EXPECT_EQ(r.y, 102);
}

TEST(Bridges, CalleeSeesCopiesInsideTheEnclave) {
  char buf[32] = {};
  int out = 0, ret = 0;
  ASSERT_EQ(ecall_where(g_eid, &ret, buf, sizeof buf, &out), SGX_SUCCESS);
  EXPECT_EQ(ret, 1);
  EXPECT_EQ(out, 1);
}

TEST(Bridges, IsptrAndIsary) {
  blob_t blob{3, 4};
  quad4_t q = {1, 1, 1, 1};
  int ret = 0;
  ASSERT_EQ(ecall_isptr(g_eid, &ret, &blob, q), SGX_SUCCESS);
  EXPECT_EQ(ret, 7 + 4);
  for (int v : q) EXPECT_EQ(v, 2);  // [in, out, isary]
}

TEST(Bridges, Ocalls) {
  const char* what[] = {"in/out buffers and retval",
                        "out buffer",
                        "in,out string",
                        "propagate_errno",
                        "naked",
                        "nested ECALL allowed",
                        "outside pointer refused",
                        "imported OCALL",
                        "count overflow refused",
                        "200 rounds of OCALLs and nested ECALLs in one ECALL"};
  for (int i = 0; i < 10; ++i) {
    int ret = -1;
    ASSERT_EQ(ecall_ocalls(g_eid, &ret, i), SGX_SUCCESS) << what[i];
    EXPECT_EQ(ret, 0) << what[i];
  }
  EXPECT_GE(g_naked_ocalls, 1);
}

TEST(Bridges, EcallPermissions) {
  int ret = 0;
  // Private: only from an OCALL that allows it.
  EXPECT_EQ(ecall_private(g_eid, &ret, 1), SGX_ERROR_ECALL_NOT_ALLOWED);
  ASSERT_EQ(ecall_not_allowed_nested(g_eid, &ret), SGX_SUCCESS);
  EXPECT_EQ(ret, SGX_ERROR_ECALL_NOT_ALLOWED);  // public, but not in ocall_nested's allow()
  EXPECT_EQ(sgx_ecall(g_eid, 999, nullptr, nullptr), SGX_ERROR_INVALID_FUNCTION);
  ASSERT_EQ(ecall_imported(g_eid, &ret, 21), SGX_SUCCESS);  // the imported ECALL, numbered after the root's
  EXPECT_EQ(ret, 42);
}

}  // namespace
