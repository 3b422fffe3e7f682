// The platform secrets file: created once, 0600, read back unchanged; a
// file of the wrong mode or size is refused; monitors starting at once all
// end up with the same secrets (the file is linked into place, never
// renamed over one another process has already read).
#include "runtime/common/platform_secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/nsgx-secrets-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

bool same(const nsgx::monitor::PlatformSecrets& a, const nsgx::monitor::PlatformSecrets& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(PlatformSecrets, CreatedOncePrivateAndStable) {
  TempDir d;
  const std::string dir = d.path + "/state";
  auto a = nsgx::runtime::load_or_create_secrets(dir, "s");
  ASSERT_TRUE(a) << a.error().message();
  struct stat st {};
  ASSERT_EQ(stat((dir + "/s").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto b = nsgx::runtime::load_or_create_secrets(dir, "s");
  ASSERT_TRUE(b);
  EXPECT_TRUE(same(*a, *b));
  // No temporary file is left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
}

TEST(PlatformSecrets, WrongModeOrSizeIsRefused) {
  TempDir d;
  const std::string f = d.path + "/s";
  { std::ofstream(f) << std::string(64, 'x'); }
  chmod(f.c_str(), 0644);
  EXPECT_FALSE(nsgx::runtime::load_or_create_secrets(d.path, "s"));
  chmod(f.c_str(), 0600);
  EXPECT_TRUE(nsgx::runtime::load_or_create_secrets(d.path, "s"));
  { std::ofstream(f) << std::string(10, 'x'); }
  EXPECT_FALSE(nsgx::runtime::load_or_create_secrets(d.path, "s"));
}

TEST(PlatformSecrets, ConcurrentFirstStartsAgree) {
  for (int round = 0; round < 20; ++round) {
    TempDir d;
    constexpr int kThreads = 8;
    std::vector<nsgx::monitor::PlatformSecrets> got(kThreads);
    std::vector<int> ok(kThreads, 0);
    std::vector<std::thread> ts;
    for (int i = 0; i < kThreads; ++i)
      ts.emplace_back([&, i] {
        auto s = nsgx::runtime::load_or_create_secrets(d.path, "s");
        ok[static_cast<std::size_t>(i)] = s.ok();
        if (s) got[static_cast<std::size_t>(i)] = *s;
      });
    for (auto& t : ts) t.join();
    auto final = nsgx::runtime::load_or_create_secrets(d.path, "s");
    ASSERT_TRUE(final);
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(ok[static_cast<std::size_t>(i)]);
      EXPECT_TRUE(same(got[static_cast<std::size_t>(i)], *final)) << "round " << round << " thread " << i;
    }
  }
}

// A state directory others can write lets them swap the secrets file (or
// plant one before the first start): refused, as is a relative path.
TEST(PlatformSecrets, DirectoryOthersCanWriteIsRefused) {
  TempDir d;
  const std::string dir = d.path + "/state";
  ASSERT_TRUE(nsgx::runtime::load_or_create_secrets(dir, "s"));
  chmod(dir.c_str(), 0777);
  auto r = nsgx::runtime::load_or_create_secrets(dir, "s");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("others cannot write"), std::string::npos) << r.error().message();
  chmod(dir.c_str(), 0700);
  EXPECT_TRUE(nsgx::runtime::load_or_create_secrets(dir, "s"));
  EXPECT_FALSE(nsgx::runtime::load_or_create_secrets("relative/state", "s"));
  EXPECT_FALSE(nsgx::runtime::load_or_create_secrets("", "s"));
}

}  // namespace
