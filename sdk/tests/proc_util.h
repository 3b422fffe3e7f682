// Finding the isolated backend's processes in /proc (the tests kill and
// attack them): a process's name, its parent, and the children of a parent.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace nsgx::sdk_test {

inline std::string comm(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string s;
  std::getline(f, s);
  return s;
}

inline pid_t ppid_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(f, s);
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  int ppid = 0;
  char state = 0;
  std::sscanf(s.c_str() + close + 2, "%c %d", &state, &ppid);
  return ppid;
}

// Processes whose parent is `parent` and whose name starts with `name`.
inline std::vector<pid_t> children(pid_t parent, const std::string& name) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    const pid_t pid = std::atoi(e->d_name);
    if (pid > 0 && ppid_of(pid) == parent && comm(pid).rfind(name, 0) == 0) out.push_back(pid);
  }
  closedir(d);
  return out;
}

}  // namespace nsgx::sdk_test
