#!/usr/bin/env bash
# Intel's SGX SDK sample projects (../shared/vectors/sdk-samples) built by
# their own, unmodified Makefiles against an installed nestedsgx prefix, as
# an SGX developer builds them: each copied to a clean directory outside the
# source tree, `source PREFIX/environment`, then `make SGX_MODE=HW
# SGX_DEBUG=1` (libsgx_urts.so: the isolated backend) or `make SGX_MODE=SIM`
# (libsgx_urts_sim.so: the inproc backend); the application it made is run
# as its README runs it and must print what it prints when it works (its
# App sources; the same lines sdk/tests/samples checks).
#
# Usage: sdk_samples.sh PREFIX SAMPLES_DIR SOURCE_DIR [SAMPLE:MODE ...]
#   SAMPLE one of SampleEnclave SealUnseal Cxx11SGXDemo LocalAttestation
#   Switchless; MODE HW or SIM. Default: every sample in both modes.
# Prints one line per sample and mode with its build and run times; exits 1
# if any failed. KEEP=1 keeps the work directory.
set -u
P=$1 SAMPLES=$2 SRC=$3
shift 3
matrix=("$@")
if [ ${#matrix[@]} -eq 0 ]; then
  matrix=(SampleEnclave:HW SampleEnclave:SIM SealUnseal:HW SealUnseal:SIM Cxx11SGXDemo:HW Cxx11SGXDemo:SIM
    LocalAttestation:HW LocalAttestation:SIM Switchless:HW Switchless:SIM)
fi
T=$(mktemp -d /tmp/nsgx-sdk-samples.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# A private monitor per run (never a system service's state or the build
# tree's): what the prefix's runtime starts for this user.
unset NSGX_MONITOR NSGX_ENCLAVE_HOST NSGX_PRELOAD NSGX_BACKEND
export NSGX_STATE_DIR=$T/state NSGX_MONITOR_SOCKET=$T/no-daemon.sock

# expect_lines FILE LINE... : every LINE in FILE.
expect_lines() {
  local f=$1 l
  shift
  for l in "$@"; do grep -qF -- "$l" "$f" || { echo "missing: $l"; return 1; }; done
}
# expect_in_order FILE EXPECTED_FILE: EXPECTED_FILE's lines in FILE, in order.
expect_in_order() {
  awk 'NR == FNR { want[n++] = $0; next } i < n && index($0, want[i]) { i++ } END { if (i < n) { print "missing (in order): " want[i]; exit 1 } }' \
    "$2" "$1"
}

# run_sample NAME MODE DIR: the application(s) and the check of their output.
run_sample() {
  local name=$1 dir=$3 out=$3/run.out
  case "$name" in
    SampleEnclave)
      (cd "$dir" && printf 'q\n' | timeout 300 ./app) >"$out" 2>&1 &&
        expect_lines "$out" "Checksum(" "Info: executing thread synchronization, please wait..." \
          "Info: SampleEnclave successfully returned." ;;
    SealUnseal)
      (cd "$dir" && timeout 300 ./app) >"$out" 2>&1 &&
        expect_lines "$out" "Sealing data succeeded." "Unseal succeeded." ;;
    Cxx11SGXDemo)
      (cd "$dir" && timeout 300 ./app) >"$out" 2>&1 &&
        expect_in_order "$out" "$SRC/sdk/tests/samples/cxx11_sgx_demo.expected" ;;
    LocalAttestation)
      # Both enclaves in one application (App/), from bin/ where make puts
      # it with the enclaves; then the two-process flow the README runs
      # (bin/appresponder as a server, bin/appinitiator attesting to its
      # enclave through the sample's own socket, /tmp/UNIX.domain), with the
      # same runner as the tests from source.
      local b=$dir/bin
      (cd "$b" && timeout 300 ./app) >"$out" 2>&1 &&
        expect_lines "$out" "succeed to load enclaves." "succeed to establish secure channel." \
          "Succeed to exchange secure message..." "Succeed to close Session..." &&
        "$SRC/sdk/tests/samples/run_local_attestation.sh" --responder "$b/appresponder" \
          --initiator "$b/appinitiator" --enclaves libenclave_initiator.signed.so="$b/libenclave_initiator.signed.so" \
          libenclave_responder.signed.so="$b/libenclave_responder.signed.so" \
          --expect "succeed to load enclave libenclave_initiator.signed.so" "succeed to establish secure channel." \
          "Succeed to exchange secure message..." "Succeed to close Session..." >"$dir/two-process.out" 2>&1 ||
        { echo "two-process flow:"; tail -20 "$dir/two-process.out"; return 1; } ;;
    Switchless)
      (cd "$dir" && timeout 900 ./app) >"$out" 2>&1 &&
        expect_lines "$out" "Repeating an **switchless** OCall that does nothing for 500000 times..." \
          "Repeating an **ordinary** OCall that does nothing for 500000 times..." \
          "Repeating an **switchless** ECall that does nothing for 500000 times..." \
          "Repeating an **ordinary** ECall that does nothing for 500000 times..." "Time elapsed:" "Done." &&
        ! grep -q "ERROR" "$out" ;;
    *) echo "unknown sample $name"; return 1 ;;
  esac
}

for entry in "${matrix[@]}"; do
  name=${entry%%:*} mode=${entry#*:}
  case "$mode" in
    HW) args=(SGX_MODE=HW SGX_DEBUG=1) urts=libsgx_urts.so.2 ;;
    SIM) args=(SGX_MODE=SIM) urts=libsgx_urts_sim.so.2 ;;
    *) fail "$entry: mode must be HW or SIM"; continue ;;
  esac
  [ -d "$SAMPLES/$name" ] || { fail "$entry: no $SAMPLES/$name"; continue; }
  dir=$T/$name-$mode
  # A clean copy, writable (the vectors are read-only); nothing in it changed.
  cp -r "$SAMPLES/$name" "$dir" && chmod -R u+w "$dir"
  start=$SECONDS
  if ! (cd "$dir" && source "$P/environment" && make "${args[@]}") >"$dir/make.log" 2>&1; then
    fail "$entry: make ${args[*]}: $(grep -m3 -E 'error|Error' "$dir/make.log")"
    continue
  fi
  built=$((SECONDS - start))
  # The runtime each mode selects: HW the isolated backend's, SIM the inproc one's.
  app=$dir/app
  [ "$name" == LocalAttestation ] && app=$dir/bin/app
  if ! readelf -d "$app" | grep -q "NEEDED.*\[$urts\]"; then
    fail "$entry: $app does not link $urts"
    continue
  fi
  start=$SECONDS
  if (source "$P/environment" && run_sample "$name" "$mode" "$dir") >"$dir/check.out" 2>&1; then
    pass "$entry: make ${args[*]} (${built}s), app runs correctly ($((SECONDS - start))s)"
  else
    fail "$entry: run: $(cat "$dir/check.out") $(tail -c 800 "$dir/run.out" 2>/dev/null)"
  fi
done
echo "$fails failure(s)"
[ $fails -eq 0 ]
