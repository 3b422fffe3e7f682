#!/bin/bash
# Non-PIE programs inside the library OS (docs/libos.md, "Non-PIE
# programs"). An ET_EXEC program's code sits at fixed addresses (0x400000
# and up): `nsgx libos build` lays its enclave out with the user region
# first and the host places it at address 0, so that those addresses are
# the enclave's.
# 1. nopie.c built -no-pie, dynamically linked and static: the same output
#    and exit status as natively (pointers into the lowest 64 KiB EFAULT,
#    .bss, heap, a thread), and `null` ends it by SIGSEGV as natively.
# 2. Debian's python3 (ET_EXEC on Debian's amd64 builds): python_work.py
#    (computation, json, re, hashlib through libcrypto, threads, fork, a
#    traceback read from trusted sources, exit status 3) prints the same
#    natively and inside; a host that places the enclave anywhere else gets
#    the program refused with the reason; a trusted script changed after
#    the build is refused.
#   nopie_test.sh NSGX HOSTILE_HOST NOPIE_DYN NOPIE_STATIC WORKDIR
set -u
NSGX=$1 HOSTILE=$2 NOPIE_DYN=$3 NOPIE_STATIC=$4 W=$5
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"

for prog in "$NOPIE_DYN" "$NOPIE_STATIC"; do
  name=$(basename "$prog")
  cp "$prog" "$W/$name"
  "$W/$name" > "$W/$name.native" 2>&1
  native=$?
  timeout 120 "$NSGX" run -- "$W/$name" > "$W/$name.inside" 2>&1 < /dev/null
  inside=$?
  check_status "$name inside" "$inside" "$native"
  cmp -s "$W/$name.native" "$W/$name.inside" ||
    { fail "$name: output differs"; diff "$W/$name.native" "$W/$name.inside" | head -20; }
  grep -q "read into address 16: -1 Bad address" "$W/$name.native" || fail "$name: natively no EFAULT near NULL?"
  # Dereferencing NULL: SIGSEGV, as natively (the shell's 128 + 11).
  ( "$W/$name" null ) > /dev/null 2>&1
  native=$?
  timeout 120 "$NSGX" run -- "$W/$name" null > "$W/$name.null" 2>&1 < /dev/null
  inside=$?
  check_status "$name null inside" "$inside" "$native"
  check_status "$name null natively" "$native" 139
done

WORK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/python_work.py
[ -x /usr/bin/python3 ] || { fail "/usr/bin/python3 is not installed (scripts/deps.sh installs python3)"; finish "non-PIE programs inside"; }
# Debian's interpreter (python3.11 on bookworm) and where its standard
# library and C modules are, as it says itself.
PY=$(readlink -f /usr/bin/python3)
LIB=$(/usr/bin/python3 -I -S -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
EXT=$(/usr/bin/python3 -I -S -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
# ET_EXEC (e_type 2, ELF header byte 16) on Debian's amd64 builds.
fixed=$(/usr/bin/python3 -I -S -c 'import sys; print(open(sys.argv[1], "rb").read(18)[16] == 2)' "$PY")
[ "$fixed" = True ] || echo "note: $PY is position-independent here; the test runs it all the same"
for m in _json _hashlib; do
  [ -f "$LIB/lib-dynload/$m$EXT" ] || { fail "$LIB/lib-dynload/$m$EXT: not found"; finish "non-PIE programs inside"; }
done
# The trusted files: the interpreter (its libraries follow from its
# DT_NEEDED, and those of the C modules listed), the standard library's
# modules this work imports (with the packages they import), and the work.
{
  echo "libos.entrypoint = \"$PY\""
  echo 'loader.env.LANG = "C.UTF-8"'
  echo 'sgx.enclave_size = "256M"'
  echo 'sgx.max_threads = 8'
  echo 'sgx.trusted_files = ['
  echo "  { uri = \"file:$PY\" }, { uri = \"file:/usr/bin/python3\" }, { uri = \"file:$WORK\" },"
  for f in "$LIB"/*.py "$LIB"/encodings/*.py "$LIB"/json/*.py "$LIB"/collections/*.py "$LIB"/re/*.py \
    "$LIB/lib-dynload/_json$EXT" "$LIB/lib-dynload/_hashlib$EXT"; do
    echo "  { uri = \"file:$f\" },"
  done
  echo ']'
} > "$W/python.toml"
"$NSGX" libos build --manifest "$W/python.toml" --out "$W/enclave" > "$W/build.log" 2>&1 ||
  { cat "$W/build.log"; fail "nsgx libos build"; finish "non-PIE programs inside"; }
if [ "$fixed" = True ]; then
  grep -q "<UserRegionFirst>1</UserRegionFirst>" "$W/enclave/libos.config.xml" ||
    fail "the enclave for an ET_EXEC program is not laid out with its user region first"
fi

args=(-I -S -B "$WORK" "$WORK")
"$PY" "${args[@]}" > "$W/native.out" 2> "$W/native.err"
native=$?
timeout 300 "$NSGX" run --enclave "$W/enclave" -- /usr/bin/python3 "${args[@]}" > "$W/inside.out" 2> "$W/inside.err" < /dev/null
inside=$?
check_status "python3 inside" "$inside" "$native"
if ! cmp -s "$W/native.out" "$W/inside.out"; then
  fail "python3's output inside differs from the native run's"
  diff "$W/native.out" "$W/inside.out" | head -20
  head -20 "$W/inside.err"
fi
[ -s "$W/inside.err" ] && { echo "python3's stderr inside:"; head -5 "$W/inside.err"; }

# A host that places the enclave where the loader chooses (a test
# build's NSGX_LIBOS_TEST_PLACE_ANYWHERE, placement.h): the enclave cannot
# hold the program's addresses and says so.
if [ "$fixed" = True ]; then
NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_TEST_PLACE_ANYWHERE=1 timeout 120 "$NSGX" run --enclave "$W/enclave" -- \
  /usr/bin/python3 "${args[@]}" > "$W/anywhere.out" 2>&1 < /dev/null
status=$?
check_status "python3 in an enclave placed elsewhere" "$status" 126
grep -q "non-PIE program (ET_EXEC) at fixed addresses 0x400000-" "$W/anywhere.out" ||
  { fail "no reason given for an enclave placed elsewhere"; cat "$W/anywhere.out"; }
fi

# A trusted module changed after the build: refused when it is opened,
# so the import fails (natively it would run the changed code).
mkdir -p "$W/lib"
cp "$WORK" "$W/lib/work.py"
sed "s|$WORK|$W/lib/work.py|" "$W/python.toml" > "$W/changed.toml"
"$NSGX" libos build --manifest "$W/changed.toml" --out "$W/changed" > "$W/build2.log" 2>&1 ||
  { cat "$W/build2.log"; fail "nsgx libos build (second)"; }
echo 'print("changed")' >> "$W/lib/work.py"
timeout 120 "$NSGX" run --enclave "$W/changed" -- /usr/bin/python3 -I -S -B "$W/lib/work.py" "$WORK" \
  > "$W/changed.out" 2>&1 < /dev/null
status=$?
[ "$status" != 0 ] && [ "$status" != 3 ] || fail "a changed trusted script ran (status $status)"
grep -q "work.py: SHA-256 does not match the manifest" "$W/changed.out" ||
  { fail "no reason given for the changed script"; cat "$W/changed.out"; }
grep -qx "changed" "$W/changed.out" && fail "the changed script's code ran"
finish "non-PIE programs inside"
