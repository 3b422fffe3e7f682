#!/bin/bash
# `nsgx bench libos`'s Debian programs (tools/nsgx/bench_libos.cc): each
# unmodified from the distribution, run natively or inside the library OS
# enclave on one backend, its clients always native, outside.
#   debian_programs.sh NSGX WORKDIR MODE QUICK
# MODE: native, isolated or inproc; QUICK: 1 for the smallest sizes.
# Prints libos_workloads' line format on stdout, one line per workload:
#   NAME <TAB> ITERATIONS <TAB> NANOSECONDS <TAB> 16 hex digits of a digest
# — the iterations fixed per size (so every mode does the same work), the
# nanoseconds those took, and the digest of the program's answers (which
# must be the native run's). Anything that goes wrong goes to stderr and
# the workload's line is left out (the bench names it).
#   redis_set, redis_get  redis-benchmark -t set / -t get over loopback
#                         against redis-server (no persistence, no fork):
#                         the time N requests took (N / requests per s);
#                         digest: a value SET and read back by redis-cli
#   lighttpd_64k          wrk (one thread, 4 connections) fetching a 64 KiB
#                         file from lighttpd -D: time per 1000 requests;
#                         digest: the file as curl received it
#   bzip2                 bzip2 -9 of a fixed 4.4 MB text (0.6 MB quick): the compression's
#                         time (the run's minus that of an empty input,
#                         which is the program's and the enclave's start);
#                         digest: the compressed bytes
#   fio_{seq,rand}_{write,read}, fio_enc_…
#                         fio (psync, 4 KiB blocks, --thread) writing then
#                         reading 16 MiB sequentially and at random, on an
#                         allowed file and on an encrypted one, one job at a
#                         time: each job's own time (its bytes over its
#                         bandwidth, fio's JSON); digest: the jobs' names,
#                         errors and byte counts. Not with QUICK (fio's start
#                         inside is about a minute: libos_fio covers it)
#   openssl_sha256        openssl speed -seconds 1 -bytes 16384 sha256: the
#                         time to hash 1000 MiB at its rate (count over CPU
#                         time, times(2)); digest: the algorithm and block
#                         size. Not on isolated: its loop ends there (an
#                         interrupt), but times(2)'s CPU time is the
#                         application's, not the enclave host's, so the
#                         rate would not be the program's: a "not run" line
#   python_compute        Debian's python3 (a non-PIE program: its enclave
#                         at address 0, docs/libos.md "Non-PIE programs")
#                         running a fixed pure-Python computation
#                         (fannkuch, an n-body loop, dict and string work),
#                         timed by the program around the computation
#                         alone (the interpreter's start left out);
#                         digest: the results
# A workload a mode cannot run prints NAME <TAB> - <TAB> - <TAB> REASON
# instead (the bench reports it, not as a failure).
set -u
NSGX=$1 W=$2 MODE=$3 QUICK=$4
mkdir -p "$W/www"
log() { echo "debian_programs ($MODE): $*" >&2; }
digest() { sha256sum | cut -c1-16; }
now() { date +%s%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # PORT PID
  for _ in $(seq 300); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# The inputs, the same for every mode (made once, by the first run).
# A work directory is one bench run's: quick or not, one size.
words=700000
[ "$QUICK" = 1 ] && words=100000
[ -s "$W/in.txt" ] || python3 -c '
import random, sys
r = random.Random(19)
words = ["".join(r.choice("abcdefghijklmnop") for _ in range(r.randint(2, 9))) for _ in range(4000)]
sys.stdout.write(" ".join(r.choice(words) for _ in range(int(sys.argv[1]))))' "$words" > "$W/in.txt"
: > "$W/empty.txt"
[ -s "$W/www/64k.bin" ] || python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(7).randbytes(65536))' > "$W/www/64k.bin"

# The enclaves, built once per work directory (their manifests: each
# program and its libraries trusted by SHA-256 — `nsgx libos build` adds
# the closure — plus configuration and data as trusted or allowed files).
enclave() {  # NAME (its manifest is $W/NAME.toml)
  if [ ! -s "$W/$1-enclave/libos.signed.so" ]; then
    "$NSGX" libos build --manifest "$W/$1.toml" --out "$W/$1-enclave" > "$W/$1-build.log" 2>&1 ||
      { log "nsgx libos build $1: $(tail -2 "$W/$1-build.log")"; return 1; }
  fi
}
# Runs PROGRAM ARGS in MODE (inside: the NAME enclave).
launch() {  # NAME PROGRAM ARGS...
  local name=$1
  shift
  if [ "$MODE" = native ]; then
    "$@"
  else
    NSGX_BACKEND=$MODE "$NSGX" run --enclave "$W/$name-enclave" -- "$@"
  fi
}

cat > "$W/redis.toml" <<TOML
libos.entrypoint = "/usr/bin/redis-server"
loader.env.LANG = "C"
sgx.enclave_size = "512M"
sgx.max_threads = 8
sgx.trusted_files = [ { uri = "file:/usr/bin/redis-server" } ]
sgx.allowed_files = [ "file:$W/dump.rdb" ]
TOML
cat > "$W/lighttpd.toml" <<TOML
libos.entrypoint = "/usr/sbin/lighttpd"
loader.env.LANG = "C"
sgx.trusted_files = [ { uri = "file:/usr/sbin/lighttpd" }, { uri = "file:$W/lighttpd.conf" },
  { uri = "file:$W/www/64k.bin" } ]
sgx.allowed_files = [ "file:$W/lighttpd.err" ]
TOML
mkdir -p "$W/fio" "$W/fio-enc"
cat > "$W/fio.toml" <<TOML
libos.entrypoint = "/usr/bin/fio"
loader.env.LANG = "C"
sgx.enclave_size = "1G"
sgx.max_threads = 8
sgx.trusted_files = [ { uri = "file:/usr/bin/fio" }, { uri = "file:$W/fio/jobs.fio" } ]
sgx.allowed_files = [ "file:$W/fio/plain.bin" ]
sgx.encrypted_files = [ { uri = "file:$W/fio-enc" } ]
TOML
cat > "$W/openssl.toml" <<TOML
libos.entrypoint = "/usr/bin/openssl"
loader.env.LANG = "C"
sgx.enclave_size = "512M"
sgx.trusted_files = [ { uri = "file:/usr/bin/openssl" }, { uri = "file:/usr/lib/ssl/openssl.cnf" } ]
TOML
cat > "$W/bzip2.toml" <<TOML
libos.entrypoint = "/bin/bzip2"
sgx.enclave_size = "256M"
sgx.trusted_files = [ { uri = "file:/bin/bzip2" }, { uri = "file:$W/in.txt" }, { uri = "file:$W/empty.txt" } ]
TOML

PY=$(readlink -f /usr/bin/python3)
PYLIB=$(/usr/bin/python3 -I -S -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
{
  echo "libos.entrypoint = \"$PY\""
  echo 'loader.env.LANG = "C.UTF-8"'
  echo 'sgx.enclave_size = "256M"'
  echo "sgx.trusted_files = [ { uri = \"file:$PY\" }, { uri = \"file:$W/pybench.py\" },"
  for f in "$PYLIB"/*.py "$PYLIB"/encodings/*.py; do echo "  { uri = \"file:$f\" },"; done
  echo ']'
} > "$W/python.toml"
[ -s "$W/pybench.py" ] || cat > "$W/pybench.py" <<'PY'
import sys, time


def fannkuch(n):
    perm1, count, max_flips, checksum, r, sign = list(range(n)), [0] * n, 0, 0, n, 1
    while True:
        while r != 1:
            count[r - 1] = r
            r -= 1
        perm, flips, k = perm1[:], 0, perm1[0]
        while k:
            perm[: k + 1] = perm[k::-1]
            flips += 1
            k = perm[0]
        max_flips = max(max_flips, flips)
        checksum += flips if sign == 1 else -flips
        while True:
            if r == n:
                return checksum, max_flips
            p0 = perm1[0]
            perm1[:r] = perm1[1 : r + 1]
            perm1[r] = p0
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1
        sign = -sign


def nbody(steps):
    bodies = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 39.47841760435743], [4.84, -1.16, -0.10, 0.606, 2.81, -0.02, 0.0377],
              [8.34, 4.12, -0.40, -1.01, 1.82, 0.008, 0.0113], [12.89, -15.11, -0.22, 1.08, 0.868, -0.01, 0.0017],
              [15.37, -25.91, 0.17, 0.979, 0.594, -0.034, 0.002]]
    dt = 0.01
    for _ in range(steps):
        for i in range(5):
            bi = bodies[i]
            for j in range(i + 1, 5):
                bj = bodies[j]
                dx, dy, dz = bi[0] - bj[0], bi[1] - bj[1], bi[2] - bj[2]
                mag = dt / (dx * dx + dy * dy + dz * dz) ** 1.5
                bi[3] -= dx * bj[6] * mag
                bi[4] -= dy * bj[6] * mag
                bi[5] -= dz * bj[6] * mag
                bj[3] += dx * bi[6] * mag
                bj[4] += dy * bi[6] * mag
                bj[5] += dz * bi[6] * mag
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]
    return round(sum(b[0] + b[1] + b[2] for b in bodies), 9)


def words(n):
    d = {}
    for i in range(n):
        w = format(i * 2654435761 % 1000003, "x")
        d[w[:3]] = d.get(w[:3], 0) + len(w)
    return sum(d.values()), len(d)


scale = int(sys.argv[1])
t0 = time.perf_counter_ns()
result = (fannkuch(7 + scale), nbody(20000 * scale), words(100000 * scale))
print(time.perf_counter_ns() - t0, result)
PY

# redis-server with redis-benchmark.
redis() {
  local n=20000 port pid
  [ "$QUICK" = 1 ] && n=1000
  [ "$MODE" = native ] || enclave redis || return
  port=$(free_port)
  launch redis /usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$W" > "$W/redis-$MODE.out" 2>&1 < /dev/null &
  pid=$!
  if ! wait_port "$port" "$pid"; then
    log "redis-server did not start: $(tail -2 "$W/redis-$MODE.out")"
    kill "$pid" 2>/dev/null
    wait "$pid"
    return
  fi
  local csv
  csv=$(redis-benchmark -p "$port" -n "$n" -c 10 -t set,get --csv 2> /dev/null)
  redis-cli -p "$port" SET nsgx-bench "value $n" > /dev/null
  local d
  d=$(redis-cli -p "$port" GET nsgx-bench | digest)
  redis-cli -p "$port" SHUTDOWN NOSAVE > /dev/null 2>&1
  wait "$pid"
  for t in SET GET; do
    local rps
    rps=$(echo "$csv" | awk -F'","' -v t="\"$t" '$1 == t { print $2 }')
    if [ -z "$rps" ]; then
      log "redis-benchmark gave no $t figure: $csv"
      continue
    fi
    printf 'redis_%s\t%d\t%.0f\t%s\n' "${t,,}" "$n" "$(awk -v n="$n" -v r="$rps" 'BEGIN { print n / r * 1e9 }')" "$d"
  done
}

# lighttpd with wrk.
lighttpd_64k() {
  local port pid secs=5
  [ "$QUICK" = 1 ] && secs=1
  # One port per work directory: the configuration naming it is a trusted
  # file, so the enclave is built once.
  [ -s "$W/lighttpd.port" ] || free_port > "$W/lighttpd.port"
  port=$(cat "$W/lighttpd.port")
  cat > "$W/lighttpd.conf" <<CONF
server.document-root = "$W/www"
server.port = $port
server.bind = "127.0.0.1"
server.errorlog = "$W/lighttpd.err"
CONF
  [ "$MODE" = native ] || enclave lighttpd || return
  # Its own process group: it stops on a signal (inside: the whole run).
  if [ "$MODE" = native ]; then
    setsid /usr/sbin/lighttpd -D -f "$W/lighttpd.conf" > "$W/lighttpd-$MODE.out" 2>&1 < /dev/null &
  else
    NSGX_BACKEND=$MODE setsid "$NSGX" run --enclave "$W/lighttpd-enclave" -- /usr/sbin/lighttpd -D \
      -f "$W/lighttpd.conf" > "$W/lighttpd-$MODE.out" 2>&1 < /dev/null &
  fi
  pid=$!
  if wait_port "$port" "$pid"; then
    local d out reqs
    d=$(curl -s -m 30 "http://127.0.0.1:$port/64k.bin" | digest)
    out=$(wrk -t1 -c4 -d"$secs" "http://127.0.0.1:$port/64k.bin" 2>&1)
    reqs=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
    if [ -n "$reqs" ] && echo "$out" | grep -q ' requests in ' && ! echo "$out" | grep -q 'Non-2xx'; then
      printf 'lighttpd_64k\t1000\t%.0f\t%s\n' "$(awk -v r="$reqs" 'BEGIN { print 1000 / r * 1e9 }')" "$d"
    else
      log "wrk: $out"
    fi
  else
    log "lighttpd did not start: $(tail -2 "$W/lighttpd-$MODE.out")"
  fi
  kill -- -"$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# bzip2 -9 of a fixed text.
bzip2_9() {
  [ "$MODE" = native ] || enclave bzip2 || return
  local t0 t1 t2 t3
  t0=$(now)
  launch bzip2 /bin/bzip2 -9 -c "$W/empty.txt" > "$W/empty-$MODE.bz2" 2> "$W/bzip2-$MODE.err" || {
    log "bzip2: $(tail -2 "$W/bzip2-$MODE.err")"
    return
  }
  t1=$(now)
  t2=$(now)
  launch bzip2 /bin/bzip2 -9 -c "$W/in.txt" > "$W/in-$MODE.bz2" 2> "$W/bzip2-$MODE.err" || {
    log "bzip2: $(tail -2 "$W/bzip2-$MODE.err")"
    return
  }
  t3=$(now)
  local ns=$(((t3 - t2) - (t1 - t0)))
  [ "$ns" -gt 0 ] || ns=1
  printf 'bzip2\t%d\t%d\t%s\n' "$(($(stat -c %s "$W/in.txt") / 1024))" "$ns" "$(digest < "$W/in-$MODE.bz2")"
}

# fio: each job its own phase (stonewall), the file laid out by the first
# write; the jobs' lines from fio's JSON.
fio_jobs() {
  [ "$QUICK" = 1 ] && return
  [ -s "$W/fio/jobs.fio" ] || {
    printf '[global]\nioengine=psync\nthread\nsize=16m\nbs=4k\ndisk_util=0\nrandrepeat=1\n'
    printf 'verify_state_save=0\ninvalidate=0\n'
    for f in plain enc; do
      local file=$W/fio/plain.bin prefix=fio
      [ $f = enc ] && file=$W/fio-enc/enc.bin prefix=fio_enc
      for j in seq_write:write seq_read:read rand_write:randwrite rand_read:randread; do
        printf '[%s_%s]\nstonewall\nfilename=%s\nrw=%s\n' "$prefix" "${j%%:*}" "$file" "${j##*:}"
      done
    done
  } > "$W/fio/jobs.fio"
  [ "$MODE" = native ] || enclave fio || return
  rm -f "$W/fio/plain.bin" "$W/fio-enc/enc.bin"
  # More EPC than the default 128M: fio's 62 libraries are held twice (docs/libos.md, "fio").
  NSGX_EPC_SIZE=512M launch fio /usr/bin/fio --output-format=json "$W/fio/jobs.fio" > "$W/fio-$MODE.json" \
    2> "$W/fio-$MODE.err" < /dev/null || { log "fio: $(tail -2 "$W/fio-$MODE.err")"; return; }
  python3 - "$W/fio-$MODE.json" <<'PY' || log "fio: no results in its JSON"
import hashlib, json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
for j in jobs:
    d = j["read"] if j["read"]["io_bytes"] else j["write"]
    if j["error"] or not d["io_bytes"] or not d["bw_bytes"]:
        sys.exit(1)
    key = f'{j["jobname"]} {j["error"]} {j["read"]["io_bytes"]} {j["write"]["io_bytes"]}'
    ns = d["io_bytes"] / d["bw_bytes"] * 1e9
    print(f'{j["jobname"]}\t{d["io_bytes"] // 1024}\t{ns:.0f}\t{hashlib.sha256(key.encode()).hexdigest()[:16]}')
PY
}

# openssl speed: CPU-bound, its rate from its count and times(2).
openssl_speed() {
  if [ "$MODE" = isolated ]; then
    printf 'openssl_sha256\t-\t-\tits rate comes from times(2), whose CPU time on isolated is the application process'"'"'s, not the enclave host'"'"'s\n'
    return
  fi
  [ "$MODE" = native ] || enclave openssl || return
  # -mr's "+R" lines go to stderr.
  launch openssl /usr/bin/openssl speed -seconds 1 -bytes 16384 -mr sha256 > "$W/openssl-$MODE.out" 2>&1 \
    < /dev/null || { log "openssl: $(tail -2 "$W/openssl-$MODE.out")"; return; }
  # "+R:COUNT:sha256:CPU SECONDS": 1000 MiB at COUNT x 16 KiB per CPU SECONDS.
  awk -F: -v d="$(echo "sha256 16384" | digest)" '$1 == "+R" && $4 > 0 && $2 > 0 {
    printf "openssl_sha256\t1000\t%.0f\t%s\n", 1000 * 1048576 / ($2 * 16384 / $4) * 1e9, d; found = 1 }
    END { exit !found }' "$W/openssl-$MODE.out" || log "openssl: no rate: $(head -c 300 "$W/openssl-$MODE.out")"
}

# python3: its own clock around the computation (CLOCK_MONOTONIC; inside,
# read from the TSC between the host's readings, "Time").
python_compute() {
  [ "$MODE" = native ] || enclave python || return
  local scale=2
  [ "$QUICK" = 1 ] && scale=1
  launch python "$PY" -I -S -B "$W/pybench.py" "$scale" > "$W/python-$MODE.out" 2> "$W/python-$MODE.err" < /dev/null || {
    log "python3: $(tail -2 "$W/python-$MODE.err")"
    return
  }
  local ns result
  read -r ns result < "$W/python-$MODE.out"
  [[ "$ns" =~ ^[0-9]+$ ]] && [ "$ns" -gt 0 ] || { log "python3: no time in $(head -c 200 "$W/python-$MODE.out")"; return; }
  printf 'python_compute\t%d\t%d\t%s\n' "$scale" "$ns" "$(echo "$result" | digest)"
}

redis
lighttpd_64k
bzip2_9
fio_jobs
openssl_speed
python_compute
