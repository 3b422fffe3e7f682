// `nsgx bench`: runs the Google Benchmark suites (bench/) and prints their
// tables, then a summary in cycles and ratios; the `sdk` suite runs the SDK
// round-trip benchmark (bench/sdk/ecall_bench.cc) once per backend, and the
// `workloads` suite the workloads NestedSGX evaluated, enclave against
// native (bench/workloads), once per backend, with plots on request. The
// inproc suites run under `nsgx exec`, as any SGX program would. Timings are
// reported, never judged: these machines are noisy.
//
// Where the suites are: a build tree's folders, or an installed prefix's
// libexec/nestedsgx (beside the enclaves they load), never both
// (base/install_layout.h). Every build but a sanitizer or fuzzing one has
// the suites, with or without its tests (bench/CMakeLists.txt); a suite that
// is missing is named with what is missing and why, and fails the run.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/install_layout.h"
#include "runtime/common/fsgs.h"
#include "tools/nsgx/bench_libos.h"
#include "tools/nsgx/commands.h"
#include "tools/nsgx/process.h"

namespace nsgx::cli {
namespace {

namespace fs = std::filesystem;

enum class Kind {
  kGbench,      // a Google Benchmark binary
  kGbenchExec,  // the same, run under `nsgx exec` (needs the upstream SGX interface)
  kSdk,         // sdk_ecall_bench, run once per backend: isolated, then inproc under `nsgx exec`
  kWorkloads,   // workloads_bench, the same way; inproc with a small EPC, so that bw_mem's largest sizes evict
  kLibos,       // libos_workloads, natively and through `nsgx run` on each backend (bench_libos.h)
};
// What a build needs to have a suite (bench/CMakeLists.txt).
constexpr const char* kNeedsGbench = "it needs -DNSGX_BENCH=ON (the default) and libbenchmark-dev";
constexpr const char* kNeedsGbenchEnclave =
    "it needs -DNSGX_BENCH=ON (the default) and a build without NSGX_SANITIZE or NSGX_FUZZ";
constexpr const char* kNeedsEnclave = "every build has it but one with NSGX_SANITIZE or NSGX_FUZZ";
struct Suite {
  const char* name;
  const char* binary;
  Kind kind;
  const char* what;
  const char* needs;
  const char* loads;  // what the program loads from beside itself when installed (nullptr: nothing)
};
constexpr Suite kSuites[] = {
    {"measurement", "measurement_benchmark", Kind::kGbench, "MRENCLAVE measurement and SIGSTRUCT verification",
     kNeedsGbench, nullptr},
    {"monitor", "monitor_benchmark", Kind::kGbench, "monitor leaves, EREPORT/EGETKEY, building a 64 MiB enclave",
     kNeedsGbench, nullptr},
    {"inproc", "vdso_benchmark", Kind::kGbenchExec,
     "inproc: null EENTER->EEXIT through the vDSO, and the traps it costs", kNeedsGbenchEnclave, "test_encl.bin"},
    {"syscall", "syscall_trap_benchmark", Kind::kGbench,
     "how a library OS can catch system calls: a call, SYSCALL, syscall user dispatch, #UD, seccomp traps",
     kNeedsGbench, nullptr},
    {"snp", "snp_benchmark", Kind::kGbench, "SEV-SNP evidence: report signature, and report + VCEK + AMD chain",
     kNeedsGbench, nullptr},
    {"sdk", "sdk_ecall_bench", Kind::kSdk,
     "SDK: null ECALL and OCALL round trips, ordinary and switchless, isolated and inproc backends", kNeedsEnclave,
     "bench_enclave.signed.so"},
    {"quote", "quote_benchmark", Kind::kGbench,
     "quotes: generation (signing), parsing, and verification with the chain", kNeedsGbench, nullptr},
    {"quote-e2e", "quote_e2e_benchmark", Kind::kGbench,
     "quotes through the SDK on the isolated backend: a request to nsgx-monitor, and a whole attestation",
     kNeedsGbenchEnclave, "ra_enclave.signed.so"},
    {"workloads", "workloads_bench", Kind::kWorkloads,
     "NestedSGX's workloads in an enclave vs natively (nbench-style suite, bw_mem, hash join, SQLite), isolated and "
     "inproc",
     kNeedsEnclave, "workloads_enclave.signed.so"},
    {"libos", "libos_workloads", Kind::kLibos,
     "an unmodified static-PIE program (the workloads above) natively and inside the library OS enclave, isolated "
     "and inproc",
     kNeedsEnclave, "libos_enclave.unsigned.so"},
};
constexpr const char* kSuiteNames =
    "measurement, monitor, inproc, syscall, snp, sdk, quote, quote-e2e, workloads, libos";

// A suite's program, or (bin empty) why there is none to run.
struct Located {
  std::string bin;
  std::string why;
};

Located locate(const Suite& s) {
  const std::string build_dir = s.kind == Kind::kSdk         ? NSGX_SDK_BENCH_BUILD_DIR
                                : s.kind == Kind::kWorkloads ? NSGX_WORKLOADS_BUILD_DIR
                                : s.kind == Kind::kLibos     ? NSGX_LIBOS_BENCH_BUILD_DIR
                                                             : NSGX_BENCH_BUILD_DIR;
  const std::string bin = find_helper(s.binary, "NSGX_BENCH_DIR", build_dir);
  const std::string prefix = installed_prefix();
  const fs::path libexec = fs::path(prefix) / kInstallLibexecDir;
  if (bin.empty()) {
    if (prefix.empty())
      return {{},
              "not built: " + (fs::path(build_dir) / s.binary).string() + " is missing (" + s.needs +
                  "; or set NSGX_BENCH_DIR)"};
    return {{},
            "not installed: " + (libexec / s.binary).string() +
                " is missing (this prefix was installed from a build without it: " + s.needs + ")"};
  }
  // Installed, the program loads its enclave from beside itself (never the
  // build tree's): an install without it cannot run the suite.
  if (s.loads != nullptr && fs::path(bin).parent_path() == libexec && access((libexec / s.loads).c_str(), R_OK) != 0)
    return {{},
            "incomplete install: " + (libexec / s.loads).string() + ", which " + s.binary +
                " loads, is missing (reinstall the prefix)"};
  return {bin, {}};
}

// The results a run wrote: a file that exists and is not empty.
bool wrote(const fs::path& file) {
  std::error_code ec;
  return fs::is_regular_file(file, ec) && fs::file_size(file, ec) > 0 && !ec;
}

// Google Benchmark colours its tables by TERM alone in some versions; piped
// or redirected output (and NO_COLOR, no-color.org) gets none.
std::string color_flag() {
  const char* no_color = std::getenv("NO_COLOR");
  const bool color = isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == 0);
  return std::string("--benchmark_color=") + (color ? "true" : "false");
}

// The Google Benchmark command line of suite `s` (under `nsgx exec` where it needs it).
std::vector<std::string> gbench_argv(const Suite& s, const std::string& bin) {
  std::vector<std::string> argv;
  if (s.kind == Kind::kGbenchExec) argv = {self_exe(), "exec", "--"};
  argv.push_back(bin);
  argv.push_back(color_flag());
  return argv;
}

struct Row {
  double median = 0, p99 = 0, ns = 0;
};

std::map<std::string, Row> load_rows(const fs::path& json_file) {
  std::map<std::string, Row> rows;
  std::ifstream in(json_file);
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("benchmarks")) return rows;
  for (const auto& b : j["benchmarks"]) {
    if (!b.contains("name") || !b["name"].is_string()) continue;
    Row r;
    if (b.contains("median_cycles") && b["median_cycles"].is_number()) r.median = b["median_cycles"].get<double>();
    if (b.contains("p99_cycles") && b["p99_cycles"].is_number()) r.p99 = b["p99_cycles"].get<double>();
    if (b.contains("real_time") && b["real_time"].is_number()) r.ns = b["real_time"].get<double>();
    rows[b["name"].get<std::string>()] = r;
  }
  return rows;
}

// What the inproc figures mean, in ratios (issue 4: the ENCLU trap dominates).
void summarize_inproc(const std::map<std::string, Row>& rows) {
  auto get = [&](const char* n) -> const Row* {
    auto it = rows.find(n);
    return it == rows.end() || it->second.median == 0 ? nullptr : &it->second;
  };
  const Row* trip = get("BM_NullEnterExit");
  if (trip == nullptr) return;
  std::cout << "\nnull EENTER->EEXIT through the vDSO: median " << std::fixed << std::setprecision(0) << trip->median
            << " cycles, p99 " << trip->p99 << " (target 6000)\n";
  std::cout << std::setprecision(2);
  for (const auto& [name, label] : std::vector<std::pair<const char*, const char*>>{
           {"BM_Ud2Trap", "a #UD trap (UD2) with signal delivery"},
           {"BM_EncluTrap", "a host ENCLU #UD trap, decoded and passed on"},
           {"BM_Int3Trap", "a #BP trap (INT3), which no hypervisor intercepts"},
           {"BM_Getppid", "a system call"}})
    if (const Row* r = get(name)) std::cout << "  = " << trip->median / r->median << " x " << label << "\n";
  // The FS/GS switch alone (enclave's bases in, application's back).
  std::cout << std::setprecision(0);
  for (const auto& [name, label] : std::vector<std::pair<const char*, const char*>>{
           {"BM_FsSwitchArchPrctl", "FS switch per round trip with arch_prctl (2 system calls; GS kept)"},
           {"BM_FsGsSwitchArchPrctl", "FS+GS switch with arch_prctl (4; a program with a GS base of its own)"}})
    if (const Row* r = get(name))
      std::cout << label << ": " << r->median << " cycles = " << std::setprecision(1)
                << 100.0 * r->median / trip->median << " % of the round trip" << std::setprecision(0) << "\n";
  if (const Row* r = get("BM_FsGsSwitchInstructions"))
    std::cout << "FS/GS switch per round trip with WRFSBASE/WRGSBASE: " << r->median << " cycles\n";
  else
    std::cout << "FS/GS switch with WRFSBASE/WRGSBASE: not measured (the kernel does not offer FSGSBASE here)\n";
}

}  // namespace

void add_bench(CLI::App& app, int& exit_code) {
  struct Opts {
    std::vector<std::string> suites;
    std::string filter, out_dir, epc_size = "32M";
    double min_time = 0;
    int calls = 20000;
    bool list = false, plot = false, quick = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("bench", "run the benchmark suites; tables in cycles, then ratios");
  cmd->add_option("suites", o->suites, std::string("suites to run (default: all): ") + kSuiteNames);
  cmd->add_option("--filter", o->filter, "only benchmarks matching this regex (Google Benchmark suites)");
  cmd->add_option("--min-time", o->min_time,
                  "minimum seconds per benchmark (Google Benchmark suites; their default if unset)");
  cmd->add_option("--out", o->out_dir, "keep each suite's JSON results in this directory");
  cmd->add_option("--calls", o->calls, "calls timed per round trip (sdk suite; default 20000)")
      ->check(CLI::Range(10, 100000000));
  cmd->add_option("--epc-size", o->epc_size,
                  "the inproc backend's EPC for the workloads suite (bw_mem's sizes go past it; default 32M)");
  cmd->add_flag("--plot", o->plot,
                "workloads and libos suites: PNG and SVG figures beside the JSON in --out (python3-matplotlib; "
                "scripts/bench installs it)");
  cmd->add_flag(
      "--quick", o->quick,
      "workloads and libos suites: each workload once at its smallest size, enclave checked against native (a "
      "smoke run: its times mean little)");
  cmd->add_flag("--list", o->list, "list the suites and where their binaries are; with SUITE names, their benchmarks");
  cmd->callback([o, &exit_code] {
    std::vector<const Suite*> chosen;
    for (const auto& s : kSuites)
      if (o->suites.empty() || std::find(o->suites.begin(), o->suites.end(), s.name) != o->suites.end())
        chosen.push_back(&s);
    for (const auto& want : o->suites)
      if (std::none_of(std::begin(kSuites), std::end(kSuites), [&](const Suite& s) { return want == s.name; })) {
        std::cerr << "nsgx bench: no suite '" << want << "' (" << kSuiteNames << ")\n";
        exit_code = kExitBadInput;
        return;
      }
    if (o->list) {
      for (const Suite* s : chosen) {
        const auto [bin, why] = locate(*s);
        std::cout << s->name << "\t" << (bin.empty() ? "(" + why + ")" : bin) << "\t" << s->what << "\n";
        // Suites named explicitly: their benchmarks too (names for --filter).
        if (o->suites.empty() || bin.empty() || s->kind == Kind::kSdk || s->kind == Kind::kWorkloads ||
            s->kind == Kind::kLibos)
          continue;
        std::vector<std::string> argv = gbench_argv(*s, bin);
        argv.push_back("--benchmark_list_tests=true");
        if (!o->filter.empty()) argv.push_back("--benchmark_filter=" + o->filter);
        std::cout << std::flush;
        if (run_process(argv) != 0) exit_code = kExitVerifyFailed;
      }
      return;
    }
    // A usage error is one whatever the build has.
    fs::path out = o->out_dir;
    const bool keep = !out.empty();
    if (o->plot && !keep) {
      std::cerr << "nsgx bench: --plot writes its figures into --out DIR; give one\n";
      exit_code = kExitBadInput;
      return;
    }
    // A missing suite is named, with what is missing and why, and fails the
    // run (exit 1); the others still run. Nothing at all to run: no
    // directory is made and no results are promised.
    std::vector<std::pair<const Suite*, std::string>> runnable;
    for (const Suite* s : chosen) {
      auto [bin, why] = locate(*s);
      if (bin.empty()) {
        std::cerr << "nsgx bench: " << s->name << ": " << why << "\n";
        exit_code = kExitVerifyFailed;
      } else {
        runnable.emplace_back(s, std::move(bin));
      }
    }
    if (runnable.empty()) return;
    std::error_code ec;
    if (!keep) {
      char tmpl[] = "/tmp/nsgx-bench-XXXXXX";
      if (mkdtemp(tmpl) == nullptr) {
        std::cerr << "nsgx bench: cannot create a temporary directory\n";
        exit_code = kExitBadInput;
        return;
      }
      out = tmpl;
    } else {
      fs::create_directories(out, ec);
    }
    int ran = 0;           // Google Benchmark suites that produced results
    bool written = false;  // any JSON file of results
    std::vector<std::string> filtered_out;
    for (const auto& [s, bin] : runnable) {
      std::cout << "== " << s->name << ": " << s->what << "\n" << std::flush;
      if (s->kind == Kind::kSdk) {
        // The default backend first, then inproc as any SGX program runs
        // there, and — where the kernel offers FSGSBASE, so that the default
        // uses the instructions — inproc once more on the arch_prctl path.
        std::vector<const char*> backends = {"isolated", "inproc"};
        if (runtime::kernel_offers_fsgsbase())
          backends.push_back("inproc-arch_prctl");
        else
          std::cout << "(inproc switches FS/GS with arch_prctl here: AT_HWCAP2 has no FSGSBASE)\n";
        for (const char* backend : backends) {
          std::vector<std::string> argv;
          if (std::string(backend) != "isolated") argv = {self_exe(), "exec", "--"};
          if (std::string(backend) == "inproc-arch_prctl")
            setenv("NSGX_FSGSBASE", "off", 1);
          else
            unsetenv("NSGX_FSGSBASE");
          std::cout << "-- " << backend << "\n" << std::flush;
          argv.push_back(bin);
          argv.push_back(std::to_string(o->calls));
          argv.push_back("--json");
          const fs::path json = out / (std::string("sdk-") + backend + ".json");
          fs::remove(json, ec);  // an earlier run's file must not pass for this one's
          argv.push_back(json.string());
          if (const int rc = run_process(argv); rc != 0) {
            std::cerr << "nsgx bench: sdk (" << backend << ") failed (exit " << rc << ")\n";
            exit_code = kExitVerifyFailed;
          }
          written = written || wrote(json);
        }
        unsetenv("NSGX_FSGSBASE");
        continue;
      }
      if (s->kind == Kind::kWorkloads) {
        // The isolated backend's EPC is not over-committed (docs/isolated.md):
        // its enclaves must fit — two of 80 MiB heaps, the second for SQLite with switchless calls — so it gets 192M;
        // inproc evicts past --epc-size.
        for (const char* backend : {"isolated", "inproc"}) {
          const bool inproc = std::string(backend) == "inproc";
          const std::string epc = inproc ? o->epc_size : "192M";
          setenv("NSGX_EPC_SIZE", epc.c_str(), 1);
          std::vector<std::string> argv;
          if (inproc) argv = {self_exe(), "exec", "--epc-size", epc, "--"};
          argv.push_back(bin);
          if (o->quick) argv.push_back("--check");
          if (o->min_time > 0) argv.insert(argv.end(), {"--min-time", std::to_string(o->min_time)});
          const fs::path json = out / (std::string("workloads-") + backend + ".json");
          fs::remove(json, ec);  // an earlier run's file must not pass for this one's
          argv.insert(argv.end(), {"--json", json.string()});
          std::cout << "-- " << backend << "\n" << std::flush;
          if (const int rc = run_process(argv); rc != 0) {
            std::cerr << "nsgx bench: workloads (" << backend << ") failed (exit " << rc << ")\n";
            exit_code = kExitVerifyFailed;
          }
          written = written || wrote(json);
        }
        unsetenv("NSGX_EPC_SIZE");
        if (o->plot) {
          const std::string script = find_helper("plot_workloads.py", "NSGX_BENCH_DIR", NSGX_WORKLOADS_BUILD_DIR);
          // Debian's interpreter, which python3-matplotlib belongs to (a
          // python3 earlier on PATH, pyenv's say, would not see it).
          const std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
          if (script.empty() || run_process({python, script, out.string()}) != 0) {
            std::cerr << "nsgx bench: no plots (they need python3-matplotlib: scripts/bench installs it)\n";
            exit_code = kExitVerifyFailed;
          }
        }
        continue;
      }
      if (s->kind == Kind::kLibos) {
        if (const int rc = bench_libos(bin, out, o->quick, written); rc != kExitOk) exit_code = rc;
        if (o->plot) {
          // Beside the workloads program (libexec, or the build tree's copy).
          const std::string script = (fs::path(bin).parent_path() / "plot_libos.py").string();
          const std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
          if (access(script.c_str(), R_OK) != 0 || run_process({python, script, out.string()}) != 0) {
            std::cerr << "nsgx bench: no plots (they need python3-matplotlib: scripts/bench installs it)\n";
            exit_code = kExitVerifyFailed;
          }
        }
        continue;
      }
      std::vector<std::string> argv = gbench_argv(*s, bin);
      argv.push_back("--benchmark_counters_tabular=true");
      argv.push_back("--benchmark_out_format=json");
      const fs::path json = out / (std::string(s->name) + ".json");
      fs::remove(json, ec);  // an earlier run's file must not pass for this one's
      argv.push_back("--benchmark_out=" + json.string());
      if (!o->filter.empty()) argv.push_back("--benchmark_filter=" + o->filter);
      if (o->min_time > 0) argv.push_back("--benchmark_min_time=" + std::to_string(o->min_time));
      if (const int rc = run_process(argv); rc != 0) {
        std::cerr << "nsgx bench: " << s->name << " failed (exit " << rc << ")\n";
        exit_code = kExitVerifyFailed;
        continue;
      }
      const auto rows = load_rows(json);
      if (rows.empty()) {
        filtered_out.push_back(s->name);
      } else {
        ++ran;
        written = true;
      }
      if (std::string(s->name) == "inproc") summarize_inproc(rows);
    }
    // A filter that matched nothing anywhere is a usage error, not a result
    // (Google Benchmark only warns and exits 0).
    if (!o->filter.empty() && ran == 0 && !filtered_out.empty()) {
      std::cerr << "nsgx bench: --filter '" << o->filter << "' matches no benchmark of ";
      for (std::size_t i = 0; i < filtered_out.size(); ++i) std::cerr << (i ? ", " : "") << filtered_out[i];
      std::cerr << " (names are like BM_Egetkey; `nsgx bench SUITE --list` lists them)\n";
      if (exit_code == kExitOk) exit_code = kExitBadInput;
    }
    // The path only of results this run wrote.
    if (keep && written)
      std::cout << "\nresults (JSON): " << out.string() << "\n";
    else if (!keep)
      fs::remove_all(out, ec);
  });
}

}  // namespace nsgx::cli
