#!/usr/bin/env bash
# nestedsgx as an installed SDK (packaging/CMakeLists.txt): `cmake --install`
# into a temporary prefix, then, outside the source tree, a small enclave
# application (tests/install/project) built against that prefix two ways —
# CMake find_package(nestedsgx) and an SGX SDK sample-style Makefile
# ($(SGX_SDK)/bin/x64/sgx_edger8r, -lsgx_urts, sgx_sign) — and run on the
# isolated backend with the prefix's own monitor. Also: the prefix's layout,
# the environment script, pkg-config, the unit file (systemd-analyze verify),
# `nsgx run` of the tree's static-PIE program in the prefix's library OS
# enclave (each backend, against the native run; named when a piece is
# missing), and the installed benchmark suites: all there, signed with the build
# tree's benchmark key, run from the prefix, and named when missing.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR NSGX_BENCH(ON|OFF)
set -u
BUILD=$1 SRC=$2 BENCH=${3:-ON}
T=$(mktemp -d /tmp/nsgx-install-test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
P=$T/prefix
# Never the build tree's monitor or state: only what the prefix holds.
unset NSGX_MONITOR NSGX_ENCLAVE_HOST NSGX_PRELOAD NSGX_BENCH_DIR NSGX_DEMO_DIR NSGX_RA_DIR NSGX_BACKEND \
  NSGX_LIBOS_HOST NSGX_LIBOS_ENCLAVE NSGX_LIBOS_TRACE
export NSGX_STATE_DIR=$T/state NSGX_MONITOR_SOCKET=$T/no-daemon.sock

if ! cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1; then
  fail "cmake --install: $(tail -5 "$T/install.log")"
  echo "$fails failure(s)"; exit 1
fi
pass "cmake --install"
for f in bin/nsgx bin/nsgx-edger8r bin/x64/sgx_edger8r bin/x64/sgx_sign lib64/libsgx_urts.so lib64/libsgx_trts.a \
  lib64/libsgx_tstdc.a lib64/libsgx_tservice.a lib64/libsgx_tcxx.a lib64/libsgx_tcrypto.a lib64/libnsgx_inproc.so \
  include/sgx_urts.h include/sgx_trts.h include/tlibc/string.h include/sgx_tstdc.edl \
  libexec/nestedsgx/nsgx-monitor libexec/nestedsgx/nsgx-enclave-host lib/cmake/nestedsgx/nestedsgxConfig.cmake \
  pkgconfig/libsgx_urts.pc environment buildenv.mk share/nestedsgx/nsgx-monitor.service; do
  [ -e "$P/$f" ] || fail "missing $f"
done
pass "layout checked"
# One shared library: only system libraries as dependencies, the SDK's soname.
readelf -d "$P/lib64/libsgx_urts.so" | grep -q 'SONAME.*libsgx_urts.so.2' && pass "urts soname" || fail "urts soname"
if ldd "$P/lib64/libsgx_urts.so" | grep -q 'not found'; then fail "urts has unresolved dependencies"; else pass "urts resolves its dependencies"; fi
nm -D --defined-only "$P/lib64/libsgx_urts.so" | awk '{print $3}' | grep -vE '^(sgx_|nsgx_)' >"$T/extra_syms"
[ ! -s "$T/extra_syms" ] && pass "urts exports only sgx_*/nsgx_*" || fail "urts exports $(head -3 "$T/extra_syms")"
# --- the environment script ---
(
  source "$P/environment"
  [ "$SGX_SDK" == "$P" ] && [[ ":$PATH:" == *":$P/bin/x64:"* ]] && [[ "$LD_LIBRARY_PATH" == "$P/lib64"* ]] &&
    [[ "$PKG_CONFIG_PATH" == "$P/pkgconfig"* ]]
) && pass "environment sets SGX_SDK, PATH, LD_LIBRARY_PATH, PKG_CONFIG_PATH" || fail "environment script"
if command -v pkg-config >/dev/null; then
  libs=$(PKG_CONFIG_PATH=$P/pkgconfig pkg-config --libs libsgx_urts)
  [[ "$libs" == *"-L$P/pkgconfig/../lib64"*"-lsgx_urts"* ]] && pass "pkg-config libsgx_urts" || fail "pkg-config: '$libs'"
fi

# The prefix's monitor, wrapped to prove that the application's runtime
# started it (and not the build tree's).
mv "$P/libexec/nestedsgx/nsgx-monitor" "$P/libexec/nestedsgx/nsgx-monitor.real"
cat >"$P/libexec/nestedsgx/nsgx-monitor" <<WRAP
#!/bin/sh
echo started >>"$T/monitor-used"
exec "$P/libexec/nestedsgx/nsgx-monitor.real" "\$@"
WRAP
chmod +x "$P/libexec/nestedsgx/nsgx-monitor"
expect_run() {  # expect_run NAME DIR APP ENCLAVE
  rm -f "$T/monitor-used"
  if ! (cd "$2" && LD_LIBRARY_PATH=$P/lib64 ./"$3" "$4") >"$T/run.out" 2>&1; then
    fail "$1 run: $(head -c 600 "$T/run.out")"
    return
  fi
  grep -q "enclave: the sum of 5 values is 39" "$T/run.out" && grep -q "app: total 39" "$T/run.out" &&
    pass "$1 runs on the isolated backend" || fail "$1 output: $(cat "$T/run.out")"
  [ -s "$T/monitor-used" ] && pass "$1 used the prefix's nsgx-monitor" || fail "$1 did not start the prefix's monitor"
}

# --- a CMake project: find_package(nestedsgx) ---
cp -r "$SRC/tests/install/project" "$T/cmake-src"
if cmake -S "$T/cmake-src" -B "$T/cmake-build" -DCMAKE_PREFIX_PATH="$P" >"$T/cmake.log" 2>&1 &&
  cmake --build "$T/cmake-build" >>"$T/cmake.log" 2>&1; then
  pass "CMake project builds against the prefix"
  grep -q "$P/bin/nsgx-edger8r" "$T/cmake-build/build.ninja" "$T/cmake-build/Makefile" "$T"/cmake-build/CMakeFiles/*.dir/build.make 2>/dev/null &&
    pass "CMake project ran the installed nsgx-edger8r" || fail "CMake project did not use the installed nsgx-edger8r"
  expect_run "CMake project" "$T/cmake-build" sum_app sum_enclave.signed.so
else
  fail "CMake project: $(tail -20 "$T/cmake.log")"
fi

# --- an SGX SDK sample-style Makefile ---
cp -r "$SRC/tests/install/project" "$T/make-src"
if (source "$P/environment" && make -C "$T/make-src") >"$T/make.log" 2>&1; then
  pass "Makefile project builds with sgx_edger8r, -lsgx_urts, sgx_sign"
  expect_run "Makefile project" "$T/make-src" app enclave.signed.so
  mr=$("$P/bin/nsgx" measure "$T/make-src/enclave.signed.so")
  "$P/bin/nsgx" sigstruct "$T/make-src/enclave.signed.so" >/dev/null && pass "sgx_sign's image verifies ($mr)" ||
    fail "sgx_sign's image does not verify"
else
  fail "Makefile project: $(tail -20 "$T/make.log")"
fi
# --- nsgx run: the tree's static-PIE program in the prefix's library OS
# enclave, each backend, against its native run; built once and run; each
# installed piece moved aside and named (libos_run.sh) ---
rm -f "$T/monitor-used"
if "$SRC/tests/install/libos_run.sh" "$P" "$BUILD/libos/tests/libos_hello" >"$T/libos.out" 2>&1; then
  pass "installed nsgx run: $(grep -c '^ok' "$T/libos.out") checks (libos_run.sh)"
else
  fail "installed nsgx run"
fi
sed 's/^/     /' "$T/libos.out"
[ -s "$T/monitor-used" ] && pass "installed nsgx run (isolated) used the prefix's nsgx-monitor" ||
  fail "installed nsgx run did not start the prefix's monitor"

"$P/bin/x64/sgx_sign" gendata -enclave x >/dev/null 2>&1; [ $? == 2 ] && pass "sgx_sign gendata: a clear refusal" ||
  fail "sgx_sign gendata"

# --- Intel's SDK samples by their own Makefiles (a few; scripts/package runs all) ---
if [ -d "$SRC/../shared/vectors/sdk-samples" ]; then
  if "$SRC/tests/install/sdk_samples.sh" "$P" "$SRC/../shared/vectors/sdk-samples" "$SRC" \
    SampleEnclave:HW SampleEnclave:SIM Cxx11SGXDemo:SIM >"$T/samples.out" 2>&1; then
    pass "SDK samples' Makefiles against the prefix: $(grep '^ok' "$T/samples.out" | cut -c6- | tr '\n' ';')"
  else
    fail "SDK samples: $(cat "$T/samples.out")"
  fi
fi

# --- the benchmark suites: every one `nsgx bench` offers is in the prefix,
# with what it loads beside it, from whatever build (tests/install/
# release_bench_test.sh: a release build has them too) ---
L=$P/libexec/nestedsgx
want=(sdk_ecall_bench bench_enclave.signed.so workloads_bench workloads_enclave.signed.so plot_workloads.py
  libos_workloads libos_enclave.unsigned.so)
[ "$BENCH" = ON ] && want+=(measurement_benchmark monitor_benchmark snp_benchmark quote_benchmark quote_e2e_benchmark
  ra_enclave.signed.so syscall_trap_benchmark vdso_benchmark test_encl.bin)
missing=""
for f in "${want[@]}"; do [ -e "$L/$f" ] || missing+=" $f"; done
[ -z "$missing" ] && pass "the prefix has every benchmark suite and its enclave (${#want[@]} files)" ||
  fail "libexec/nestedsgx lacks:$missing"
"$P/bin/nsgx" bench --list >"$T/list" 2>&1
rc=$?
suites=$(wc -l <"$T/list")
found=$(grep -c "	$L/" "$T/list")
if [ $rc == 0 ] && { [ "$BENCH" != ON ] || [ "$found" == "$suites" ]; } && [ "$found" -ge 2 ]; then
  pass "installed nsgx bench --list finds $found suites in the prefix"
else
  fail "installed nsgx bench --list (exit $rc, $found of $suites in the prefix): $(cat "$T/list")"
fi
# Signed with the build tree's benchmark key, never the tests' key.
signer() { "$P/bin/nsgx" sigstruct "$1" 2>/dev/null | awk '/^mrsigner:/ {print $NF}'; }
bench_signer=$(signer "$L/bench_enclave.signed.so")
test_signer=$(signer "$BUILD/sdk/tests/marshal_enclave.signed.so")
if [ -n "$bench_signer" ] && [ "$bench_signer" == "$(signer "$L/workloads_enclave.signed.so")" ] &&
  [ "$bench_signer" != "$test_signer" ]; then
  pass "the benchmark enclaves share the build tree's benchmark key, not the tests' ($bench_signer)"
else
  fail "benchmark enclaves' signer '$bench_signer' (tests' key: '$test_signer')"
fi
# `nsgx bench sdk` and `nsgx bench workloads` from the prefix, both backends
# (inproc through the prefix's libnsgx_inproc.so), at their smallest sizes.
if "$P/bin/nsgx" bench sdk --calls 50 --out "$T/sdk-results" >"$T/sdk-bench.out" 2>&1 &&
  [ -s "$T/sdk-results/sdk-isolated.json" ] && [ -s "$T/sdk-results/sdk-inproc.json" ] &&
  grep -q "backend isolated *null ECALL" "$T/sdk-bench.out" && grep -q "backend inproc *null ECALL" "$T/sdk-bench.out" &&
  grep -q "^results (JSON): $T/sdk-results$" "$T/sdk-bench.out"; then
  pass "installed nsgx bench sdk --calls 50 runs the prefix's sdk_ecall_bench on both backends"
else
  fail "installed nsgx bench sdk: $(tail -c 600 "$T/sdk-bench.out") $(ls "$T/sdk-results" 2>&1)"
fi
if "$P/bin/nsgx" bench workloads --quick --out "$T/wl-results" >"$T/wl-bench.out" 2>&1 &&
  [ -s "$T/wl-results/workloads-isolated.json" ] && [ -s "$T/wl-results/workloads-inproc.json" ] &&
  grep -q "^backend isolated" "$T/wl-bench.out" && grep -q "^backend inproc" "$T/wl-bench.out"; then
  pass "installed nsgx bench workloads --quick runs the prefix's workloads_bench on both backends"
else
  fail "installed nsgx bench workloads --quick: $(tail -c 600 "$T/wl-bench.out") $(ls "$T/wl-results" 2>&1)"
fi
# The library OS suite: the prefix's program natively and through the
# prefix's `nsgx run` on both backends (exit 1 while a workload cannot run
# inside: SQLite, docs/libos.md), its table and JSON.
"$P/bin/nsgx" bench libos --quick --out "$T/libos-results" >"$T/libos-bench.out" 2>&1
rc=$?
if { [ $rc == 0 ] || [ $rc == 1 ]; } && [ -s "$T/libos-results/libos.json" ] &&
  grep -q "^numeric_sort  *1  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[0-9.]*$" "$T/libos-bench.out" &&
  grep -q "^geometric mean" "$T/libos-bench.out" && ! grep -q "different result" "$T/libos-bench.out"; then
  pass "installed nsgx bench libos --quick runs the prefix's libos_workloads natively and inside on both backends"
else
  fail "installed nsgx bench libos --quick (exit $rc): $(tail -c 600 "$T/libos-bench.out")"
fi
# The inproc suite with the selftest's enclave, installed beside it.
if [ "$BENCH" = ON ]; then
  "$P/bin/nsgx" bench inproc --filter BM_NullEnterExit --min-time 0.01 >"$T/inproc-bench.out" 2>&1 &&
    grep -q "null EENTER->EEXIT through the vDSO: median [0-9]" "$T/inproc-bench.out" &&
    pass "installed nsgx bench inproc runs the prefix's vdso_benchmark" ||
    fail "installed nsgx bench inproc: $(tail -c 600 "$T/inproc-bench.out")"
fi
# The enclave it loaded was the prefix's: without it, the installed program
# fails rather than fall back to the build tree's, and nsgx bench names the
# missing file without running anything.
mv "$L/bench_enclave.signed.so" "$T/bench_enclave.aside"
"$L/sdk_ecall_bench" 100 >"$T/sdk-alone.out" 2>&1 && fail "sdk_ecall_bench ran without the prefix's enclave" ||
  { grep -q "cannot load the enclave" "$T/sdk-alone.out" && pass "sdk_ecall_bench loads the prefix's enclave, never the build tree's"; } ||
  fail "sdk_ecall_bench without its enclave: $(head -c 300 "$T/sdk-alone.out")"
"$P/bin/nsgx" bench sdk --out "$T/none" >"$T/bench.out" 2>"$T/bench.err"
rc=$?
[ $rc == 1 ] && grep -q "^nsgx bench: sdk: incomplete install: $L/bench_enclave.signed.so.*missing" "$T/bench.err" &&
  ! grep -q "results" "$T/bench.out" && [ ! -e "$T/none" ] &&
  pass "nsgx bench sdk without the enclave names it (exit 1, no results path)" ||
  fail "nsgx bench sdk without the enclave: exit $rc: $(cat "$T/bench.out" "$T/bench.err" | head -c 400)"
# A run that fails (a file that is no enclave) into the directory of the
# earlier run: its results are not taken for this run's.
cp "$L/plot_workloads.py" "$L/bench_enclave.signed.so"
"$P/bin/nsgx" bench sdk --calls 50 --out "$T/sdk-results" >"$T/bench.out" 2>"$T/bench.err"
rc=$?
[ $rc == 1 ] && grep -q "sdk (isolated) failed" "$T/bench.err" && ! grep -q "results" "$T/bench.out" &&
  [ ! -e "$T/sdk-results/sdk-isolated.json" ] &&
  pass "nsgx bench sdk failing over earlier results: exit 1, no results path, the old JSON gone" ||
  fail "nsgx bench sdk failing over earlier results: exit $rc: $(cat "$T/bench.out" "$T/bench.err" | head -c 400); $(ls "$T/sdk-results")"
mv "$T/bench_enclave.aside" "$L/bench_enclave.signed.so"
# A prefix without the programs (as from a sanitizer build): each missing
# suite named with why, exit 1, no results path, no results directory.
rm -f "$L"/*_benchmark "$L"/sdk_ecall_bench "$L"/workloads_bench "$L"/libos_workloads
"$P/bin/nsgx" bench --out "$T/results" >"$T/bench.out" 2>"$T/bench.err"
rc=$?
[ $rc == 1 ] && grep -q "^nsgx bench: sdk: not installed: $L/sdk_ecall_bench is missing" "$T/bench.err" &&
  grep -q "^nsgx bench: workloads: not installed: $L/workloads_bench is missing" "$T/bench.err" &&
  [ "$(grep -c '^nsgx bench: .*: not installed' "$T/bench.err")" == "$suites" ] &&
  ! grep -q "results" "$T/bench.out" && [ ! -e "$T/results" ] &&
  pass "nsgx bench without benchmarks names each missing suite (exit 1, no results path)" ||
  fail "nsgx bench without benchmarks: exit $rc: $(cat "$T/bench.out" "$T/bench.err" | head -c 600)"

# --- the unit file ---
unit=$P/share/nestedsgx/nsgx-monitor.service
grep -q "^ExecStart=$P/libexec/nestedsgx/nsgx-monitor --system$" "$unit" && pass "unit runs the prefix's monitor" ||
  fail "unit ExecStart: $(grep ExecStart "$unit")"
grep -q "^StateDirectory=nsgx$" "$unit" && grep -q "^RuntimeDirectory=nsgx$" "$unit" && pass "unit state/runtime dirs" ||
  fail "unit directories"
if command -v systemd-analyze >/dev/null; then
  mv "$P/libexec/nestedsgx/nsgx-monitor.real" "$P/libexec/nestedsgx/nsgx-monitor"
  # --man=no: the Documentation= file URL is checked, no man page is named.
  if systemd-analyze verify --man=no "$unit" >"$T/verify" 2>&1 && [ ! -s "$T/verify" ]; then
    pass "systemd-analyze verify: clean"
  else
    fail "systemd-analyze verify: $(cat "$T/verify")"
  fi
fi

echo "$fails failure(s)"
[ $fails -eq 0 ]
