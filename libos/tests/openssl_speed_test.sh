#!/bin/bash
# Debian's `openssl speed` inside the library OS (docs/libos.md, "Time"):
# it runs its loop until SIGALRM's handler stops it (the interrupt of a
# computing thread, "Signals": on both backends) and divides the count by
# its CPU time from times(2). The checks are consistency, not speed: it
# exits 0, names the same algorithm and block size as natively, counts
# operations, and — on inproc, where times(2)'s CPU time is the program's
# — reports a CPU time above zero (without times(2) it reported "in
# 0.00s") and no more than the run's whole wall time (one computing
# thread). On isolated that CPU time is the application process's, not
# the enclave host's ("Time": an open problem), so it is not checked
# there. The rates, native and inside, are printed for the record.
#   openssl_speed_test.sh NSGX WORKDIR
set -u
NSGX=$1 W=$2
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
cat > "$W/openssl.toml" <<TOML
libos.entrypoint = "/usr/bin/openssl"
loader.env.LANG = "C"
sgx.enclave_size = "512M"
sgx.max_threads = 4
sgx.trusted_files = [ { uri = "file:/usr/bin/openssl" }, { uri = "file:/usr/lib/ssl/openssl.cnf" } ]
TOML
"$NSGX" libos build --manifest "$W/openssl.toml" --out "$W/enclave" > "$W/build.log" 2>&1 ||
  { cat "$W/build.log"; fail "nsgx libos build"; exit 1; }
args=(speed -seconds 1 -bytes 16384 -mr sha256)
# -mr's "+R" lines go to stderr, the "+F" ones to stdout: both kept.
/usr/bin/openssl "${args[@]}" > "$W/native.out" 2>&1 || fail "openssl speed natively"
t0=$(date +%s%N)
timeout 300 "$NSGX" run --enclave "$W/enclave" -- /usr/bin/openssl "${args[@]}" > "$W/inside.out" 2>&1 < /dev/null
inside=$?
t1=$(date +%s%N)
check_status "openssl speed inside" "$inside" 0
# -mr: "+R:COUNT:ALGORITHM:CPU SECONDS" and "+F:N:ALGORITHM:BYTES PER SECOND".
/usr/bin/python3 - "$W/native.out" "$W/inside.out" "$(((t1 - t0) / 1000000))" "${NSGX_BACKEND:-isolated}" <<'PY' || fail "openssl speed's report"
import sys
def result(path):
    for line in open(path):
        if line.startswith("+R:"):
            _, count, alg, secs = line.strip().split(":")
            return alg, int(count), float(secs)
    sys.exit(f"no +R line in {path}: {open(path).read()!r}")
nalg, ncount, nsecs = result(sys.argv[1])
alg, count, secs = result(sys.argv[2])
wall = int(sys.argv[3]) / 1000
native_rate, rate = ncount * 16384 / nsecs, count * 16384 / secs if secs > 0 else float("inf")
print(f"native: {ncount} x 16 KiB in {nsecs:.2f} s CPU, {native_rate / 1e6:.0f} MB/s; "
      f"inside: {count} in {secs:.2f} s CPU ({wall:.1f} s whole run), {rate / 1e6:.0f} MB/s")
bad = []
if alg != nalg: bad.append(f"algorithm {alg!r}, natively {nalg!r}")
if count <= 0: bad.append("no operations counted")
if sys.argv[4] == "inproc":  # the program's CPU time only there
    if not secs > 0: bad.append("a CPU time of 0 (times(2))")
    if secs > wall + 0.05: bad.append(f"{secs} s of CPU time in a {wall} s run")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
finish "openssl speed inside"
