#!/bin/bash
# Pipes, eventfds, sockets, poll and epoll inside the library OS, on the
# backend NSGX_BACKEND names (docs/libos.md, "Descriptors, pipes, sockets
# and readiness").
#   netio_test.sh NSGX NETIO HOSTILE_HOST WORKDIR
set -u
NSGX=$1 NETIO=$2 HOSTILE=$3 W=$4
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"

cp "$NETIO" "$W/netio"
cat > "$W/netio.toml" <<TOML
libos.entrypoint = "$W/netio"
sgx.enclave_size = "64M"
sgx.trusted_files = [ { uri = "file:$W/netio" } ]
TOML
"$NSGX" libos build --manifest "$W/netio.toml" --out "$W/enclave" > "$W/build.out" 2>&1 \
  || { cat "$W/build.out"; fail "nsgx libos build"; exit 1; }
run() { "$NSGX" run --enclave "$W/enclave" -- "$W/netio" "$@" < /dev/null; }

# 1. Pipes with poll and select, dup/fcntl/ioctl, eventfds, a TCP echo
# server driven by epoll, UDP, Unix sockets: the same output as natively.
"$W/netio" all > "$W/native.out" 2> "$W/native.err"; native=$?
check_status "all (native)" "$native" 0
run all > "$W/enclave.out" 2> "$W/enclave.err"; inside=$?
check_status all "$inside" "$native"
cmp "$W/native.out" "$W/enclave.out" || { diff "$W/native.out" "$W/enclave.out"; cat "$W/enclave.err"; fail "output differs"; }

# 2. An echo server inside for a client started here, natively (bash's
# /dev/tcp): the client gets its lines back, the server's account is the
# same as the native server's.
serve() {  # serve NAME COMMAND...
  local name=$1 port="" reply i
  shift
  "$@" serve > "$W/serve-$name.out" 2> "$W/serve-$name.err" < /dev/null &
  local pid=$!
  for i in $(seq 300); do
    port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$W/serve-$name.err")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { kill "$pid"; cat "$W/serve-$name.err"; fail "serve $name: no port"; return; }
  exec 3<> "/dev/tcp/127.0.0.1/$port" || { fail "serve $name: cannot connect"; kill "$pid"; return; }
  printf 'one\ntwo words\nthree\n' >&3
  reply=""
  for i in 1 2 3; do
    IFS= read -r -t 20 line <&3 || break
    reply+="$line;"
  done
  exec 3>&-
  wait "$pid" || fail "serve $name: exit status $?"
  [ "$reply" = "one;two words;three;" ] || fail "serve $name: the client got '$reply'"
}
serve native "$W/netio"
serve enclave run
cmp "$W/serve-native.out" "$W/serve-enclave.out" \
  || { diff "$W/serve-native.out" "$W/serve-enclave.out"; fail "serve: output differs"; }
grep -q "echoed 20 bytes, the client closed" "$W/serve-enclave.out" || fail "serve: $(cat "$W/serve-enclave.out")"

# 3. What the library OS refuses where Linux would not: control messages
# (descriptors cannot cross), options off the allow-list, other families.
out=$(run refused 2> "$W/refused.err"); st=$?
check_status refused "$st" 0
want=$'sendmsg with SCM_RIGHTS: EOPNOTSUPP\nsetsockopt SO_PASSCRED: ENOPROTOOPT\nsocket(AF_PACKET): EAFNOSUPPORT\nrefused: 0 failure(s)'
[ "$out" = "$want" ] || { echo "--- got:"; echo "$out"; cat "$W/refused.err"; fail "refusals"; }

# 4. A lying host: each lie refused with EIO, and the program goes on.
expect_hostile() {
  local fault=$1 want=$2 got st
  got=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=$fault run hostile 2> "$W/hostile-$fault.err"); st=$?
  check_status "hostile $fault" "$st" 0
  [ "$got" = "$want" ] || { echo "--- got:"; echo "$got"; echo "--- wanted:"; echo "$want"; fail "hostile $fault"; }
}
recv_ok='recv: 2 ok' accept_ok='accept: a descriptor, address length 16'
epoll_ok='epoll_wait: 1 ok, data 42, events 0x1' epoll_eio='epoll_wait: -1 EIO, data 0, events 0'
poll_ok='poll: 2 ok, revents 0x4 0x1' tail=$'the program goes on: 2 on\nhostile: 0 failure(s)'
hostile_want() { printf '%s\n%s\n%s\n%s\n%s' "$1" "$2" "$3" "$4" "$tail"; }
expect_hostile none "$(hostile_want "$recv_ok" "$accept_ok" "$epoll_ok" "$poll_ok")"
expect_hostile recv-count "$(hostile_want 'recv: -1 EIO' "$accept_ok" "$epoll_ok" "$poll_ok")"
expect_hostile accept-addrlen "$(hostile_want "$recv_ok" 'accept: EIO, address length 16' "$epoll_ok" "$poll_ok")"
expect_hostile accept-fd "$(hostile_want "$recv_ok" 'accept: EIO, address length 16' "$epoll_ok" "$poll_ok")"
expect_hostile epoll-key "$(hostile_want "$recv_ok" "$accept_ok" "$epoll_eio" "$poll_ok")"
expect_hostile epoll-count "$(hostile_want "$recv_ok" "$accept_ok" "$epoll_eio" "$poll_ok")"
# Events the program did not ask for are masked away (ERR and HUP stay, as epoll and poll always report them).
expect_hostile epoll-events "$(hostile_want "$recv_ok" "$accept_ok" 'epoll_wait: 1 ok, data 42, events 0x19' "$poll_ok")"
expect_hostile poll-revents "$(hostile_want "$recv_ok" "$accept_ok" "$epoll_ok" 'poll: 2 ok, revents 0x1c 0x19')"
expect_hostile poll-count "$(hostile_want "$recv_ok" "$accept_ok" "$epoll_ok" 'poll: -1 EIO, revents 0 0')"

finish "descriptors"
