#!/bin/bash
# Non-PIE programs inside the library OS (docs/libos.md, "Non-PIE
# programs"). An ET_EXEC program's code sits at fixed addresses (0x400000
# and up): `nsgx libos build` lays its enclave out with the user region
# first and the host places it at address 0, so that those addresses are
# the enclave's.
# 1. nopie.c built -no-pie, dynamically linked and static: the same output
#    and exit status as natively (pointers into the lowest 64 KiB EFAULT,
#    .bss, heap, a thread), and `null` ends it by SIGSEGV as natively.
# 2. Debian's python3 (ET_EXEC on Debian's amd64 builds), its whole
#    standard library one trusted directory (docs/libos.md, "Trusted
#    directories") and site imported: python_work.py (computation, json,
#    re, hashlib through libcrypto, the C modules themselves, threads, fork,
#    a traceback read from trusted sources, exit status 3) prints the same
#    natively and inside; a host that places the enclave anywhere else gets
#    the program refused with the reason; a script in a trusted directory
#    changed after the build is refused; a changed listing, a missing one
#    and a host that answers more of it than asked refuse the start.
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
# DT_NEEDED), the standard library as one directory (C modules included;
# _hashlib's libcrypto is no closure of the interpreter's, so it is named),
# and the work.
{
  echo "libos.entrypoint = \"$PY\""
  echo 'loader.env.LANG = "C.UTF-8"'
  echo 'sgx.enclave_size = "256M"'
  echo 'sgx.max_threads = 8'
  echo 'sgx.trusted_files = ['
  echo "  \"file:$PY\", \"file:/usr/bin/python3\", \"file:$WORK\", \"file:$LIB/\","
  echo "  \"file:/lib/x86_64-linux-gnu/libcrypto.so.3\","
  echo ']'
} > "$W/python.toml"
"$NSGX" libos build --manifest "$W/python.toml" --out "$W/enclave" > "$W/build.log" 2>&1 ||
  { cat "$W/build.log"; fail "nsgx libos build"; finish "non-PIE programs inside"; }
if [ "$fixed" = True ]; then
  grep -q "<UserRegionFirst>1</UserRegionFirst>" "$W/enclave/libos.config.xml" ||
    fail "the enclave for an ET_EXEC program is not laid out with its user region first"
fi

args=(-I -B "$WORK" "$WORK")  # site too: it imports what the directory holds
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

# A module in a trusted directory changed after the build: refused when it
# is opened, so the import fails (natively it would run the changed code).
mkdir -p "$W/lib"
cp "$WORK" "$W/lib/work.py"
echo 'print("unchanged")' > "$W/lib/helper.py"
sed "s|\"file:$WORK\"|\"file:$W/lib/\"|" "$W/python.toml" > "$W/changed.toml"
"$NSGX" libos build --manifest "$W/changed.toml" --out "$W/changed" > "$W/build2.log" 2>&1 ||
  { cat "$W/build2.log"; fail "nsgx libos build (second)"; }
[ -f "$W/changed/trusted_dir_0.bin" ] && [ -f "$W/changed/trusted_dir_1.bin" ] ||
  fail "the build wrote no listing per trusted directory"
timeout 120 "$NSGX" run --enclave "$W/changed" -- /usr/bin/python3 -I -S -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import helper' "$W/lib" \
  > "$W/helper.out" 2>&1 < /dev/null
status=$?
check_status "python3 importing from a second trusted directory" "$status" 0
grep -qx "unchanged" "$W/helper.out" || { fail "the module in the trusted directory did not run"; cat "$W/helper.out"; }
echo 'print("changed")' >> "$W/lib/work.py"
timeout 120 "$NSGX" run --enclave "$W/changed" -- /usr/bin/python3 -I -S -B "$W/lib/work.py" "$WORK" \
  > "$W/changed.out" 2>&1 < /dev/null
status=$?
[ "$status" != 0 ] && [ "$status" != 3 ] || fail "a changed trusted script ran (status $status)"
grep -q "work.py: SHA-256 does not match the manifest" "$W/changed.out" ||
  { fail "no reason given for the changed script"; cat "$W/changed.out"; }
grep -qx "changed" "$W/changed.out" && fail "the changed script's code ran"

# The listings are the host's to keep, the manifest holds their hashes: a
# file added to a listing (a changed byte), a listing gone and a host that
# answers more than asked each refuse the start (126) with the reason.
start_refused() {  # WHAT ENCLAVE_DIR NEEDLE [HOST]
  NSGX_LIBOS_HOST=${4:-} timeout 120 "$NSGX" run --enclave "$2" -- /usr/bin/python3 -I -S -c 'print("ran")' \
    > "$W/refused.out" 2>&1 < /dev/null
  local st=$?
  check_status "$1" "$st" 126
  grep -q "$3" "$W/refused.out" || { fail "$1: no reason given"; cat "$W/refused.out"; }
  grep -qx "ran" "$W/refused.out" && fail "$1: the program ran"
}
cp -r "$W/enclave" "$W/tampered"
listing=$W/tampered/trusted_dir_0.bin
# The last entry's last path byte (before its padding): a file the
# directory does not hold named in its place.
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); i = len(b) - 1
while b[i] == 0: i -= 1
b[i] ^= 1; open(p, "wb").write(b)' "$listing"
start_refused "a changed listing" "$W/tampered" "trusted directory $LIB: its listing's SHA-256 does not match the manifest"
rm "$listing"
start_refused "a missing listing" "$W/tampered" "trusted directory $LIB: its listing cannot be read: No such file or directory"
NSGX_LIBOS_FAULT=listing-count start_refused "a host answering more of a listing than asked" "$W/enclave" \
  "the host answered more of its listing than asked" "$HOSTILE"
finish "non-PIE programs inside"
