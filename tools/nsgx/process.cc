#include "tools/nsgx/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <utility>

#include "base/install_layout.h"

namespace nsgx::cli {

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("nsgx");
}

int run_process(std::vector<std::string> argv) { return run_process_to(std::move(argv), {}, {}); }

int run_process_to(std::vector<std::string> argv, const std::string& out, const std::string& err,
                   const std::vector<std::string>& env) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    for (const auto& [path, fd] : {std::pair{&out, STDOUT_FILENO}, std::pair{&err, STDERR_FILENO}}) {
      if (path->empty()) continue;
      const int f = open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (f < 0 || dup2(f, fd) < 0) _exit(127);
    }
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));  // the child's copy, until exec
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string find_helper(const std::string& name, const char* env_var, const std::string& build_dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* e = std::getenv(env_var); e && *e) {
    std::error_code ec;
    candidates.push_back(fs::is_directory(e, ec) ? fs::path(e) / name : fs::path(e));
  }
  // Installed: PREFIX/libexec/nestedsgx only; a build tree: the build's folder.
  if (const std::string prefix = installed_prefix(); !prefix.empty())
    candidates.push_back(fs::path(prefix) / kInstallLibexecDir / name);
  else if (!build_dir.empty())
    candidates.push_back(fs::path(build_dir) / name);
  for (const auto& c : candidates)
    if (access(c.c_str(), R_OK) == 0) return c.string();
  return {};
}

}  // namespace nsgx::cli
