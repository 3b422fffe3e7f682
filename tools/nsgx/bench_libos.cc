// `nsgx bench libos` (bench_libos.h): one unmodified static-PIE program,
// natively and inside the library OS enclave on each backend, same run.
#include "tools/nsgx/bench_libos.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tools/nsgx/process.h"

namespace nsgx::cli {
namespace {

namespace fs = std::filesystem;

// One line of libos_workloads' output (bench/libos/libos_workloads.c), or
// of the Debian programs' script, which also says when a mode cannot run a
// workload: NAME, "-", "-", the reason (not_run; not a failure).
struct Line {
  std::string name;
  std::uint64_t iters = 0, ns = 0;
  std::string digest;
  std::string not_run;
};

bool parse_u64(const std::string& s, std::uint64_t& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// The program's lines; anything else in its output makes the run invalid
// (an empty result).
std::vector<Line> read_lines(const fs::path& file, std::string& why) {
  std::ifstream in(file);
  std::vector<Line> out;
  for (std::string l; std::getline(in, l);) {
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string x; std::getline(ss, x, '\t');) f.push_back(x);
    Line r;
    if (f.size() == 4 && !f[0].empty() && f[1] == "-" && f[2] == "-" && !f[3].empty()) {
      r.name = f[0];
      r.not_run = f[3];
      out.push_back(std::move(r));
      continue;
    }
    if (f.size() != 4 || f[0].empty() || !parse_u64(f[1], r.iters) || !parse_u64(f[2], r.ns) || f[3].size() != 16) {
      why = "unexpected output line: " + l;
      return {};
    }
    r.name = f[0];
    r.digest = f[3];
    out.push_back(std::move(r));
  }
  return out;
}

// The first lines of a run's stderr, for the report (what the library OS or
// the program said).
std::string said(const fs::path& file) {
  std::ifstream in(file);
  std::string out;
  int n = 0;
  for (std::string l; std::getline(in, l) && n < 3; ++n) out += (n ? " | " : "") + l;
  return out.empty() ? "no message" : out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

constexpr const char* kModes[] = {"native", "isolated", "inproc"};

}  // namespace

// The Debian programs' script (bench/libos/debian_programs.sh), beside the
// workloads program (installed in libexec, or the build tree's).
std::string programs_script(const std::string& program) {
  const fs::path beside = fs::path(program).parent_path() / "debian_programs.sh";
  std::error_code ec;
  return fs::exists(beside, ec) ? beside.string() : std::string();
}

int bench_libos(const std::string& program, const fs::path& out, bool quick, bool& written) {
  std::error_code ec;
  const fs::path work = fs::absolute(out / "libos-work", ec);
  fs::remove_all(work, ec);
  if (!fs::create_directories(work, ec)) {
    std::cerr << "nsgx bench: libos: cannot create " << work.string() << "\n";
    return kExitVerifyFailed;
  }
  const std::string db = (work / "db").string();
  const std::string self = self_exe();

  // 1. Natively, each workload finds its iteration count (about 300 ms);
  // every timed run then does exactly that work.
  std::vector<std::string> argv = {program, "--db", db};
  if (quick)
    argv.emplace_back("--check");
  else
    argv.insert(argv.end(), {"--target-ms", "300"});
  std::cout << "calibrating natively...\n" << std::flush;
  std::string why;
  const int crc = run_process_to(argv, (work / "calibrate.out").string(), (work / "calibrate.err").string());
  const std::vector<Line> cal = read_lines(work / "calibrate.out", why);
  if (cal.empty()) {
    std::cerr << "nsgx bench: libos: the program failed natively (exit " << crc
              << "): " << (why.empty() ? said(work / "calibrate.err") : why) << "\n";
    return kExitVerifyFailed;
  }
  // The Debian programs (redis-server, lighttpd, bzip2; their clients
  // native), natively first: their lines join the workloads', with the
  // same iterations in every mode by construction (fixed sizes).
  const std::string script = programs_script(program);
  const fs::path pwork = work / "programs";
  auto programs = [&](const std::string& mode, const std::string& tag, std::string& why_p) {
    const fs::path o = work / ("programs-" + tag + ".out"), e = work / ("programs-" + tag + ".err");
    if (script.empty()) {
      why_p = "bench/libos/debian_programs.sh is not beside " + program;
      return std::vector<Line>{};
    }
    run_process_to({"/bin/bash", script, self, pwork.string(), mode, quick ? "1" : "0"}, o.string(), e.string());
    std::vector<Line> got = read_lines(o, why_p);
    if (why_p.empty() && got.empty()) why_p = said(e);
    return got;
  };
  std::cout << "the Debian programs natively...\n" << std::flush;
  std::string pwhy;
  std::vector<Line> pcal = programs("native", "calibrate", pwhy);
  if (pcal.empty() || !pwhy.empty()) {
    std::cerr << "nsgx bench: libos: the Debian programs failed natively: " << pwhy << "\n";
    return kExitVerifyFailed;
  }
  std::string iters;
  for (const Line& l : cal) iters += (iters.empty() ? "" : ",") + l.name + "=" + std::to_string(l.iters);

  // 2. The enclave, built and signed once for this program (its SHA-256 in
  // the measured manifest), its database file passed through.
  // NSGX_BENCH_LIBOS_REWRITE=off: the trap path for every system call
  // (libos.syscall_rewrite = false), to compare with load-time rewriting.
  const char* rw = std::getenv("NSGX_BENCH_LIBOS_REWRITE");
  const bool rewrite = rw == nullptr || std::string(rw) != "off";
  std::cout << "system-call rewriting: " << (rewrite ? "on" : "off (NSGX_BENCH_LIBOS_REWRITE)") << "\n";
  const fs::path manifest = work / "libos_workloads.toml";
  {
    std::ofstream m(manifest);
    m << "libos.entrypoint = \"" << program << "\"\n"
      << "libos.syscall_rewrite = " << (rewrite ? "true" : "false") << "\n"
      << "sgx.enclave_size = \"1G\"\n"
      << "sgx.trusted_files = [ { uri = \"file:" << program << "\" } ]\n"
      << "sgx.allowed_files = [ \"file:" << db << "\", \"file:" << db << "-journal\" ]\n";
  }
  const fs::path enclave = work / "enclave";
  std::cout << "building the enclave (nsgx libos build)...\n" << std::flush;
  if (const int rc =
          run_process_to({self, "libos", "build", "--manifest", manifest.string(), "--out", enclave.string()},
                         (work / "build.log").string(), (work / "build.log.err").string());
      rc != 0) {
    std::cerr << "nsgx bench: libos: nsgx libos build failed (exit " << rc << "): " << said(work / "build.log.err")
              << "\n";
    return kExitVerifyFailed;
  }

  // 3. The runs, the three ways taking turns (so that a slow minute of a
  // busy machine falls on all of them alike).
  const int reps = quick ? 1 : 3;
  std::map<std::string, std::map<std::string, std::vector<double>>> ms;  // workload -> mode -> per run
  std::map<std::string, std::vector<double>> wall;                       // mode -> whole runs (s)
  std::map<std::string, std::map<std::string, std::string>> problem;     // workload -> mode -> what went wrong
  std::map<std::string, std::map<std::string, std::string>> not_run;     // workload -> mode -> why (not a failure)
  std::map<std::string, std::string> digest;                             // the native run's, per workload
  for (const Line& l : cal) digest[l.name] = l.digest;
  for (const Line& l : pcal) digest[l.name] = l.digest;
  std::vector<Line> all = cal;
  all.insert(all.end(), pcal.begin(), pcal.end());
  int rc_all = kExitOk;
  for (int rep = 0; rep < reps; ++rep) {
    for (const char* mode : kModes) {
      const std::string m = mode;
      std::vector<std::string> a;
      std::vector<std::string> env;
      if (m != "native") {
        a = {self, "run", "--enclave", enclave.string(), "--"};
        env.push_back("NSGX_BACKEND=" + m);
      }
      a.insert(a.end(), {program, "--db", db, "--iters", iters});
      if (quick) a.emplace_back("--check");  // the sizes the counts were found for
      const fs::path o = work / (m + "-" + std::to_string(rep) + ".out");
      const fs::path e = work / (m + "-" + std::to_string(rep) + ".err");
      std::cout << "run " << rep + 1 << "/" << reps << ": " << m << "\n" << std::flush;
      const auto t0 = std::chrono::steady_clock::now();
      const int rc = run_process_to(a, o.string(), e.string(), env);
      wall[m].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::string w;
      std::vector<Line> got = read_lines(o, w);
      std::string pw;
      // --quick: the native programs' one run is the calibration's (each
      // of their runs starts servers and clients: the test's time).
      const std::vector<Line> pgot = quick && m == "native" ? pcal : programs(m, m + "-" + std::to_string(rep), pw);
      got.insert(got.end(), pgot.begin(), pgot.end());
      for (const Line& c : all) {
        const auto it = std::find_if(got.begin(), got.end(), [&](const Line& l) { return l.name == c.name; });
        const bool from_script = std::any_of(pcal.begin(), pcal.end(), [&](const Line& l) { return l.name == c.name; });
        if (it != got.end() && !it->not_run.empty()) {
          not_run[c.name][m] = it->not_run;
        } else if (it == got.end()) {
          problem[c.name][m] = from_script
                                   ? "no result: " + pw
                                   : "no result (exit " + std::to_string(rc) + "): " + (w.empty() ? said(e) : w);
          rc_all = kExitVerifyFailed;
        } else if (it->digest != digest[c.name] || it->iters != c.iters) {
          problem[c.name][m] =
              "a different result than natively (digest " + it->digest + ", native " + digest[c.name] + ")";
          rc_all = kExitVerifyFailed;
        } else {
          ms[c.name][m].push_back(static_cast<double>(it->ns) / 1e6);
        }
      }
    }
  }

  // 4. The table: median times, and each backend's ratio to native.
  std::printf("\n%-18s %10s %11s %11s %8s %11s %8s\n", "workload", "iters", "native ms", "isolated ms", "ratio",
              "inproc ms", "ratio");
  nlohmann::json rows = nlohmann::json::array();
  double log_sum[2] = {0, 0};
  int n_ratio[2] = {0, 0};
  for (const Line& c : all) {
    const double native = median(ms[c.name]["native"]);
    std::printf("%-18s %10llu %11.3f", c.name.c_str(), static_cast<unsigned long long>(c.iters), native);
    nlohmann::json row = {{"workload", c.name}, {"iters", c.iters}, {"native_ms", native}};
    for (int b = 0; b < 2; ++b) {
      const std::string mode = kModes[b + 1];
      if (problem[c.name].contains(mode)) {
        std::printf(" %11s %8s", "-", "-");
        row[mode + "_problem"] = problem[c.name][mode];
        continue;
      }
      if (not_run[c.name].contains(mode)) {
        std::printf(" %11s %8s", "n/a", "n/a");
        row[mode + "_not_run"] = not_run[c.name][mode];
        continue;
      }
      const double t = median(ms[c.name][mode]);
      const double ratio = native > 0 ? t / native : 0;
      std::printf(" %11.3f %8.3f", t, ratio);
      row[mode + "_ms"] = t;
      row[mode + "_ratio"] = ratio;
      if (ratio > 0) {
        log_sum[b] += std::log(ratio);
        ++n_ratio[b];
      }
    }
    std::printf("\n");
    rows.push_back(row);
  }
  std::printf("%-18s %10s %11s %11s %8.3f %11s %8.3f\n", "geometric mean", "", "", "",
              n_ratio[0] ? std::exp(log_sum[0] / n_ratio[0]) : 0.0, "",
              n_ratio[1] ? std::exp(log_sum[1] / n_ratio[1]) : 0.0);
  std::printf(
      "whole runs (s, median; include starting the enclave and preparing every workload): native %.2f, "
      "isolated %.2f, inproc %.2f\n",
      median(wall["native"]), median(wall["isolated"]), median(wall["inproc"]));
  for (const auto& [name, by_mode] : problem)
    for (const auto& [mode, what] : by_mode) std::printf("%s, %s: %s\n", name.c_str(), mode.c_str(), what.c_str());
  for (const auto& [name, by_mode] : not_run)
    for (const auto& [mode, reason] : by_mode)
      std::printf("%s, %s: not run: %s\n", name.c_str(), mode.c_str(), reason.c_str());
  std::fflush(stdout);

  const fs::path json = out / "libos.json";
  std::ofstream(json) << nlohmann::json{{"program", program},
                                        {"reps", reps},
                                        {"quick", quick},
                                        {"syscall_rewrite", rewrite},
                                        {"workloads", rows}}
                             .dump(2)
                      << "\n";
  written = written || fs::file_size(json, ec) > 0;
  return rc_all;
}

}  // namespace nsgx::cli
