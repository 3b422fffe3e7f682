#!/usr/bin/env bash
# Every suite `nsgx bench` offers is part of a release build (NSGX_TESTS=OFF,
# as the README's release build, scripts/demo and distribution packages are
# configured) and of its install, and owes nothing to the tests: this
# configures the source tree that way into a temporary folder (seconds; no
# second build — CI's time is spent once, on the test build) and checks
# that each suite's program is a target there whose whole build graph is
# complete (`ninja -n`), that nothing it builds links GoogleTest or uses the
# tests' signing key, and that the install rules name each program and what
# it loads. The suites are the ones this build's `nsgx bench --list` names,
# so a suite added later is checked too. tests/install/install_test.sh runs
# the installed suites.
# Usage: release_bench_test.sh NSGX SOURCE_DIR C_COMPILER CXX_COMPILER NSGX_BENCH VECTORS_DIR
set -u
NSGX=$1 SRC=$2 CC=$3 CXX=$4 BENCH=$5 VECTORS=$6
T=$(mktemp -d /tmp/nsgx-release-bench.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# The suites and their programs, as the build tree's nsgx knows them.
NSGX_BENCH_DIR='' "$NSGX" bench --list >"$T/list" 2>&1 || { fail "nsgx bench --list: $(cat "$T/list")"; exit 1; }
programs=()
while IFS=$'\t' read -r name where _; do
  case "$where" in
    "("*) [ "$BENCH" = ON ] && fail "suite $name is not in this (test) build either: $where" ;;
    *) programs+=("$(basename "$where")") ;;
  esac
done <"$T/list"
[ ${#programs[@]} -ge 2 ] || fail "nsgx bench --list names ${#programs[@]} suites: $(cat "$T/list")"

if ! cmake -S "$SRC" -B "$T/release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNSGX_TESTS=OFF -DNSGX_BENCH="$BENCH" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DNSGX_VECTORS_DIR="$VECTORS" >"$T/configure.log" 2>&1; then
  fail "configure with NSGX_TESTS=OFF: $(tail -20 "$T/configure.log")"
  echo "$fails failure(s)"
  exit 1
fi
pass "configured with NSGX_TESTS=OFF"
ninja -C "$T/release" -t targets all >"$T/targets" 2>&1
for p in "${programs[@]}"; do
  grep -q "^$p: " "$T/targets" && pass "$p is a target of the release build" ||
    fail "$p is not a target of the release build (nsgx bench there: it is missing)"
done
# The whole graph of each program is there (every file it needs has a rule).
if ninja -C "$T/release" -n "${programs[@]}" >"$T/dry.log" 2>&1; then
  pass "ninja -n builds all of them ($(grep -c '^\[' "$T/dry.log") steps)"
else
  fail "ninja -n: $(tail -5 "$T/dry.log")"
fi
# Every command that builds them, the enclaves' signing among them.
ninja -C "$T/release" -t commands "${programs[@]}" >"$T/commands" 2>&1 ||
  fail "ninja -t commands: $(tail -3 "$T/commands")"
grep -qi "gtest" "$T/commands" && fail "a benchmark links GoogleTest: $(grep -i -m1 -o '[^ ]*gtest[^ ]*' "$T/commands")" ||
  pass "no benchmark links GoogleTest"
grep -q "test_signing_key" "$T/commands" && fail "a benchmark enclave is signed with the tests' key" ||
  pass "no benchmark enclave uses the tests' key"
n=$(grep -c "sign.*--key [^ ]*/bench/bench_signing_key.pem" "$T/commands")
[ "$n" -ge 2 ] && pass "the benchmark enclaves are signed with the build tree's bench_signing_key.pem ($n)" ||
  fail "benchmark enclaves signed with the build tree's key: $n: $(grep -m3 -- '--key' "$T/commands")"
# The install rules: each program, and what it loads, into libexec/nestedsgx.
cat "$T"/release/packaging/cmake_install.cmake >"$T/install-rules" 2>/dev/null
loads=(bench_enclave.signed.so workloads_enclave.signed.so plot_workloads.py)
[ "$BENCH" = ON ] && loads+=(test_encl.bin ra_enclave.signed.so)
for f in "${programs[@]}" "${loads[@]}"; do
  grep -q "/$f\"" "$T/install-rules" && pass "installed: $f" || fail "the release install has no $f"
done
echo "$fails failure(s)"
[ $fails -eq 0 ]
