// The library OS's untrusted host (docs/libos.md): loads a built library OS
// enclave (`nsgx libos build`) and runs its program once, with this
// process's stdin, stdout and stderr; exits with the program's status.
// `nsgx run` becomes it by execve (under `nsgx exec` for the inproc
// backend; tools/nsgx/run_process.h). The
// enclave's OCALLs are the POSIX layer's (libnsgx_uposix), answered here;
// the enclave checks every answer.
//
//   nsgx-libos-host [--trace] ENCLAVE -- PROGRAM ARGS...
//   nsgx-libos-host [--trace] --spawned FD ENCLAVE   (a program execve
//     started: the request on FD, spawn_ocalls.h)
//   nsgx-libos-host [--trace] --forked FD BASE ENCLAVE   (a fork child:
//     the checkpoint on FD, the enclave at BASE, spawn_ocalls.h)
//
// NSGX_LIBOS_SWITCHLESS=N (1-16; `nsgx run --switchless N` sets it): N
// untrusted workers serve the POSIX layer's switchless OCALLs (files and
// clocks; docs/libos.md, "Switchless OCALLs"). Not for a fork child, whose
// enclave is placed at its parent's base (nsgx_create_enclave_at).
// NSGX_LIBOS_SWITCHLESS_FALLBACK=P: how many pauses a caller waits for a
// worker before the ordinary OCALL (default 1,000).
// NSGX_LIBOS_CLOCK=tsc|host: whether the enclave may read its clocks from
// the TSC between the host's readings (cpu_facts.h; default tsc).
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "libos/host/cpu_facts.h"
#include "libos/host/death.h"
#include "libos/host/listing_ocalls.h"
#include "libos/host/placement.h"
#include "libos/host/signals.h"
#include "libos/host/spawn_ocalls.h"
#include "libos_u.h"
#include "sgx_urts.h"
#include "sgx_uswitchless.h"

namespace {

// NSGX_LIBOS_SWITCHLESS: 0 (unset or empty) or 1-16 untrusted workers; -1
// for anything else.
int switchless_workers() {
  const char* v = std::getenv("NSGX_LIBOS_SWITCHLESS");
  if (v == nullptr || *v == 0) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return *end == 0 && n >= 0 && n <= 16 ? static_cast<int>(n) : -1;
}

// NSGX_LIBOS_SWITCHLESS_FALLBACK: a caller's pauses before it falls back
// to an ordinary OCALL (1 to 100,000,000; default 1,000); 0 for anything
// else.
uint32_t fallback_retries() {
  const char* v = std::getenv("NSGX_LIBOS_SWITCHLESS_FALLBACK");
  if (v == nullptr || *v == 0) return 1000;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return *end == 0 && n >= 1 && n <= 100'000'000 ? static_cast<uint32_t>(n) : 0;
}

// Creates the enclave from `image`: at `base` when there is one (a fork
// child's parent's, or 0 for a non-PIE program's layout: placement.h),
// with `workers` untrusted switchless workers when there are any.
sgx_status_t create(const char* image, std::optional<uint64_t> base, int workers, sgx_enclave_id_t* eid) {
  if (workers == 0)
    return base ? nsgx_create_enclave_at(image, 1, *base, eid)
                : sgx_create_enclave(image, 1, nullptr, nullptr, eid, nullptr);
  sgx_uswitchless_config_t config = SGX_USWITCHLESS_CONFIG_INITIALIZER;
  config.num_uworkers = static_cast<uint32_t>(workers);
  config.num_tworkers = 0;  // the library OS makes no switchless ECALLs
  // A caller gives a worker ~1,000 pauses (~40,000 cycles here, about an
  // ordinary OCALL's round trip) before it falls back, not the SDK's
  // 20,000: a worker that runs takes a request within a few hundred
  // cycles, and one the scheduler has not run (more runnable threads than
  // cores) would not take it in 20,000 either — each such miss then cost
  // ~750,000 cycles (docs/libos.md, "Switchless OCALLs").
  config.retries_before_fallback = fallback_retries();
  const void* features[32] = {};
  features[SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX] = &config;
  if (base) return nsgx_create_enclave_at_ex(image, 1, *base, eid, SGX_CREATE_ENCLAVE_EX_SWITCHLESS, features);
  return sgx_create_enclave_ex(image, 1, nullptr, nullptr, eid, nullptr, SGX_CREATE_ENCLAVE_EX_SWITCHLESS, features);
}

// A fork child whose parent's base is taken in this process image tries
// again in a new one (execve: new random places for ld.so, the libraries
// and the heap), up to kPlacementTries images in all; the count so far
// travels in kPlacementEnv. The host's environment is not the program's
// (the checkpoint carries that).
constexpr int kPlacementTries = 8;
constexpr const char* kPlacementEnv = "NSGX_LIBOS_FORK_TRY";

// Which process image of a fork child this is (1 for the first).
int placement_try() {
  const char* v = std::getenv(kPlacementEnv);
  return v != nullptr ? std::atoi(v) : 1;
}

void place_again(char** argv) {
  const int tried = placement_try();
  if (tried < 1 || tried >= kPlacementTries) return;
  setenv(kPlacementEnv, std::to_string(tried + 1).c_str(), 1);
  execv("/proc/self/exe", argv);
}

// NSGX_LIBOS_TEST_OCCUPY_FORK_BASE=N (libos_spawn; test builds only,
// NSGX_ENV_OVERRIDES, as the other variables that steer the backends): the
// first N images of a fork child find a page of theirs at the base, as if
// ASLR had put something there.
void occupy_for_test(uint64_t base) {
  if (!NSGX_ENV_OVERRIDES) return;
  const char* n = std::getenv("NSGX_LIBOS_TEST_OCCUPY_FORK_BASE");
  if (n == nullptr || placement_try() > std::atoi(n)) return;
  (void)mmap(reinterpret_cast<void*>(base), 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
}

}  // namespace

int main(int argc, char** argv) {
  // Before the host sets any disposition or mask of its own.
  const nsgx::libos_host::StartSignals start = nsgx::libos_host::take_start_signals();
  int i = 1, trace = 0;
  if (i < argc && std::strcmp(argv[i], "--trace") == 0) {
    const char* level = std::getenv("NSGX_LIBOS_TRACE");  // 2: every exception too
    trace = level != nullptr && std::strcmp(level, "2") == 0 ? 2 : 1;
    ++i;
  }
  const bool spawned =
      argc - i == 3 && std::strcmp(argv[i], "--spawned") == 0 && std::atoi(argv[i + 1]) == nsgx::libos_host::kRequestFd;
  if (spawned) i += 2;
  const bool forked =
      argc - i == 4 && std::strcmp(argv[i], "--forked") == 0 && std::atoi(argv[i + 1]) == nsgx::libos_host::kRequestFd;
  uint64_t base = 0;
  if (forked) {
    // The parent's base, 0 included (a non-PIE program's enclave): a
    // number and nothing else.
    char* end = nullptr;
    errno = 0;
    base = std::strtoull(argv[i + 2], &end, 10);
    if (errno != 0 || end == argv[i + 2] || *end != 0) {
      std::fprintf(stderr, "nsgx run: fork: '%s' is not a base address\n", argv[i + 2]);
      return 126;
    }
    i += 3;
  }
  if (!spawned && !forked && (argc - i < 3 || std::strcmp(argv[i + 1], "--") != 0)) {
    std::fprintf(stderr, "usage: nsgx-libos-host [--trace] ENCLAVE -- PROGRAM [ARGS...]\n");
    return 2;
  }
  std::vector<uint8_t> request;
  if (spawned && !nsgx::libos_host::read_request(request)) {
    std::fprintf(stderr, "nsgx run: no request for the new process on descriptor %d\n", nsgx::libos_host::kRequestFd);
    return 126;
  }
  // The program's descriptors are this process's (libos/enclave/file_table.h:
  // up to 1024 of them, and a new process's above them).
  nsgx::libos_host::raise_descriptor_limit();
  // A write to a closed pipe or socket must answer EPIPE, not end the host
  // (the library OS sends with MSG_NOSIGNAL; SIGPIPE is not forwarded).
  std::signal(SIGPIPE, SIG_IGN);
  const char* image = argv[i];
  nsgx::libos_host::init_spawn(image, trace);
  nsgx::libos_host::init_listings(image);
  std::string args;
  for (int a = spawned || forked ? argc : i + 2; a < argc; ++a) args.append(argv[a], std::strlen(argv[a]) + 1);
  sgx_enclave_id_t eid = 0;
  const int workers = switchless_workers();
  if (workers < 0) {
    std::fprintf(stderr, "nsgx run: NSGX_LIBOS_SWITCHLESS must be a number of workers from 0 to 16\n");
    return 126;
  }
  if (workers > 0 && fallback_retries() == 0) {
    std::fprintf(stderr, "nsgx run: NSGX_LIBOS_SWITCHLESS_FALLBACK must be a number of pauses from 1 to 100000000\n");
    return 126;
  }
  // A fork child's enclave sits at its parent's base (the program's
  // pointers are absolute): there or not at all (docs/libos.md "Processes").
  if (forked) occupy_for_test(base);
  // A fork child has no switchless workers (as before: its parent's
  // workers are not carried over).
  const std::optional<uint64_t> at = forked ? std::optional<uint64_t>(base) : nsgx::libos_host::placement_for(image);
  sgx_status_t st = create(image, at, forked ? 0 : workers, &eid);
  if (forked && st == SGX_ERROR_MEMORY_MAP_CONFLICT) {
    // Something of this process (ld.so, a library, the heap: wherever
    // ASLR put them this time) lies in the range: another process image
    // puts them elsewhere. The checkpoint is not read yet.
    place_again(argv);  // returns when the tries are spent or exec fails
    std::fprintf(stderr,
                 "nsgx run: fork: the enclave cannot be placed at its parent's base %#llx in the new process "
                 "(%d tries)\n",
                 static_cast<unsigned long long>(base), kPlacementTries);
    return 126;
  }
  if (!forked && at && st == SGX_ERROR_MEMORY_MAP_CONFLICT) {
    std::fprintf(stderr,
                 "nsgx run: the library OS enclave for a non-PIE program must sit at address 0, and this process "
                 "has something mapped in its range (a sanitizer's shadow memory?)\n");
    return 126;
  }
  if (forked) unsetenv(kPlacementEnv);  // this host's own forks start again from one
  if (st != SGX_SUCCESS) {
    // A lost enclave's host ended: the monitor says how (its stderr, this
    // process's for a private monitor; the service's log for the system one).
    std::fprintf(stderr, "nsgx run: cannot load the library OS enclave %s: SGX status 0x%x%s\n", image, st,
                 st == SGX_ERROR_ENCLAVE_LOST ? " (its enclave host ended; the monitor's messages say how)" : "");
    return 126;
  }
  if (!nsgx::libos_host::forward_signals(eid)) {
    std::fprintf(stderr, "nsgx run: cannot forward signals to the library OS enclave\n");
    sgx_destroy_enclave(eid);
    return 126;
  }
  // The kernel's view of the CPU's extended-state instructions: the
  // enclave cannot run CPUID (docs/libos.md, "The vector state across a
  // system call").
  if (nsgx::libos_host::clock_choice() == nsgx::libos_host::ClockChoice::kInvalid) {
    std::fprintf(stderr, "nsgx run: NSGX_LIBOS_CLOCK must be tsc or host\n");
    sgx_destroy_enclave(eid);
    return 126;
  }
  const nsgx::libos_host::CpuFacts cpu = nsgx::libos_host::cpu_facts();
  st = libos_cpu_facts(eid, cpu.flags, cpu.xfeatures);
  if (st != SGX_SUCCESS) {
    std::fprintf(stderr, "nsgx run: the library OS enclave failed: SGX status 0x%x\n", st);
    sgx_destroy_enclave(eid);
    return 126;
  }
  int status = 126;
  st = forked    ? libos_run_forked(eid, &status, getpid(), trace)
       : spawned ? libos_run_spawned(eid, &status, request.data(), request.size(), getpid(), trace)
                 : libos_run(eid, &status, args.data(), args.size(), trace, start.ignored, start.blocked);
  if (st != SGX_SUCCESS) {
    std::fprintf(stderr, "nsgx run: the library OS enclave failed: SGX status 0x%x\n", st);
    status = 126;
  }
  std::fflush(stdout);
  if (trace != 0 && workers > 0 && !forked) {
    sgx_uswitchless_worker_stats_t sl{};
    if (nsgx_uswitchless_stats(eid, SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED, &sl) == SGX_SUCCESS)
      std::fprintf(stderr, "nsgx run: switchless OCALLs: %llu processed by %d workers, %llu missed\n",
                   static_cast<unsigned long long>(sl.processed), workers, static_cast<unsigned long long>(sl.missed));
  }
  sgx_destroy_enclave(eid);
  constexpr int kKilledBySignal = 0x100;  // libos/enclave/signals.h
  if (status > kKilledBySignal && status < kKilledBySignal + 65)
    nsgx::libos_host::die_by_signal(status - kKilledBySignal);
  if (st == SGX_SUCCESS && nsgx::libos_host::exec_pending()) {
    nsgx::libos_host::exec_now();  // returns only on failure
    return 126;
  }
  return status;
}
