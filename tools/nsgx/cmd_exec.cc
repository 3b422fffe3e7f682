// `nsgx exec -- PROGRAM [ARGS...]`: runs an unmodified, dynamically linked
// program on the inproc backend, with /dev/sgx_enclave, the vDSO entry and
// SGX CPUID emulated by the preload library (runtime/inproc/preload.cc).
#include <elf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "base/bytes.h"
#include "base/install_layout.h"
#include "tools/nsgx/commands.h"

namespace nsgx::cli {

// ARCH_SET_CPUID(1) — CPUID allowed, as it is already — answers ENODEV
// exactly where the kernel cannot make CPUID fault (arch/x86 set_cpuid_mode).
bool cpuid_faulting_available() {
  constexpr int kArchSetCpuid = 0x1012;
  return syscall(SYS_arch_prctl, kArchSetCpuid, 1) == 0;
}

namespace {

struct ExecOptions {
  std::string epc_size;
  std::vector<std::string> signers;
  bool no_debug = false;
  std::string cpuid = "auto";
  std::vector<std::string> command;
};

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    const std::size_t colon = std::min(dirs.find(':', pos), dirs.size());
    std::string cand = dirs.substr(pos, colon - pos) + "/" + name;
    if (access(cand.c_str(), X_OK) == 0) return cand;
    pos = colon + 1;
  }
  return name;
}

// A preload library only reaches programs the dynamic linker starts.
Status check_dynamic(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  ByteReader r(*bytes);
  Elf64_Ehdr eh{};
  if (bytes->size() < sizeof eh) return Error(path + ": not an ELF program");
  std::memcpy(&eh, bytes->data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return {};  // a script: its interpreter is dynamic or not
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) return Error(path + ": not an x86-64 program");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    const std::uint64_t off = eh.e_phoff + std::uint64_t{i} * eh.e_phentsize;
    if (off + sizeof(Elf64_Phdr) > bytes->size()) return Error(path + ": truncated program headers");
    Elf64_Phdr ph{};
    std::memcpy(&ph, bytes->data() + off, sizeof ph);
    if (ph.p_type == PT_INTERP) return {};
  }
  return Error(path + ": a statically linked program cannot be run by `nsgx exec` (no dynamic linker to load the "
                      "emulation); link it dynamically");
}

std::string preload_path() {
  if (const char* p = std::getenv("NSGX_PRELOAD"); p && *p) return p;
  // Installed: PREFIX/lib64 (base/install_layout.h); else the build tree's.
  if (const std::string prefix = installed_prefix(); !prefix.empty())
    return prefix + "/" + kInstallLibDir + "/libnsgx_inproc.so";
  return NSGX_PRELOAD_BUILD_PATH;
}

}  // namespace

void add_exec(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("exec", "run an unmodified SGX program on the inproc backend (/dev/sgx_enclave, the "
                                         "vDSO entry and SGX CPUID emulated)");
  auto o = std::make_shared<ExecOptions>();
  cmd->add_option("--epc-size", o->epc_size, "EPC size, e.g. 64M (default 128M)");
  cmd->add_option("--allow-signer", o->signers, "launch only enclaves of this MRSIGNER (hex; repeatable)");
  cmd->add_flag("--no-debug", o->no_debug, "refuse to launch debug enclaves");
  cmd->add_option("--cpuid", o->cpuid, "CPUID emulation: auto (if CPUID faulting is available), require, off")
      ->check(CLI::IsMember({"auto", "require", "off"}));
  cmd->add_option("command", o->command, "the program and its arguments (after --)")->required();
  cmd->callback([o, &exit_code] {
    // CPUID faulting (arch_prctl(ARCH_SET_CPUID)) lets the preload show SGX
    // in CPUID; without it programs run all the same but read the real
    // CPUID. Said once here rather than by every process of the program.
    if (o->cpuid == "auto" && !cpuid_faulting_available())
      std::cerr << "nsgx exec: warning: no CPUID faulting on this machine; programs that read CPUID will not see SGX\n";
    const std::string program = find_program(o->command[0]);
    if (auto st = check_dynamic(program); !st) {
      std::cerr << "nsgx exec: " << st.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    if (!o->epc_size.empty()) setenv("NSGX_EPC_SIZE", o->epc_size.c_str(), 1);
    std::string signers;
    for (const auto& s : o->signers) {
      auto b = from_hex(s);
      if (!b || b->size() != 32) {
        std::cerr << "nsgx exec: --allow-signer wants 64 hex digits, got '" << s << "'\n";
        exit_code = kExitBadInput;
        return;
      }
      signers += (signers.empty() ? "" : ",") + s;
    }
    if (!signers.empty()) setenv("NSGX_LAUNCH_SIGNERS", signers.c_str(), 1);
    if (o->no_debug) setenv("NSGX_LAUNCH_NO_DEBUG", "1", 1);
    setenv("NSGX_CPUID", o->cpuid.c_str(), 1);
    setenv("NSGX_BACKEND", "inproc", 1);  // the SDK runtime then uses /dev/sgx_enclave, which the preload provides
    std::string preload = preload_path();
    if (const char* old = std::getenv("LD_PRELOAD"); old && *old) preload += std::string(":") + old;
    setenv("LD_PRELOAD", preload.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : o->command) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    std::cerr << "nsgx exec: cannot run " << program << ": " << std::strerror(errno) << "\n";
    exit_code = 127;
  });
}

}  // namespace nsgx::cli
