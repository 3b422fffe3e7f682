#!/bin/bash
# Signals to threads that compute without system calls, and waits cut
# short by signals, on the backend NSGX_BACKEND names: docs/libos.md
# "Signals" (interrupts). Under CPU contention (tests/lib/cpu_hogs.sh), as
# CI is.
#   async_signals_test.sh NSGX ASYNC_SIGNALS WORKDIR MODES...
# Each mode runs natively and inside: the same output and the same end.
# Without the interrupt (the re-entry on inproc, the enclave host's
# interrupt on isolated) the computing modes never end (timeout).
# `storm` on isolated needs NSGX_TEST_MONITOR (nsgx-monitor): both of its
# enclaves are served by one monitor daemon.
set -u
NSGX=$1 PROG=$2 W=$3
shift 3
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
cp "$PROG" "$W/async"
cat > "$W/async.toml" <<TOML
libos.entrypoint = "$W/async"
sgx.enclave_size = "64M"
sgx.max_threads = 4
sgx.trusted_files = [ { uri = "file:$W/async" } ]
TOML
"$NSGX" libos build --manifest "$W/async.toml" --out "$W/enclave" > "$W/build.log" 2>&1 \
  || { cat "$W/build.log"; echo "FAIL: nsgx libos build"; exit 1; }

# CPU contention: busy loops (twice the cores) for the test's duration.
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/cpu_hogs.sh"
monitor_pid=
stop_all() {
  cpu_hogs_stop
  [ -n "$monitor_pid" ] && kill -KILL "$monitor_pid" 2>/dev/null
}
trap stop_all EXIT
trap 'stop_all; exit 1' TERM INT
cpu_hogs_start

# How a command ended, "exit N" or "signal N", on descriptor 3.
ended() {
  perl -e 'system(@ARGV); my $s = $?; open(my $o, ">&=", 3) or die "fd 3: $!";
           print $o (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$@"
}

same() {  # MODE
  local m=$1 native inside
  native=$(ended timeout -k 5 60 "$W/async" "$m" 3>&1 > "$W/$m.native" 2>&1 < /dev/null)
  inside=$(ended timeout -k 5 60 "$NSGX" run --enclave "$W/enclave" -- "$W/async" "$m" 3>&1 > "$W/$m.inside" 2>&1 < /dev/null)
  [ "$native" = "exit 0" ] || fail "$m: natively $native"
  [ "$native" = "$inside" ] || fail "$m: natively $native, inside $inside"
  cmp -s "$W/$m.native" "$W/$m.inside" || { diff "$W/$m.native" "$W/$m.inside"; fail "$m: output differs"; }
  echo "$m: $inside: $(cat "$W/$m.inside")"
}

# SIGTERM from outside while the program computes: natively the program
# dies by it; inside, `nsgx run` does (WIFSIGNALED, as natively).
term() {
  local how out st pid i
  for how in native inside; do
    out="$W/term.$how"
    if [ $how = native ]; then
      perl -e 'system(@ARGV); my $s = $?; open(my $f, ">", "'"$out"'.status");
               print $f (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$W/async" term > "$out" 2>&1 < /dev/null &
    else
      perl -e 'system(@ARGV); my $s = $?; open(my $f, ">", "'"$out"'.status");
               print $f (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$NSGX" run --enclave "$W/enclave" -- "$W/async" term > "$out" 2>&1 < /dev/null &
    fi
    local perl_pid=$!
    for i in $(seq 1 300); do grep -qx ready "$out" 2>/dev/null && break; sleep 0.1; done
    grep -qx ready "$out" || fail "term $how: never ready"
    sleep 0.3  # computing now, no system call
    pid=$(pgrep -P $perl_pid)
    kill -TERM "$pid"
    for i in $(seq 1 200); do [ -s "$out.status" ] && break; sleep 0.1; done
    if [ ! -s "$out.status" ]; then
      fail "term $how: still running 20 s after SIGTERM"
      pkill -KILL -P "$perl_pid"; kill -KILL "$pid" 2>/dev/null
    fi
    wait "$perl_pid"
  done
  [ "$(cat "$W/term.native.status")" = "signal 15" ] || fail "term: natively $(cat "$W/term.native.status")"
  [ "$(cat "$W/term.native.status" 2>/dev/null)" = "$(cat "$W/term.inside.status" 2>/dev/null)" ] \
    || fail "term: natively $(cat "$W/term.native.status"), inside $(cat "$W/term.inside.status" 2>/dev/null)"
  cmp -s "$W/term.native" "$W/term.inside" || { diff "$W/term.native" "$W/term.inside"; fail "term: output differs"; }
  echo "term: inside $(cat "$W/term.inside.status" 2>/dev/null)"
}

# A storm of SIGUSR1 sent to the program from outside (as fast as the
# shell's kill goes, 2000 of them) while it computes: natively and inside
# it handles them and its loop's state is kept; inside, another enclave
# runs `spin` meanwhile. On isolated both enclaves have one monitor
# daemon, which must still serve a third enclave afterwards and stop
# cleanly: the storm stays in the stormed enclave.
storm() {
  local how out pid perl_pid i other=
  if [ "${NSGX_BACKEND:-isolated}" = isolated ]; then
    "$NSGX_TEST_MONITOR" --socket "$W/monitor.sock" --state-dir "$W/monitor-state" > "$W/monitor.log" 2>&1 &
    monitor_pid=$!
    for i in $(seq 1 100); do [ -S "$W/monitor.sock" ] && break; sleep 0.1; done
    [ -S "$W/monitor.sock" ] || { cat "$W/monitor.log"; fail "storm: the monitor daemon never listened"; return; }
    export NSGX_MONITOR_SOCKET="$W/monitor.sock"
  fi
  timeout -k 5 60 "$W/async" spin > "$W/storm-other.native" 2>&1 < /dev/null
  for how in native inside; do
    out="$W/storm.$how"
    if [ $how = native ]; then
      perl -e 'system(@ARGV); my $s = $?; open(my $f, ">", "'"$out"'.status");
               print $f (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- timeout -k 5 60 "$W/async" storm > "$out" 2>&1 < /dev/null &
    else
      perl -e 'system(@ARGV); my $s = $?; open(my $f, ">", "'"$out"'.status");
               print $f (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$NSGX" run --enclave "$W/enclave" -- "$W/async" storm > "$out" 2>&1 < /dev/null &
    fi
    perl_pid=$!
    for i in $(seq 1 300); do grep -qx ready "$out" 2>/dev/null && break; sleep 0.1; done
    grep -qx ready "$out" || fail "storm $how: never ready"
    if [ $how = inside ]; then
      timeout -k 5 60 "$NSGX" run --enclave "$W/enclave" -- "$W/async" spin > "$W/storm-other.inside" 2>&1 < /dev/null &
      other=$!
    fi
    pid=$(pgrep -P $perl_pid)
    [ $how = native ] && pid=$(pgrep -P "$pid")  # timeout's child
    for i in $(seq 1 2000); do kill -USR1 "$pid" 2>/dev/null || break; done
    for i in $(seq 1 600); do [ -s "$out.status" ] && break; sleep 0.1; done
    [ -s "$out.status" ] || { fail "storm $how: still running 60 s after the storm"; kill -KILL "$pid" 2>/dev/null; }
    wait "$perl_pid"
  done
  [ "$(cat "$W/storm.native.status")" = "exit 0" ] || fail "storm: natively $(cat "$W/storm.native.status")"
  [ "$(cat "$W/storm.native.status")" = "$(cat "$W/storm.inside.status" 2>/dev/null)" ] \
    || fail "storm: natively $(cat "$W/storm.native.status"), inside $(cat "$W/storm.inside.status" 2>/dev/null)"
  cmp -s "$W/storm.native" "$W/storm.inside" || { diff "$W/storm.native" "$W/storm.inside"; fail "storm: output differs"; }
  wait "$other" || fail "storm: the other enclave's run ended with $?"
  cmp -s "$W/storm-other.native" "$W/storm-other.inside" \
    || { diff "$W/storm-other.native" "$W/storm-other.inside"; fail "storm: the other enclave's output differs"; }
  echo "storm: inside $(cat "$W/storm.inside.status" 2>/dev/null): $(tail -n 1 "$W/storm.inside"); other enclave: $(cat "$W/storm-other.inside")"
  if [ -n "$monitor_pid" ]; then
    timeout -k 5 60 "$NSGX" run --enclave "$W/enclave" -- "$W/async" spin > "$W/storm-after.inside" 2>&1 < /dev/null
    cmp -s "$W/storm-other.native" "$W/storm-after.inside" \
      || { cat "$W/storm-after.inside"; fail "storm: the monitor daemon does not serve a new enclave afterwards"; }
    kill -TERM "$monitor_pid"
    wait "$monitor_pid"
    local st=$?
    monitor_pid=
    [ $st = 0 ] || { cat "$W/monitor.log"; fail "storm: the monitor daemon ended with $st on SIGTERM"; }
    unset NSGX_MONITOR_SOCKET
  fi
}

for m in "$@"; do
  case "$m" in
    term) term ;;
    storm) storm ;;
    *) same "$m" ;;
  esac
done
cpu_hogs_alive || fail "the CPU hogs did not run for the whole test: not under contention"
cpu_hogs_stop
finish "signals to computing threads and waits"
