#!/usr/bin/env bash
# `nsgx run` from an installed prefix (docs/libos.md, docs/user-guide.md):
# the tree's static-PIE test program (libos/tests/hello.c), copied to a
# clean directory, run natively and with PREFIX/bin/nsgx inside the
# prefix's library OS enclave (PREFIX/libexec/nestedsgx: nsgx-libos-host,
# libos_enclave.unsigned.so) on each backend — the same stdout, stderr and
# exit status; then `nsgx libos build` once and `nsgx run --enclave` on each
# backend. Last, each of the two pieces moved aside (and put back): `nsgx
# run` names it with exit 126 and `nsgx libos build` with exit 1, instead of
# running some other copy (the build tree's) — what shows the runs above
# used the prefix's.
# Usage: libos_run.sh PREFIX HELLO   (install_test.sh, package_test.sh)
# Prints one line per check; exits 1 if any failed. KEEP=1 keeps the work directory.
set -u
P=$1 HELLO=$2
L=$P/libexec/nestedsgx
W=$(mktemp -d /tmp/nsgx-libos-run.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
unset NSGX_LIBOS_HOST NSGX_LIBOS_ENCLAVE NSGX_LIBOS_TRACE
cd "$W" || exit 1
cp "$HELLO" hello || exit 1
printf 'first line\nsecond line\n' >data.txt
# same NAME STATUS NATIVE: NAME.out/.err and STATUS against native.out/.err.
same() {
  if [ "$2" == "$3" ] && cmp -s "native.out" "$1.out" && cmp -s "native.err" "$1.err"; then
    pass "$1: the native stdout, stderr and exit status $2"
  else
    fail "$1: exit $2 (native $3): $(diff native.out "$1.out" | head -4) $(head -c 300 "$1.err")"
  fi
}

# Without a manifest: one that trusts ./hello alone, which reads itself.
args=(basic "$W/hello" one 'two words')
./hello "${args[@]}" >native.out 2>native.err </dev/null
native=$?
[ $native == 3 ] || fail "hello natively: exit $native, not 3"
for backend in isolated inproc; do
  NSGX_BACKEND=$backend "$P/bin/nsgx" run -- ./hello "${args[@]}" >"run-$backend.out" 2>"run-$backend.err" </dev/null
  same "run-$backend" $? $native
done

# Built once for a manifest, run on each backend.
cat >hello.toml <<TOML
libos.entrypoint = "$W/hello"
sgx.trusted_files = [ { uri = "file:$W/hello" }, { uri = "file:$W/data.txt" } ]
TOML
args=(basic "$W/data.txt" x)
./hello "${args[@]}" >native.out 2>native.err </dev/null
native=$?
grep -q "^file: second line" native.out || fail "hello natively did not read data.txt"
if "$P/bin/nsgx" libos build --manifest hello.toml --out enclave >build.out 2>&1 && [ -s enclave/libos.signed.so ]; then
  pass "nsgx libos build --manifest hello.toml --out enclave"
  for backend in isolated inproc; do
    NSGX_BACKEND=$backend "$P/bin/nsgx" run --enclave enclave -- ./hello "${args[@]}" \
      >"enclave-$backend.out" 2>"enclave-$backend.err" </dev/null
    same "enclave-$backend" $? $native
  done
else
  fail "nsgx libos build: $(head -c 600 build.out)"
fi

# Each piece missing: named, nothing run, nothing built.
missing() {  # missing NAME EXPECTED_STATUS EXPECTED_STDERR_LINE COMMAND...
  local name=$1 want=$2 line=$3 st
  shift 3
  "$@" >missing.out 2>missing.err </dev/null
  st=$?
  if [ $st == "$want" ] && [ ! -s missing.out ] && grep -qxF "$line" missing.err; then
    pass "$name: named, exit $st"
  else
    fail "$name: exit $st (want $want): $(cat missing.out missing.err | head -c 400)"
  fi
}
host="$L/nsgx-libos-host (the library OS host) is missing"
mv "$L/nsgx-libos-host" host.aside
for backend in isolated inproc; do
  missing "nsgx run --enclave without the prefix's host ($backend)" 126 "nsgx run: incomplete install: $host" \
    env NSGX_BACKEND=$backend "$P/bin/nsgx" run --enclave enclave -- ./hello "${args[@]}"
done
mv host.aside "$L/nsgx-libos-host"
encl="$L/libos_enclave.unsigned.so (the library OS enclave) is missing"
mv "$L/libos_enclave.unsigned.so" enclave.aside
missing "nsgx run without the prefix's enclave" 126 "nsgx run: incomplete install: $encl" \
  "$P/bin/nsgx" run -- ./hello "${args[@]}"
missing "nsgx libos build without the prefix's enclave" 1 "nsgx libos build: incomplete install: $encl" \
  "$P/bin/nsgx" libos build --manifest hello.toml --out enclave2
[ -e enclave2 ] && fail "nsgx libos build without the enclave made enclave2"
mv enclave.aside "$L/libos_enclave.unsigned.so"
[ $fails == 0 ]
