#!/usr/bin/env bash
# Quotes end to end through the command line: `nsgx quote` on a real
# enclave (examples/remote_attestation) on the isolated backend and under
# `nsgx exec` (inproc), and `nsgx verify quote` on each acceptance case of
# issue 7: a good quote passes; a debug enclave, another nonce, a modified
# enclave, a wrong signature, emulated evidence without --allow-emulated
# are refused with their reason (exit 1); truncated, oversized or
# unparsable input is exit 2.
# Usage: quote_cli_test.sh NSGX ENCLAVE MODIFIED_ENCLAVE NSGX_MONITOR INPROC_LIB
set -u
NSGX=$1 ENCLAVE=$2 MODIFIED=$3 MONITOR=$4 INPROC=$5
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect NAME WANT_RC WANT_TEXT CMD... — exit status, and WANT_TEXT in stdout+stderr.
expect() {
  local name=$1 want=$2 text=$3; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want: $(head -c 400 "$T/err")"; return; fi
  if [ "$want" != 0 ] && [ ! -s "$T/err" ]; then fail "$name: failed without a reason"; return; fi
  if ! grep -qF -- "$text" "$T/out" "$T/err"; then fail "$name: no '$text' in: $(head -c 600 "$T/out")"; return; fi
  pass "$name"
}

N1=$(printf '%064x' 1)
N2=$(printf '%064x' 2)
MR=$("$NSGX" measure "$ENCLAVE")
MRSIGNER=$("$NSGX" sigstruct --json "$ENCLAVE" | sed -n 's/.*"mrsigner": "\([0-9a-f]*\)".*/\1/p')
MONITOR_MR=$(sha384sum "$MONITOR" | cut -d' ' -f1)
INPROC_MR=$(sha384sum "$INPROC" | cut -d' ' -f1)
printf '{"mrenclave": "%s", "isv_prod_id": 42, "min_isv_svn": 2, "monitor_measurements": ["%s", "%s"]}\n' \
  "$MR" "$MONITOR_MR" "$INPROC_MR" >"$T/policy.json"
printf '{"mrenclave": "%s", "allow_debug": true}\n' "$MR" >"$T/debug-ok.json"
printf '{"mrsigner": "%s"}\n' "$MRSIGNER" >"$T/signer.json"
printf '{"mrenclave": "%s", "monitor_measurements": ["%s"]}\n' "$MR" "$(printf '%096d' 0)" >"$T/other-monitor.json"
printf '{"mrenclave": "%s", "min_isv_svn": 3}\n' "$MR" >"$T/svn3.json"
printf '{"mrenclave": "%s", "debug": false}\n' "$MR" >"$T/typo.json"

expect "nsgx quote (isolated)" 0 "written to" "$NSGX" quote --out "$T/q" --nonce "$N1"
expect "nsgx quote --debug" 0 "written to" "$NSGX" quote --out "$T/qdebug" --nonce "$N1" --debug
expect "nsgx quote of a modified enclave" 0 "written to" "$NSGX" quote --out "$T/qmod" --nonce "$N1" --enclave "$MODIFIED"
expect "nsgx quote under nsgx exec (inproc)" 0 "written to" "$NSGX" exec -- "$NSGX" quote --out "$T/qinproc" --nonce "$N1"
expect "nsgx quote refuses a short nonce" 2 "32 bytes" "$NSGX" quote --out "$T/x" --nonce abcd
# The first quote of a state directory creates the emulated root (seconds
# of RSA-4096 key generation): it says so, once.
start=$(date +%s)
NSGX_STATE_DIR=$T/fresh-state expect "first quote of a platform says what takes time" 0 \
  "creating the emulated SEV-SNP root" "$NSGX" quote --out "$T/qfresh" --nonce "$N1"
echo "     (first quote: $(($(date +%s) - start)) s)"
NSGX_STATE_DIR=$T/fresh-state "$NSGX" quote --out "$T/qfresh2" --nonce "$N1" >"$T/out" 2>"$T/err"
! grep -q "creating the emulated" "$T/out" "$T/err" && pass "the second quote does not" ||
  fail "the second quote creates the root again: $(cat "$T/err")"

expect "a good quote passes" 0 "verdict: OK (EMULATED" \
  "$NSGX" verify quote "$T/q" --policy "$T/policy.json" --nonce "$N1" --allow-emulated
grep -q "monitor_measurement: $MONITOR_MR" "$T/out" && pass "the evidence measures nsgx-monitor" \
  || fail "the evidence does not measure nsgx-monitor"
expect "the inproc quote passes" 0 "verdict: OK" \
  "$NSGX" verify quote "$T/qinproc" --policy "$T/policy.json" --nonce "$N1" --allow-emulated
grep -q "monitor_measurement: $INPROC_MR" "$T/out" && pass "the inproc evidence measures libnsgx_inproc.so" \
  || fail "the inproc evidence does not measure libnsgx_inproc.so"
k1=$("$NSGX" verify quote "$T/q" --policy "$T/policy.json" --allow-emulated --json | sed -n 's/.*"attestation_key": "\(.*\)".*/\1/p')
k2=$("$NSGX" verify quote "$T/qinproc" --policy "$T/policy.json" --allow-emulated --json | sed -n 's/.*"attestation_key": "\(.*\)".*/\1/p')
[ -n "$k1" ] && [ "$k1" != "$k2" ] && pass "each backend signs with its own key" || fail "keys: '$k1' '$k2'"
ROOT=$("$NSGX" verify quote "$T/q" --policy "$T/policy.json" --allow-emulated | sed -n 's/^emulated_root: //p')
printf '{"mrenclave": "%s", "emulated_roots": ["%s"]}\n' "$MR" "$ROOT" >"$T/pinned.json"
printf '{"mrenclave": "%s", "emulated_roots": ["%s"]}\n' "$MR" "$(printf '%064d' 0)" >"$T/pinned-other.json"
expect "emulated evidence from the pinned emulated root" 0 "verdict: OK" \
  "$NSGX" verify quote "$T/q" --policy "$T/pinned.json" --allow-emulated
expect "emulated evidence from another emulated root" 1 "is not one of the policy's emulated_roots" \
  "$NSGX" verify quote "$T/q" --policy "$T/pinned-other.json" --allow-emulated
expect "--json" 0 '"verified": true' \
  "$NSGX" verify quote "$T/q" --policy "$T/policy.json" --nonce "$N1" --allow-emulated --json

expect "emulated evidence without --allow-emulated" 1 "emulated platform root" \
  "$NSGX" verify quote "$T/q" --policy "$T/policy.json" --nonce "$N1"
expect "replayed with another nonce" 1 "replayed" \
  "$NSGX" verify quote "$T/q" --policy "$T/policy.json" --nonce "$N2" --allow-emulated
expect "a debug enclave fails the default policy" 1 "DEBUG enclave" \
  "$NSGX" verify quote "$T/qdebug" --policy "$T/policy.json" --nonce "$N1" --allow-emulated
expect "... and passes one that allows debug" 0 "verdict: OK" \
  "$NSGX" verify quote "$T/qdebug" --policy "$T/debug-ok.json" --nonce "$N1" --allow-emulated
expect "a modified enclave fails the MRENCLAVE policy" 1 "is not an accepted mrenclave" \
  "$NSGX" verify quote "$T/qmod" --policy "$T/policy.json" --nonce "$N1" --allow-emulated
expect "... and passes its signer's MRSIGNER policy" 0 "verdict: OK" \
  "$NSGX" verify quote "$T/qmod" --policy "$T/signer.json" --nonce "$N1" --allow-emulated
expect "another monitor measurement" 1 "not among the accepted monitor_measurements" \
  "$NSGX" verify quote "$T/q" --policy "$T/other-monitor.json" --allow-emulated
expect "minimum ISVSVN" 1 "ISVSVN 2 is below the minimum 3" \
  "$NSGX" verify quote "$T/q" --policy "$T/svn3.json" --allow-emulated

size=$(stat -c %s "$T/q")
cp "$T/q" "$T/sig"; printf '\x01' | dd of="$T/sig" bs=1 seek=$((size - 10)) conv=notrunc status=none
expect "an altered signature" 1 "signature does not verify" \
  "$NSGX" verify quote "$T/sig" --policy "$T/policy.json" --nonce "$N1" --allow-emulated
cp "$T/q" "$T/body"; printf '\x07' | dd of="$T/body" bs=1 seek=$((16 + 256)) conv=notrunc status=none
expect "an altered REPORT body" 1 "signature does not verify" \
  "$NSGX" verify quote "$T/body" --policy "$T/policy.json" --nonce "$N1" --allow-emulated

head -c $((size - 1)) "$T/q" >"$T/short"
expect "a truncated quote" 2 "truncated" "$NSGX" verify quote "$T/short" --policy "$T/policy.json"
cat "$T/q" "$T/q" >"$T/long"
expect "an oversized quote" 2 "oversized" "$NSGX" verify quote "$T/long" --policy "$T/policy.json"
head -c 20 /dev/zero >"$T/zero"
expect "not a quote" 2 "magic" "$NSGX" verify quote "$T/zero" --policy "$T/policy.json"
expect "a misspelt policy key" 2 "unknown key 'debug'" "$NSGX" verify quote "$T/q" --policy "$T/typo.json"
expect "a missing policy" 2 "" "$NSGX" verify quote "$T/q" --policy "$T/none.json"
expect "--nonce not hex" 2 "--nonce" "$NSGX" verify quote "$T/q" --policy "$T/policy.json" --nonce xyz

if [ "$fails" = 0 ]; then echo "all passed"; else echo "$fails failed"; fi
[ "$fails" = 0 ]
