// Where the isolated backend looks, and what it refuses: executables anyone
// but root could replace (check_root_owned); a socket in a directory that
// is not the monitor's, or served by someone else (connect_monitor). The
// same file is built twice: with NSGX_ENV_OVERRIDES (test builds), where
// NSGX_MONITOR and NSGX_ENCLAVE_HOST choose the binaries, and without it
// (release builds), where they must not.
#include "runtime/isolated/paths.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace nsgx::isolated {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/nsgx-paths-test-XXXXXX";
    path = mkdtemp(t);
    chmod(path.c_str(), 0755);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(Paths, EnvironmentChoosesBinariesOnlyInTestBuilds) {
  setenv("NSGX_MONITOR", "/nonexistent/monitor", 1);
  setenv("NSGX_ENCLAVE_HOST", "/nonexistent/host", 1);
  if (env_overrides()) {
    EXPECT_EQ(monitor_path(), "/nonexistent/monitor");
    EXPECT_EQ(enclave_host_path(), "/nonexistent/host");
  } else {
    EXPECT_NE(monitor_path(), "/nonexistent/monitor");
    EXPECT_NE(enclave_host_path(), "/nonexistent/host");
  }
  // The system monitor never asks the environment.
  EXPECT_NE(enclave_host_path(/*use_env=*/false), "/nonexistent/host");
  unsetenv("NSGX_MONITOR");
  unsetenv("NSGX_ENCLAVE_HOST");
}

TEST(Paths, NoFallbackUnderTmp) {
  unsetenv("NSGX_MONITOR_SOCKET");
  unsetenv("XDG_RUNTIME_DIR");
  const auto c = socket_candidates();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].path, kSystemSocket);
  EXPECT_EQ(user_socket_path(), "");
}

TEST(Paths, RootOwnedExecutables) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: files of this user are not root's";
  TempDir d;
  const std::string f = d.path + "/host";
  std::ofstream(f) << "#!/bin/sh\n";
  chmod(f.c_str(), 0755);
  EXPECT_TRUE(check_root_owned(f));
  chmod(f.c_str(), 0775);  // group-writable file
  EXPECT_FALSE(check_root_owned(f));
  chmod(f.c_str(), 0755);
  chmod(d.path.c_str(), 0777);  // a directory anyone can write: the file can be replaced
  EXPECT_FALSE(check_root_owned(f));
  chmod(d.path.c_str(), 0755);
  ASSERT_EQ(chown(f.c_str(), 12345, 12345), 0);  // another owner
  EXPECT_FALSE(check_root_owned(f));
  EXPECT_TRUE(check_root_owned(f, uid_t{12345}));
}

TEST(Paths, SocketInADirectoryOthersCanWriteIsRefused) {
  TempDir d;
  const std::string sock = d.path + "/monitor.sock";
  const int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, sock.c_str());
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 4), 0);
  std::string why;
  auto ok = connect_monitor({sock, MonitorKind::kUser}, &why);
  EXPECT_GE(ok.fd, 0) << why;  // our own directory, our own listener
  EXPECT_EQ(ok.peer_uid, geteuid());
  if (ok.fd >= 0) close(ok.fd);
  chmod(d.path.c_str(), 0777);
  auto bad = connect_monitor({sock, MonitorKind::kUser}, &why);
  EXPECT_LT(bad.fd, 0);
  EXPECT_TRUE(bad.refused);
  EXPECT_NE(why.find("writable by group or others"), std::string::npos) << why;
  chmod(d.path.c_str(), 0755);
  // Served by this user, but a system socket must be served by root or
  // nsgx-monitor.
  if (geteuid() != 0) {
    auto sys = connect_monitor({sock, MonitorKind::kSystem}, &why);
    EXPECT_TRUE(sys.refused);
  }
  // Nothing there: not refused, just absent.
  auto none = connect_monitor({d.path + "/none.sock", MonitorKind::kSystem}, &why);
  EXPECT_LT(none.fd, 0);
  EXPECT_FALSE(none.refused);
  close(l);
}

}  // namespace
}  // namespace nsgx::isolated
