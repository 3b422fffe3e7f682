// `nsgx libos build` and `nsgx run` (docs/libos.md): an unmodified program
// in the library OS enclave.
//
//   nsgx libos build --manifest M.toml --out DIR [--key KEY]
//       fills in the SHA-256 of trusted files the TOML leaves out (as
//       gramine-sgx-sign does), writes the canonical manifest into the
//       library OS enclave's measured manifest section and signs it:
//       DIR/libos.signed.so (+ manifest.bin, libos.config.xml, the key)
//   nsgx run [--manifest M.toml | --enclave DIR] [--trace] [--switchless N] -- PROGRAM ARGS...
//       runs PROGRAM there with ARGS; without --manifest or --enclave, a
//       manifest that trusts PROGRAM alone (with its interpreter and shared
//       libraries if it is dynamically linked: libos_deps.h, which both
//       commands apply to the entrypoint). Exit status: the program's;
//       126 when it cannot start (the reason on stderr).
// The backend is the SDK runtime's (NSGX_BACKEND; inproc runs the host
// under `nsgx exec`).
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/install_layout.h"
#include "crypto/sha.h"
#include "image/elf.h"
#include "libos/manifest/manifest.h"
#include "libos/manifest/toml_manifest.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/libos_deps.h"
#include "tools/nsgx/process.h"
#include "tools/nsgx/run_process.h"
#include "tools/nsgx/trusted_dirs.h"

namespace nsgx::cli {

namespace {

constexpr int kCannotRun = 126;
constexpr const char* kManifestSection = ".nsgx_libos_manifest";
constexpr std::uint64_t kManifestSectionSize = 65536;  // libos/enclave/manifest_section.h's
constexpr std::uint64_t kDefaultUserRegion = std::uint64_t{256} << 20;
constexpr std::uint32_t kDefaultMaxThreads = 4;  // the enclave's default too (libos/enclave/libos_enclave.cc)

std::string unsigned_enclave() {
  if (const char* p = std::getenv("NSGX_LIBOS_ENCLAVE"); p && *p) return p;
  return installed_or_build("libos_enclave.unsigned.so", NSGX_LIBOS_ENCLAVE_BUILD_PATH);
}

std::string libos_host() {
  if (const char* p = std::getenv("NSGX_LIBOS_HOST"); p && *p) return p;
  return installed_or_build("nsgx-libos-host", NSGX_LIBOS_HOST_BUILD_PATH);
}

// The two pieces `nsgx run` and `nsgx libos build` take from the install
// (PREFIX/libexec/nestedsgx) or the build tree: named when absent, rather
// than an execv failing silently as exit 127, indistinguishable from the
// program's own status.
Status need(const std::string& path, int mode, const char* what) {
  if (access(path.c_str(), mode) == 0) return {};
  const std::string prefix = installed_prefix();
  const std::string libexec = (prefix == "/" ? "" : prefix) + "/" + kInstallLibexecDir + "/";
  const bool installed = !prefix.empty() && path.starts_with(libexec);  // not an NSGX_LIBOS_* override
  return Error(std::string(installed ? "incomplete install: " : "") + path + " (" + what + ") is " +
               (access(path.c_str(), F_OK) == 0 ? "not executable" : "missing"));
}
Status need_enclave() { return need(unsigned_enclave(), R_OK, "the library OS enclave"); }
Status need_host() { return need(libos_host(), X_OK, "the library OS host"); }

// Runs a helper (keygen, sign) with its stdout on our stderr: stdout
// belongs to the program `nsgx run` runs. With `log` set, its stdout and
// stderr go to that file instead: `nsgx run` without --enclave signs for
// this run only, and the program's stderr is to be the program's alone.
int run_helper(const std::vector<std::string>& argv, const std::string& log = "") {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (!log.empty()) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || dup2(fd, 2) < 0) _exit(127);
    }
    (void)dup2(2, 1);
    std::vector<char*> a;
    a.reserve(argv.size() + 1);
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What a quiet helper said, for the error when it failed.
std::string helper_log(const std::string& log) {
  if (log.empty()) return "";
  auto text = read_file(log);
  if (!text || text->empty()) return "";
  return ": " + std::string(text->begin(), text->end());
}

// Writes `manifest` into the section of an unsigned image, checking that
// the section is where the image says, of the size the enclave expects.
Result<Bytes> with_manifest(Bytes image, const Bytes& manifest) {
  auto elf = image::ElfFile::parse(image);
  if (!elf) return elf.error().context("the library OS enclave");
  const image::ElfSection* s = elf->find_section(kManifestSection);
  if (s == nullptr) return Error("the library OS enclave has no " + std::string(kManifestSection) + " section");
  if (s->size != kManifestSectionSize || s->offset > image.size() || image.size() - s->offset < s->size)
    return Error(std::string(kManifestSection) + ": not " + std::to_string(kManifestSectionSize) +
                 " bytes in the file");
  if (manifest.size() > s->size)
    return Error("the manifest's binary form (" + std::to_string(manifest.size()) + " bytes) exceeds the enclave's " +
                 std::to_string(s->size) + "-byte manifest section");
  std::fill(image.begin() + static_cast<std::ptrdiff_t>(s->offset),
            image.begin() + static_cast<std::ptrdiff_t>(s->offset + s->size), std::uint8_t{0});
  std::copy(manifest.begin(), manifest.end(), image.begin() + static_cast<std::ptrdiff_t>(s->offset));
  return image;
}

// A manifest ready to sign, with its trusted directories' listings (by
// directory path), which the build writes beside the enclave.
struct Prepared {
  libos::Manifest manifest;
  std::map<std::string, Bytes> listings;
};

// The manifest with every trusted file's hash filled in from the file
// (directories, which end in '/' there, are list_trusted_dirs').
Status fill_hashes(libos::Manifest& m, const std::vector<std::string>& unhashed) {
  for (const auto& path : unhashed) {
    if (path.ends_with('/')) continue;
    auto bytes = read_file(path);
    if (!bytes) return Error(path + ": cannot read the trusted file to hash it: " + bytes.error().message());
    const auto d = crypto::sha256(*bytes);
    for (auto& f : m.trusted_files)
      if (f.path == path) std::copy(d.begin(), d.end(), f.sha256.begin());
  }
  return {};
}

// The SDK heap the library OS enclave gets: its own 1 MiB, and room for
// the trusted directories it reads when it starts (libos_enclave.cc): the
// largest listing, held while it is parsed, and each file a listing adds
// to the manifest — a TrustedFile in the parsed vector and in the merged
// one (64 bytes each, with a vector's growth) and its path (with malloc's
// overhead); twice that, for what else the heap holds meanwhile.
std::uint64_t heap_size(const libos::Manifest& all, const std::map<std::string, Bytes>& listings) {
  std::uint64_t added = 0;
  for (const auto& [dir, bytes] : listings) added = std::max<std::uint64_t>(added, bytes.size());
  for (const auto& f : all.trusted_files)
    if (all.trusted_dir(f.path) != nullptr) added += 192 + f.path.size() + 32;
  const std::uint64_t heap = (std::uint64_t{1} << 20) + 2 * added;
  return (heap + 0xffff) & ~std::uint64_t{0xffff};
}

// The listings beside the signed enclave, numbered as the measured
// manifest orders the directories; one an earlier build left here (a
// trusted_dir_N.bin this manifest does not have) is removed, so that the
// directory holds what this enclave reads.
Status write_listings(const std::string& out, const std::vector<const Bytes*>& listings) {
  std::error_code ec;
  std::vector<std::filesystem::path> stale;
  for (std::filesystem::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string_view digits = name.starts_with("trusted_dir_") && name.ends_with(".bin")
                                        ? std::string_view(name).substr(12, name.size() - 16)
                                        : std::string_view();
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      stale.push_back(it->path());
  }
  if (ec) return Error(out + ": " + ec.message());
  for (const auto& p : stale)
    if (!std::filesystem::remove(p, ec) && ec) return Error(p.string() + ": " + ec.message());
  for (std::size_t i = 0; i < listings.size(); ++i)
    NSGX_RETURN_IF_ERROR(write_file(out + "/" + libos::listing_file_name(i), *listings[i]));
  return {};
}

Status build(Prepared in, const std::string& out, std::string key, bool quiet) {
  auto bin = libos::encode_manifest(std::move(in.manifest));
  if (!bin) return bin.error();
  auto parsed = libos::parse_manifest(*bin);
  if (!parsed) return parsed.error();
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Error(out + ": " + ec.message());
  auto image = read_file(unsigned_enclave());
  if (!image) return image.error().context("the library OS enclave");
  auto patched = with_manifest(std::move(*image), *bin);
  if (!patched) return patched.error();
  NSGX_RETURN_IF_ERROR(write_file(out + "/libos.unsigned.so", *patched));
  NSGX_RETURN_IF_ERROR(write_file(out + "/manifest.bin", *bin));
  // `all`: the manifest as the enclave will hold it, its directories'
  // files added as the enclave adds them (the listings are written once
  // the enclave is signed, below).
  libos::Manifest all = *parsed;
  std::vector<const Bytes*> listings;
  for (std::size_t i = 0; i < parsed->trusted_dirs.size(); ++i) {
    const auto it = in.listings.find(parsed->trusted_dirs[i].path);
    if (it == in.listings.end()) return Error("trusted directory " + parsed->trusted_dirs[i].path + ": not listed");
    NSGX_RETURN_IF_ERROR(libos::add_trusted_listing(all, i, it->second));
    listings.push_back(&it->second);
  }
  const std::uint64_t heap = heap_size(all, in.listings);
  const std::uint64_t region = parsed->enclave_size != 0 ? parsed->enclave_size : kDefaultUserRegion;
  // One TCS per program thread the manifest allows (sgx.max_threads, 4 when
  // it names none, as Gramine's default), plus a spare: a thread that has
  // left the program holds its TCS until its ECALL has returned, and the
  // next clone should not have to wait for it (libos/enclave/threads.cc).
  const std::uint32_t threads = parsed->max_threads != 0 ? parsed->max_threads : kDefaultMaxThreads;
  // MiscSelect 1 (EXINFO): the library OS accepts zero-fill pages at
  // their first touch from the faulting address (libos/enclave/user_region.h).
  // UserRegionFirst when a trusted program has fixed addresses: the user
  // region from ELRANGE's base, the image above it
  // (sdk/sign/enclave_config.h); the host then places the enclave at 0
  // (libos/host/placement.h), so that the region holds those addresses.
  const std::string config =
      "<EnclaveConfiguration>\n  <StackMaxSize>0x400000</StackMaxSize>\n"
      "  <HeapMaxSize>" +
      std::to_string(heap) + "</HeapMaxSize>\n  <TCSNum>" + std::to_string(threads + 1) +
      "</TCSNum>\n  <UserRegionSize>" + std::to_string(region) + "</UserRegionSize>\n" +
      (fixed_address_programs(all) ? "  <UserRegionFirst>1</UserRegionFirst>\n" : "") +
      "  <MiscSelect>1</MiscSelect>\n</EnclaveConfiguration>\n";
  NSGX_RETURN_IF_ERROR(write_file(out + "/libos.config.xml",
                                  ByteSpan(reinterpret_cast<const std::uint8_t*>(config.data()), config.size())));
  const std::string log = quiet ? out + "/helper.log" : "";
  if (key.empty()) {
    key = out + "/signing_key.pem";
    if (access(key.c_str(), R_OK) != 0 && run_helper({self_exe(), "keygen", "--out", key}, log) != 0)
      return Error("cannot make a signing key at " + key + helper_log(log));
  }
  if (run_helper({self_exe(), "sign", "--config", out + "/libos.config.xml", "--key", key, "--out-image",
                  out + "/libos.signed.so", out + "/libos.unsigned.so"},
                 log) != 0)
    return Error("signing the library OS enclave failed" + helper_log(log));
  return write_listings(out, listings);
}

Result<Prepared> manifest_from_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  std::vector<std::string> unhashed;
  auto m = libos::manifest_from_toml(std::string(text->begin(), text->end()), path, &unhashed);
  if (!m) return m.error();
  std::vector<std::string> covered;
  if (m->trusted_dir(m->entrypoint) != nullptr) covered.push_back(m->entrypoint);
  NSGX_RETURN_IF_ERROR(add_dynamic_closure(*m, unhashed, &covered));
  NSGX_RETURN_IF_ERROR(fill_hashes(*m, unhashed));
  auto listings = list_trusted_dirs(*m, covered);
  if (!listings) return listings.error();
  return Prepared{std::move(*m), std::move(*listings)};
}

// The minimal manifest for `nsgx run -- PROG`: PROG (made absolute) is the
// entrypoint and a trusted file, with its interpreter and shared libraries
// when it is dynamically linked (libos_deps.h); nothing else. The
// entrypoint is PROG's real path (what /proc/self/exe names natively);
// the path as given is trusted too when links make it another one, since
// the library OS resolves paths lexically only and a program execs itself
// by that name (`/bin/sh` is dash's link: `exec /bin/sh` inside sh).
Result<Prepared> manifest_for(const std::string& program) {
  char real[PATH_MAX];
  if (realpath(program.c_str(), real) == nullptr) return Error(program + ": no such program");
  libos::Manifest m;
  m.entrypoint = real;
  m.trusted_files.push_back({real, {}});
  std::vector<std::string> unhashed = {real};
  std::error_code ec;
  const std::string given = std::filesystem::absolute(program, ec).lexically_normal().string();
  if (!ec && given != m.entrypoint && libos::check_path(given)) {
    m.trusted_files.push_back({given, {}});
    unhashed.push_back(given);
  }
  NSGX_RETURN_IF_ERROR(add_dynamic_closure(m, unhashed));
  NSGX_RETURN_IF_ERROR(fill_hashes(m, unhashed));
  return Prepared{std::move(m), {}};
}

struct RunOptions {
  std::string manifest, enclave;
  bool trace = false;
  unsigned switchless = 0;
  std::vector<std::string> command;
};

int run(const RunOptions& o) {
  // Before anything is built or started: what this run needs is there.
  Status there = need_host();
  if (there && o.enclave.empty()) there = need_enclave();
  if (!there) {
    std::cerr << "nsgx run: " << there.error().message() << "\n";
    return kCannotRun;
  }
  // Its own waits (the helpers that build the enclave, the cleaner) must
  // see their children even when it was started with SIGCHLD ignored,
  // which the program gets back (exec_host).
  struct sigaction chld = {}, dfl = {};
  dfl.sa_handler = SIG_DFL;
  (void)sigaction(SIGCHLD, &dfl, &chld);
  unsetenv("NSGX_LIBOS_IMAGE_HOLD");  // only a hold this run makes (run_process.h)
  std::string dir = o.enclave, tmp;
  if (dir.empty()) {
    auto m = o.manifest.empty() ? manifest_for(o.command[0]) : manifest_from_file(o.manifest);
    if (!m) {
      std::cerr << "nsgx run: " << m.error().message() << "\n";
      return kCannotRun;
    }
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t && *t ? t : "/tmp") + "/nsgx-run-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      std::cerr << "nsgx run: cannot make a temporary directory\n";
      return kCannotRun;
    }
    dir = tmp = templ;
    // Removed however the run ends, from now on: a ^C during the build too.
    if (!hold_directory(tmp)) {
      std::cerr << "nsgx run: cannot start the temporary directory's cleaner: " << std::strerror(errno) << "\n";
      std::filesystem::remove_all(tmp);
      return kCannotRun;
    }
    if (auto st = build(std::move(*m), dir, "", /*quiet=*/true); !st) {
      std::cerr << "nsgx run: " << st.error().message() << "\n";
      std::filesystem::remove_all(tmp);
      return kCannotRun;
    }
  }
  std::vector<std::string> argv;
  const char* backend = std::getenv("NSGX_BACKEND");
  if (backend != nullptr && std::string(backend) == "inproc")
    argv = {self_exe(), "exec", "--cpuid", "off", "--"};  // the host needs no SGX CPUID
  argv.push_back(libos_host());
  // Untrusted workers for the POSIX layer's switchless OCALLs: the host's
  // (and its children's) environment, not the program's.
  if (o.switchless > 0) setenv("NSGX_LIBOS_SWITCHLESS", std::to_string(o.switchless).c_str(), 1);
  if (o.trace) argv.emplace_back("--trace");
  argv.push_back(dir + "/libos.signed.so");
  argv.emplace_back("--");
  argv.insert(argv.end(), o.command.begin(), o.command.end());
  const std::string error = exec_host(argv, chld);  // returns only when it could not
  std::cerr << "nsgx run: " << error << "\n";
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  return kCannotRun;
}

}  // namespace

void add_run(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "run", "run an unmodified static-PIE or dynamically linked (PIE) Linux program inside the library OS enclave");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("--manifest", o->manifest, "the manifest (TOML, docs/libos.md)");
  cmd->add_option("--enclave", o->enclave, "a directory `nsgx libos build` wrote");
  cmd->add_flag("--trace", o->trace,
                "log system calls the library OS refuses or does not know (also NSGX_LIBOS_TRACE=1)");
  cmd->add_option("--switchless", o->switchless,
                  "untrusted worker threads for switchless OCALLs of file and clock calls (docs/libos.md; "
                  "also NSGX_LIBOS_SWITCHLESS; 0: none)")
      ->check(CLI::Range(0, 16));
  cmd->add_option("command", o->command, "PROGRAM [ARGS...] (after --)")->required();
  cmd->callback([o, &exit_code] {
    if (!o->manifest.empty() && !o->enclave.empty()) {
      std::cerr << "nsgx run: --manifest and --enclave exclude each other\n";
      exit_code = kExitBadInput;
      return;
    }
    if (const char* t = std::getenv("NSGX_LIBOS_TRACE"); t && (std::string(t) == "1" || std::string(t) == "2"))
      o->trace = true;
    exit_code = run(*o);
  });

  auto* libos = app.add_subcommand("libos", "the library OS: build an enclave for a manifest");
  libos->require_subcommand(1);
  auto* b = libos->add_subcommand("build", "sign the library OS enclave with a manifest, to run many times");
  auto manifest = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  b->add_option("--manifest", *manifest, "the manifest (TOML)")->required();
  b->add_option("--out", *out, "the directory to write")->required();
  b->add_option("--key", *key, "the signing key (RSA-3072, e=3; default: a new one in the directory)");
  b->callback([manifest, out, key, &exit_code] {
    if (auto st = need_enclave(); !st) {  // the install's fault, not the input's
      std::cerr << "nsgx libos build: " << st.error().message() << "\n";
      exit_code = kExitVerifyFailed;
      return;
    }
    auto m = manifest_from_file(*manifest);
    if (!m) {
      std::cerr << "nsgx libos build: " << m.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    if (auto st = build(std::move(*m), *out, *key, /*quiet=*/false); !st) {
      std::cerr << "nsgx libos build: " << st.error().message() << "\n";
      exit_code = kExitBadInput;
      return;
    }
    std::cout << *out << "/libos.signed.so\n";
  });
}

}  // namespace nsgx::cli
