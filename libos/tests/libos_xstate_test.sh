#!/bin/bash
# The program's vector state across system calls (docs/libos.md, "The
# vector state across a system call"), on the backend NSGX_BACKEND names:
#   libos_xstate_test.sh NSGX XSTATE ENCLAVE_SO WORKDIR
# xstate.c fills xmm0-15 (ymm0-15 when the kernel reports AVX), MXCSR and
# the x87 control word, makes system calls the library OS answers with
# SSE-using code and OCALLs, and checks them after: its output inside must
# be the native run's, byte for byte,
# 1. on the #UD trap path (libos.syscall_rewrite = false) and through the
#    rewritten sites' stubs (true);
# 2. with each save instruction the library OS can choose: XSAVEC (this
#    CPU), XSAVE (the host made to hide xsavec: the test knob
#    NSGX_LIBOS_TEST_HIDE_CPU) and FXSAVE (xsave hidden too: x87/SSE only,
#    so xmm is what is checked) — `--trace` names the choice;
# 3. a host that reports neither XSAVE nor FXSAVE gets the program refused
#    with a clear error, not run with its state unkept;
# 4. the code that runs between the trap and the save, or after the
#    restore (the trusted runtime's dispatch, finish_signals), uses no
#    vector register (objdump of the enclave image).
set -u
NSGX=$1 XSTATE=$2 ENCLAVE_SO=$3 W=$4
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"

cp "$XSTATE" "$W/xstate"
# What the kernel reports natively decides whether ymm's upper halves exist.
kind=sse
grep -qw avx /proc/cpuinfo && kind=avx
for k in avx sse; do
  [ "$k" = avx ] && [ "$kind" != avx ] && continue
  "$W/xstate" "$k" > "$W/native-$k.out" 2>&1 || fail "natively ($k): $(cat "$W/native-$k.out")"
done

for rewrite in false true; do
  cat > "$W/xstate-$rewrite.toml" <<TOML
libos.entrypoint = "$W/xstate"
libos.syscall_rewrite = $rewrite
sgx.trusted_files = [ { uri = "file:$W/xstate" } ]
TOML
  "$NSGX" libos build --manifest "$W/xstate-$rewrite.toml" --out "$W/enclave-$rewrite" > "$W/build-$rewrite.out" 2>&1 \
    || { cat "$W/build-$rewrite.out"; fail "nsgx libos build ($rewrite)"; }
done

# run REWRITE HIDE EXPECTED-MODE KIND
run() {
  local rewrite=$1 hide=$2 mode=$3 k=$4 name="$1-${2:-none}"
  NSGX_LIBOS_TEST_HIDE_CPU=$hide "$NSGX" run --trace --enclave "$W/enclave-$rewrite" -- "$W/xstate" "$k" \
    > "$W/inside-$name.out" 2> "$W/inside-$name.err" < /dev/null
  local st=$?
  local chose
  chose=$(sed -n 's/.*vector state kept across system calls with \([A-Z]*\),.*/\1/p' "$W/inside-$name.err")
  echo "rewriting $rewrite, host hides ${hide:-nothing}: $chose, exit $st"
  [ "$chose" = "$mode" ] || fail "$name: the library OS chose '${chose}', not $mode ($(cat "$W/inside-$name.err"))"
  [ "$st" = 0 ] || { cat "$W/inside-$name.err"; fail "$name: exit status $st"; }
  cmp "$W/native-$k.out" "$W/inside-$name.out" || { diff "$W/native-$k.out" "$W/inside-$name.out"; fail "$name: state not kept"; }
  if [ "$rewrite" = true ]; then
    grep -q 'syscall rewriting on: [1-9][0-9]* sites rewritten' "$W/inside-$name.err" || fail "$name: no site rewritten"
  fi
}
run false "" XSAVEC "$kind"
run false xsavec XSAVE "$kind"
run false xsave FXSAVE sse
run true "" XSAVEC "$kind"
run true xsavec XSAVE "$kind"

# 3. No way to keep the state: refused before the program runs.
NSGX_LIBOS_TEST_HIDE_CPU=xsave,fxsr "$NSGX" run --enclave "$W/enclave-false" -- "$W/xstate" sse \
  > "$W/refused.out" 2> "$W/refused.err" < /dev/null
st=$?
[ "$st" = 126 ] && grep -q 'neither XSAVE nor FXSAVE' "$W/refused.err" && [ ! -s "$W/refused.out" ] \
  || fail "no XSAVE and no FXSAVE: exit $st, $(cat "$W/refused.err" "$W/refused.out")"

# 4. What runs outside the save: general registers only.
objdump -d -C --no-show-raw-insn "$ENCLAVE_SO" > "$W/enclave.dis" || fail "objdump $ENCLAVE_SO"
for fn in nsgx_trts_exception_stage2 nsgx_trts_dispatch_exception 'nsgx::libos::finish_signals()' libos_finish_signals; do
  awk -v h="<$fn>:" '$2 == h { p = 1; n++; next } p && /^$/ { p = 0 } p' "$W/enclave.dis" > "$W/fn.dis"
  [ -s "$W/fn.dis" ] || { fail "$fn: not found in the enclave image"; continue; }
  if grep -E '%[xyz]mm' "$W/fn.dis"; then fail "$fn uses vector registers outside the saved region"; fi
done

finish "vector state across system calls"
