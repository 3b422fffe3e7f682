#!/usr/bin/env bash
# Who may debug an isolated enclave (docs/threat-model.md "Debugging"),
# attacked as unprivileged users this test creates: the enclave's owner
# (OWNER, who runs the application with its own monitor) and another user
# (OTHER). As on SGX, where EDBGRD/EDBGWR work on debug enclaves only:
#   - the owner may attach to and read its DEBUG enclave's host (the
#     sanctioned path nsgx gdb --isolated takes; also the control that
#     shows the probe can succeed);
#   - the owner may not attach to or read its NON-debug enclave's host;
#   - another user may not attach to or read the owner's debug enclave's host;
#   - the owner's gdb -p on a non-debug enclave's host is refused too.
#
#   boundary_test.sh APP ENCLAVE PROBE GDB
#
# Exit 77 (ctest: skipped) only where users cannot be created, said loudly.
set -uo pipefail
app=$1 enclave=$2 probe=$3 gdb=$4

ATTACK_WHAT="who may debug an isolated enclave"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/attack_users.sh"
attack_require "two users" useradd userdel runuser python3 mkfifo

work=$(mktemp -d /tmp/nsgxdbg.XXXXXX)
chmod 0755 "$work"
OWNER=nsgxdbg-owner
OTHER=nsgxdbg-other
pids=()
cleanup() {
  for fd in 7 8; do eval "exec $fd>&-" 2>/dev/null; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  attack_delete_users
  rm -rf "$work"
}
trap cleanup EXIT
attack_make_users "$work" $OWNER $OTHER
cp "$probe" "$work/probe.py"
chmod 0755 "$work/probe.py"
as() {  # as USER COMMAND...: a clean environment of that user, with its own (private) monitor
  local u=$1
  shift
  runuser -u "$u" -- env -i HOME="$work/home-$u" PATH=/usr/bin:/bin NSGX_STATE_DIR="$work/home-$u/state" \
    NSGX_MONITOR_SOCKET="$work/home-$u/no-daemon.sock" "$@"
}

# start_held FD DEBUGFLAG: the owner's application holding an enclave, its
# standard input a FIFO on descriptor FD of this script (not a subshell's:
# the application ends when it closes); sets `host` to its host's pid.
start_held() {
  local fd=$1 flag=$2 fifo="$work/fifo-$1" out="$work/out-$1"
  mkfifo "$fifo"
  chmod 0644 "$fifo"
  as $OWNER "$app" "$enclave" hold $flag <"$fifo" >"$out" 2>&1 &
  pids+=($!)
  eval "exec $fd>\"$fifo\""
  for _ in $(seq 1 300); do
    grep -q holding "$out" && break
    sleep 0.1
  done
  grep -q holding "$out" || { echo "the application did not start:" >&2; cat "$out" >&2; return 1; }
  # The application (runuser's child) -> its private monitor -> the enclave host.
  local a m h
  a=$(pgrep -u $OWNER -x debugger_app | head -1)
  m=$(pgrep -P "$a" | head -1)
  h=$(pgrep -P "$m" | head -1)
  [ -n "$h" ] || { echo "no enclave host found (app $a, monitor $m)" >&2; return 1; }
  host=$h
}

echo "== the owner's DEBUG enclave"
start_held 7 "" || exit 1
echo "enclave host $host"
out=$(as $OWNER python3 "$work/probe.py" "$host" 2>&1)
echo "$out"
check "the owner attaches to its debug enclave's host and reads the enclave (the sanctioned path)" \
  grep -q "^attach: ok" <<<"$out"
check "... and reads the enclave's code" grep -q "^read: ok 16 bytes" <<<"$out"
out=$(as $OTHER python3 "$work/probe.py" "$host" 2>&1)
echo "$out"
check "another user cannot attach to the owner's debug enclave's host" grep -q "^attach: refused" <<<"$out"
check "... nor read its memory" grep -q "^read: refused" <<<"$out"
out=$(as $OTHER timeout 60 "$gdb" -q -batch -p "$host" 2>&1)
echo "$out"
check "another user's gdb -p is refused" grep -q "ptrace: Operation not permitted" <<<"$out"
exec 7>&-

echo "== the owner's NON-debug enclave"
start_held 8 nodebug || exit 1
echo "enclave host $host"
out=$(as $OWNER python3 "$work/probe.py" "$host" 2>&1)
echo "$out"
check "the owner cannot attach to its non-debug enclave's host" grep -q "^attach: refused" <<<"$out"
check "... nor read its memory" grep -q "^read: refused" <<<"$out"
out=$(as $OWNER timeout 60 "$gdb" -q -batch -p "$host" 2>&1)
echo "$out"
check "the owner's gdb -p is refused" grep -q "ptrace: Operation not permitted" <<<"$out"
exec 8>&-
wait
for fd in 7 8; do
  check "the application holding enclave $fd ended normally" grep -q "result 1765" "$work/out-$fd"
done
exit $((fails > 0))
