#!/bin/bash
# Encrypted files in `nsgx run`, on the backend NSGX_BACKEND names (ctest
# runs it for inproc and isolated): docs/libos.md, "Encrypted files".
#   encfs_test.sh NSGX ENCFS HOSTILE_HOST WORKDIR
set -u
NSGX=$1 ENCFS=$2 HOSTILE=$3 W=$4
rm -rf "$W"; mkdir -p "$W/enc" "$W/signer" "$W/native"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"

cp "$ENCFS" "$W/encfs"
# Enclave A and enclave B: one signer, different MRENCLAVEs (B's manifest
# differs by an environment variable, and the manifest is measured).
manifest() {
  cat <<TOML
libos.entrypoint = "$W/encfs"
sgx.enclave_size = "64M"
sgx.trusted_files = [ { uri = "file:$W/encfs" } ]
sgx.allowed_files = [ "file:$W/raw", "file:$W/plain" ]
sgx.encrypted_files = [ { uri = "file:$W/enc", key_name = "_sgx_mrenclave" },
                        { uri = "file:$W/signer", key_name = "_sgx_mrsigner" } ]
$1
TOML
}
manifest "" > "$W/a.toml"
manifest 'loader.env.WHO = "b"' > "$W/b.toml"
"$NSGX" keygen --out "$W/key.pem" > /dev/null 2>&1 || { fail "keygen"; exit 1; }
for e in a b; do
  "$NSGX" libos build --manifest "$W/$e.toml" --key "$W/key.pem" --out "$W/$e" > "$W/build-$e.out" 2>&1 \
    || { cat "$W/build-$e.out"; fail "nsgx libos build $e"; exit 1; }
done
run() { local e=$1; shift; "$NSGX" run --enclave "$W/$e" -- "$W/encfs" "$@" < /dev/null; }

# 1. Written in one run, read back in the next, as natively.
native_w=$("$W/encfs" write "$W/native/f"); native_r=$("$W/encfs" read "$W/native/f")
case "$native_w" in "wrote "*"read back the same") ;; *) fail "native write: $native_w" ;; esac
out=$(run a write "$W/enc/f" 2> "$W/write.err"); st=$?
check_status "write" "$st" 0
[ "$out" = "$native_w" ] || { cat "$W/write.err"; fail "write inside: '$out', natively '$native_w'"; }
out=$(run a read "$W/enc/f" 2> "$W/read.err"); st=$?
check_status "read in the next run" "$st" 0
[ "$out" = "$native_r" ] || { cat "$W/read.err"; fail "read inside: '$out', natively '$native_r'"; }

# The same calls on a pass-through file (pwrite64, ftruncate, fsync on an
# allowed file): the same output, and the host file is the native one.
out=$(run a write "$W/plain" 2> "$W/plain.err"); st=$?
check_status "write (allowed file)" "$st" 0
[ "$out" = "$native_w" ] || { cat "$W/plain.err"; fail "allowed file: '$out', natively '$native_w'"; }
cmp "$W/plain" "$W/native/f" || fail "the allowed file differs from the native one"

# A host whose pread answers more than asked is refused (EIO, the file
# named); one whose preads are honest but short is read through.
out=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=pread-count run a read "$W/enc/f" 2> "$W/pread-count.err"); st=$?
check_status "pread-count" "$st" 1
[ "$out" = "open $W/enc/f: Input/output error" ] || fail "pread answering more than asked: '$out'"
grep -q "nsgx run: $W/enc/f: encrypted file refused: storage I/O error" "$W/pread-count.err" \
  || { cat "$W/pread-count.err"; fail "no clear error for the lying pread"; }
out=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=pread-short run a read "$W/enc/f" 2> "$W/pread-short.err"); st=$?
check_status "pread-short" "$st" 0
[ "$out" = "$native_r" ] || { cat "$W/pread-short.err"; fail "short preads: '$out'"; }

# 2. The host holds no plaintext: not a line of it, and whole 4 KiB blocks.
grep -aq "secret line" "$W/native/f" || fail "the native file holds no plaintext: the check below proves nothing"
grep -aq "secret line" "$W/enc/f" && fail "plaintext on the host"
grep -aq "encrypted file" "$W/enc/f" && fail "plaintext on the host"
size=$(stat -c %s "$W/enc/f")
[ $((size % 4096)) = 0 ] && [ "$size" -gt 10000 ] || fail "host file of $size bytes"
cp "$W/enc/f" "$W/f.orig"

# 3. Another enclave of the same signer: refused under the MRENCLAVE key,
# read under the MRSIGNER one.
out=$(run b read "$W/enc/f" 2> "$W/other.err"); st=$?
check_status "other enclave" "$st" 1
[ "$out" = "open $W/enc/f: Input/output error" ] || fail "other enclave read the MRENCLAVE file: '$out'"
grep -q "nsgx run: $W/enc/f: encrypted file refused: integrity check failed" "$W/other.err" \
  || { cat "$W/other.err"; fail "no clear error for another enclave"; }
out=$(run a write "$W/signer/f" 2> /dev/null); st=$?
check_status "write (MRSIGNER)" "$st" 0
out=$(run b read "$W/signer/f" 2> "$W/signer.err"); st=$?
check_status "other enclave (MRSIGNER)" "$st" 0
[ "$out" = "$native_r" ] || { cat "$W/signer.err"; fail "the signer's other enclave: '$out'"; }

# 4. A file moved to another path under the mount is refused (the path is
# bound into its key and its metadata).
mv "$W/enc/f" "$W/enc/g"
out=$(run a read "$W/enc/g" 2> "$W/moved.err"); st=$?
check_status "moved" "$st" 1
[ "$out" = "open $W/enc/g: Input/output error" ] || fail "moved file: '$out'"
grep -q "nsgx run: $W/enc/g: encrypted file refused: integrity check failed" "$W/moved.err" \
  || { cat "$W/moved.err"; fail "no clear error for the moved file"; }

# 5. One flipped byte: in a data chunk (the open works, the read fails), and
# in the metadata (the open fails).
flipped() {
  cp "$W/f.orig" "$W/enc/f"
  # The ciphertext is new each run: invert a bit of whatever byte is there
  # (writing a fixed byte changes nothing one time in 256).
  /usr/bin/python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 1]))' "$W/enc/f" "$1"
  [ "$(cmp -l "$W/f.orig" "$W/enc/f" | wc -l)" = 1 ] || fail "the flip at $1 changed no byte"
  out=$(run a read "$W/enc/f" 2> "$W/flip-$1.err"); st=$?
  check_status "flipped at $1" "$st" 1
  [ "$out" = "$2 $W/enc/f: Input/output error" ] || fail "flipped at $1: '$out'"
  grep -q "nsgx run: $W/enc/f: encrypted file $3: integrity check failed" "$W/flip-$1.err" \
    || { cat "$W/flip-$1.err"; fail "no clear error for the flip at $1"; }
}
flipped 9000 read "read refused"
flipped 200 open refused

# 5b. A protected file carried across execve (as a shell's `prog < file`):
# flushed first, opened anew by the new enclave at the same offset, with
# its flags — the same as natively. Before: the new program's descriptor
# was closed (EBADF).
cp "$W/native/f" "$W/native/x"
"$W/encfs" write "$W/native/x" > /dev/null
native_x=$("$W/encfs" exec "$W/native/x")
run a write "$W/enc/x" > /dev/null 2>&1
out=$(run a exec "$W/enc/x" 2> "$W/exec.err"); st=$?
check_status "exec" "$st" 0
[ "$out" = "$native_x" ] || { cat "$W/exec.err"; fail "a protected file across execve: '$out', natively '$native_x'"; }
case "$native_x" in "stdin read "*"descriptor 5 write-only, append") ;; *) fail "native exec: $native_x" ;; esac

# 6. Within a run, the host putting back an older copy of a file the
# enclave wrote is refused (the version the run left is kept in the enclave).
ln -s "$W/enc/r" "$W/raw"
out=$(run a rollback "$W/enc/r" "$W/raw" 2> "$W/rollback.err"); st=$?
check_status "rollback" "$st" 1
case "$out" in *"open $W/enc/r: Input/output error") ;; *) fail "rolled-back file: '$out'" ;; esac
grep -q "nsgx run: $W/enc/r: encrypted file refused: not the expected version (rolled back)" "$W/rollback.err" \
  || { cat "$W/rollback.err"; fail "no clear error for the rolled-back file"; }

# 7. The path calls on an encrypted path (docs/libos.md, "Encrypted files
# in `nsgx run`"): stat answers the plaintext's size (closed and open),
# access the host's, unlink removes the file and the version the run kept
# (a create of the same name afterwards is a new file, not a rolled-back
# one), also while a descriptor has it open — the same lines as natively.
native_p=$("$W/encfs" paths "$W/native/p" 2>&1)
out=$(run a paths "$W/enc/p" 2> "$W/paths.err"); st=$?
check_status "paths" "$st" 0
[ "$out" = "$native_p" ] || { cat "$W/paths.err"; diff <(echo "$native_p") <(echo "$out"); fail "path calls differ from native"; }
[ -e "$W/enc/p" ] && fail "the host still holds the unlinked protected file"

# 7b. rename within the encrypted directory (a protected file is bound to
# its path: the library OS writes it anew under the new one): to a new
# name, over an existing file (a descriptor open on the replaced one keeps
# it), refused by RENAME_NOREPLACE, a missing source — the same lines as
# natively; the next run reads the renamed file; the host holds no
# temporary. Before: ENOSYS. Between an allowed and an encrypted path:
# EXDEV inside (`mv` then copies), the host's rename natively.
mkdir -p "$W/native/rn" "$W/enc/rn"
native_r=$("$W/encfs" rename "$W/native/rn" 2>&1)
out=$(run a rename "$W/enc/rn" 2> "$W/rename.err"); st=$?
check_status "rename" "$st" 0
[ "$out" = "$native_r" ] || { cat "$W/rename.err"; diff <(echo "$native_r") <(echo "$out"); fail "rename differs from native"; }
case "$native_r" in *"rename over an existing file: ok"*"RENAME_NOREPLACE over an existing file: File exists"*) ;;
  *) fail "native rename: $native_r" ;; esac
[ "$(run a read "$W/enc/rn/r3" 2>&1)" = "$("$W/encfs" read "$W/native/rn/r3" 2>&1)" ] \
  || fail "the renamed file does not read back in the next run"
ls "$W/enc/rn" | grep -q nsgx-rename && fail "a temporary of the rename is left on the host"
[ -e "$W/enc/rn/r1" ] || [ -e "$W/enc/rn/r2" ] && fail "the host still holds a renamed-away file"
echo plain > "$W/plain"
out=$(run a rename-to "$W/plain" "$W/enc/rn/from-plain" 2>&1)
[ "$out" = "rename: Invalid cross-device link" ] || fail "allowed to encrypted: '$out', not EXDEV"

finish "encrypted files"
