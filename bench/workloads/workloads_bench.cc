// The workloads NestedSGX evaluated, each run natively (in this process) and
// inside an enclave on the backend the environment selects (isolated by
// default, inproc under `nsgx exec`; `nsgx bench workloads` runs both), with
// the same code (workloads.h) both ways. Every run's result and output
// digest must agree between the two, or the workload failed: a benchmark
// that computes something else inside the enclave is a defect, not a figure.
//
//   workloads_bench [--check] [--suite nbench|bw|join|sqlite|all] [--min-time S]
//                   [--reps N] [--bw-max BYTES] [--join-build N]
//                   [--join-probe N] [--sqlite-rows N] [--sqlite-txn N]
//                   [--switchless-retries N]
//                   [--enclave IMAGE] [--json FILE]
//
// --check runs each workload once at a tiny size and compares (the ctest);
// otherwise each is timed: iterations calibrated natively to --min-time,
// then --reps alternating native and enclave runs, medians compared.
// Timings are reported, never asserted.
//
// SQLite (the OCALL-heavy workload) runs three ways each rep: natively, in
// the enclave with ordinary OCALLs, and in a second instance of the same
// enclave created with switchless calls (one untrusted worker), each on its
// own database file in a fresh temporary directory.
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/install_layout.h"
#include "sgx_urts.h"
#include "sgx_uswitchless.h"
#include "workloads.h"
#include "workloads_u.h"

namespace {

struct Case {
  std::string suite, name, index;  // index: nbench's integer / memory / floating-point group
  std::uint32_t kernel;
  std::uint64_t a, b;
  bool bandwidth;  // bytes per iteration = a
};

const char* kNames[WL_COUNT] = {"numeric sort", "string sort", "bitfield",  "FP emulation", "Fourier",
                                "assignment",   "IDEA",        "Huffman",   "neural net",   "LU decomposition",
                                "bw_mem rd",    "bw_mem wr",   "bw_mem cp", "hash join",    "sqlite"};
const char* kIndex[10] = {"integer", "memory",  "memory",  "integer",        "floating-point",
                          "memory",  "integer", "integer", "floating-point", "floating-point"};

// nbench's sizes where its documentation gives them (8111-element arrays,
// 101 x 101 matrices, 100 Fourier coefficients); tiny ones for --check.
std::vector<Case> cases(const std::string& suite, bool check, std::uint64_t bw_max, std::uint64_t jb, std::uint64_t jp,
                        std::uint64_t sq_rows, std::uint64_t sq_txn) {
  std::vector<Case> out;
  if (suite == "all" || suite == "nbench") {
    const std::uint64_t full[10] = {8111, std::uint64_t{8111} * 8, std::uint64_t{32768} * 8, 3000, 100, 101, 4000, 5000, 30, 101};
    const std::uint64_t tiny[10] = {500, 2000, 4096, 300, 12, 20, 1024, 2000, 25, 20};
    for (std::uint32_t k = 0; k <= WL_LU; ++k)
      out.push_back({"nbench", kNames[k], kIndex[k], k, check ? tiny[k] : full[k], 0, false});
  }
  if (suite == "all" || suite == "bw") {
    for (std::uint32_t k = WL_BW_READ; k <= WL_BW_COPY; ++k)
      for (std::uint64_t size = 4096; size <= (check ? 65536 : bw_max); size *= 4)
        out.push_back({"bw_mem", kNames[k], "", k, size, 0, true});
  }
  if (suite == "all" || suite == "join")
    out.push_back({"hash join", kNames[WL_HASHJOIN], "", WL_HASHJOIN, check ? 1000 : jb, check ? 4000 : jp, false});
  if (suite == "all" || suite == "sqlite")
    out.push_back({"sqlite", kNames[WL_SQLITE], "", WL_SQLITE, check ? 200 : sq_rows, check ? 20 : sq_txn, false});
  return out;
}

double now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Enclave {
  sgx_enclave_id_t eid = 0;
  bool prepare(const Case& c, int& rc) const { return ecall_wl_prepare(eid, &rc, c.kernel, c.a, c.b) == SGX_SUCCESS; }
  bool run(const Case& c, std::uint64_t iters, std::uint64_t& v) const {
    return ecall_wl_run(eid, &v, c.kernel, iters) == SGX_SUCCESS;
  }
  bool digest(std::uint64_t& d) const { return ecall_wl_digest(eid, &d) == SGX_SUCCESS; }
  void release() const { ecall_wl_release(eid); }
  bool set_path(const std::string& p) const {
    int rc = -1;
    return ecall_wl_set_path(eid, &rc, p.c_str()) == SGX_SUCCESS && rc == WL_OK;
  }
  std::uint64_t ocalls() const {
    std::uint64_t n = 0;
    return ecall_wl_ocalls(eid, &n) == SGX_SUCCESS ? n : 0;
  }
};

// The same enclave with switchless calls: one untrusted worker serves its
// OCALLs (no trusted workers: its ECALLs are few).
// retries: pauses before a call falls back to an ordinary OCALL, and
// before an idle worker sleeps (the SDK defaults to 20000 each; 4000 here,
// --switchless-retries: a fallback then wastes less on a loaded machine).
sgx_status_t create_switchless(const std::string& path, std::uint32_t retries, sgx_enclave_id_t* eid) {
  sgx_uswitchless_config_t us = SGX_USWITCHLESS_CONFIG_INITIALIZER;
  us.num_uworkers = 1;
  us.num_tworkers = 0;
  us.retries_before_fallback = retries;
  us.retries_before_sleep = retries;
  const void* ex[32] = {};
  ex[SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX] = &us;
  return sgx_create_enclave_ex(path.c_str(), 1, nullptr, nullptr, eid, nullptr, SGX_CREATE_ENCLAVE_EX_SWITCHLESS, ex);
}

std::string hex(std::uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%016" PRIx64, v);
  return b;
}

std::string human(std::uint64_t bytes) {
  char b[32];
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
    std::snprintf(b, sizeof b, "%" PRIu64 "M", bytes >> 20);
  else if (bytes >= 1024 && bytes % 1024 == 0)
    std::snprintf(b, sizeof b, "%" PRIu64 "K", bytes >> 10);
  else
    std::snprintf(b, sizeof b, "%" PRIu64, bytes);
  return b;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

static int run_bench(int argc, char** argv) {
  bool check = false;
  std::string suite = "all", json,
              enclave_path = nsgx::installed_or_build("workloads_enclave.signed.so",
                                                      NSGX_WORKLOADS_ENCLAVE);  // beside it when installed
  double min_time = 0.3;
  int reps = 5;
  std::uint64_t bw_max = 64u << 20, join_build = 1u << 18, join_probe = 1u << 20, sq_rows = 2000, sq_txn = 50;
  std::uint32_t sl_retries = 4000;  // measured best of 500..20000 on the loaded 2-core machine (docs/benchmarks.md)
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--check") {
      check = true;
    } else if (a == "--suite" && (v = value())) {
      suite = v;
    } else if (a == "--json" && (v = value())) {
      json = v;
    } else if (a == "--enclave" && (v = value())) {
      enclave_path = v;
    } else if ((a == "--min-time" && (v = value()) && (min_time = std::atof(v)) > 0) ||
               (a == "--reps" && (v = value()) && (reps = std::atoi(v)) > 0) ||
               (a == "--bw-max" && (v = value()) && (bw_max = std::strtoull(v, nullptr, 0)) >= 4096) ||
               (a == "--join-build" && (v = value()) && (join_build = std::strtoull(v, nullptr, 0)) > 0) ||
               (a == "--join-probe" && (v = value()) && (join_probe = std::strtoull(v, nullptr, 0)) > 0) ||
               (a == "--sqlite-rows" && (v = value()) && (sq_rows = std::strtoull(v, nullptr, 0)) >= 10) ||
               (a == "--sqlite-txn" && (v = value()) && (sq_txn = std::strtoull(v, nullptr, 0)) > 0) ||
               (a == "--switchless-retries" && (v = value()) &&
                (sl_retries = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 0))) > 0)) {
      // the value is stored by the condition
    } else {
      std::fprintf(stderr,
                   "usage: %s [--check] [--suite nbench|bw|join|sqlite|all] [--min-time S] [--reps N] [--bw-max BYTES] "
                   "[--join-build N] [--join-probe N] [--sqlite-rows N] [--sqlite-txn N] [--switchless-retries N] "
                   "[--enclave IMAGE] "
                   "[--json FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  if (suite != "all" && suite != "nbench" && suite != "bw" && suite != "join" && suite != "sqlite") {
    std::fprintf(stderr, "workloads_bench: no suite '%s' (nbench, bw, join, sqlite, all)\n", suite.c_str());
    return 2;
  }
  if (sq_txn > sq_rows) {
    std::fprintf(stderr, "workloads_bench: --sqlite-txn must not exceed --sqlite-rows\n");
    return 2;
  }
  const char* b = std::getenv("NSGX_BACKEND");
  const std::string backend = b && *b ? b : "isolated";
  const char* e = std::getenv("NSGX_EPC_SIZE");
  const std::string epc = e && *e ? e : "default";

  Enclave enc;
  if (const sgx_status_t st = sgx_create_enclave(enclave_path.c_str(), 1, nullptr, nullptr, &enc.eid, nullptr);
      st != SGX_SUCCESS) {
    std::fprintf(stderr, "workloads_bench: cannot load %s (0x%04x)\n", enclave_path.c_str(), static_cast<unsigned>(st));
    return 1;
  }
  // SQLite's three database files, in a directory of this run.
  const std::vector<Case> todo = cases(suite, check, bw_max, join_build, join_probe, sq_rows, sq_txn);
  const bool sqlite = std::any_of(todo.begin(), todo.end(), [](const Case& c) { return c.kernel == WL_SQLITE; });
  Enclave sl;  // the switchless instance
  std::string dbdir;
  if (sqlite) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/nsgx-wl-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "workloads_bench: cannot create a directory for SQLite's files\n");
      sgx_destroy_enclave(enc.eid);
      return 1;
    }
    dbdir = tmpl;
    if (const sgx_status_t st = create_switchless(enclave_path, sl_retries, &sl.eid); st != SGX_SUCCESS) {
      std::fprintf(stderr, "workloads_bench: cannot load %s with switchless calls (0x%04x)\n", enclave_path.c_str(),
                   static_cast<unsigned>(st));
      sgx_destroy_enclave(enc.eid);
      return 1;
    }
    if (wl_set_path((dbdir + "/native.db").c_str()) != WL_OK || !enc.set_path(dbdir + "/enclave.db") ||
        !sl.set_path(dbdir + "/switchless.db")) {
      std::fprintf(stderr, "workloads_bench: cannot set SQLite's database paths in %s\n", dbdir.c_str());
      sgx_destroy_enclave(enc.eid);
      sgx_destroy_enclave(sl.eid);
      return 1;
    }
  }
  std::printf("backend %s, EPC %s%s\n", backend.c_str(), epc.c_str(),
              check ? ", check: each workload once at a tiny size, enclave against native" : "");
  std::printf("%-10s %-16s %9s %9s %11s %11s %7s %10s %10s  %s\n", "suite", "workload", "size", "iters", "native ms",
              "enclave ms", "ratio", "nat MB/s", "encl MB/s", "result (agrees)");
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, std::vector<double>> index_ratios;
  int failed = 0;
  for (const Case& c : todo) {
    const std::string size = c.kernel == WL_HASHJOIN || c.kernel == WL_SQLITE
                                 ? std::to_string(c.a) + "x" + std::to_string(c.b)
                             : c.bandwidth ? human(c.a)
                                           : std::to_string(c.a);
    auto fail = [&](const char* why) {
      std::printf("%-10s %-16s %9s  FAILED: %s\n", c.suite.c_str(), c.name.c_str(), size.c_str(), why);
      rows.push_back({{"suite", c.suite}, {"name", c.name}, {"size", c.a}, {"size2", c.b}, {"error", why}});
      ++failed;
    };
    int rc = 0;
    if (!enc.prepare(c, rc)) {
      fail("the ECALL failed");
      continue;
    }
    if (rc == WL_ENOMEM) {  // the enclave's heap is smaller than the host's memory: say so, go on
      std::printf("%-10s %-16s %9s  skipped: the enclave's heap cannot hold it\n", c.suite.c_str(), c.name.c_str(),
                  size.c_str());
      rows.push_back(
          {{"suite", c.suite}, {"name", c.name}, {"size", c.a}, {"size2", c.b}, {"skipped", "enclave heap"}});
      continue;
    }
    if (rc != WL_OK || wl_prepare(c.kernel, c.a, c.b) != WL_OK) {
      enc.release();
      fail("cannot prepare it");
      continue;
    }
    // Iterations: one for --check; else doubled until the native run takes
    // a quarter of --min-time, then scaled to it.
    std::uint64_t iters = 1;
    if (!check) {
      for (;;) {
        const double t0 = now();
        if (wl_run(c.kernel, iters) == WL_FAILED) break;
        const double t = now() - t0;
        if (t >= min_time / 4 || iters >= (1ull << 40)) {
          iters = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(iters) * min_time / t));
          break;
        }
        iters *= 2;
      }
      // The enclave may be far slower (bw_mem past the inproc EPC faults
      // on every page): a probe of 1/64 of the iterations, and fewer
      // iterations for both if the enclave would take over 4x --min-time.
      const std::uint64_t probe = std::max<std::uint64_t>(1, iters / 64);
      std::uint64_t v = 0;
      const double t0 = now();
      if (enc.run(c, probe, v)) {
        const double per_iter = (now() - t0) / static_cast<double>(probe);
        if (per_iter * static_cast<double>(iters) > 4 * min_time)
          iters = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(min_time / per_iter));
      }
    }
    const bool three = c.kernel == WL_SQLITE;  // and with switchless calls
    int rc2 = WL_OK;
    if (three && (!sl.prepare(c, rc2) || rc2 != WL_OK)) {
      enc.release();
      wl_release();
      fail("cannot prepare it in the switchless enclave");
      continue;
    }
    std::vector<double> tn, te, ts;
    std::uint64_t vn = 0, ve = 0, dn = 0, de = 0, vs = 0, ds = 0;
    std::uint64_t ocalls = 0;
    sgx_uswitchless_worker_stats_t sl0{}, sl1{};
    if (three) nsgx_uswitchless_stats(sl.eid, SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED, &sl0);
    bool ok = true;
    for (int r = 0; r < (check ? 1 : reps) && ok; ++r) {
      double t0 = now();
      vn = wl_run(c.kernel, iters);
      tn.push_back(now() - t0);
      const std::uint64_t o0 = three ? enc.ocalls() : 0;
      t0 = now();
      ok = enc.run(c, iters, ve);
      te.push_back(now() - t0);
      if (three) ocalls = enc.ocalls() - o0;
      ok = ok && enc.digest(de);
      dn = wl_digest();
      ok = ok && vn == ve && dn == de && vn != WL_FAILED;
      if (three && ok) {
        t0 = now();
        ok = sl.run(c, iters, vs);
        ts.push_back(now() - t0);
        ok = ok && sl.digest(ds) && vs == vn && ds == dn;
        if (!ok) ve = vs, de = ds;  // reported as the enclave's
      }
    }
    if (three) {
      nsgx_uswitchless_stats(sl.eid, SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED, &sl1);
      sl.release();
    }
    enc.release();
    wl_release();
    if (!ok) {
      char why[160];
      std::snprintf(why, sizeof why, "native %s/%s, enclave %s/%s (result/digest)%s", hex(vn).c_str(), hex(dn).c_str(),
                    hex(ve).c_str(), hex(de).c_str(),
                    vn == WL_FAILED ? ": the kernel's self-check failed" : ": they differ");
      fail(why);
      continue;
    }
    const double mn = median(tn), me = median(te), ratio = me / mn;
    const double bytes = static_cast<double>(c.a) * static_cast<double>(iters);
    const double mbn = c.bandwidth ? bytes / mn / 1048576.0 : 0, mbe = c.bandwidth ? bytes / me / 1048576.0 : 0;
    char bw[48] = "";
    if (c.bandwidth) std::snprintf(bw, sizeof bw, "%10.0f %10.0f", mbn, mbe);
    std::printf("%-10s %-16s %9s %9" PRIu64 " %11.3f %11.3f %7.3f %21s  %s (yes)\n", c.suite.c_str(), c.name.c_str(),
                size.c_str(), iters, mn * 1e3, me * 1e3, ratio, bw, hex(vn).c_str());
    std::fflush(stdout);
    nlohmann::json row = {{"suite", c.suite},  {"name", c.name},    {"size", c.a},     {"size2", c.b},
                          {"iters", iters},    {"native_s", mn},    {"enclave_s", me}, {"ratio", ratio},
                          {"result", hex(vn)}, {"digest", hex(dn)}, {"agree", true}};
    if (!c.index.empty()) {
      row["index"] = c.index;
      index_ratios[c.index].push_back(ratio);
    }
    if (c.bandwidth) row["native_mb_s"] = mbn, row["enclave_mb_s"] = mbe;
    if (three) {
      const double msl = median(ts);
      const std::uint64_t served = sl1.processed - sl0.processed, missed = sl1.missed - sl0.missed;
      const double per_iter = static_cast<double>(ocalls) / static_cast<double>(iters);
      std::printf("%-10s %-16s %9s %9" PRIu64 " %11s %11.3f %7.3f %21s  switchless: %.0f OCALLs/iteration, %" PRIu64
                  " served by the worker, %" PRIu64 " fell back\n",
                  "", "  switchless", "", iters, "", msl * 1e3, msl / mn, "", per_iter, served, missed);
      std::fflush(stdout);
      row["switchless_s"] = msl;
      row["switchless_ratio"] = msl / mn;
      row["ocalls_per_iter"] = per_iter;
      row["switchless_served"] = served;
      row["switchless_missed"] = missed;
    }
    rows.push_back(row);
  }
  sgx_destroy_enclave(enc.eid);
  if (sqlite) {
    sgx_destroy_enclave(sl.eid);
    std::error_code ec;
    std::filesystem::remove_all(dbdir, ec);
  }
  nlohmann::json indexes = nlohmann::json::object();
  for (const auto& [name, rs] : index_ratios) {
    double log_sum = 0;
    for (double r : rs) log_sum += std::log(r);
    const double g = std::exp(log_sum / static_cast<double>(rs.size()));
    indexes[name] = {{"kernels", rs.size()}, {"ratio_geomean", g}};
    if (!check)
      std::printf("nbench %s index: enclave/native %.3f (geometric mean of %zu kernels)\n", name.c_str(), g, rs.size());
  }
  if (!json.empty()) {
    std::ofstream out(json);
    out << nlohmann::json{{"backend", backend}, {"epc_size", epc}, {"check", check},    {"min_time_s", min_time},
                          {"reps", reps},       {"results", rows}, {"indexes", indexes}}
               .dump(1)
        << "\n";
    if (!out) {
      std::fprintf(stderr, "workloads_bench: cannot write %s\n", json.c_str());
      return 1;
    }
  }
  if (failed) std::fprintf(stderr, "workloads_bench: %d workload(s) failed\n", failed);
  return failed ? 1 : 0;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const std::exception& e) {  // out of memory, a JSON file that cannot be written
    std::fprintf(stderr, "workloads_bench: error: %s\n", e.what());
    return 1;
  }
}
