// `nsgx bench`: runs the Google Benchmark suites (bench/) and prints their
// tables, then a summary in cycles and ratios. The inproc suite runs under
// `nsgx exec`, as any SGX program would. Timings are reported, never judged:
// these machines are noisy.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/nsgx/commands.h"
#include "tools/nsgx/process.h"

namespace nsgx::cli {
namespace {

namespace fs = std::filesystem;

struct Suite {
  const char* name;
  const char* binary;
  bool under_exec;  // needs the upstream SGX interface (`nsgx exec`)
  const char* what;
};
constexpr Suite kSuites[] = {
    {"measurement", "measurement_benchmark", false, "MRENCLAVE measurement and SIGSTRUCT verification"},
    {"monitor", "monitor_benchmark", false, "monitor leaves, EREPORT/EGETKEY, building a 64 MiB enclave"},
    {"inproc", "vdso_benchmark", true, "inproc: null EENTER->EEXIT through the vDSO, and the traps it costs"},
    {"snp", "snp_benchmark", false, "SEV-SNP evidence: report signature, and report + VCEK + AMD chain"},
    {"quote", "quote_benchmark", false, "quotes: generation (signing), parsing, and verification with the chain"},
    {"quote-e2e", "quote_e2e_benchmark", false,
     "quotes through the SDK on the isolated backend: a request to nsgx-monitor, and a whole attestation"},
};

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
}

}  // namespace

void add_bench(CLI::App& app, int& exit_code) {
  struct Opts {
    std::vector<std::string> suites;
    std::string filter, out_dir;
    double min_time = 0;
    bool list = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("bench", "run the benchmark suites; tables in cycles, then ratios");
  cmd->add_option("suites", o->suites,
                  "suites to run (default: all): measurement, monitor, inproc, snp, quote, quote-e2e");
  cmd->add_option("--filter", o->filter, "only benchmarks matching this regex");
  cmd->add_option("--min-time", o->min_time, "minimum seconds per benchmark (Google Benchmark's default if unset)");
  cmd->add_option("--out", o->out_dir, "keep each suite's JSON results in this directory");
  cmd->add_flag("--list", o->list, "list the suites and where their binaries are");
  cmd->callback([o, &exit_code] {
    std::vector<const Suite*> chosen;
    for (const auto& s : kSuites)
      if (o->suites.empty() || std::find(o->suites.begin(), o->suites.end(), s.name) != o->suites.end())
        chosen.push_back(&s);
    for (const auto& want : o->suites)
      if (std::none_of(std::begin(kSuites), std::end(kSuites), [&](const Suite& s) { return want == s.name; })) {
        std::cerr << "nsgx bench: no suite '" << want << "' (measurement, monitor, inproc, snp, quote, quote-e2e)\n";
        exit_code = kExitBadInput;
        return;
      }
    if (o->list) {
      for (const Suite* s : chosen) {
        const std::string bin = find_helper(s->binary, "NSGX_BENCH_DIR", NSGX_BENCH_BUILD_DIR);
        std::cout << s->name << "\t" << (bin.empty() ? "(not built: configure with -DNSGX_BENCH=ON)" : bin) << "\t"
                  << s->what << "\n";
      }
      return;
    }
    fs::path out = o->out_dir;
    const bool keep = !out.empty();
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
    for (const Suite* s : chosen) {
      const std::string bin = find_helper(s->binary, "NSGX_BENCH_DIR", NSGX_BENCH_BUILD_DIR);
      if (bin.empty()) {
        std::cerr << "nsgx bench: " << s->name << ": " << s->binary
                  << " not found (configure with -DNSGX_BENCH=ON, or set NSGX_BENCH_DIR)\n";
        exit_code = kExitBadInput;
        continue;
      }
      std::cout << "== " << s->name << ": " << s->what << "\n";
      std::vector<std::string> argv;
      if (s->under_exec) argv = {self_exe(), "exec", "--"};
      argv.push_back(bin);
      argv.push_back("--benchmark_counters_tabular=true");
      argv.push_back("--benchmark_out_format=json");
      argv.push_back("--benchmark_out=" + (out / (std::string(s->name) + ".json")).string());
      if (!o->filter.empty()) argv.push_back("--benchmark_filter=" + o->filter);
      if (o->min_time > 0) argv.push_back("--benchmark_min_time=" + std::to_string(o->min_time));
      if (const int rc = run_process(argv); rc != 0) {
        std::cerr << "nsgx bench: " << s->name << " failed (exit " << rc << ")\n";
        exit_code = kExitVerifyFailed;
        continue;
      }
      if (std::string(s->name) == "inproc") summarize_inproc(load_rows(out / "inproc.json"));
    }
    if (keep)
      std::cout << "\nresults (JSON): " << out.string() << "\n";
    else
      fs::remove_all(out, ec);
  });
}

}  // namespace nsgx::cli
