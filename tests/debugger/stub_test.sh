#!/usr/bin/env bash
# Debugging a debug enclave of the *system* monitor (docs/threat-model.md
# "Debugging"): its enclave host belongs to nsgx-monitor, so no user can
# trace it; the monitor lends the enclave's debugging stub to the enclave's
# owner only, and only for a debug enclave. Attacked as unprivileged users
# this test creates, both members of group nsgx (so both may use the
# monitor): the owner (OWNER) and another user (OTHER).
#   - the owner's scripted gdb session (nsgx gdb --isolated, batch mode)
#     stops at a breakpoint in an enclave function, steps, prints a local
#     and a backtrace that crosses the ECALL (the control); a page fault
#     stops gdb at its line, and then reaches the application;
#   - another user asking for the owner's debug enclave's stub is refused;
#   - the owner asking for its own production enclave's stub is refused;
#   - a hostile client (stub_client.py) as the owner: malformed and
#     oversized packets, memory outside ELRANGE, commands a general
#     gdbserver has — errors only; the stub, the monitor and the other
#     enclaves go on.
# The system monitor runs as nsgx-monitor with a socket and state of its
# own, started as docs/isolated.md documents for a machine without systemd.
#
#   stub_test.sh BUILD_DIR SOURCE_DIR NSGX APP ENCLAVE GDB
#
# Exit 77 (ctest: skipped) only where users cannot be created, said loudly.
set -uo pipefail
BUILD=$1 SRC=$2 nsgx=$3 app=$4 enclave=$5 gdb=$6

ATTACK_WHAT="debugging a system monitor's enclave"
source "$SRC/tests/lib/attack_users.sh"
attack_require "two users and start the system monitor" useradd userdel groupadd usermod runuser python3 mkfifo

work=$(mktemp -d /run/nsgxstub.XXXXXX)
chmod 0755 "$work"
OWNER=nsgxstub-owner
OTHER=nsgxstub-other
getent passwd nsgx-monitor >/dev/null || made_monitor_user=1
getent group nsgx >/dev/null || made_group=1
monpid=
pids=()
cleanup() {
  for fd in 7 8; do eval "exec $fd>&-" 2>/dev/null; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$monpid" ] && kill -TERM "$monpid" 2>/dev/null && wait "$monpid" 2>/dev/null
  wait 2>/dev/null
  attack_delete_users
  # The accounts only if this test made them (trust_boundary_test.sh does the same).
  if [ -n "${made_monitor_user:-}" ]; then
    pkill -KILL -u nsgx-monitor 2>/dev/null
    for _ in $(seq 50); do userdel nsgx-monitor >/dev/null 2>&1 && break; sleep 0.1; done
    getent group nsgx-monitor >/dev/null && groupdel nsgx-monitor >/dev/null 2>&1
  fi
  [ -n "${made_group:-}" ] && groupdel nsgx >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

"$SRC/scripts/install-service" --accounts-only || skip "cannot create the nsgx-monitor user and nsgx group"
attack_make_users "$work" $OWNER $OTHER
usermod -aG nsgx $OWNER
usermod -aG nsgx $OTHER

# The binaries as an installation has them: owned by root, in root's directories.
install -d -m 0755 "$work/bin"
install -m 0755 "$BUILD/runtime/isolated/nsgx-monitor" "$BUILD/runtime/isolated/nsgx-enclave-host" "$work/bin/"
sock=$work/run/monitor.sock
"$work/bin/nsgx-monitor" --system --socket "$sock" --state-dir "$work/state" >"$work/monitor.log" 2>&1 &
monpid=$!
for _ in $(seq 100); do
  [ -S "$sock" ] && break
  sleep 0.05
done
[ -S "$sock" ] || { cat "$work/monitor.log"; bad "the system monitor started"; exit 1; }
cp "$SRC/tests/debugger/stub_client.py" "$work/stub_client.py"
chmod 0755 "$work/stub_client.py"

as() {  # as USER COMMAND...: a clean environment of that user, with the system monitor only
  local u=$1
  shift
  runuser -u "$u" -- env -i HOME="$work/home-$u" PATH=/usr/bin:/bin NSGX_MONITOR_SOCKET="$sock" \
    NSGX_REQUIRE_SYSTEM_MONITOR=1 "$@"
}

echo "== the owner's scripted gdb session (the sanctioned path, and the control)"
out=$(as $OWNER timeout 240 "$nsgx" gdb --gdb "$gdb" --isolated -batch -ex 'break debug_enclave.c:ecall_compute' \
  -ex run -ex continue -ex bt -ex next -ex 'print doubled' -ex nsgx-bt -ex continue -- "$app" "$enclave" compute 2>&1)
echo "$out"
has() { grep -qE -- "$1" <<<"$out"; }
check "the system monitor served the application" has "isolated backend: system monitor"
check "the enclave's debugging stub became inferior 2, with the enclave's symbols" \
  has "nsgx: debug enclave .*debugger_enclave.signed.so at 0x[0-9a-f]+ runs in enclave host [0-9]+ of a monitor daemon: its debugging stub is inferior 2"
check "the breakpoint fired in the enclave" has "^Thread 2\.1 hit Breakpoint 1, ecall_compute \(seed=21\) at .*debug_enclave.c:10"
check "bt: the enclave function, then the trusted bridge, down to enclave_entry" \
  grep -qzE "#0  ecall_compute \(seed=21\)[^#]*#1  0x[0-9a-f]+ in sgx_ecall_compute [^#]*(#[0-9]+ [^#]*)*in enclave_entry \(\)" <<<"$out"
check "next stepped (single step in the enclave) and the local prints: doubled = 42" has '^\$1 = 42$'
check "nsgx-bt: the application thread that made the ECALL, down to main" \
  grep -qzE "in enclave_entry [^#]*(#[0-9]+ [^#]*)*--- the ECALL, in the application: thread 1\.1 \(inferior 1\)[^#]*(#[0-9]+ [^#]*)*in ecall_compute \(eid=[^#]*Enclave_u\.c[^#]*#[0-9]+ +0x[0-9a-f]+ in main \(" \
  <<<"$out"
check "the stub was detached before the enclave went" has "nsgx: debug enclave .* unloaded, its enclave host [0-9]+ detached"
check "the program finished normally" has "result 1765"
check "... exit 0" has "exited normally"

echo "== a page fault in the enclave stops gdb there, then reaches the application"
out=$(as $OWNER timeout 240 "$nsgx" gdb --gdb "$gdb" --isolated -batch -ex run -ex continue -ex bt -ex continue \
  -ex continue -- "$app" "$enclave" crash 2>&1)
echo "$out"
check "the fault stopped gdb in the enclave thread (SIGSEGV)" has "^Thread 2\.1 received signal SIGSEGV"
check "... at the faulting function" has "in ecall_crash \(address=0\) at .*debug_enclave.c:18"
check "continued, the crash reached the application: #PF at address 0, then SGX_ERROR_ENCLAVE_CRASHED" \
  has "nsgx: enclave at 0x[0-9a-f]+ crashed: #PF \(vector 14\), error code 0x[0-9a-f]+, address 0x0"
check "... exit 1" has "ecall: 0x1006"

# hold FD [nodebug]: the owner's application holding an enclave, its
# standard input a FIFO on descriptor FD of this script; sets `host` to its
# enclave host's pid (the monitor's newest child).
hold() {
  local fd=$1 flag=${2:-} fifo="$work/fifo-$1" out="$work/out-$1"
  mkfifo "$fifo"
  chmod 0644 "$fifo"
  local before
  before=$(pgrep -P "$monpid" | sort)
  as $OWNER "$app" "$enclave" hold $flag <"$fifo" >"$out" 2>&1 &
  pids+=($!)
  eval "exec $fd>\"$fifo\""
  for _ in $(seq 300); do
    grep -q holding "$out" && break
    sleep 0.1
  done
  grep -q holding "$out" || { echo "the application did not start:" >&2; cat "$out" >&2; return 1; }
  host=$(comm -13 <(echo "$before") <(pgrep -P "$monpid" | sort) | head -1)
  [ -n "$host" ] || { echo "no enclave host found" >&2; return 1; }
}

echo "== another user asks for the owner's debug enclave"
hold 7 || exit 1
echo "debug enclave host $host"
out=$(as $OTHER "$nsgx" gdb --stub "$host" </dev/null 2>&1)
rc=$?
echo "$out (exit $rc)"
check "refused: not $OTHER's enclave" grep -q "the enclave is not yours" <<<"$out"
check "... exit 1" [ $rc -eq 1 ]
out=$(as $OTHER timeout 60 "$gdb" -q -batch -ex "target remote | $nsgx gdb --stub $host" -ex 'x/4xb $pc' 2>&1)
echo "$out"
check "... and gdb gets no connection" bash -c '! grep -qE "^0x[0-9a-f]+.*:[[:space:]]+0x" <<<"$0"' "$out"

echo "== a hostile client as the owner, on its own debug enclave's stub"
out=$(as $OWNER timeout 120 python3 "$work/stub_client.py" "$nsgx" "$host" 2>&1)
rc=$?
echo "$out"
check "every malformed, oversized or out-of-ELRANGE request got an error, and the stub still answers (exit $rc)" \
  [ $rc -eq 0 ]
check "... the checks ran" grep -q "^ok   after 200 KB of noise" <<<"$out"
out=$(as $OWNER "$nsgx" gdb --stub 1 </dev/null 2>&1)
echo "$out"
check "a pid that is no enclave host of the monitor: refused" grep -q "no enclave host with that pid" <<<"$out"

echo "== the owner asks for its own production enclave"
hold 8 nodebug || exit 1
echo "production enclave host $host"
out=$(as $OWNER "$nsgx" gdb --stub "$host" </dev/null 2>&1)
rc=$?
echo "$out (exit $rc)"
check "refused: not a debug enclave" grep -q "not a debug enclave" <<<"$out"
check "... exit 1" [ $rc -eq 1 ]

echo "== the monitor and the other enclaves go on"
exec 7>&- 8>&-
wait "${pids[@]}"
for fd in 7 8; do
  check "the application holding enclave $fd finished its ECALL" grep -q "result 1765" "$work/out-$fd"
done
out=$(as $OTHER "$app" "$enclave" compute 2>&1)
check "another user's application runs through the same monitor" grep -q "result 1765" <<<"$out"
check "the monitor is alive" kill -0 "$monpid"
exit $((fails > 0))
