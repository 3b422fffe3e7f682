#include "base/install_layout.h"

#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>

namespace nsgx {

namespace {

struct Search {
  std::uintptr_t addr = 0;
  std::string file;  // the module holding addr; "" for the main program
  bool found = false;
};

// dl_iterate_phdr rather than dladdr: dladdr names the main program by the
// path it was started with (possibly relative, or bare from $PATH).
int find_module(dl_phdr_info* info, std::size_t, void* data) {
  auto* s = static_cast<Search*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (s->addr >= start && s->addr - start < ph.p_memsz) {
      s->file = info->dlpi_name != nullptr ? info->dlpi_name : "";
      s->found = true;
      return 1;
    }
  }
  return 0;
}

std::string module_path() {
  Search s;
  s.addr = reinterpret_cast<std::uintptr_t>(&installed_prefix);
  dl_iterate_phdr(find_module, &s);
  const std::string file = s.found && !s.file.empty() ? s.file : std::string("/proc/self/exe");
  char real[PATH_MAX];
  if (realpath(file.c_str(), real) == nullptr) return {};
  return real;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string installed_prefix() {
  const std::string path = module_path();
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  const std::string dir = path.substr(0, slash);
  for (const char* sub : {"/bin", "/bin/x64", "/lib64", "/libexec/nestedsgx"}) {
    if (!ends_with(dir, sub)) continue;
    const std::string prefix = dir.substr(0, dir.size() - std::char_traits<char>::length(sub));
    if (is_dir(prefix + "/" + kInstallLibexecDir)) return prefix.empty() ? "/" : prefix;
  }
  return {};
}

std::string installed_or_build(const std::string& name, const std::string& build_path) {
  const std::string prefix = installed_prefix();
  if (prefix.empty()) return build_path;
  return (prefix == "/" ? "" : prefix) + "/" + kInstallLibexecDir + "/" + name;
}

}  // namespace nsgx
