// The C++ standard library inside an enclave (libstdc++, docs/sdk-abi.md
// "C++ in enclaves"): containers, strings, algorithms, smart pointers,
// exceptions across frames, RTTI, atomics and mutexes, and a static
// object's constructor — each checked by the application (cxx_lib_test.cc).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <typeinfo>
#include <vector>

#include "cxx_t.h"

namespace {

// Copies `s` into the application's buffer (the bridge copies it out).
int put(const std::string& s, char* out, size_t len) {
  if (len == 0) return -1;
  const size_t n = std::min(s.size(), len - 1);
  std::memcpy(out, s.data(), n);
  out[n] = '\0';
  return static_cast<int>(s.size());
}

// A static object with a constructor: run by the trusted runtime's
// initialisation (DT_INIT_ARRAY) before the first ECALL.
struct Registry {
  Registry() {
    for (int i = 1; i <= 10; ++i) squares.emplace(i, i * i);
  }
  std::map<int, int> squares;
};
Registry g_registry;

// ---- exceptions ----
class EnclaveError : public std::exception {
 public:
  explicit EnclaveError(int depth) : msg_("enclave error at depth " + std::to_string(depth)) {}
  const char* what() const noexcept override { return msg_.c_str(); }

 private:
  std::string msg_;
};

std::atomic<int> g_destroyed{0};
struct Guard {  // one per frame between the throw and the catch
  ~Guard() { g_destroyed.fetch_add(1); }
};

[[gnu::noinline]] int descend(int depth, int kind) {
  Guard g;
  if (depth > 0) return descend(depth - 1, kind) + 1;
  switch (kind) {
    case 0:
      throw EnclaveError(depth);
    case 1:
      return std::vector<int>(3).at(7);
    case 2:
      throw 42;
    case 3: {
      // More than the whole heap: operator new throws std::bad_alloc.
      std::unique_ptr<char[]> p(new char[size_t{1} << 40]);
      return p[0];
    }
    default:
      return 0;
  }
}

// ---- RTTI ----
struct Animal {
  virtual ~Animal() = default;
  virtual std::string sound() const = 0;
};
struct Dog : Animal {
  std::string sound() const override { return "woof"; }
};
struct Puppy final : Dog {
  std::string sound() const override { return "yip"; }
};
struct Cat : Animal {
  std::string sound() const override { return "meow"; }
};

// ---- threads ----
std::atomic<std::uint64_t> g_atomic{0};
std::mutex g_mu;
std::map<std::string, std::uint64_t> g_locked;  // guarded by g_mu

}  // namespace

extern "C" int ecall_cxx_words(const char* text, char* out, size_t len) {
  std::vector<std::string> words;
  std::string word;
  for (const char* p = text;; ++p) {
    if (*p == ' ' || *p == '\0') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      if (*p == '\0') break;
    } else {
      word += *p;
    }
  }
  std::map<std::string, int> counts;
  for (const auto& w : words) ++counts[w];
  std::sort(words.begin(), words.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  words.erase(std::unique(words.begin(), words.end()), words.end());
  auto longest = std::make_unique<std::string>(words.empty() ? std::string() : words.front());
  std::string line = "words=" + std::to_string(counts.size()) + " longest=" + *longest + " counts=";
  for (const auto& [w, c] : counts) line += w + ":" + std::to_string(c) + ",";
  std::reverse(longest->begin(), longest->end());
  line += " reversed=" + *longest;
  return put(line, out, len);
}

extern "C" int ecall_cxx_throw(int depth, int kind, char* what, size_t len) {
  g_destroyed = 0;
  int code = 0;
  try {
    descend(depth, kind);
    put("none", what, len);
    code = 4;
  } catch (const EnclaveError& e) {  // before std::exception: the most derived first
    put(e.what(), what, len);
    code = 0;
  } catch (const std::out_of_range& e) {
    put(std::string("out_of_range: ") + typeid(e).name(), what, len);
    code = 1;
  } catch (int v) {
    put("int " + std::to_string(v), what, len);
    code = 2;
  } catch (const std::exception& e) {
    put(std::string("std::exception: ") + e.what(), what, len);
    code = 3;
  }
  return code * 1000 + g_destroyed.load();
}

extern "C" int ecall_cxx_rtti(int which, char* name, size_t len) {
  std::vector<std::unique_ptr<Animal>> zoo;
  zoo.push_back(std::make_unique<Dog>());
  zoo.push_back(std::make_unique<Puppy>());
  zoo.push_back(std::make_unique<Cat>());
  if (which < 0 || static_cast<size_t>(which) >= zoo.size()) return -1;
  Animal* a = zoo[static_cast<size_t>(which)].get();
  int bits = 0;
  if (dynamic_cast<Dog*>(a) != nullptr) bits |= 1;
  if (dynamic_cast<Puppy*>(a) != nullptr) bits |= 2;
  if (dynamic_cast<Cat*>(a) != nullptr) bits |= 4;
  if (typeid(*a) == typeid(Puppy)) bits |= 8;
  try {
    (void)dynamic_cast<Cat&>(*a);  // a reference cast that fails throws std::bad_cast
  } catch (const std::bad_cast&) {
    bits |= 16;
  }
  put(std::string(typeid(*a).name()) + " " + a->sound(), name, len);
  return bits;
}

extern "C" int ecall_cxx_static(void) {
  int sum = 0;
  for (const auto& [k, v] : g_registry.squares) sum += v;
  return sum;
}

extern "C" void ecall_cxx_count(int n) {
  for (int i = 0; i < n; ++i) {
    g_atomic.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(g_mu);
    // A slow read-modify-write: concurrent callers lose updates without the mutex.
    const std::uint64_t v = g_locked["count"];
    for (int k = 0; k < 200; ++k) __builtin_ia32_pause();
    g_locked["count"] = v + 1;
  }
}

extern "C" uint64_t ecall_cxx_counts(uint64_t* locked) {
  std::lock_guard<std::mutex> lock(g_mu);
  *locked = g_locked["count"];
  return g_atomic.load();
}

extern "C" int ecall_cxx_uncaught(void) { return descend(2, 0); }

extern "C" int ecall_cxx_thread_unavailable(void) {
  try {
    std::thread t([] {});
    t.join();
    return 0;
  } catch (const std::system_error& e) {
    return e.code().value();
  }
}

extern "C" int ecall_cxx_call_once_retry(void) {
  static std::once_flag flag;
  int calls = 0;
  try {
    std::call_once(flag, [&] {
      ++calls;
      throw std::runtime_error("first attempt");
    });
  } catch (const std::runtime_error&) {
    calls += 10;  // the exception came through
  }
  std::call_once(flag, [&] { ++calls; });  // runs: the first did not complete
  std::call_once(flag, [&] { ++calls; });  // does not run
  return calls;
}
