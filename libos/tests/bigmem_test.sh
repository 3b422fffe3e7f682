#!/bin/bash
# Zero-fill on demand (docs/libos.md): libos_bigmem — a 144 MiB .bss and a
# 192 MiB anonymous mapping, a few pages of each touched — runs inside with
# the same output and status as natively, on the backend NSGX_BACKEND
# names. Committing all of it at once takes more EPC than the isolated
# monitor has (the enclave was lost) and, on inproc, evicts page after page
# for minutes: the run must end within 120 s.
#   bigmem_test.sh NSGX BIGMEM WORKDIR
set -u
NSGX=$1 BIGMEM=$2 W=$3
rm -rf "$W"; mkdir -p "$W"
cp "$BIGMEM" "$W/bigmem"
cat > "$W/bigmem.toml" <<TOML
libos.entrypoint = "$W/bigmem"
sgx.enclave_size = "512M"
sgx.trusted_files = [ { uri = "file:$W/bigmem" } ]
TOML
"$NSGX" libos build --manifest "$W/bigmem.toml" --out "$W/enclave" > "$W/build.log" 2>&1 || { cat "$W/build.log"; echo "FAIL: nsgx libos build"; exit 1; }
printf 'ten bytes!and the rest\n' > "$W/in.txt"
"$W/bigmem" < "$W/in.txt" > "$W/native" 2>&1; native=$?
timeout 120 "$NSGX" run --enclave "$W/enclave" -- "$W/bigmem" < "$W/in.txt" > "$W/inside" 2> "$W/inside.err"
inside=$?
failures=0
[ "$native" = 0 ] && [ "$inside" = 0 ] || { echo "FAIL: exit $native natively, $inside inside"; cat "$W/inside.err"; failures=1; }
cmp -s "$W/native" "$W/inside" || { diff "$W/native" "$W/inside"; echo "FAIL: the output differs"; failures=1; }
grep -qx 'read 10 13' "$W/native" && grep -qx 'fault handled on the untouched alternate stack 1' "$W/native" \
  && grep -q '^deep on a MAP_STACK mapping [0-9]' "$W/native" || { echo "FAIL: natively: $(cat "$W/native")"; failures=1; }
[ "$failures" = 0 ] && echo "bigmem: same output natively and inside ($NSGX_BACKEND)"
exit "$failures"
