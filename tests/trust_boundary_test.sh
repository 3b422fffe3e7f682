#!/usr/bin/env bash
# The trust boundary of the isolated backend (issue 15), attacked as
# unprivileged users this test creates: the application's own user (APP, a
# member of group nsgx), another user (OTHER), and for the quotas a second
# member of group nsgx (PEER) whose applications APP must not starve. A
# system monitor runs as
# user nsgx-monitor, started the way docs/isolated.md documents for a
# machine without systemd (`nsgx-monitor --system` as root), with a socket
# and state directory of its own so that it never touches a real one.
#
#   trust_boundary_test.sh BUILD_DIR SOURCE_DIR
#
# Each attack must fail and the legitimate application must keep working.
# Exit 77 (ctest: skipped) only where users cannot be created, said loudly.
set -uo pipefail
BUILD=$1
SRC=$2
probe=$BUILD/tests/trust_probe
hello=$BUILD/examples/hello/hello
hello_enc=$BUILD/examples/hello/hello_enclave.signed.so
counter=$BUILD/examples/sealed_counter/sealed_counter
counter_enc=$BUILD/examples/sealed_counter/sealed_counter_enclave.signed.so

ATTACK_WHAT="the trust boundary"
source "$SRC/tests/lib/attack_users.sh"
attack_require "two users and start the system monitor" useradd userdel groupadd runuser stdbuf

work=$(mktemp -d /run/nsgxt.XXXXXX)
chmod 0755 "$work"
APP=nsgxtest-app
OTHER=nsgxtest-other
PEER=nsgxtest-peer
source "$SRC/tests/lib/system_monitor.sh"
cleanup() {
  sysmon_cleanup
  rm -rf "$work" "/tmp/nsgx-$app_uid" 2>/dev/null
}
app_uid=none
trap cleanup EXIT

sysmon_setup "$work" "$BUILD"
attack_make_users "$work" $APP $OTHER $PEER
usermod -aG nsgx $APP
usermod -aG nsgx $PEER
app_uid=$(id -u $APP)
mon_uid=$(id -u nsgx-monitor)

# hold NAME ROOT -- CMD...: runs CMD under `trust_probe hold` (blocked in its
# OCALL, its enclave host alive); then `held_line NAME KIND` reads what it
# found, and `release NAME` lets CMD finish and returns its exit status.
hold() {
  local name=$1
  shift
  mkfifo "$work/$name.in"
  "$probe" hold "$@" <"$work/$name.in" >"$work/$name.out" 2>&1 &
  eval "${name}_pid=$!"
  eval "exec {${name}_fd}>\"\$work/\$name.in\""
  for _ in $(seq 200); do
    grep -qE '^(held|exited)' "$work/$name.out" && return 0
    sleep 0.05
  done
  return 1
}
held() { awk -v k="$2" '$1 == k {print $2; exit}' "$work/$1.out"; }
held_uid() { awk -v k="$2" '$1 == k {print $3; exit}' "$work/$1.out"; }
release() {
  local name=$1 fdvar="${1}_fd" pidvar="${1}_pid"
  echo go >&"${!fdvar}"
  eval "exec ${!fdvar}>&-"
  wait "${!pidvar}"
}

echo "== the system monitor: started as root, running as nsgx-monitor"
start_monitor || { bad "system monitor start"; exit 1; }
check "the monitor runs as nsgx-monitor (uid $mon_uid)" \
  [ "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$monpid/status")" == "$mon_uid$mon_uid$mon_uid$mon_uid" ]
check "its environment did not steer it: EPC size from the command line, not NSGX_EPC_SIZE" \
  grep -q "EPC 32768 pages, state $state" "$work/monitor.log"
check "its environment did not steer it: no state in NSGX_STATE_DIR" [ ! -e "$work/evil/state" ]
check "secrets file 0600 nsgx-monitor, directory 0700" \
  [ "$(stat -c '%a %U' "$state/monitor-platform.secrets") $(stat -c '%a %U' "$state")" == "600 nsgx-monitor 700 nsgx-monitor" ]
check "socket directory 0750 nsgx-monitor:nsgx" [ "$(stat -c '%a %U %G' "$work/run")" == "750 nsgx-monitor nsgx" ]

echo "== the legitimate application of $APP, through the system monitor"
out=$(as $APP NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" trust 2>&1)
check "hello works" grep -q "ecall_hello returned" <<<"$out"
mkdir -p "$work/home-$APP/counter" && chown $APP "$work/home-$APP/counter"
for n in 1 2; do
  out=$(as $APP NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$counter" "$counter_enc" \
    "$work/home-$APP/counter" 2>&1)
  check "sealed counter, run $n: count $n" grep -q "count is now $n " <<<"$out"
done
check "the monitor stops cleanly" stop_monitor
start_monitor || bad "system monitor restart"
out=$(as $APP NSGX_MONITOR_SOCKET="$sock" "$counter" "$counter_enc" "$work/home-$APP/counter" 2>&1)
check "sealed counter after a monitor restart: count 3" grep -q "count is now 3 " <<<"$out"

echo "== break 1: the platform secrets"
for u in $APP $OTHER; do
  for f in "$state"/*; do
    check "$u cannot read $(basename "$f")" bash -c "! runuser -u $u -- cat '$f' >/dev/null 2>&1"
  done
  check "$u cannot list the state directory" bash -c "! runuser -u $u -- ls '$state' >/dev/null 2>&1"
done

echo "== break 3: the monitor and a running enclave host, attacked by both users"
hold sys "$monpid" -- runuser -u $APP -- env -i HOME="$work/home-$APP" PATH=/usr/bin:/bin \
  NSGX_MONITOR_SOCKET="$sock" stdbuf -oL "$hello" "$hello_enc" held
hostpid=$(held sys host)
host_uid=$(held_uid sys host)
if [ -z "$hostpid" ]; then
  bad "an enclave host of $APP's application is running"
  cat "$work/sys.out"
else
  check "the enclave host runs as nsgx-monitor from its start (uid $host_uid)" [ "$host_uid" == "$mon_uid" ]
  for u in $APP $OTHER; do
    for target in "monitor:$monpid" "host:$hostpid"; do
      echo "  $u against the ${target%%:*}:"
      check "$u: every access to the ${target%%:*} refused" runuser -u $u -- "$probe" attack "${target#*:}"
    done
  done
fi
release sys
held_exit=$?
check "the attacked application still finished its ECALL (exit $held_exit)" [ "$held_exit" == 0 ]

echo "== break 4: another user posing as the monitor"
mkdir -m 0755 "$work/fake" && chown $OTHER "$work/fake"
runuser -u $OTHER -- "$probe" listen "$work/fake/monitor.sock" 6 >"$work/fake.out" &
fake=$!
for _ in $(seq 100); do grep -q listening "$work/fake.out" && break; sleep 0.05; done
# The directory now looks trusted (root's, 0755): only SO_PEERCRED can tell.
chown root "$work/fake"
out=$(as $APP NSGX_MONITOR_SOCKET="$work/fake/monitor.sock" "$hello" "$hello_enc" x 2>&1)
check "$APP's application refuses $OTHER's socket (SO_PEERCRED)" grep -q "not trusted: served by uid $(id -u $OTHER)" <<<"$out"
# The old fallback location: OTHER binds /tmp/nsgx-UID first.
mkdir -m 0755 "/tmp/nsgx-$app_uid" && chown $OTHER "/tmp/nsgx-$app_uid"
runuser -u $OTHER -- "$probe" listen "/tmp/nsgx-$app_uid/monitor.sock" 4 >"$work/tmp.out" &
tmpfake=$!
for _ in $(seq 100); do grep -q listening "$work/tmp.out" && break; sleep 0.05; done
out=$(as $APP "$hello" "$hello_enc" x 2>&1)
check "$APP's application without XDG_RUNTIME_DIR works (never looks in /tmp)" grep -q "ecall_hello returned" <<<"$out"
out=$(as $APP NSGX_MONITOR_SOCKET="/tmp/nsgx-$app_uid/monitor.sock" "$hello" "$hello_enc" x 2>&1)
check "$APP's application refuses a socket in $OTHER's directory" grep -q "belongs to uid $(id -u $OTHER)" <<<"$out"
wait $fake $tmpfake
check "$OTHER's fake monitor received nothing" grep -q "bytes 0$" "$work/fake.out"
check "$OTHER's fake monitor in /tmp was never contacted by the default search" grep -q '^clients 0 ' "$work/tmp.out"

echo "== break 2 and 6: what a private monitor and its hosts inherit"
echo secret >"$work/home-$APP/marker" && chown $APP "$work/home-$APP/marker"
hold priv child -- runuser -u $APP -- env -i HOME="$work/home-$APP" PATH=/usr/bin:/bin \
  FOO_SECRET=leak NSGX_MONITOR_SOCKET="$work/none.sock" bash -c \
  "exec 7<'$work/home-$APP/marker'; exec stdbuf -oL '$hello' '$hello_enc' held"
pmon=$(held priv monitor)
phost=$(held priv host)
if [ -z "$pmon" ] || [ -z "$phost" ]; then
  bad "a private monitor and its host are running"
  cat "$work/priv.out"
else
  check "the private monitor's environment has no FOO_SECRET and no LD_PRELOAD (stdbuf's)" \
    bash -c "! tr '\\0' '\\n' </proc/$pmon/environ | grep -qE '^(FOO_SECRET|LD_PRELOAD)='"
  check "the private monitor did not inherit the application's descriptor 7" \
    bash -c "! ls -l /proc/$pmon/fd | grep -q marker"
  check "the enclave host has no environment" [ ! -s "/proc/$phost/environ" ]
  check "the enclave host's 0-1 are /dev/null" \
    [ "$(readlink /proc/$phost/fd/0 /proc/$phost/fd/1 | sort -u)" == /dev/null ]
  # Its 2 is a pipe the monitor reads when it ends (runtime/isolated/server.cc,
  # relay_host_stderr: bounded, filtered), never a terminal or a log.
  check "the enclave host's 2 is a pipe (the monitor's bounded relay)" \
    bash -c "readlink /proc/$phost/fd/2 | grep -qx 'pipe:\[[0-9]*\]'"
  check "the enclave host holds nothing of the application's (no marker)" \
    bash -c "! ls -l /proc/$phost/fd | grep -q marker"
  echo "  $OTHER against $APP's private monitor:"
  check "$OTHER: every access to $APP's private monitor refused" runuser -u $OTHER -- "$probe" attack "$pmon"
fi
release priv
held_exit=$?
check "that application finished (exit $held_exit)" [ "$held_exit" == 0 ]
check "no NSGX_ENCLAVE_HOST ever ran" [ ! -e "$work/evil/host-ran" ]

echo "== denial of service: one user's quotas hold over all its connections"
# APP, as a hostile client speaking the raw protocol, opens several
# connections and takes all it can; the quotas are per uid (64 enclaves,
# half the EPC by default), so PEER's application must still get an enclave.
mkfifo "$work/quota.in"
runuser -u $APP -- "$probe" quota "$sock" <"$work/quota.in" >"$work/quota.out" 2>&1 &
quota_pid=$!
exec {quota_fd}>"$work/quota.in"
for _ in $(seq 1200); do
  grep -q '^holding' "$work/quota.out" && break
  kill -0 $quota_pid 2>/dev/null || break
  sleep 0.05
done
epc=$(awk '$1 == "epc" {print $2}' "$work/quota.out")
check "$APP's enclaves over two connections stop at its 64 (EMFILE)" \
  [ "$(awk '$1 == "enclaves" {print $2, $3}' "$work/quota.out")" == "64 24" ]
check "$APP's EPC over three connections stops at its share, half of ${epc:-?} pages (ENOMEM)" \
  [ "$(awk '$1 == "pages" {print $2, $3}' "$work/quota.out")" == "$((${epc:-0} / 2)) 12" ]
out=$(as $PEER NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" peer 2>&1)
check "$PEER's application creates its enclave and runs meanwhile" grep -q "ecall_hello returned" <<<"$out"
out=$(as $APP NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" more 2>&1)
check "$APP's own next application gets SGX_ERROR_OUT_OF_EPC (its user is at its share)" \
  grep -q "sgx_create_enclave: 0x2005" <<<"$out"
echo go >&"$quota_fd"
exec {quota_fd}>&-
wait $quota_pid
check "the hostile client ended normally" [ $? == 0 ]
out=$(as $APP NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" after 2>&1)
check "once its connections closed, $APP's share is free again" grep -q "ecall_hello returned" <<<"$out"
[ $fails -ne 0 ] && cat "$work/quota.out"

echo "== denial of service: enclave threads per user (a monitor with --max-threads 1)"
# Every TCS an enclave host serves is a thread of nsgx-monitor's uid; a user
# with enclaves of thousands of TCSs must not exhaust the machine's tasks.
check "the system monitor stops cleanly" stop_monitor
start_monitor --max-threads 1 || bad "system monitor restart with --max-threads 1"
hold thr "$monpid" -- runuser -u $APP -- env -i HOME="$work/home-$APP" PATH=/usr/bin:/bin \
  NSGX_MONITOR_SOCKET="$sock" stdbuf -oL "$hello" "$hello_enc" held
check "$APP's first enclave runs on its user's one thread" [ -n "$(held thr host)" ]
out=$(as $APP NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" second 2>&1)
check "$APP's second enclave is refused (SGX_ERROR_OUT_OF_MEMORY): its user has no thread left" \
  grep -q "sgx_create_enclave: 0x0003" <<<"$out"
out=$(as $PEER NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" peer 2>&1)
check "$PEER's enclave runs meanwhile" grep -q "ecall_hello returned" <<<"$out"
release thr
held_exit=$?
check "$APP's first application finished (exit $held_exit)" [ "$held_exit" == 0 ]
out=$(as $APP NSGX_MONITOR_SOCKET="$sock" NSGX_REQUIRE_SYSTEM_MONITOR=1 "$hello" "$hello_enc" again 2>&1)
check "its thread is $APP's again once that enclave is gone" grep -q "ecall_hello returned" <<<"$out"

check "the system monitor stops cleanly" stop_monitor
if [ $fails -ne 0 ]; then
  echo "--- monitor log"
  cat "$work/monitor.log"
  echo "$fails check(s) failed"
  exit 1
fi
echo "all checks passed"
