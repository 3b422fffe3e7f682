// The library OS enclave (docs/libos.md, M2/M3): runs one unmodified static-PIE
// or dynamically linked (PIE, with its interpreter ld.so)
// x86-64 Linux program, named by the measured manifest, on this enclave's
// thread and answers its system calls.
//
// - The manifest: canonical bytes (libos/manifest/manifest.h) in the
//   measured section .nsgx_libos_manifest, filled before signing by
//   `nsgx libos build`; parsed with parse_manifest, or nothing runs.
// - Memory: the user region (<UserRegionSize>, never EADDed) is EACCEPTed
//   page by page as the program needs it (SGX2 EAUG on first touch); the
//   program's image, brk and anonymous mappings live there. The program
//   runs on this thread's own stack (the SDK's exception flow runs its
//   handlers only on the thread's stack).
// - Elsewhere (docs/libos.md lists them): the manifest section
//   (manifest_section.S), the user region (user_region.cc), the program's
//   image and initial stack (elf_loader.cc, initial_stack.cc), its files
//   (file_table.cc), its system calls (syscalls.cc), entering and leaving
//   it (program_entry.S).
// This file: reading the manifest and libos_run, which sets up g_program
// (program_state.h) and starts the program.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "libos/enclave/elf_loader.h"
#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/initial_stack.h"
#include "libos/enclave/manifest_section.h"
#include "libos/enclave/program_entry.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/shared_maps.h"
#include "libos/enclave/shebang.h"
#include "libos/enclave/signals.h"
#include "libos/enclave/spawn_request.h"
#include "libos/enclave/syscall_rewrite.h"
#include "libos/enclave/syscalls.h"
#include "libos/enclave/syscalls_fork.h"
#include "libos/enclave/syscalls_path.h"
#include "libos/enclave/syscalls_spawn.h"
#include "libos/enclave/syscalls_time.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "libos/enclave/xstate.h"
#include "libos/manifest/manifest.h"
#include "libos_t.h"
#include "sdk/common/global_data.h"
#include "sgx_tcrypto.h"
#include "sgx_trts.h"

extern "C" volatile nsgx_global_data_t g_global_data;

namespace {

using nsgx::libos::build_stack;
using nsgx::libos::Fd;
using nsgx::libos::FdKind;
using nsgx::libos::g_program;
using nsgx::libos::install_syscall_handlers;
using nsgx::libos::kNoPages;
using nsgx::libos::kPage;
using nsgx::libos::load_elf;
using nsgx::libos::load_trusted;
using nsgx::libos::LoadedImage;
using nsgx::libos::Manifest;
using nsgx::libos::region_base;
using nsgx::libos::region_init;
using nsgx::libos::region_pages;
using nsgx::libos::reserve_pages;
using nsgx::libos::say;
using nsgx::libos::set_fd;
using nsgx::libos::TrustedCopy;

constexpr int kCannotRun = 126;  // what a shell reports for a program it cannot execute

constexpr uint32_t kDefaultMaxThreads = 4;  // tools/nsgx/cmd_run.cc lays out as many TCSs

constexpr uint64_t kArgRoom = uint64_t{64} << 10;  // the initial stack's strings and vectors
// Room between libos_run's frames and the program's stack for a fork
// child's libos_run_forked frames (syscalls_fork.h; it checks).
constexpr uint64_t kForkRoom = uint64_t{16} << 10;

// The measured manifest, parsed; null with `why` said.
Manifest* load_manifest(std::string& why) {
  const uint8_t* m = nsgx_libos_manifest;
  uint32_t total;
  memcpy(&total, m + 12, 4);
  if (total < nsgx::libos::kManifestHeaderSize || total > nsgx::libos::kManifestSectionSize) {
    why = "the enclave holds no manifest (build it with `nsgx libos build`)";
    return nullptr;
  }
  auto parsed = nsgx::libos::parse_manifest(nsgx::ByteSpan(m, total));
  if (!parsed) {
    why = "the enclave's manifest is not valid: " + parsed.error().message();
    return nullptr;
  }
  return new Manifest(std::move(*parsed));
}

// Reads trusted directory `i`'s listing through the host onto the SDK's
// heap (which `nsgx libos build` sizes for it; not the user region, whose
// pages a fork child must find untouched for its parent's), in chunks the
// host answers at most as asked, checks its SHA-256 against the measured
// manifest's record — in enclave memory, after the last byte was copied —
// and only then parses it and adds its files to `m` (manifest.h,
// add_trusted_listing). Anything else refuses the start.
bool load_listing(Manifest& m, size_t i, std::string& why) {
  const std::string what = "trusted directory " + m.trusted_dirs[i].path;
  constexpr uint64_t kChunk = uint64_t{64} << 10;  // what the OCALL copies through the untrusted stack
  const auto chunk = [&](uint64_t at, uint8_t* buf, uint64_t cap, uint64_t& got) {
    int64_t n = -1;
    if (libos_trusted_listing_ocall(&n, static_cast<uint32_t>(i), at, buf, cap) != SGX_SUCCESS) {
      why = what + ": its listing cannot be read (the host's call failed)";
      return false;
    }
    if (n < 0) {
      why = what + ": its listing cannot be read: " + (n >= -4095 ? strerror(static_cast<int>(-n)) : "no errno") +
            " (it is beside the signed enclave, written by `nsgx libos build`)";
      return false;
    }
    if (static_cast<uint64_t>(n) > cap) {
      why = what + ": the host answered more of its listing than asked";
      return false;
    }
    got = static_cast<uint64_t>(n);
    return true;
  };
  uint8_t head[nsgx::libos::kListingHeaderSize];
  uint64_t got = 0;
  if (!chunk(0, head, sizeof head, got)) return false;
  uint32_t total = 0;
  if (got == sizeof head) memcpy(&total, head + 12, 4);
  // The header's size is the host's claim until the hash says otherwise:
  // bounded before it sizes anything.
  if (total < sizeof head || total > nsgx::libos::kMaxListingSize) {
    why = what + ": its listing is not one (no header, or a size of " + std::to_string(total) + " bytes)";
    return false;
  }
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[total]);
  uint8_t* const data = buf.get();
  if (data == nullptr) {
    why = what + ": no enclave memory for its listing of " + std::to_string(total) + " bytes";
    return false;
  }
  uint64_t at = 0;
  bool ok = true;
  while (ok && at < total) {
    const uint64_t cap = total - at < kChunk ? total - at : kChunk;
    ok = chunk(at, data + at, cap, got);
    if (ok && got == 0) break;
    at += got;
  }
  if (ok && at != total) {
    why = what + ": its listing ends before the size its header gives";
    ok = false;
  }
  sgx_sha256_hash_t h;
  if (ok &&
      (sgx_sha256_msg(data, total, &h) != SGX_SUCCESS || memcmp(h, m.trusted_dirs[i].sha256.data(), sizeof h) != 0)) {
    why = what + ": its listing's SHA-256 does not match the manifest";
    ok = false;
  }
  if (ok) {
    if (auto added = nsgx::libos::add_trusted_listing(m, i, nsgx::ByteSpan(data, total)); !added) {
      why = what + ": " + added.error().message();
      ok = false;
    }
  }
  return ok;
}

// The environment of a program execve started: the parent's envp, except
// that every name the manifest's loader.env sets has the manifest's value
// (what the manifest pins stays pinned; the host carried the rest).
std::vector<std::string> exec_env(const std::vector<std::string>& envp, const Manifest& m) {
  std::vector<std::string> out;
  for (const auto& e : envp) {
    const std::string_view name = std::string_view(e).substr(0, e.find('='));
    bool pinned = false;
    for (const auto& kv : m.env) pinned = pinned || kv.first == name;
    if (!pinned) out.push_back(e);
  }
  for (const auto& kv : m.env) out.push_back(kv.first + "=" + kv.second);
  return out;
}

// The manifest, the user region and the number of program threads: what
// every way of starting a program needs first. False with a message said.
bool prepare() {
  std::string why;
  Manifest* m = load_manifest(why);
  if (m == nullptr) {
    say("nsgx run: " + why + "\n");
    return false;
  }
  if (!region_init()) {
    say("nsgx run: the enclave has no user region for the program (<UserRegionSize>)\n");
    return false;
  }
  // Trusted directories' files join the manifest before anything looks a
  // path up; the manifest never changes afterwards.
  for (size_t i = 0; i < m->trusted_dirs.size(); ++i) {
    if (!load_listing(*m, i, why)) {
      say("nsgx run: " + why + "\n");
      return false;
    }
  }
  g_program.manifest = m;
  // Program threads: the manifest's sgx.max_threads (4 when it names
  // none, as Gramine), at most one per TCS the enclave has.
  uint32_t max_threads = g_program.manifest->max_threads != 0 ? g_program.manifest->max_threads : kDefaultMaxThreads;
  if (max_threads > g_global_data.tcs_num) max_threads = static_cast<uint32_t>(g_global_data.tcs_num);
  g_program.max_threads = max_threads;
  return true;
}

// NUL-terminated strings back to back, as libos_run's args, and back.
// False if the last one is not terminated (the host's bytes).
bool split_args(const char* args, size_t len, std::vector<std::string>& v) {
  if (len > 0 && args[len - 1] != '\0') return false;
  for (size_t i = 0; i < len;) {
    const size_t n = strnlen(args + i, len - i);
    v.emplace_back(args + i, n);
    i += n + 1;
  }
  return true;
}
std::string join_args(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s.append(a.c_str(), a.size() + 1);
  return s;
}

// `nsgx run`'s program as execve would start its entrypoint: argv is the
// manifest's loader.argv if it pins one (measured; the command line is
// not: docs/libos.md "Arguments"), else the host's, with
// loader.argv0_override; and when the entrypoint is a script (shebang.h),
// its interpreter — a trusted file too, checked like any — runs with
// [interpreter, argument, the script's path, argv[1..]], up to
// kShebangDepth levels, as binfmt_script. The script's path is argv[0]
// when that names the entrypoint (`nsgx run -- ./job.sh`: $0 is
// "./job.sh" as natively), else the entrypoint's. `prog`: what runs.
bool first_program(std::vector<std::string>& argv, const TrustedCopy*& prog, std::string& why) {
  const Manifest& m = *g_program.manifest;
  if (!m.argv.empty()) argv = m.argv;
  if (!m.argv0.empty() && !argv.empty()) argv[0] = m.argv0;
  std::string path = m.entrypoint;
  std::string given = path;
  if (std::string named; !argv.empty() && nsgx::libos::resolve_string(argv[0], named) == 0 && named == path)
    given = argv[0];
  std::string script;  // the script whose interpreter `path` is
  for (int depth = 0;; ++depth) {
    const auto* tf = m.trusted(path);
    if (tf == nullptr) {
      why = depth == 0 ? "the entrypoint is not a trusted file"
                       : script + ": its interpreter " + path + " is not a trusted file";
      return false;
    }
    prog = load_trusted(*tf, why);
    if (prog == nullptr) return false;
    nsgx::libos::Shebang sb;
    const auto kind = nsgx::libos::parse_shebang(prog->data, prog->size, sb);
    if (kind == nsgx::libos::ShebangResult::kNotScript) return true;
    if (kind == nsgx::libos::ShebangResult::kMalformed) {
      why = path + ": its #! line names no interpreter (ENOEXEC)";
      return false;
    }
    if (depth == nsgx::libos::kShebangDepth) {
      why = path + ": too many levels of #! interpreters (ELOOP)";
      return false;
    }
    std::vector<std::string> next{sb.interpreter};
    if (!sb.argument.empty()) next.push_back(sb.argument);
    next.push_back(given);
    if (argv.size() > 1) next.insert(next.end(), argv.begin() + 1, argv.end());
    argv = std::move(next);
    given = sb.interpreter;
    script = path;
    // Absolute only: a relative one would name a file by the host's
    // current directory, which the host chooses (Linux resolves it
    // against the caller's; `nsgx run` writes interpreters absolute).
    if (sb.interpreter[0] != '/' || nsgx::libos::resolve_string(sb.interpreter, path) < 0) {
      why = script + ": its interpreter " + sb.interpreter + " is not an absolute, valid path";
      return false;
    }
  }
}

// `exec`: the request of a parent (or of this process's previous program)
// that called execve (syscalls_spawn.h), nullptr for `nsgx run`'s program.
int run(const char* args, size_t args_len, const nsgx::libos::SpawnRequest* exec, uint64_t ignored = 0,
        uint64_t blocked = 0) {
  std::string why;
  if (!prepare()) return kCannotRun;
  nsgx::libos::init_cwd();
  const TrustedCopy* prog = nullptr;
  std::string first_args;
  if (exec == nullptr) {
    std::vector<std::string> argv;
    if (!split_args(args, args_len, argv)) {
      say("nsgx run: the arguments are not NUL-terminated strings\n");
      return kCannotRun;
    }
    if (!first_program(argv, prog, why)) {
      say("nsgx run: " + why + "\n");
      return kCannotRun;
    }
    first_args = join_args(argv);
    args = first_args.data();
    args_len = first_args.size();
  } else {
    const auto* tf = g_program.manifest->trusted(exec->path);
    if (tf == nullptr) {
      say("nsgx run: execve " + exec->path + ": not a trusted file of the manifest\n");
      return kCannotRun;
    }
    prog = load_trusted(*tf, why);
  }
  LoadedImage img, interp;
  if (prog == nullptr || !load_elf(prog->path, prog->data, prog->size, /*allow_interp=*/true, img, why)) {
    say("nsgx run: " + why + "\n");
    return kCannotRun;
  }
  g_program.exe = prog->path;
  // A dynamically linked program: its interpreter (ld.so) must be a
  // trusted file too, checked like the program; it starts first and maps
  // the libraries itself (file-backed mmap of trusted files).
  if (!img.interp.empty()) {
    const auto* itf = g_program.manifest->trusted(img.interp);
    const TrustedCopy* ic = itf ? load_trusted(*itf, why) : nullptr;
    if (itf == nullptr) why = prog->path + ": its interpreter " + img.interp + " is not a trusted file";
    if (ic == nullptr || !load_elf(ic->path, ic->data, ic->size, /*allow_interp=*/false, interp, why)) {
      say("nsgx run: " + why + "\n");
      return kCannotRun;
    }
  }
  // brk: a quarter of the user region at most, reserved now, accepted as it grows.
  const uint64_t brk_pages = region_pages() / 4;
  const uint64_t brk_first = reserve_pages(brk_pages);
  if (brk_first == kNoPages) {
    say("nsgx run: no room for the program's heap\n");
    return kCannotRun;
  }
  g_program.brk_start = g_program.brk = reinterpret_cast<uint64_t>(region_base() + brk_first * kPage);
  g_program.brk_end = g_program.brk_start + brk_pages * kPage;
  if (exec != nullptr) {
    nsgx::libos::install_inherited(*exec);
    // The caller's working directory inside (the host's stays where the
    // run began: chdir inside never changes it).
    if (!exec->cwd.empty()) nsgx::libos::set_cwd(exec->cwd);
  } else
    for (int fd = 0; fd < 3; ++fd) set_fd(fd, Fd{FdKind::kHostStdio, fd, nullptr, 0});
  // The program's stack: this thread's, below what this function and the
  // handlers above it use (the SDK's handlers run only on it), and below
  // kForkRoom more: a fork child restores this stack at the same
  // addresses while its own frames (libos_run_forked's) lie above it.
  g_program.stack_size = g_global_data.stack_size;
  volatile uint8_t* room = static_cast<uint8_t*>(__builtin_alloca(kForkRoom));
  room[0] = 0;
  uint64_t here;
  __asm__ volatile("mov %%rsp, %0" : "=r"(here));
  g_program.stack_here = here;
  const uint64_t top = (here - kArgRoom) & ~uint64_t{15};
  nsgx::libos::ExecStart start;
  if (exec != nullptr) start = {exec->path, exec_env(exec->envp, *g_program.manifest)};
  const uint64_t sp = build_stack(top, kArgRoom, args, args_len, img, img.interp.empty() ? 0 : interp.base,
                                  *g_program.manifest, exec != nullptr ? &start : nullptr);
  if (sp == 0) {
    say("nsgx run: the arguments do not fit on the program's stack\n");
    return kCannotRun;
  }
  const uint32_t max_threads = g_program.max_threads;
  if (g_program.trace)
    say("nsgx libos: " + std::to_string(max_threads) + " program threads at most (" +
        std::to_string(g_global_data.tcs_num) + " TCSs)\n");
  // How the program's vector state is kept across its system calls, from
  // the enclave's XFRM and the host's CPU facts (xstate.h): no safe way,
  // no program.
  if (!nsgx::libos::xstate_init(why)) {
    say("nsgx run: " + why + "\n");
    return kCannotRun;
  }
  if (g_program.trace) say("nsgx libos: " + nsgx::libos::xstate_describe() + "\n");
  if (!nsgx::libos::threads_init(max_threads) || !install_syscall_handlers()) {
    say("nsgx run: cannot install the system call handlers\n");
    return kCannotRun;
  }
  nsgx::libos::signals_main_stack(nsgx::libos::this_thread(), here, g_program.stack_size);
  // The signal dispositions and mask execve keeps: the parent's
  // program's (the request's), or those the first program was started
  // with (libos_run's).
  if (exec != nullptr) {
    ignored = exec->ignored;
    blocked = exec->blocked;
  }
  nsgx::libos::signals_after_execve(nsgx::libos::this_thread(), ignored, blocked);
  const int status = static_cast<int>(
      libos_enter_program(img.interp.empty() ? img.entry : interp.entry, sp, nsgx::libos::this_thread()->jb));
  {
    // The program's shared file mappings reach their files, as the page
    // cache keeps a process's writes when it ends (shared_maps.h).
    nsgx::libos::SpinGuard e(nsgx::libos::encrypted_lock());  // spin_lock.h's order
    nsgx::libos::SpinGuard g(nsgx::libos::g_memory_lock);
    nsgx::libos::shared_map_end();
  }
  nsgx::libos::rewrite_report();
  if (g_program.trace) {
    uint64_t faults = 0, pages = 0;
    nsgx::libos::first_touch_counts(faults, pages);
    say("nsgx libos: zero-fill on demand: " + std::to_string(faults) + " first touches, " + std::to_string(pages) +
        " pages accepted\n");
    say("nsgx libos: " + nsgx::libos::clock_describe() + "\n");
  }
  return status;
}

// One program per enclave, whichever ECALL starts it (libos_run or
// libos_run_spawned): a second would run over the first one's state.
int g_ran = 0;

}  // namespace

extern "C" int libos_run(const char* args, size_t args_len, int trace, uint64_t ignored, uint64_t blocked) {
  if (__atomic_exchange_n(&g_ran, 1, __ATOMIC_SEQ_CST)) {
    say("nsgx run: the library OS enclave runs one program once\n");
    return kCannotRun;
  }
  g_program.trace = trace;
  return run(args, args_len, nullptr, ignored, blocked);
}

// A program a parent's execve started (libos_spawn.edl): the request came
// through the host and is checked before any of it is used.
extern "C" int libos_run_spawned(const uint8_t* request, size_t len, int32_t host_pid, int trace) {
  if (__atomic_exchange_n(&g_ran, 1, __ATOMIC_SEQ_CST)) {  // either ECALL, once
    say("nsgx run: the library OS enclave runs one program once\n");
    return kCannotRun;
  }
  g_program.trace = trace;
  nsgx::libos::SpawnRequest req;
  std::string why;
  if (!nsgx::libos::decode_request(request, len, req, why)) {
    say("nsgx run: " + why + "\n");
    return kCannotRun;
  }
  // The pid: execve keeps the process's (the request's), a new process is
  // the host process's; either must be a pid Linux could give (Iago: the
  // host chooses it, but cannot make it 0 or negative).
  const int32_t pid = req.pid != 0 ? req.pid : host_pid;
  if (pid <= 0 || pid >= (1 << 22) || req.ppid < 0) {
    say("nsgx run: the host's pid " + std::to_string(pid) + " for the new process is not valid\n");
    return kCannotRun;
  }
  g_program.pid = pid;
  g_program.ppid = req.ppid;
  std::string args;
  for (const auto& a : req.argv) args.append(a.c_str(), a.size() + 1);
  return run(args.data(), args.size(), &req);
}

// A fork child (libos_spawn.edl): the parent's checkpoint comes through the
// host, encrypted and authenticated, and is checked before any of it is
// used (syscalls_fork.h). Its frames stay shallow: the parent's program
// stack is put back below them.
extern "C" int libos_run_forked(int32_t host_pid, int trace) {
  if (__atomic_exchange_n(&g_ran, 1, __ATOMIC_SEQ_CST)) {  // any of the three ECALLs, once
    say("nsgx run: the library OS enclave runs one program once\n");
    return kCannotRun;
  }
  g_program.trace = trace;
  if (!prepare()) return kCannotRun;
  return nsgx::libos::run_forked(host_pid);
}
