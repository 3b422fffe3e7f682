#!/bin/bash
# Debian's fio inside the library OS (docs/libos.md, "fio"), on the
# backend NSGX_BACKEND names: sequential and random writes read back with
# verify=crc32c on a pass-through (allowed) file and on an encrypted file
# (fio stats it, unlinks it when its size is not the job's, lays it out),
# --thread (no fork), ioengine psync, fio's default clock (clock_gettime
# CLOCK_MONOTONIC from several threads). The same as natively means: exit
# status 0, fio's verify passing (it exits non-zero and counts errors
# otherwise), and the same jobs with the same I/O sizes and error counts
# in its JSON output.
#   fio_test.sh NSGX WORKDIR
set -u
NSGX=$1 W=$2
rm -rf "$W"; mkdir -p "$W/enc"
[ -x /usr/bin/fio ] || { echo "FAIL: /usr/bin/fio is missing (scripts/deps.sh installs it)"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
# One job file (fio's start inside costs most of a run): on each file a
# sequential write read back and a random write, each verified, 512 KiB.
# verify_state_save=0: no state file in the working directory.
cat > "$W/job.fio" <<JOB
[global]
ioengine=psync
thread
size=512k
bs=4k
verify=crc32c
disk_util=0
randrepeat=1
verify_state_save=0
[plain_seq]
filename=$W/plain.bin
rw=write
[plain_rand]
stonewall
filename=$W/plain.bin
rw=randwrite
[enc_seq]
stonewall
filename=$W/enc/enc.bin
rw=write
[enc_rand]
stonewall
filename=$W/enc/enc.bin
rw=randwrite
JOB
cat > "$W/fio.toml" <<TOML
libos.entrypoint = "/usr/bin/fio"
loader.env.LANG = "C"
sgx.enclave_size = "1G"
sgx.max_threads = 8
sgx.trusted_files = [ { uri = "file:/usr/bin/fio" }, { uri = "file:$W/job.fio" } ]
sgx.allowed_files = [ "file:$W/plain.bin" ]
sgx.encrypted_files = [ { uri = "file:$W/enc" } ]
TOML
"$NSGX" libos build --manifest "$W/fio.toml" --out "$W/enclave" > "$W/build.log" 2>&1 || { cat "$W/build.log"; fail "nsgx libos build"; exit 1; }
# The fields that must agree: each job's name, error count, and bytes
# read and written (fio's JSON; timings differ).
fields() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for j in d["jobs"]:
    print(j["jobname"], j["error"], j["read"]["io_bytes"], j["write"]["io_bytes"])' "$1"
}
/usr/bin/fio --output-format=json "$W/job.fio" > "$W/native.json" 2> "$W/native.err"; native=$?
rm -f "$W/plain.bin" "$W/enc/enc.bin"
# More EPC than the default 128M: fio's 62 libraries are held twice.
NSGX_EPC_SIZE=512M timeout 600 "$NSGX" run --trace --enclave "$W/enclave" -- /usr/bin/fio --output-format=json \
  "$W/job.fio" > "$W/inside.json" 2> "$W/inside.err" < /dev/null
inside=$?
[ "$native" = 0 ] && [ "$inside" = 0 ] || { grep -v 'neither trusted' "$W/inside.err" | tail -5; fail "fio exits $native natively, $inside inside"; }
fields "$W/native.json" > "$W/native.fields" || fail "no JSON natively"
fields "$W/inside.json" > "$W/inside.fields" || fail "no JSON inside"
cmp -s "$W/native.fields" "$W/inside.fields" || { diff "$W/native.fields" "$W/inside.fields"; fail "fio's jobs differ"; }
[ "$(grep -c ' 0 524288 524288$' "$W/native.fields")" = 4 ] || fail "natively: $(cat "$W/native.fields")"
# The encrypted file is a protected file on the host: whole 4 KiB blocks,
# its metadata node's magic first.
[ -s "$W/enc/enc.bin" ] && [ $(($(stat -c %s "$W/enc/enc.bin") % 4096)) = 0 ] || fail "the host's encrypted file"
head -c 8 "$W/enc/enc.bin" | grep -q nsgxPFS1 || fail "the host's encrypted file is not a protected file"
finish "fio: same jobs, sizes and verification natively and inside"
