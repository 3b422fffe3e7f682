#!/bin/bash
# Threads in the library OS, on the backend NSGX_BACKEND names (ctest runs
# it for inproc and isolated): docs/libos.md "Threads".
#   libos_threads_test.sh NSGX THREADS HOSTILE_HOST WORKDIR
set -u
NSGX=$1 THREADS=$2 HOSTILE=$3 W=$4
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
# Under CPU contention for the whole test (tests/lib/cpu_hogs.sh): more
# runnable threads than cores, so enclave threads are preempted anywhere.
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/cpu_hogs.sh"
cpu_hogs_start "$(nproc)"
trap cpu_hogs_stop EXIT
cp "$THREADS" "$W/threads"

build() {  # NAME MAX_THREADS
  cat > "$W/$1.toml" <<TOML
libos.entrypoint = "$W/threads"
sgx.enclave_size = "256M"
sgx.max_threads = $2
sgx.trusted_files = [ { uri = "file:$W/threads" } ]
TOML
  "$NSGX" libos build --manifest "$W/$1.toml" --out "$W/$1" > "$W/$1.build" 2>&1 \
    || { cat "$W/$1.build"; fail "nsgx libos build $1"; exit 1; }
}
build nine 9
build four 4
grep -q '<TCSNum>10</TCSNum>' "$W/nine/libos.config.xml" || fail "sgx.max_threads 9 is not 10 TCSs"

# Native and inside, the same output and status (a run that hangs is
# ended after 60 s and fails). 8 workers on this
# machine's 2 cores (and other builds): the ring hands the token on 8 x 30
# times through the mutex and condition variable.
same() {  # ENCLAVE ARGS...
  local e=$1 name; shift; name=$(echo "$*" | tr ' ' _)
  "$W/threads" "$@" > "$W/$name.native" 2>&1; local native=$?
  timeout 60 "$NSGX" run --enclave "$W/$e" -- "$W/threads" "$@" > "$W/$name.inside" 2>&1 < /dev/null; local inside=$?
  check_status "$*" "$inside" "$native"
  cmp -s "$W/$name.native" "$W/$name.inside" || { diff "$W/$name.native" "$W/$name.inside"; fail "$*: output differs"; }
  echo "$* (status $native):"; cat "$W/$name.inside"
}
same nine work 8 30
grep -q "all workers passed the token" "$W/work_8_30.native" || fail "the native run itself failed"

# Four threads reading the monotonic clock, CPU times, times(2) and
# getrusage(2) at once (docs/libos.md, "fio": a reading that overlapped a
# later one in another thread was refused as the host going back, EIO).
same nine clock 4 1000
grep -qx "4 threads, 1000 readings each: 0 failed, 0 went back" "$W/clock_4_1000.native" || fail "clock: natively"

# A host that wakes every sleeper early (Iago): each futex wait and sleep
# is checked again inside, so the run is the same (the sleeps and timed
# waits still last as long).
NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=wake-early timeout 60 "$NSGX" run --enclave "$W/nine" -- "$W/threads" work 4 10 \
  > "$W/early.inside" 2>&1 < /dev/null; st=$?
"$W/threads" work 4 10 > "$W/early.native" 2>&1
check_status wake-early "$st" 0
cmp -s "$W/early.native" "$W/early.inside" || { diff "$W/early.native" "$W/early.inside"; fail "wake-early: output differs"; }

# A thread ends the program (exit_group) while four block in a condition
# variable and the main thread in pthread_join: status 42, as natively.
same nine exitgroup 4
grep -qx "ending the program from a thread" "$W/exitgroup_4.inside" || fail "exitgroup: no output"

# exit (exit_group) while a thread computes without system calls: the
# program ends with the status; the computing thread is left inside the
# enclave until the host destroys it (docs/libos.md "Threads").
same four spin
# The main thread calls pthread_exit (exit, one thread): the others go on,
# and the program ends with 0 when the last has.
same four mainexit

# More threads than sgx.max_threads (4: main + 3): the fourth
# pthread_create fails with EAGAIN, the program goes on and, once it has
# joined the others, creates threads again.
out=$(timeout 60 "$NSGX" run --enclave "$W/four" -- "$W/threads" limit 6 2>&1 < /dev/null); st=$?
check_status limit "$st" 0
want=$'pthread_create 4: Resource temporarily unavailable\ncreated and joined 3\nafter joining: pthread_create works'
[ "$out" = "$want" ] || { echo "--- got:"; echo "$out"; echo "--- wanted:"; echo "$want"; fail "limit"; }
native=$("$W/threads" limit 6); [ "$native" = $'created and joined 6\nafter joining: pthread_create works' ] || fail "limit natively: $native"

cpu_hogs_alive || fail "the CPU hogs did not last the test: it ran without contention"
finish "threads"
