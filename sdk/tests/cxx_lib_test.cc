// The C++ standard library inside an enclave (cxx_lib_enclave.cpp), checked
// from the application over ECALLs, on both backends: containers, strings,
// algorithms, unique_ptr, exceptions thrown several frames down (a user
// class derived from std::exception, the library's own, an int,
// std::bad_alloc), dynamic_cast/typeid, a static constructor, std::atomic and
// std::mutex under threads, and an uncaught exception crashing the enclave.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "cxx_u.h"
#include "loaded_enclave.h"
#include "sgx_urts.h"

namespace {

struct Loaded : nsgx::sdk_test::Loaded {
  Loaded() : nsgx::sdk_test::Loaded(NSGX_CXX_ENCLAVE) {}
};

TEST(CxxLib, StringsContainersAlgorithms) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  char out[256] = {};
  int n = -1;
  ASSERT_EQ(ecall_cxx_words(e.eid, &n, "the quick brown fox jumps over the lazy dog the end", out, sizeof out),
            SGX_SUCCESS);
  const std::string want =
      "words=9 longest=brown counts=brown:1,dog:1,end:1,fox:1,jumps:1,lazy:1,over:1,quick:1,the:3, reversed=nworb";
  EXPECT_EQ(std::string(out), want);
  EXPECT_EQ(n, static_cast<int>(want.size()));
  // An empty text: no words, an empty longest word.
  ASSERT_EQ(ecall_cxx_words(e.eid, &n, "", out, sizeof out), SGX_SUCCESS);
  EXPECT_EQ(std::string(out), "words=0 longest= counts= reversed=");
}

TEST(CxxLib, ExceptionsAcrossFrames) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  char what[128] = {};
  int r = -1;
  // A user class derived from std::exception, thrown 5 frames down: the 6
  // frames' objects are destroyed during unwinding, the message survives.
  ASSERT_EQ(ecall_cxx_throw(e.eid, &r, 5, 0, what, sizeof what), SGX_SUCCESS);
  EXPECT_EQ(r, 0 * 1000 + 6);
  EXPECT_EQ(std::string(what), "enclave error at depth 0");
  // The library's own exception (std::vector::at), 3 frames down.
  ASSERT_EQ(ecall_cxx_throw(e.eid, &r, 3, 1, what, sizeof what), SGX_SUCCESS);
  EXPECT_EQ(r, 1 * 1000 + 4);
  EXPECT_EQ(std::string(what), "out_of_range: St12out_of_range");
  // A non-class exception, 10 frames down.
  ASSERT_EQ(ecall_cxx_throw(e.eid, &r, 10, 2, what, sizeof what), SGX_SUCCESS);
  EXPECT_EQ(r, 2 * 1000 + 11);
  EXPECT_EQ(std::string(what), "int 42");
  // operator new beyond the heap throws std::bad_alloc.
  ASSERT_EQ(ecall_cxx_throw(e.eid, &r, 1, 3, what, sizeof what), SGX_SUCCESS);
  EXPECT_EQ(r, 3 * 1000 + 2);
  EXPECT_EQ(std::string(what), "std::exception: std::bad_alloc");
  // Nothing thrown; and the enclave still works after all of the above.
  ASSERT_EQ(ecall_cxx_throw(e.eid, &r, 4, 4, what, sizeof what), SGX_SUCCESS);
  EXPECT_EQ(r, 4 * 1000 + 5);
  EXPECT_EQ(std::string(what), "none");
}

TEST(CxxLib, DynamicCastAndTypeid) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  char name[64] = {};
  int bits = -1;
  ASSERT_EQ(ecall_cxx_rtti(e.eid, &bits, 0, name, sizeof name), SGX_SUCCESS);
  EXPECT_EQ(bits, 1 | 16);  // a Dog, not a Puppy or Cat; the Cat& cast throws
  EXPECT_EQ(std::string(name), "N12_GLOBAL__N_13DogE woof");
  ASSERT_EQ(ecall_cxx_rtti(e.eid, &bits, 1, name, sizeof name), SGX_SUCCESS);
  EXPECT_EQ(bits, 1 | 2 | 8 | 16);  // a Puppy is a Dog; typeid says Puppy
  EXPECT_EQ(std::string(name), "N12_GLOBAL__N_15PuppyE yip");
  ASSERT_EQ(ecall_cxx_rtti(e.eid, &bits, 2, name, sizeof name), SGX_SUCCESS);
  EXPECT_EQ(bits, 4);  // a Cat; the Cat& cast succeeds
  EXPECT_EQ(std::string(name), "N12_GLOBAL__N_13CatE meow");
  ASSERT_EQ(ecall_cxx_rtti(e.eid, &bits, 3, name, sizeof name), SGX_SUCCESS);
  EXPECT_EQ(bits, -1);
}

TEST(CxxLib, StaticConstructorRan) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int sum = 0;
  ASSERT_EQ(ecall_cxx_static(e.eid, &sum), SGX_SUCCESS);
  EXPECT_EQ(sum, 385);  // 1² + … + 10², filled in by the constructor
}

TEST(CxxLib, AtomicAndMutexUnderThreads) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  constexpr int kThreads = 8, kCalls = 20, kPerCall = 500;
  std::vector<std::thread> threads;
  std::vector<sgx_status_t> st(kThreads, SGX_ERROR_UNEXPECTED);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      sgx_status_t s = SGX_SUCCESS;
      for (int c = 0; c < kCalls && s == SGX_SUCCESS; ++c) {
        // Every TCS may be busy for a moment: retry those calls.
        while ((s = ecall_cxx_count(e.eid, kPerCall)) == SGX_ERROR_OUT_OF_TCS) std::this_thread::yield();
      }
      st[static_cast<std::size_t>(t)] = s;
    });
  for (auto& t : threads) t.join();
  for (auto s : st) EXPECT_EQ(s, SGX_SUCCESS);
  std::uint64_t atomic = 0, locked = 0;
  ASSERT_EQ(ecall_cxx_counts(e.eid, &atomic, &locked), SGX_SUCCESS);
  EXPECT_EQ(atomic, std::uint64_t{kThreads} * kCalls * kPerCall);
  EXPECT_EQ(locked, std::uint64_t{kThreads} * kCalls * kPerCall);
}

// This enclave does not import sgx_pthread.edl: std::thread throws
// std::system_error with ENOSYS, and the enclave goes on.
TEST(CxxLib, ThreadsNeedSgxPthreadEdl) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int code = 0;
  ASSERT_EQ(ecall_cxx_thread_unavailable(e.eid, &code), SGX_SUCCESS);
  EXPECT_EQ(code, ENOSYS);
  ASSERT_EQ(ecall_cxx_static(e.eid, &code), SGX_SUCCESS);
  EXPECT_EQ(code, 385);
}

// std::call_once (thread-local storage and pthread_once underneath): a
// function that throws leaves the flag unset, and the next call runs.
TEST(CxxLib, CallOnceRetriesAfterAnException) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int calls = 0;
  ASSERT_EQ(ecall_cxx_call_once_retry(e.eid, &calls), SGX_SUCCESS);
  EXPECT_EQ(calls, 1 + 10 + 1);
}

TEST(CxxLib, UncaughtExceptionCrashesTheEnclave) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  // std::terminate inside: the enclave is crashed, not unwound into the application.
  EXPECT_EQ(ecall_cxx_uncaught(e.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);
  EXPECT_EQ(ecall_cxx_static(e.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);
  // Another instance of the same enclave is unaffected.
  Loaded other;
  ASSERT_EQ(other.status, SGX_SUCCESS);
  ASSERT_EQ(ecall_cxx_static(other.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 385);
}

}  // namespace
