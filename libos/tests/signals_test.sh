#!/bin/bash
# Signals in the library OS, on the backend NSGX_BACKEND names (ctest runs
# it for inproc and isolated): docs/libos.md "Signals".
#   signals_test.sh NSGX SIGNALS SIGNALS_DYN HOSTILE_HOST WORKDIR
# The same program natively and inside gives the same output and ends the
# same way — an exit status, or death by the same signal (perl's system()
# reports the wait status: WIFSIGNALED is not the same as exit 128 + n).
set -u
NSGX=$1 SIGNALS=$2 SIGNALS_DYN=$3 HOSTILE=$4 W=$5
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
cp "$SIGNALS" "$W/signals"
cp "$SIGNALS_DYN" "$W/signals_dyn"

build() {  # NAME PROGRAM
  cat > "$W/$1.toml" <<TOML
libos.entrypoint = "$W/$2"
sgx.enclave_size = "64M"
sgx.trusted_files = [ { uri = "file:$W/$2" } ]
TOML
  "$NSGX" libos build --manifest "$W/$1.toml" --out "$W/$1" > "$W/$1.build" 2>&1 \
    || { cat "$W/$1.build"; fail "nsgx libos build $1"; exit 1; }
}
build static signals
build dyn signals_dyn

# How a command ended, "exit N" or "signal N", on descriptor 3.
ended() {
  perl -e 'system(@ARGV); my $s = $?; open(my $o, ">&=", 3) or die "fd 3: $!";
           print $o (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$@"
}

same() {  # ENCLAVE PROGRAM ARGS...
  local e=$1 p=$2; shift 2; local name="$e-${*:-all}"
  local native inside
  native=$(ended "$W/$p" "$@" 3>&1 > "$W/$name.native" 2> "$W/$name.native.err" < /dev/null)
  inside=$(ended timeout 60 "$NSGX" run --enclave "$W/$e" -- "$W/$p" "$@" 3>&1 > "$W/$name.inside" 2> "$W/$name.inside.err" < /dev/null)
  [ -n "$native" ] || fail "$name: no status"
  [ "$native" = "$inside" ] || fail "$name: natively $native, inside $inside"
  cmp -s "$W/$name.native" "$W/$name.inside" || { diff "$W/$name.native" "$W/$name.inside"; fail "$name: output differs"; }
  cmp -s "$W/$name.native.err" "$W/$name.inside.err" || { cat "$W/$name.inside.err"; fail "$name: stderr differs"; }
  echo "$name: $inside"
}

same static signals
grep -qx done "$W/static-all.native" || fail "the native run itself did not finish"
cat "$W/static-all.inside"
same dyn signals_dyn
same static signals abort
same static signals term
same static signals segv
same static signals pipe
same dyn signals_dyn abort
same static signals sigwait
grep -qx "sigwait in a second thread: Terminated" "$W/static-sigwait.native" || fail "sigwait: the native run did not finish"
cat "$W/static-sigwait.inside"
same static signals pwait
grep -q "^epoll_wait across SIGALRM" "$W/static-pwait.native" || fail "pwait: the native run did not finish"
cat "$W/static-pwait.inside"
# A host that sleeps 300 ms in its own code before each poll or epoll
# wait: the kicks of pthread_kill and of the alarm land there, not in the
# wait, and are lost; the library OS's waits look for a signal every
# 50 ms (docs/libos.md "Masks of the descriptor waits"), so the run is the
# native one (it hung without).
rm -f "$W/wslow.log"
st=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=wait-slow NSGX_LIBOS_FAULT_LOG="$W/wslow.log" ended timeout 60 \
  "$NSGX" run --enclave "$W/static" -- "$W/signals" pwait 3>&1 > "$W/wslow.inside" 2>&1 < /dev/null)
[ "$st" = "exit 0" ] || fail "wait-slow: $st"
cmp -s "$W/static-pwait.native" "$W/wslow.inside" || { diff "$W/static-pwait.native" "$W/wslow.inside"; fail "wait-slow: output differs"; }
grep -q '^wait-slow$' "$W/wslow.log" 2>/dev/null || fail "wait-slow: the host never slept"
echo "wait-slow: $st ($(grep -c '^wait-slow$' "$W/wslow.log") slow waits)"

# A host that asks for signals it may not send (Iago): faults, SIGKILL,
# SIGSTOP, SIGALRM, SIGSYS, real-time signals, at every clock OCALL. The
# enclave takes only what another process could send (kForwardable): the
# run is the native one (its SIGSEGV and SIGFPE handlers run once each).
rm -f "$W/forge.log"
st=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=signal-forge NSGX_LIBOS_FAULT_LOG="$W/forge.log" ended timeout 60 \
  "$NSGX" run --enclave "$W/static" -- "$W/signals" 3>&1 > "$W/forge.inside" 2>&1 < /dev/null)
[ "$st" = "exit 0" ] || fail "signal-forge: $st"
cmp -s "$W/static-all.native" "$W/forge.inside" || { diff "$W/static-all.native" "$W/forge.inside"; fail "signal-forge: output differs"; }
forged=$(grep -c '^signal-forge$' "$W/forge.log" 2>/dev/null)
[ "${forged:-0}" -ge 1 ] || fail "signal-forge: the hostile host never told its lie"
echo "signal-forge: $st (the lie told ${forged:-0} times)"

# A signal that lands in the host's code just before a blocking read (a
# slow host: every read of stdin waits 2 s before it reads, and the
# signals arrive then). The host nudges that thread until the enclave has
# taken them (libos/host/signals.cc): SIGWINCH, ignored, costs the read
# nothing (the library OS restarts a call interrupted without a handler),
# and SIGTERM ends the program — before the nudge it waited for input
# that never came.
rm -f "$W/slow.log" "$W/in"; mkfifo "$W/in"
exec 7<>"$W/in"  # the FIFO stays open: a read waits
NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=read-slow NSGX_LIBOS_FAULT_LOG="$W/slow.log" \
  "$NSGX" run --enclave "$W/static" -- "$W/signals" read < "$W/in" > "$W/slow.out" 2>&1 &
slow=$!
guard $slow 90
for _ in $(seq 600); do grep -q '^read-slow$' "$W/slow.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^read-slow$' "$W/slow.log" || fail "read-slow: the host never read"
kill -WINCH $slow
sleep 0.5
printf 'hello\n' >&7
for _ in $(seq 600); do grep -q '^read: hello$' "$W/slow.out" && break; sleep 0.1; done
grep -q '^read: hello$' "$W/slow.out" || { cat "$W/slow.out"; fail "read-slow: SIGWINCH cost the read its data"; }
sleep 0.5  # the next read has begun: its host waits 2 s before it reads
kill -TERM $slow
wait $slow; st=$?
unguard
exec 7>&-
[ "$st" = 143 ] || { cat "$W/slow.out"; fail "read-slow: status $st, not death by SIGTERM (143; 137: it waited for input)"; }
grep -q "Interrupted" "$W/slow.out" && fail "read-slow: the program saw EINTR"
echo "read-slow: SIGWINCH then SIGTERM during a slow read: status $st"; cat "$W/slow.out"

# Signals from outside, sent to `nsgx run` (natively: to the program): a
# handled SIGUSR1 and SIGTERM (exit 3), and an unhandled SIGHUP (death by
# SIGHUP). The program waits in pause().
outside() {  # NAME SIGNALS... — run natively and inside, compared
  local name=$1; shift
  local how
  for how in native inside; do
    local out="$W/$name.$how"
    if [ $how = native ]; then
      perl -e 'system(@ARGV); my $s = $?; open(my $f, ">", "'"$out"'.status");
               print $f (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$W/signals" wait > "$out" 2>&1 < /dev/null &
    else
      perl -e 'system(@ARGV); my $s = $?; open(my $f, ">", "'"$out"'.status");
               print $f (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8));' -- "$NSGX" run --enclave "$W/static" -- "$W/signals" wait > "$out" 2>&1 < /dev/null &
    fi
    local waiter=$! pid="" i
    for i in $(seq 600); do grep -qx ready "$out" 2> /dev/null && break; sleep 0.1; done
    pid=$(pgrep -P "$waiter" | head -1)
    [ -n "$pid" ] || { fail "$name $how: did not start"; wait "$waiter"; continue; }
    local sig
    for sig in "$@"; do
      kill -"$sig" "$pid"
      case $sig in
        USR1) for i in $(seq 300); do grep -q "SIGUSR1 from outside" "$out" && break; sleep 0.1; done ;;
      esac
    done
    for i in $(seq 600); do kill -0 "$waiter" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$waiter" 2> /dev/null && { kill -KILL "$pid"; fail "$name $how: still running"; }
    wait "$waiter"
  done
  local n i
  n=$(cat "$W/$name.native.status"); i=$(cat "$W/$name.inside.status")
  [ "$n" = "$i" ] || fail "$name: natively $n, inside $i"
  cmp -s "$W/$name.native" "$W/$name.inside" || { diff "$W/$name.native" "$W/$name.inside"; fail "$name: output differs"; }
  echo "$name: $i"; cat "$W/$name.inside"
}
outside usr1-term USR1 TERM
outside hup HUP

# What a program starts with is what its parent left it: execve keeps
# ignored dispositions and the signal mask (signal(7)), and nohup, a
# shell's background jobs and supervisors start programs so. `signals
# launch` ignores SIGINT, SIGUSR2 and SIGPIPE and blocks SIGUSR1, then
# execs the run; SIGUSR1 is sent while the enclave loads. Before, the
# program inside saw every signal at its default and none blocked, died
# of SIGPIPE, and never got a SIGINT even with a handler set (the host
# left it ignored).
inherited() {  # HOW COMMAND...
  local how=$1; shift
  local out="$W/inherited.$how"
  rm -f "$out"
  "$W/signals" launch -- "$@" "$W/signals" inherited > "$out" 2>&1 < /dev/null &
  local pid=$! i
  guard $pid 90
  # SIGUSR1 at once: while the enclave loads, blocked as the program will
  # have it (a host that unblocked it before its handlers were in place
  # died of it).
  sleep 0.1; kill -USR1 $pid
  for i in $(seq 600); do grep -qx ready "$out" 2> /dev/null && break; sleep 0.1; done
  sleep 0.5; kill -INT $pid
  wait $pid; echo "status $?" >> "$out"
  unguard
}
inherited native
inherited inside "$NSGX" run --enclave "$W/static" --
cmp -s "$W/inherited.native" "$W/inherited.inside" \
  || { diff "$W/inherited.native" "$W/inherited.inside"; fail "inherited signal state: output differs"; }
grep -qx "SIGUSR1 once unblocked: handled" "$W/inherited.native" || fail "inherited: the native run did not finish"
echo "inherited:"; cat "$W/inherited.inside"

finish "signals"
