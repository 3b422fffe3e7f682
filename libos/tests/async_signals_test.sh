#!/bin/bash
# Signals to threads that compute without system calls, and waits cut
# short by signals, on the backend NSGX_BACKEND names: docs/libos.md
# "Signals" (interrupts). Under CPU contention (two busy loops), as CI is.
#   async_signals_test.sh NSGX ASYNC_SIGNALS WORKDIR MODES...
# Each mode runs natively and inside: the same output and the same end.
# Without the interrupt re-entry the computing modes never end (timeout).
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

# CPU contention: two busy loops for the test's duration.
busy=()
for _ in 1 2; do (while :; do :; done) & busy+=($!); done
stop_busy() { for p in "${busy[@]}"; do kill "$p" 2>/dev/null; done; }
trap stop_busy EXIT
trap 'stop_busy; exit 1' TERM INT

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

for m in "$@"; do
  if [ "$m" = term ]; then term; else same "$m"; fi
done
stop_busy
finish "signals to computing threads and waits"
