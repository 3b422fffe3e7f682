#!/bin/bash
# Debian's servers inside the library OS (docs/libos.md, "Servers"), on
# the backend NSGX_BACKEND names (ctest runs it for inproc and isolated):
# redis-server and lighttpd, unmodified from /usr/bin and /usr/sbin, in
# foreground configurations that do not fork, each with a client outside
# the enclave (redis-cli, curl) that must get the right answers.
#   servers_test.sh NSGX SYSPROG WORKDIR
# scripts/deps.sh installs redis-server, redis-tools and lighttpd.
set -u
NSGX=$1 SYSPROG=$2 W=$3
rm -rf "$W"; mkdir -p "$W/www"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
for p in /usr/bin/redis-server /usr/bin/redis-cli /usr/sbin/lighttpd /usr/bin/curl; do
  [ -x "$p" ] || { echo "FAIL: $p is missing (scripts/deps.sh installs it)"; exit 1; }
done
build() {  # TOML DIR
  "$NSGX" libos build --manifest "$1" --out "$2" > "$2.log" 2>&1 || { cat "$2.log"; fail "nsgx libos build $1"; exit 1; }
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits until something listens on 127.0.0.1:PORT (at most 20 s: an
# enclave starting on a loaded machine), or the server PID has gone.
# With --trace the library OS names each system call it does not know;
# none of those the servers need may be among them (open, sendfile,
# chdir, umask, sysinfo, prctl: syscalls_sys.cc; lighttpd falls back to
# read and write without sendfile, so only the trace tells).
no_missing() {  # NAME STDERR
  local m
  m=$(grep -oE 'system call (2|40|80|95|99|157) is not implemented' "$2")
  [ -z "$m" ] || fail "$1: $m"
}
wait_port() {  # PORT PID — up to 90 s: a 512M enclave is measured page by page
  # before the program starts, which under the sanitizers' monitor and a
  # loaded machine takes tens of seconds (a server that dies ends the wait)
  for _ in $(seq 900); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# 0. The calls themselves (libos_sysprog, static PIE): umask, prctl's
# name, sysinfo, chdir and a relative legacy open, sendfile with and
# without an offset, at the end, from a pipe — the same output natively
# and inside. The data file is trusted (sendfile from its checked copy).
mkdir -p "$W/sp"
head -c 100000 /dev/urandom > "$W/sp/data.bin"
cp "$SYSPROG" "$W/sysprog"
cat > "$W/sysprog.toml" <<TOML
libos.entrypoint = "$W/sysprog"
sgx.trusted_files = [ { uri = "file:$W/sysprog" }, { uri = "file:$W/sp/data.bin" } ]
TOML
build "$W/sysprog.toml" "$W/sysprog-enclave"
"$W/sysprog" "$W/sp" "$W/sp/data.bin" > "$W/sysprog.native" 2>&1; native=$?
"$NSGX" run --enclave "$W/sysprog-enclave" -- "$W/sysprog" "$W/sp" "$W/sp/data.bin" > "$W/sysprog.inside" 2>&1 < /dev/null
inside=$?
[ "$native" = 0 ] && [ "$inside" = 0 ] || fail "sysprog: exit $native natively, $inside inside"
cmp -s "$W/sysprog.native" "$W/sysprog.inside" || { diff "$W/sysprog.native" "$W/sysprog.inside"; fail "sysprog's output differs"; }
grep -qx 'bytes equal 1' "$W/sysprog.native" || fail "sysprog natively: $(cat "$W/sysprog.native")"

# 1. redis-server: SET, GET, INCR and a list through redis-cli, then
# SHUTDOWN, after which the server exits with 0. Its database file may
# be written only at the path allowed (with --save '' it is only looked
# for at start); the working directory is --dir's (chdir inside).
cat > "$W/redis.toml" <<TOML
libos.entrypoint = "/usr/bin/redis-server"
loader.env.LANG = "C"
sgx.enclave_size = "512M"
sgx.max_threads = 8
sgx.trusted_files = [ { uri = "file:/usr/bin/redis-server" } ]
sgx.allowed_files = [ "file:$W/dump.rdb" ]
TOML
build "$W/redis.toml" "$W/redis-enclave"
port=$(free_port)
"$NSGX" run --trace --enclave "$W/redis-enclave" -- /usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save '' \
  --appendonly no --daemonize no --dir "$W" > "$W/redis.out" 2> "$W/redis.err" < /dev/null &
rpid=$!
if wait_port "$port" "$rpid"; then
  r() { redis-cli -p "$port" "$@" 2>&1; }
  [ "$(r SET greeting 'hello from outside')" = OK ] || fail "redis SET"
  [ "$(r GET greeting)" = "hello from outside" ] || fail "redis GET: $(r GET greeting)"
  for _ in 1 2 3; do r INCR counter > /dev/null; done
  [ "$(r GET counter)" = 3 ] || fail "redis INCR: $(r GET counter)"
  r RPUSH l a b c > /dev/null
  [ "$(r LRANGE l 0 -1 | tr '\n' ,)" = "a,b,c," ] || fail "redis LRANGE: $(r LRANGE l 0 -1)"
  [ "$(r DBSIZE)" = 3 ] || fail "redis DBSIZE: $(r DBSIZE)"
  r SHUTDOWN NOSAVE > /dev/null
  wait "$rpid"; st=$?
  [ "$st" = 0 ] || fail "redis-server's exit status after SHUTDOWN: $st"
  grep -q 'Ready to accept connections' "$W/redis.out" || fail "redis-server's log: $(tail -3 "$W/redis.out")"
  no_missing redis-server "$W/redis.err"
else
  fail "redis-server did not listen on $port: $(tail -n 5 "$W/redis.err" "$W/redis.out")"
  kill "$rpid" 2>/dev/null; wait "$rpid"
fi

# 2. lighttpd -D (no daemon, no worker processes): a 300 KiB file (sent
# with sendfile from its trusted, hash-checked copy) and a small page,
# each with the file's SHA-256; a path the manifest does not name is 404.
head -c 300000 /dev/urandom > "$W/www/file.bin"
echo "hello from lighttpd" > "$W/www/index.html"
lport=$(free_port)
cat > "$W/lighttpd.conf" <<CONF
server.document-root = "$W/www"
server.port = $lport
server.bind = "127.0.0.1"
server.errorlog = "$W/lighttpd.err"
CONF
cat > "$W/lighttpd.toml" <<TOML
libos.entrypoint = "/usr/sbin/lighttpd"
loader.env.LANG = "C"
sgx.trusted_files = [ { uri = "file:/usr/sbin/lighttpd" }, { uri = "file:$W/lighttpd.conf" },
  { uri = "file:$W/www/file.bin" }, { uri = "file:$W/www/index.html" } ]
sgx.allowed_files = [ "file:$W/lighttpd.err" ]
TOML
build "$W/lighttpd.toml" "$W/lighttpd-enclave"
# Its own process group: lighttpd stops on a signal, which the library OS
# does not deliver yet; the test ends the whole run.
setsid "$NSGX" run --trace --enclave "$W/lighttpd-enclave" -- /usr/sbin/lighttpd -D -f "$W/lighttpd.conf" \
  > "$W/lighttpd.out" 2> "$W/lighttpd.run.err" < /dev/null &
lpid=$!
if wait_port "$lport" "$lpid"; then
  for f in file.bin index.html; do
    got=$(curl -s -m 20 "http://127.0.0.1:$lport/$f" | sha256sum | cut -d' ' -f1)
    want=$(sha256sum < "$W/www/$f" | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "lighttpd GET /$f: SHA-256 $got, the file's $want"
  done
  code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/not-there.html")
  [ "$code" = 404 ] || fail "lighttpd GET of a file not in the manifest: HTTP $code"
else
  fail "lighttpd did not listen on $lport: $(tail -n 5 "$W/lighttpd.run.err" "$W/lighttpd.err")"
fi
kill -- -"$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
no_missing lighttpd "$W/lighttpd.run.err"

finish "servers"
