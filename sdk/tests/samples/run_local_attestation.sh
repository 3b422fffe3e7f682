#!/usr/bin/env bash
# The LocalAttestation sample's two-process flow, as its README runs it: the
# responder application as a server, then the initiator application, which
# attests to the responder's enclave through it; then the responder is
# stopped with Ctrl+C's SIGINT, as it tells its user ("Press Ctrl+C to
# exit..."). Both run in one fresh directory that holds the enclaves under
# the names they load and the Unix socket they meet on.
# Passes when the initiator exits 0 with every --expect line, and the
# responder exits as its SIGINT handler makes it (status 1, after "Server
# would shutdown..."), not killed. Every wait is bounded, so it never hangs,
# and the responder never outlives it.
#   run_local_attestation.sh [--exec NSGX] --responder APP --initiator APP
#                            --enclaves NAME=FILE... --expect TEXT...
set -euo pipefail
exec_with='' responder='' initiator='' enclaves=() expect=()
while [ $# -gt 0 ]; do
  case "$1" in
    --exec) exec_with=$2; shift 2 ;;
    --responder) responder=$2; shift 2 ;;
    --initiator) initiator=$2; shift 2 ;;
    --enclaves) shift; while [ $# -gt 0 ] && [[ "$1" != --* ]]; do enclaves+=("$1"); shift; done ;;
    --expect) shift; while [ $# -gt 0 ] && [[ "$1" != --* ]]; do expect+=("$1"); shift; done ;;
    *) echo "run_local_attestation.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
launch=()
[ -n "$exec_with" ] && launch=("$exec_with" exec --)

dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
for e in "${enclaves[@]}"; do ln -s "${e#*=}" "$dir/${e%%=*}"; done
cd "$dir"

# The responder's select() watches its stdin: give it one that never becomes
# readable (a FIFO it holds open for writing too), as a terminal left alone;
# at end of file select() would return at once, and it would spin.
# Its stdout goes to a file, line-buffered (stdbuf) so that its "Server is
# ON..." shows when it is printed, not at exit.
mkfifo stdin
stdbuf -oL "${launch[@]}" "$responder" <>stdin >responder.out 2>&1 &
pid=$!

fail() {
  echo "run_local_attestation.sh: $*" >&2
  echo "--- responder:" >&2
  cat responder.out >&2
  exit 1
}

# Up when it listens (it prints "Server is ON..." once bound and listening).
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  grep -qF "Server is ON..." responder.out && break
  kill -0 "$pid" 2>/dev/null || fail "the responder exited before it listened"
  sleep 0.1
done
grep -qF "Server is ON..." responder.out || fail "the responder did not listen within 60 s"

set +e
out=$(timeout 120 "${launch[@]}" "$initiator" </dev/null 2>&1)
rc=$?
set -e
echo "--- initiator:"
printf '%s\n' "$out"

# Ctrl+C. The responder's handler shuts the server down (its worker thread
# destroys the enclave) and exits 1.
kill -INT "$pid"
stopped=
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  if ! kill -0 "$pid" 2>/dev/null; then stopped=1; break; fi
  sleep 0.1
done
[ -n "$stopped" ] || fail "the responder did not stop within 30 s of SIGINT"
set +e
wait "$pid"
responder_rc=$?
set -e
pid=
echo "--- responder:"
cat responder.out

[ $rc -eq 0 ] || fail "the initiator's exit status is $rc"
for line in "${expect[@]}"; do
  grep -qF -- "$line" <<<"$out" || fail "the initiator did not print: $line"
done
grep -qF "Server would shutdown..." responder.out || fail "the responder did not shut down"
[ $responder_rc -eq 1 ] || fail "the responder's exit status is $responder_rc (its SIGINT handler exits 1)"
