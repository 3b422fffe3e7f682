// The files a dynamically linked program loads (libos_deps.h).
#include "tools/nsgx/libos_deps.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "libos/enclave/shebang.h"

namespace nsgx::cli {
namespace {

// e_type of an x86-64 little-endian ELF64 file's header (ET_DYN, ET_EXEC,
// ...), or 0 (ET_NONE) for anything else or a header cut short.
std::uint16_t x86_64_elf_type(ByteSpan file) {
  if (file.size() < sizeof(Elf64_Ehdr) || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0 ||
      file[EI_CLASS] != ELFCLASS64 || file[EI_DATA] != ELFDATA2LSB ||
      load_le<std::uint16_t>(file.data() + offsetof(Elf64_Ehdr, e_machine)) != EM_X86_64)
    return ET_NONE;
  return load_le<std::uint16_t>(file.data() + offsetof(Elf64_Ehdr, e_type));
}

// PT_INTERP's path: NUL-terminated inside the file (gABI), or empty. Any
// x86-64 ELF64 executable, position-independent (ET_DYN) or not (ET_EXEC:
// Debian's python3): only the header and the program headers are read,
// each bounds-checked (image::ElfFile is the enclave image's stricter
// parser, ET_DYN only).
std::string interpreter_of(const Bytes& file) {
  const std::uint16_t type = x86_64_elf_type(file);
  if (type != ET_DYN && type != ET_EXEC) return "";
  const std::uint8_t* e = file.data();
  const auto phoff = load_le<std::uint64_t>(e + offsetof(Elf64_Ehdr, e_phoff));
  const auto phentsize = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_phentsize));
  const auto phnum = load_le<std::uint16_t>(e + offsetof(Elf64_Ehdr, e_phnum));
  if (phentsize != sizeof(Elf64_Phdr) || phoff > file.size() || (file.size() - phoff) / sizeof(Elf64_Phdr) < phnum)
    return "";
  for (std::uint16_t i = 0; i < phnum; ++i) {
    const std::uint8_t* ph = e + phoff + std::uint64_t{i} * sizeof(Elf64_Phdr);
    if (load_le<std::uint32_t>(ph + offsetof(Elf64_Phdr, p_type)) != PT_INTERP) continue;
    const auto off = load_le<std::uint64_t>(ph + offsetof(Elf64_Phdr, p_offset));
    const auto size = load_le<std::uint64_t>(ph + offsetof(Elf64_Phdr, p_filesz));
    if (off > file.size() || file.size() - off < size || size < 2 || file[off + size - 1] != 0) return "";
    return std::string(reinterpret_cast<const char*>(e + off));
  }
  return "";
}

// argv's stdout, the child's environment empty (the host's LD_LIBRARY_PATH
// or LD_PRELOAD must not change the answer); its stderr is ours.
Result<std::string> capture(const std::vector<std::string>& argv) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Error("pipe: " + std::string(strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return Error("fork: " + std::string(strerror(errno)));
  }
  if (pid == 0) {
    if (dup2(p[1], 1) < 0) _exit(127);
    std::vector<char*> a;
    a.reserve(argv.size() + 1);
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    char* no_env[] = {nullptr};
    execve(a[0], a.data(), no_env);
    _exit(127);
  }
  close(p[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t r = read(p[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  close(p[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return Error("waitpid: " + std::string(strerror(errno)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error(argv[0] + " --list " + argv.back() + " failed (status " + std::to_string(WEXITSTATUS(status)) + ")");
  return out;
}

}  // namespace

std::string elf_interpreter(const std::string& program) {
  auto file = read_file(program);
  return file ? interpreter_of(*file) : "";
}

Result<std::vector<std::string>> dynamic_closure(const std::string& program, const std::string& library_path) {
  auto file = read_file(program);
  if (!file) return std::vector<std::string>{};  // the enclave names what is wrong
  const std::string interp = interpreter_of(*file);
  if (interp.empty()) return std::vector<std::string>{};
  std::vector<std::string> argv = {interp, "--inhibit-cache"};
  if (!library_path.empty()) {
    argv.emplace_back("--library-path");
    argv.push_back(library_path);
  }
  argv.emplace_back("--list");
  argv.push_back(program);
  auto out = capture(argv);
  if (!out) return out.error().context(program + ": resolving its shared libraries");
  // Lines (ld.so's trace format): "\tNAME => PATH (0xADDR)", "\tNAME => not
  // found", "\tPATH (0xADDR)" for the interpreter, "\tlinux-vdso.so.1
  // (0xADDR)" for the kernel's vDSO (none inside).
  std::vector<std::string> files = {interp};
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t arrow = line.find(" => ");
    if (arrow == std::string::npos) continue;  // the interpreter (listed first) or the vDSO
    std::string path = line.substr(arrow + 4);
    const size_t paren = path.rfind(" (0x");
    if (path.rfind("not found", 0) == 0 || paren == std::string::npos || path.empty() || path[0] != '/') {
      const size_t name = line.find_first_not_of("\t ");
      return Error(program + ": its library " + line.substr(name, arrow - name) + " is not found");
    }
    path.resize(paren);
    files.push_back(path);
  }
  return files;
}

std::vector<std::string> program_chain(const std::string& program, const std::string& path) {
  std::vector<std::string> chain = {program};
  for (int depth = 0; depth < libos::kShebangDepth; ++depth) {
    auto file = read_file(chain.back());
    if (!file) break;
    libos::Shebang sb;
    if (libos::parse_shebang(file->data(), file->size(), sb) != libos::ShebangResult::kScript) break;
    std::string interp = sb.interpreter;
    if (interp[0] != '/') {
      char cwd[PATH_MAX];
      if (getcwd(cwd, sizeof cwd) == nullptr) break;
      interp = std::string(cwd) + "/" + interp;
    }
    chain.push_back(std::filesystem::path(interp).lexically_normal().string());
  }
  // `#!/usr/bin/env NAME`: env execvp's NAME (a bare name: searched).
  const std::string& last = chain.back();
  if (chain.size() > 1 && std::filesystem::path(last).filename() == "env") {
    auto file = read_file(chain[chain.size() - 2]);
    libos::Shebang sb;
    if (file && libos::parse_shebang(file->data(), file->size(), sb) == libos::ShebangResult::kScript &&
        !sb.argument.empty() && sb.argument.find_first_of("/ \t") == std::string::npos && sb.argument[0] != '-') {
      std::istringstream dirs(path.empty() ? "/bin:/usr/bin" : path);
      std::string dir;
      while (std::getline(dirs, dir, ':')) {
        if (dir.empty() || dir[0] != '/') continue;  // the cwd: not known until the run
        const std::string candidate = std::filesystem::path(dir + "/" + sb.argument).lexically_normal().string();
        struct stat st {};
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) {
          chain.push_back(candidate);
          break;
        }
      }
    }
  }
  return chain;
}

Status add_dynamic_closure(libos::Manifest& m, std::vector<std::string>& unhashed, std::vector<std::string>* covered) {
  std::string library_path, path;
  for (const auto& [name, value] : m.env) {
    if (name == "LD_LIBRARY_PATH") library_path = value;
    if (name == "PATH") path = value;
  }
  // The entrypoint first, then every other file the manifest trusts that
  // is an executable program (its exec bit set): one may be a program the
  // entrypoint execs (a shell's commands), whose libraries must be
  // trusted too. Only the entrypoint's closure must resolve. Another's is
  // followed only as far as is safe on the building host — each program
  // of its chain an existing executable file, each ELF one's interpreter
  // (which `--list` runs here) already trusted (the entrypoint's ld.so) —
  // and whatever fails leaves it as it is: the enclave refuses what it
  // cannot load if it is ever run.
  std::vector<std::string> programs = {m.entrypoint};
  for (const auto& t : m.trusted_files)
    if (t.path != m.entrypoint && access(t.path.c_str(), X_OK) == 0) programs.push_back(t.path);
  for (size_t p = 0; p < programs.size(); ++p) {
    std::vector<std::string> files;
    const std::vector<std::string> chain = program_chain(programs[p], path);
    bool resolved = true;
    for (size_t i = 0; i < chain.size() && resolved; ++i) {
      if (p > 0) {
        struct stat st {};
        const std::string interp = elf_interpreter(chain[i]);
        if (stat(chain[i].c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(chain[i].c_str(), X_OK) != 0 ||
            (!interp.empty() && m.trusted(interp) == nullptr && m.trusted_dir(interp) == nullptr)) {
          resolved = false;
          break;
        }
      }
      auto closure = dynamic_closure(chain[i], library_path);
      if (!closure) {
        if (p == 0) return closure.error();
        resolved = false;
        break;
      }
      if (i > 0) files.push_back(chain[i]);  // an interpreter: run, so measured
      files.insert(files.end(), closure->begin(), closure->end());
    }
    if (!resolved) continue;
    for (const auto& f : files) {
      if (auto st = libos::check_path(f); !st) {
        if (p > 0) continue;
        return st.error().context(m.entrypoint + ": what it runs, " + f);
      }
      if (m.trusted(f) != nullptr) continue;
      if (m.trusted_dir(f) != nullptr) {  // its directory's listing holds it (trusted_dirs.h checks)
        if (p == 0 && covered != nullptr) covered->push_back(f);
        continue;
      }
      if (m.allowed(f)) {
        if (p > 0) continue;  // the enclave refuses to load it if that program runs
        return Error(f + ": the program loads it, so it must be a trusted file (measured), not an allowed one");
      }
      // Kept sorted by path: Manifest::trusted searches it so.
      const auto at = std::lower_bound(m.trusted_files.begin(), m.trusted_files.end(), f,
                                       [](const libos::TrustedFile& t, const std::string& q) { return t.path < q; });
      m.trusted_files.insert(at, libos::TrustedFile{f, {}});
      unhashed.push_back(f);
    }
  }
  return {};
}

bool fixed_address_programs(const libos::Manifest& m) {
  for (const auto& f : m.trusted_files) {
    std::ifstream in(f.path, std::ios::binary);
    std::uint8_t header[sizeof(Elf64_Ehdr)];
    if (in.read(reinterpret_cast<char*>(header), sizeof header) && x86_64_elf_type(header) == ET_EXEC) return true;
  }
  return false;
}

}  // namespace nsgx::cli
