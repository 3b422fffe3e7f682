// `nsgx bench libos`: an unmodified Linux program natively and inside the
// library OS enclave (docs/libos.md), on each backend, in the same run.
// The program is bench/libos's libos_workloads — bench/workloads' kernels
// (the nbench-style suite, bw_mem, a hash join, SQLite on a pass-through
// file) as one static-PIE glibc binary — which times each workload itself
// (CLOCK_MONOTONIC around the work alone, so starting the enclave is not in
// the ratio) and prints a digest of its result; the enclave's digests must
// be the native run's. Times are reported, never judged.
#pragma once

#include <filesystem>
#include <string>

#include "tools/nsgx/commands.h"

namespace nsgx::cli {

// Runs the suite with `program` (libos_workloads); work files and
// libos.json go into `out`. `quick`: each workload once at its smallest
// size (a smoke run). An exit status (kExitOk, kExitVerifyFailed);
// `written` is set when the JSON was written.
int bench_libos(const std::string& program, const std::filesystem::path& out, bool quick, bool& written);

}  // namespace nsgx::cli
