# Sourced (after tests/lib/attack_users.sh) by the tests that attack
# enclaves served by a system monitor (tests/trust_boundary_test.sh,
# libos/tests/unpriv_test.sh): one way to make its accounts, install its
# binaries as root would and start it as docs/isolated.md documents for a
# machine without systemd (`nsgx-monitor --system` as root), with a socket
# and state directory of the test's own so that a real one is never touched.
#
#   sysmon_setup WORKDIR BUILD_DIR   accounts (or skip), binaries in WORKDIR/bin
#   start_monitor [OPTION...]        sets $monpid; $sock, $state are its paths
#   stop_monitor                     its exit status
#   sysmon_cleanup                   the test's cleanup: the monitor, the users, its accounts
#   as USER COMMAND...               a clean login-less environment of that user
#
# The monitor is started in a hostile environment it must ignore
# (NSGX_STATE_DIR, NSGX_ENCLAVE_HOST pointing into WORKDIR/evil, whose host
# leaves WORKDIR/evil/host-ran if it ever runs).

monpid=
sysmon_work=
sysmon_made_user=
sysmon_made_group=

sysmon_setup() {  # sysmon_setup WORKDIR BUILD_DIR
  sysmon_work=$1
  local build=$2
  getent passwd nsgx-monitor >/dev/null || sysmon_made_user=1
  getent group nsgx >/dev/null || sysmon_made_group=1
  "$SRC/scripts/install-service" --accounts-only || skip "cannot create the nsgx-monitor user and nsgx group"
  # The binaries as an installation has them: owned by root, in root's directories.
  install -d -m 0755 "$sysmon_work/bin" "$sysmon_work/evil"
  install -m 0755 "$build/runtime/isolated/nsgx-monitor" "$build/runtime/isolated/nsgx-enclave-host" "$sysmon_work/bin/"
  printf '#!/bin/sh\ntouch %s/evil/host-ran\n' "$sysmon_work" >"$sysmon_work/evil/host"
  chmod 0755 "$sysmon_work/evil/host"
  state=$sysmon_work/state
  sock=$sysmon_work/run/monitor.sock
}

start_monitor() {  # start_monitor [OPTION...]
  env NSGX_STATE_DIR="$sysmon_work/evil/state" NSGX_ENCLAVE_HOST="$sysmon_work/evil/host" NSGX_EPC_SIZE=64K \
    "$sysmon_work/bin/nsgx-monitor" --system --socket "$sock" --state-dir "$state" "$@" \
    >>"$sysmon_work/monitor.log" 2>&1 &
  monpid=$!
  for _ in $(seq 100); do
    [ -S "$sock" ] && return 0
    sleep 0.05
  done
  cat "$sysmon_work/monitor.log"
  return 1
}

stop_monitor() {
  kill -TERM "$monpid"
  wait "$monpid"
  local rc=$?
  monpid=
  return $rc
}

as() {  # as USER COMMAND...
  local u=$1
  shift
  runuser -u "$u" -- env -i HOME="$sysmon_work/home-$u" PATH=/usr/bin:/bin "$@"
}

sysmon_cleanup() {
  [ -n "$monpid" ] && kill -TERM "$monpid" 2>/dev/null && wait "$monpid" 2>/dev/null
  monpid=
  attack_delete_users
  # userdel refuses while a process of the user lives, and the enclave hosts
  # outlive the monitor's TERM by a moment; the user is ours alone (made
  # above), so its processes are too. A user left behind would make the
  # package's CI stage see someone else's accounts.
  if [ -n "$sysmon_made_user" ]; then
    pkill -KILL -u nsgx-monitor 2>/dev/null
    for _ in $(seq 50); do userdel nsgx-monitor >/dev/null 2>&1 && break; sleep 0.1; done
    getent passwd nsgx-monitor >/dev/null && echo "could not delete user nsgx-monitor" >&2
    getent group nsgx-monitor >/dev/null && groupdel nsgx-monitor >/dev/null 2>&1
  fi
  [ -n "$sysmon_made_group" ] && groupdel nsgx >/dev/null 2>&1
}
