#!/usr/bin/env bash
# The command-line conventions every nestedsgx tool keeps (base/cli/command_line.h):
# --version, help for a bare command group, suggestions for a mistyped
# command, exit status 0/1/2 (never the argument parser's own codes), JSON
# from `nsgx measure`, and `nsgx bench`'s honesty: no colour codes when its
# output is not a terminal, a filter that matches nothing is an error, the
# user guide's example filter matches a real benchmark.
# Usage: cli_conventions_test.sh NSGX EDGER8R MONITOR SOURCE_DIR VECTORS_DIR BENCH(ON|OFF)
set -u
NSGX=$1 EDGER8R=$2 MONITOR=$3 SRC=$4 V=$5 BENCH=$6
T=$(mktemp -d)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect NAME WANT_RC WHERE(out|err) TEXT CMD... — exit status and TEXT (a grep -E regex) in stdout or stderr.
expect() {
  local name=$1 want=$2 where=$3 text=$4; shift 4
  "$@" >"$T/out" 2>"$T/err" </dev/null; local rc=$?
  if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want ($(head -c 300 "$T/err"))"; return; fi
  if [ -n "$text" ] && ! grep -qE -- "$text" "$T/$where"; then fail "$name: no /$text/ in std$where: $(head -c 400 "$T/$where")"; return; fi
  pass "$name"
}

# --- --version on every tool: "<tool> X.Y.Z" on stdout, exit 0 ---
expect "nsgx --version" 0 out '^nsgx [0-9]+\.[0-9]+\.[0-9]+$' "$NSGX" --version
expect "nsgx-edger8r --version" 0 out '^nsgx-edger8r [0-9]+\.[0-9]+\.[0-9]+$' "$EDGER8R" --version
expect "nsgx-monitor --version" 0 out '^nsgx-monitor [0-9]+\.[0-9]+\.[0-9]+$' "$MONITOR" --version
expect "nsgx --help exits 0" 0 out 'measure' "$NSGX" --help
expect "nsgx-edger8r --help exits 0" 0 out '--search-path' "$EDGER8R" --help

# --- a bare group prints its commands; a typo gets a suggestion; exit 2 ---
expect "bare nsgx lists the commands" 2 err 'Subcommands:' "$NSGX"
expect "bare nsgx says a command is required" 2 err 'a command is required' "$NSGX"
expect "bare nsgx verify lists snp and quote" 2 err '^ +quote' "$NSGX" verify
expect "nsgx mesure suggests measure" 2 err "'mesure' is not a command; did you mean 'measure'\?" "$NSGX" mesure
expect "nsgx sigstuct suggests sigstruct" 2 err "did you mean 'sigstruct'\?" "$NSGX" sigstuct
expect "nsgx verify snpp suggests snp" 2 err "did you mean 'snp'\?" "$NSGX" verify snpp
expect "nsgx zzzzzz: no suggestion, a pointer to --help" 2 err "'zzzzzz' is not a command$" "$NSGX" zzzzzz
expect "an unknown option is a usage error" 2 err "nsgx measure: .*--bogus" "$NSGX" measure --bogus x
expect "a missing required option is a usage error" 2 err "--out" "$NSGX" keygen

# --- nsgx-edger8r: 0 generated, 1 cannot write, 2 usage or bad EDL ---
cat >"$T/ok.edl" <<'EDL'
enclave { trusted { public int ecall_add(int a, int b); }; };
EDL
printf 'enclave { trusted { public int ecall_add(int a int b); }; };\n' >"$T/bad.edl"
expect "edger8r without arguments: 2" 2 err 'files' "$EDGER8R"
expect "edger8r unknown option: 2" 2 err 'bogus' "$EDGER8R" --bogus "$T/ok.edl"
expect "edger8r missing file: 2" 2 err 'nope.edl' "$EDGER8R" "$T/nope.edl"
expect "edger8r malformed EDL: 2" 2 err 'bad.edl' "$EDGER8R" --trusted-dir "$T" --untrusted-dir "$T" "$T/bad.edl"
expect "edger8r generates: 0" 0 out '' "$EDGER8R" --trusted-dir "$T" --untrusted-dir "$T" "$T/ok.edl"
[ -s "$T/ok_t.c" ] && [ -s "$T/ok_u.h" ] && pass "edger8r wrote the bridges" || fail "edger8r wrote no bridges"
mkdir "$T/ro" && chmod 0555 "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
  expect "edger8r unwritable directory: 1" 1 err 'cannot write' "$EDGER8R" --trusted-dir "$T/ro" "$T/ok.edl"
else
  # root writes anywhere: a directory that does not exist instead.
  expect "edger8r unwritable directory: 1" 1 err 'cannot write' "$EDGER8R" --trusted-dir "$T/missing/dir" "$T/ok.edl"
fi

# --- nsgx-monitor: usage errors are 2 ---
expect "monitor unknown option: 2" 2 err 'bogus' "$MONITOR" --bogus
expect "monitor --fd not a number: 2" 2 err '--fd' "$MONITOR" --fd abc
expect "monitor --epc-size out of range: 2" 2 err 'epc-size' "$MONITOR" --epc-size 1K --fd 99

# --- nsgx measure --json ---
img="$V/sdk/sgxsdk_SampleEnclave.signed.so"
plain=$("$NSGX" measure "$img")
expect "measure --json" 0 out "\"mrenclave\": \"$plain\"" "$NSGX" measure --json "$img"
grep -q '"input": "image"' "$T/out" && grep -qE '"pages": [1-9][0-9]*' "$T/out" && pass "measure --json: input and pages" ||
  fail "measure --json fields: $(cat "$T/out")"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["mrenclave"]) == 64' "$T/out" &&
    pass "measure --json parses as JSON" || fail "measure --json is not JSON"
fi
expect "measure --json --sgxs" 0 out '"input": "sgxs"' "$NSGX" measure --json --sgxs "$V/sgx/fortanix_test_enclave.sgxs"
expect "measure --json of a bad file: 2, no JSON" 2 err 'nsgx measure' "$NSGX" measure --json "$T/ok.edl"
[ ! -s "$T/out" ] && pass "no JSON on failure" || fail "JSON printed on failure: $(cat "$T/out")"

# --- nsgx bench ---
if [ "$BENCH" == ON ]; then
  # Google Benchmark colours by TERM; piped output must carry no escape
  # codes — from the stock reporter (monitor) or a suite's own (measurement).
  for sb in measurement:BM_Sha256Raw monitor:BM_Egetkey; do
    TERM=xterm-256color "$NSGX" bench "${sb%%:*}" --filter "${sb#*:}" --min-time 0.01 >"$T/bench.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q "${sb#*:}" "$T/bench.out"; then
      if grep -q $'\e\[' "$T/bench.out"; then fail "bench ${sb%%:*} to a pipe has colour codes"; else pass "bench ${sb%%:*}: no colour codes in a pipe"; fi
    else
      fail "bench ${sb%%:*}: exit $rc: $(head -c 400 "$T/bench.out")"
    fi
  done
  expect "bench: a filter that matches nothing is an error" 2 err "matches no benchmark" \
    "$NSGX" bench monitor --filter EGETKEY --min-time 0.01
  # The user guide's example, run as written but for a shorter minimum time.
  example=$(grep -oE 'nsgx bench monitor --filter [^ ]+' "$SRC/docs/user-guide.md" | head -1)
  if [ -z "$example" ]; then
    fail "the user guide has no 'nsgx bench monitor --filter' example"
  else
    filter=${example##* }
    expect "user guide's filter '$filter' runs a benchmark" 0 out "BM_[A-Za-z]*" \
      "$NSGX" bench monitor --filter "$filter" --min-time 0.01 --out "$T/results"
    ls "$T/results"/monitor.json >/dev/null 2>&1 && pass "bench --out kept the JSON" || fail "bench --out: no monitor.json"
  fi
  expect "bench SUITE --list names its benchmarks" 0 out '^BM_Egetkey$' "$NSGX" bench monitor --list
fi

# Figures are written beside the results: --plot without --out is refused
# before anything runs.
expect "bench --plot without --out is a usage error" 2 err "give one" "$NSGX" bench workloads --plot

echo "$fails failure(s)"
[ $fails -eq 0 ]
