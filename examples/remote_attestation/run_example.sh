#!/usr/bin/env bash
# The remote attestation example end to end on the default (isolated)
# backend: the verifier hands its secret to the attested enclave, and
# refuses a debug enclave and an enclave its policy does not name.
# Usage: run_example.sh NSGX RA_APP RA_VERIFIER ENCLAVE
set -u
NSGX=$1 APP=$2 VERIFIER=$3 ENCLAVE=$4
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

MR=$("$NSGX" measure "$ENCLAVE") || { echo "cannot measure $ENCLAVE"; exit 1; }
printf '{"mrenclave": "%s", "isv_prod_id": 42, "min_isv_svn": 2}\n' "$MR" >"$T/policy.json"
printf '{"mrenclave": "%s"}\n' "$(printf '%064d' 0)" >"$T/other.json"
SECRET="the launch codes, $RANDOM"

# run NAME POLICY [APP FLAGS...]: the verifier in the background, the application against it.
run() {
  local name=$1 policy=$2; shift 2
  rm -f "$T/port"
  # (bounded: a verifier whose application never connects must not hang the test)
  timeout 60 "$VERIFIER" --policy "$policy" --secret "$SECRET" --port-file "$T/port" --allow-emulated >"$T/$name.verifier" 2>&1 &
  local vpid=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
  "$APP" connect "$(cat "$T/port")" "$ENCLAVE" "$@" >"$T/$name.app" 2>&1
  APP_RC=$?
  wait "$vpid"
  VERIFIER_RC=$?
  echo "--- $name"; cat "$T/$name.verifier" "$T/$name.app"
}

run good "$T/policy.json"
sent=$(sed -n 's/.*sent the secret.*SHA-256: \([0-9a-f]*\)$/\1/p' "$T/good.verifier")
got=$(sed -n 's/.*enclave received the secret; its SHA-256: \([0-9a-f]*\)$/\1/p' "$T/good.app")
want=$(printf '%s' "$SECRET" | sha256sum | cut -d' ' -f1)
if [ "$VERIFIER_RC" = 0 ] && [ "$APP_RC" = 0 ] && [ "$got" = "$want" ] && [ "$sent" = "$want" ]; then
  pass "the attested enclave received the secret"
else
  fail "good run: verifier $VERIFIER_RC, app $APP_RC, enclave got '$got', want '$want'"
fi
grep -q "EMULATED" "$T/good.verifier" && pass "the verdict says the evidence is emulated" || fail "no EMULATED in the verdict"
grep -qF "$SECRET" "$T/good.app" && fail "the application saw the secret" || pass "the application never saw the secret"

run debug "$T/policy.json" --debug
if [ "$VERIFIER_RC" = 1 ] && [ "$APP_RC" = 1 ] && grep -q "DEBUG enclave" "$T/debug.verifier"; then
  pass "a debug enclave is refused"
else
  fail "debug run: verifier $VERIFIER_RC, app $APP_RC"
fi

run other "$T/other.json"
if [ "$VERIFIER_RC" = 1 ] && [ "$APP_RC" = 1 ] && grep -q "is not an accepted mrenclave" "$T/other.verifier"; then
  pass "an enclave the policy does not name is refused"
else
  fail "other run: verifier $VERIFIER_RC, app $APP_RC"
fi
grep -q "received the secret" "$T/debug.app" "$T/other.app" && fail "a refused enclave got a secret" || pass "no secret without verification"

if [ "$fails" = 0 ]; then echo "all passed"; else echo "$fails failed"; fi
[ "$fails" = 0 ]
