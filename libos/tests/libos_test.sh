#!/bin/bash
# The library OS end to end, on the backend NSGX_BACKEND names (ctest runs
# it for inproc and isolated): docs/libos.md.
#   libos_test.sh NSGX HELLO HOST HOSTILE_HOST UNFILLED_ENCLAVE WORKDIR
set -u
NSGX=$1 HELLO=$2 HOST=$3 HOSTILE=$4 UNFILLED=$5 W=$6
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"

printf 'first line\nsecond line\n' > "$W/data.txt"
cp "$HELLO" "$W/hello"
cp "$HELLO" "$W/hello.orig"
cat > "$W/hello.toml" <<TOML
libos.entrypoint = "$W/hello"
loader.env.LANG = "C"
sgx.enclave_size = "256M"
sgx.trusted_files = [ { uri = "file:$W/hello" }, { uri = "file:$W/data.txt" } ]
TOML

# Build once (the SHA-256s filled in from the files), run many times.
"$NSGX" libos build --manifest "$W/hello.toml" --out "$W/enclave" > "$W/build.out" 2>&1 \
  || { cat "$W/build.out"; fail "nsgx libos build"; exit 1; }
run() { "$NSGX" run --enclave "$W/enclave" -- "$W/hello" "$@"; }

# 1. The same stdout, stderr and exit status as natively.
"$W/hello" basic "$W/data.txt" one 'two words' > "$W/native.out" 2> "$W/native.err"; native=$?
run basic "$W/data.txt" one 'two words' > "$W/enclave.out" 2> "$W/enclave.err" < /dev/null; inside=$?
check_status basic "$inside" "$native"
check_status "basic (native)" "$native" 3
cmp "$W/native.out" "$W/enclave.out" || { diff "$W/native.out" "$W/enclave.out"; fail "stdout differs"; }
cmp "$W/native.err" "$W/enclave.err" || { diff "$W/native.err" "$W/enclave.err"; fail "stderr differs"; }

# 1b. A manifest that pins argv (loader.argv): the program gets the
# measured arguments whatever the command line (the untrusted host's
# to hand in) says.
{ cat "$W/hello.toml"
  echo "loader.argv = [ \"hello\", \"basic\", \"$W/data.txt\", \"pinned\", \"two words\" ]"; } > "$W/pinned.toml"
"$NSGX" libos build --manifest "$W/pinned.toml" --out "$W/pinned" > "$W/pinned-build.out" 2>&1 \
  || { cat "$W/pinned-build.out"; fail "nsgx libos build (pinned argv)"; exit 1; }
(cd "$W" && exec -a hello ./hello basic "$W/data.txt" pinned 'two words') > "$W/pinned-native.out" 2> /dev/null
for args in "basic $W/data.txt forged" "open /etc/passwd" ""; do
  # shellcheck disable=SC2086 # the words of $args are the forged argv
  "$NSGX" run --enclave "$W/pinned" -- "$W/hello" $args > "$W/pinned.out" 2> "$W/pinned.err" < /dev/null; st=$?
  check_status "pinned argv ($args)" "$st" 3
  cmp "$W/pinned-native.out" "$W/pinned.out" \
    || { diff "$W/pinned-native.out" "$W/pinned.out"; cat "$W/pinned.err"; fail "pinned argv: the command line ($args) reached the program"; }
done

# 2. A file the manifest does not name is refused (natively it opens).
out=$(run open /etc/passwd < /dev/null); st=$?
check_status open "$st" 0
[ "$out" = "open /etc/passwd: Permission denied" ] || fail "open of a file outside the manifest: '$out'"

# 3. Without --manifest: a manifest trusting the program alone.
out=$("$NSGX" run -- "$W/hello" open "$W/data.txt" < /dev/null 2> "$W/minimal.err"); st=$?
check_status minimal "$st" 0
[ "$out" = "open $W/data.txt: Permission denied" ] || { cat "$W/minimal.err"; fail "minimal manifest: '$out'"; }

# 4. Hostile host answers: refused with EIO, and the library OS goes on.
hostile() {
  NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=$1 run hostile < "$W/data.txt" 2> "$W/hostile-$1.err"
}
expect_hostile() {
  local fault=$1 want=$2 got st
  got=$(hostile "$fault"); st=$?
  check_status "hostile $fault" "$st" 0
  [ "$got" = "$want" ] || { echo "--- got:"; echo "$got"; echo "--- wanted:"; echo "$want"; fail "hostile $fault"; }
}
honest=$'read: 16 \nclock_gettime: 0 \nclock_gettime: 0 \nstill working: yes'
expect_hostile none "$honest"
expect_hostile read-count $'read: -1 Input/output error\nclock_gettime: 0 \nclock_gettime: 0 \nstill working: yes'
expect_hostile read-negative $'read: -1 Input/output error\nclock_gettime: 0 \nclock_gettime: 0 \nstill working: yes'
expect_hostile clock-back $'read: 16 \nclock_gettime: 0 \nclock_gettime: -1 Input/output error\nstill working: yes'
expect_hostile clock-range $'read: 16 \nclock_gettime: -1 Input/output error\nclock_gettime: -1 Input/output error\nstill working: yes'

# 5. A trusted file changed after signing (one flipped byte of the
# program): refused before use, with a clear error and status 126.
printf '\x01' | dd of="$W/hello" bs=1 seek=200 conv=notrunc status=none
xor=$(cmp -l "$W/hello.orig" "$W/hello" | wc -l)
[ "$xor" = 1 ] || fail "the flip changed $xor bytes"
out=$(run basic "$W/data.txt" < /dev/null 2> "$W/flipped.err"); st=$?
check_status flipped "$st" 126
grep -q "nsgx run: $W/hello: SHA-256 does not match the manifest" "$W/flipped.err" \
  || { cat "$W/flipped.err"; fail "no clear error for the modified program"; }
[ -z "$out" ] || fail "the modified program ran: $out"

# 6. The enclave as built, with no manifest in its measured section, refuses to run.
exec_prefix=()
[ "${NSGX_BACKEND:-}" = inproc ] && exec_prefix=("$NSGX" exec --cpuid off --)
"${exec_prefix[@]}" "$HOST" "$UNFILLED" -- "$W/hello" basic < /dev/null > "$W/unfilled.out" 2> "$W/unfilled.err"; st=$?
check_status unfilled "$st" 126
grep -q "holds no manifest" "$W/unfilled.err" || { cat "$W/unfilled.err"; fail "no clear error without a manifest"; }

# 7. Programs the loader refuses, each with its reason and 126: not ELF,
# its program headers cut off, a non-PIE static program (e_type ET_EXEC)
# whose fixed addresses start at 0, where no program may be (NULL's page;
# its enclave is laid out and placed at 0 for it, docs/libos.md "Non-PIE
# programs").
printf 'not a program' > "$W/notelf"
head -c 100 "$W/hello.orig" > "$W/truncated"
cp "$W/hello.orig" "$W/etexec"
printf '\x02' | dd of="$W/etexec" bs=1 seek=16 conv=notrunc 2> /dev/null
refused() {
  "$NSGX" run -- "$W/$1" < /dev/null > /dev/null 2> "$W/$1.err"; st=$?
  check_status "refused $1" "$st" 126
  grep -q "nsgx run: $W/$1: $2" "$W/$1.err" || { cat "$W/$1.err"; fail "no clear error for $1"; }
}
refused notelf "not an x86-64 ELF program"
refused truncated "program headers outside the file"
refused etexec "a non-PIE program (ET_EXEC) at fixed addresses 0x0-"

finish "library OS"
