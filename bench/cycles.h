// Cycle counting for the benchmarks that time one short operation per
// sample (vdso_benchmark.cc, syscall_trap_benchmark.cc): the TSC read with
// the fences the SDM recommends around RDTSC/RDTSCP (Vol. 2B, RDTSCP: a
// following LFENCE keeps later instructions from starting early), and the
// median, p99 and minimum of the samples as Google Benchmark counters.
#pragma once

#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace nsgx::bench {

inline std::uint64_t tsc_begin() {
  _mm_lfence();
  return __rdtsc();
}

inline std::uint64_t tsc_end() {
  unsigned aux;
  const std::uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}

// Sorts `samples`.
inline void report_cycles(benchmark::State& state, std::vector<std::uint64_t>& samples) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  state.counters["median_cycles"] = static_cast<double>(samples[samples.size() / 2]);
  state.counters["p99_cycles"] = static_cast<double>(samples[samples.size() * 99 / 100]);
  state.counters["min_cycles"] = static_cast<double>(samples.front());
}

}  // namespace nsgx::bench
