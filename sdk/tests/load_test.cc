// The isolated backend under load (issue 6's acceptance): many applications
// with several threads each run ECALL/OCALL loops against one nsgx-monitor
// daemon while enclave hosts — and now and then whole applications — are
// SIGKILLed at random. Every answer is checked; an application whose
// enclave is lost (SGX_ERROR_ENCLAVE_LOST) creates a new one and carries on.
// At the end every EPC page must be free again and the daemon must stop
// cleanly.
//
//   sdk_load_test [--apps 16] [--threads 4] [--seconds 60] [--seed N]
//
// Loopback only: the monitor listens on a socket in a fresh temporary
// directory and the applications are this program, re-executed with --app.
// The process exits 0 when every check held, 1 with the reason otherwise.
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "load_u.h"
#include "proc_util.h"
#include "runtime/isolated/channel.h"
#include "runtime/isolated/client.h"
#include "sgx_urts.h"

extern char** environ;

// The untrusted step the enclave asks for (load.edl): an LCG step the
// enclave can only have if the OCALL really happened.
extern "C" uint64_t ocall_step(uint64_t x) { return x * 6364136223846793005ull + 1442695040888963407ull; }

namespace {

using Clock = std::chrono::steady_clock;

// The orchestrator's daemon: a failure stops it too, or it would keep the
// test's output pipe open and ctest would wait for it until the timeout.
pid_t g_monitor = -1;

[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void fail(const char* fmt, ...) {
  if (g_monitor > 0) kill(g_monitor, SIGKILL);
  va_list ap;
  va_start(ap, fmt);
  std::fprintf(stderr, "sdk_load_test: FAIL: ");
  std::vfprintf(stderr, fmt, ap);
  std::fprintf(stderr, "\n");
  va_end(ap);
  std::_Exit(1);
}

// Must match mix() in load_enclave.c.
std::uint64_t load_mix(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ull;
  return x ^ (x >> 29);
}

std::uint64_t expected_chain(std::uint64_t seed, std::uint32_t rounds) {
  std::uint64_t x = seed;
  for (std::uint32_t i = 0; i < rounds; ++i) x = load_mix(ocall_step(x));
  return x;
}

std::uint64_t fnv1a(const std::vector<std::uint8_t>& b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (auto c : b) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// ------------------------------------------------------------------ one application

// The application's enclave, replaced when its host is lost.
struct Current {
  std::mutex mu;
  sgx_enclave_id_t eid = 0;
  unsigned created = 0;
  unsigned failed_creates = 0;
};

void create(Current& cur, int app) {
  // A host killed while the enclave starts makes creation fail; retry, but
  // not forever (the killer's pace leaves most attempts alone).
  for (int attempt = 0; attempt < 40; ++attempt) {
    sgx_launch_token_t token{};
    int updated = 0;
    sgx_enclave_id_t eid = 0;
    const sgx_status_t st = sgx_create_enclave(NSGX_LOAD_ENCLAVE, 1, &token, &updated, &eid, nullptr);
    if (st == SGX_SUCCESS) {
      cur.eid = eid;
      ++cur.created;
      return;
    }
    ++cur.failed_creates;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  fail("app %d: 40 enclave creations in a row failed", app);
}

// Called by a thread whose call on `lost` reported the enclave lost: the
// first such thread replaces it, the others find it replaced.
void replace(Current& cur, sgx_enclave_id_t lost, int app) {
  std::lock_guard lock(cur.mu);
  if (cur.eid != lost) return;
  sgx_destroy_enclave(lost);
  create(cur, app);
}

struct Counts {
  std::atomic<std::uint64_t> calls{0}, lost{0};
};

void app_thread(Current& cur, Counts& counts, int app, int thread, std::uint64_t until_ms) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(app) * 1000 + static_cast<std::uint64_t>(thread) + now_ms());
  std::vector<std::uint8_t> buf;
  for (std::uint64_t i = 0; now_ms() < until_ms; ++i) {
    sgx_enclave_id_t eid;
    {
      std::lock_guard lock(cur.mu);
      eid = cur.eid;
    }
    sgx_status_t st;
    if (i % 3 == 2) {
      // An [in] buffer and an [out] value through the shared window.
      buf.resize(1 + rng() % 8192);
      for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
      std::uint64_t h = 0;
      st = ecall_hash(eid, buf.data(), buf.size(), &h);
      if (st == SGX_SUCCESS && h != fnv1a(buf))
        fail("app %d thread %d: ecall_hash of %zu bytes gave %016" PRIx64 ", expected %016" PRIx64, app, thread,
             buf.size(), h, fnv1a(buf));
    } else {
      const std::uint64_t seed = rng();
      const auto rounds = static_cast<std::uint32_t>(1 + rng() % 8);
      std::uint64_t r = 0;
      st = ecall_chain(eid, &r, seed, rounds);
      if (st == SGX_SUCCESS && r != expected_chain(seed, rounds))
        fail("app %d thread %d: ecall_chain(%016" PRIx64 ", %u) gave %016" PRIx64 ", expected %016" PRIx64, app,
             thread, seed, rounds, r, expected_chain(seed, rounds));
    }
    if (st == SGX_SUCCESS) {
      counts.calls.fetch_add(1, std::memory_order_relaxed);
    } else if (st == SGX_ERROR_ENCLAVE_LOST) {
      counts.lost.fetch_add(1, std::memory_order_relaxed);
      replace(cur, eid, app);
    } else if (st == SGX_ERROR_INVALID_ENCLAVE_ID) {
      // Another thread replaced the enclave between our read and our call.
      std::lock_guard lock(cur.mu);
      if (cur.eid == eid) fail("app %d thread %d: the current enclave's id is invalid", app, thread);
    } else {
      fail("app %d thread %d: unexpected status 0x%x", app, thread, static_cast<unsigned>(st));
    }
  }
}

int app_main(int app, int threads, std::uint64_t until_ms) {
  const std::uint64_t started_ms = now_ms();
  Current cur;
  {
    std::lock_guard lock(cur.mu);
    create(cur, app);
  }
  Counts counts;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back(app_thread, std::ref(cur), std::ref(counts), app, t, until_ms);
  for (auto& t : ts) t.join();
  // Nothing is killed any more: the enclave this application holds now
  // must answer (replacing it once if the last kill hit it), and keep the
  // count of what it served since it was created.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const sgx_enclave_id_t eid = cur.eid;
    std::uint64_t r = 0, served = 0;
    const sgx_status_t st = ecall_chain(eid, &r, 42, 8);
    if (st == SGX_ERROR_ENCLAVE_LOST && attempt == 0) {
      replace(cur, eid, app);
      continue;
    }
    if (st != SGX_SUCCESS || r != expected_chain(42, 8)) fail("app %d: final call: status 0x%x", app, static_cast<unsigned>(st));
    if (ecall_served(eid, &served) != SGX_SUCCESS || served == 0) fail("app %d: the enclave lost its count", app);
    break;
  }
  // An application started to replace a killed one shortly before the end
  // may not get a call in before it (creating an enclave takes seconds
  // when hosts start slowly under load); the final call above covers it.
  if (counts.calls.load() == 0 && until_ms > started_ms + 10000) fail("app %d: no call succeeded", app);
  std::printf("app %2d: %8" PRIu64 " calls, %3" PRIu64 " lost, %u enclaves (%u creations failed)\n", app,
              counts.calls.load(), counts.lost.load(), cur.created, cur.failed_creates);
  std::fflush(stdout);
  sgx_destroy_enclave(cur.eid);
  return 0;
}

// ------------------------------------------------------------------ the orchestrator

pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store(extra_env);
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);  // extra_env first: it wins
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (const int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()); rc != 0)
    fail("cannot start %s: %s", argv[0], std::strerror(rc));
  return pid;
}

// Waits for `pid` for at most `ms`; its wait status, or -1 on timeout.
int wait_for(pid_t pid, int ms) {
  for (int waited = 0;; waited += 10) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) return st;
    if (waited >= ms) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int run(int apps, int threads, int seconds, std::uint64_t seed) {
  char dir_tmpl[] = "/tmp/nsgx-load-XXXXXX";
  const char* dir = mkdtemp(dir_tmpl);
  if (!dir) fail("mkdtemp: %s", std::strerror(errno));
  const std::string sock = std::string(dir) + "/monitor.sock";
  const std::string state = std::string(dir) + "/state";
  std::mt19937_64 rng(seed);
  std::printf("load: %d applications x %d threads for %d s, seed %" PRIu64 ", monitor at %s\n", apps, threads, seconds,
              seed, sock.c_str());
  std::fflush(stdout);

  // $NSGX_MONITOR: another build of the daemon (scripts/tsan runs an instrumented one).
  const char* mon_env = std::getenv("NSGX_MONITOR");
  const std::string mon_bin = mon_env != nullptr && *mon_env != 0 ? mon_env : NSGX_MONITOR_BIN;
  const pid_t mon = spawn({mon_bin, "--socket", sock, "--state-dir", state}, {});
  g_monitor = mon;
  // The applications must use this daemon: their fallback (a private
  // monitor) is made to fail.
  const std::vector<std::string> app_env = {"NSGX_MONITOR_SOCKET=" + sock, "NSGX_MONITOR=/bin/false",
                                            "NSGX_WINDOW_SIZE=16M", "NSGX_SPIN=500"};
  setenv("NSGX_MONITOR_SOCKET", sock.c_str(), 1);
  setenv("NSGX_MONITOR", "/bin/false", 1);
  nsgx::isolated::Client* client = nullptr;
  for (int i = 0; i < 500 && client == nullptr; ++i) {
    if (access(sock.c_str(), F_OK) == 0) {
      std::string why;
      client = nsgx::isolated::Client::get(&why);
      if (!client) fail("cannot reach the monitor: %s", why.c_str());
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (!client) fail("the monitor did not start");
  nsgx::isolated::StatusInfo before{};
  if (client->status(before) != 0) fail("monitor status");

  const std::uint64_t until = now_ms() + static_cast<std::uint64_t>(seconds) * 1000;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) fail("readlink /proc/self/exe");
  self[n] = 0;
  auto start_app = [&](int app) {
    return spawn({self, "--app", std::to_string(app), "--threads", std::to_string(threads), "--until",
                  std::to_string(until)},
                 app_env);
  };
  std::map<pid_t, int> running;  // pid -> application number
  for (int a = 0; a < apps; ++a) running[start_app(a)] = a;

  // Another application cannot name theirs: this process's own connection
  // has no enclave, so every handle — including the ones the applications'
  // enclaves have on their connections — is refused, whatever the request.
  // Run beside the kills below, not before them: on a slow monitor (the
  // ThreadSanitizer build of scripts/tsan) these 1,285 requests can take
  // most of the run, which then killed nothing.
  std::thread foreign([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    using nsgx::isolated::Op;
    const nsgx::isolated::PageRange pr{0, 4096, 1};
    const nsgx::isolated::AddTcs at{0, 0, 0};
    for (std::uint64_t h = 0; h <= 256; ++h) {
      nsgx::isolated::Reply r{};
      for (Op op : {Op::kDestroy, Op::kRestrict, Op::kModifyTypes, Op::kRemovePages}) {
        const int rc = client->raw({op, 0, h}, op == Op::kDestroy ? std::span<const std::uint8_t>{}
                                                                   : nsgx::isolated::bytes_of(pr), r);
        if (rc != -EINVAL) fail("op %u on foreign handle %" PRIu64 " gave %d", static_cast<unsigned>(op), h, rc);
      }
      if (const int rc = client->raw({Op::kAddTcs, 0, h}, nsgx::isolated::bytes_of(at), r); rc != -EINVAL)
        fail("ADD_TCS on foreign handle %" PRIu64 " gave %d", h, rc);
    }
  });

  // Kill enclave hosts at random (every 100-600 ms) and, every few
  // seconds, a whole application (replaced by a new one).
  unsigned hosts_killed = 0, apps_killed = 0, max_hosts = 0;
  auto next_app_kill = Clock::now() + std::chrono::seconds(3);
  while (now_ms() + 1000 < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 500));
    auto hosts = nsgx::sdk_test::children(mon, "nsgx-enclave");
    max_hosts = std::max(max_hosts, static_cast<unsigned>(hosts.size()));
    if (!hosts.empty() && kill(hosts[rng() % hosts.size()], SIGKILL) == 0) ++hosts_killed;
    for (auto it = running.begin(); it != running.end();) {  // an application that failed stops the test
      int st = 0;
      if (waitpid(it->first, &st, WNOHANG) == it->first)
        fail("app %d exited early (status 0x%x)", it->second, static_cast<unsigned>(st));
      ++it;
    }
    if (Clock::now() >= next_app_kill && running.size() == static_cast<std::size_t>(apps)) {
      next_app_kill = Clock::now() + std::chrono::seconds(2 + rng() % 4);
      auto victim = std::next(running.begin(), static_cast<long>(rng() % running.size()));
      const int a = victim->second;
      kill(victim->first, SIGKILL);
      waitpid(victim->first, nullptr, 0);
      running.erase(victim);
      running[start_app(a)] = a;
      ++apps_killed;
    }
  }

  foreign.join();

  // Every application must finish on its own, with exit status 0.
  for (auto& [pid, app] : running) {
    const int st = wait_for(pid, 120 * 1000);
    if (st == -1) {
      kill(pid, SIGKILL);
      fail("app %d did not finish (hung?)", app);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail("app %d ended with wait status 0x%x", app, static_cast<unsigned>(st));
  }

  // No leaked EPC page, enclave or host: the monitor is back where it began.
  nsgx::isolated::StatusInfo s{};
  for (int i = 0; i < 500; ++i) {
    if (client->status(s) != 0) fail("monitor status after the run");
    if (s.enclaves == 0 && s.hosts == 0 && s.free_pages == before.free_pages && s.connections == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("load: %u hosts killed (up to %u at once), %u applications killed; monitor: %u/%u EPC pages free, "
              "%u enclaves, %u hosts, %u connections\n",
              hosts_killed, max_hosts, apps_killed, s.free_pages, s.epc_pages, s.enclaves, s.hosts, s.connections);
  if (s.enclaves != 0 || s.hosts != 0) fail("the monitor still holds %u enclaves and %u hosts", s.enclaves, s.hosts);
  if (s.free_pages != before.free_pages || s.free_pages != s.epc_pages)
    fail("EPC leak: %u of %u pages free (%u before the run)", s.free_pages, s.epc_pages, before.free_pages);
  if (s.connections != 1) fail("the monitor still serves %u connections", s.connections);
  if (hosts_killed == 0) fail("no enclave host was killed: the test tested nothing");

  // A clean stop: SIGTERM, exit 0, the socket removed.
  kill(mon, SIGTERM);
  const int st = wait_for(mon, 20 * 1000);
  if (st == -1) {
    kill(mon, SIGKILL);
    fail("the monitor did not stop on SIGTERM");
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail("the monitor ended with wait status 0x%x", static_cast<unsigned>(st));
  if (access(sock.c_str(), F_OK) == 0) fail("the monitor left its socket behind");
  std::filesystem::remove_all(dir);  // kept when a check failed, for a look
  std::printf("load: passed\n");
  return 0;
}

int int_arg(const char* s, int lo, int hi, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) fail("%s must be %d..%d", what, lo, hi);
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  int apps = 16, threads = 4, seconds = 60, app = -1;
  std::uint64_t until = 0, seed = std::random_device{}();
  if (const char* s = std::getenv("NSGX_LOAD_SECONDS"); s && *s) seconds = int_arg(s, 1, 3600, "NSGX_LOAD_SECONDS");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) fail("%s needs a value", a.c_str());
    const char* v = argv[++i];
    if (a == "--apps") apps = int_arg(v, 1, 256, "--apps");
    else if (a == "--threads") threads = int_arg(v, 1, 64, "--threads");
    else if (a == "--seconds") seconds = int_arg(v, 1, 3600, "--seconds");
    else if (a == "--seed") seed = std::strtoull(v, nullptr, 0);
    else if (a == "--app") app = int_arg(v, 0, 1 << 20, "--app");
    else if (a == "--until") until = std::strtoull(v, nullptr, 10);
    else fail("unknown option %s", a.c_str());
  }
  if (app >= 0) return app_main(app, threads, until);
  return run(apps, threads, seconds, seed);
}
