#!/bin/bash
# Library OS enclaves loaded several at once on one CPU, on the backend
# NSGX_BACKEND names: every load must succeed. Each enclave has 16 TCSs,
# so its enclave host starts 16 worker threads before it installs its
# sandbox; a worker whose thread start-up had not finished by then died
# in the ASan build (its runtime asks sched_getaffinity, which the filter
# refuses) and the enclave was lost at creation (docs/libos.md "Open
# problems"). On one CPU shared by the loads, a new thread waits for the
# CPU while its creator goes on: without the host waiting for each thread
# to start, every load failed in the ASan build.
#   loads_test.sh NSGX HELLO WORKDIR [LOADS]
set -u
NSGX=$1 HELLO=$2 W=$3 LOADS=${4:-3}
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
cp "$HELLO" "$W/hello"
cat > "$W/hello.toml" <<TOML
libos.entrypoint = "$W/hello"
loader.env.LANG = "C"
sgx.enclave_size = "256M"
sgx.max_threads = 15
sgx.trusted_files = [ { uri = "file:$W/hello" } ]
TOML
"$NSGX" libos build --manifest "$W/hello.toml" --out "$W/enclave" > "$W/build.out" 2>&1 \
  || { cat "$W/build.out"; fail "nsgx libos build"; exit 1; }
want="open /etc/passwd: Permission denied"  # outside the manifest (libos_test.sh)

# The first CPU this test may use, for all of them (the monitors and
# enclave hosts inherit the affinity).
cpu=$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')
for i in $(seq "$LOADS"); do
  ( timeout 240 taskset -c "$cpu" "$NSGX" run --enclave "$W/enclave" -- "$W/hello" open /etc/passwd > "$W/out.$i" 2> "$W/err.$i" < /dev/null
    echo $? > "$W/status.$i" ) &
done
wait

for i in $(seq "$LOADS"); do
  st=$(cat "$W/status.$i")
  [ "$st" = 0 ] && [ "$(cat "$W/out.$i")" = "$want" ] && continue
  fail "load $i of $LOADS: exit status $st, stdout '$(cat "$W/out.$i")'"
  cat "$W/err.$i"
done
finish "$LOADS loads at once"
