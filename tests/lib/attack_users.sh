# Sourced by the tests that attack a boundary as unprivileged users they
# create (tests/trust_boundary_test.sh, tests/debugger/boundary_test.sh): the
# one way they skip, count results and make and remove their users, so that
# a skip is always loud and a user never outlives its test.
#
#   ATTACK_WHAT="the trust boundary"; source tests/lib/attack_users.sh
#   attack_require "two users" useradd userdel runuser   # root and the tools, or skip
#   attack_make_users WORKDIR NAME...                    # fresh users, homes in WORKDIR
#   check WHAT COMMAND...                                # ok/FAIL line, counted in $fails
#   attack_delete_users                                  # in the test's cleanup

fails=0
attack_users=()

# Exit 77 (ctest: skipped) with a banner no one can miss: what was not tested.
skip() {
  echo "**************************************************************" >&2
  echo "SKIPPED: $* — ${ATTACK_WHAT:-this boundary} was NOT tested" >&2
  echo "**************************************************************" >&2
  exit 77
}

ok() { echo "ok   $*"; }
bad() {
  echo "FAIL $*"
  fails=$((fails + 1))
}
check() {  # check WHAT COMMAND...: the command must succeed
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

attack_require() {  # attack_require WHY TOOL...
  local why=$1 c
  shift
  [ "$(id -u)" -eq 0 ] || skip "needs root (to create $why)"
  for c in "$@"; do command -v "$c" >/dev/null || skip "no $c on this machine"; done
}

# A leftover of an interrupted earlier run is deleted first: each user must
# start with nothing of its own.
attack_make_users() {  # attack_make_users WORKDIR NAME...
  local work=$1 u
  shift
  for u in "$@"; do
    userdel -r "$u" >/dev/null 2>&1
    attack_users+=("$u")
    useradd --create-home --home-dir "$work/home-$u" --shell /bin/sh "$u" || skip "useradd $u failed"
  done
}

# userdel refuses while a process of the user lives; every process of these
# users is the test's own, so none may keep the user alive.
attack_delete_users() {
  local u
  for u in "${attack_users[@]}"; do
    pkill -KILL -u "$u" 2>/dev/null
    for _ in $(seq 50); do userdel -r "$u" >/dev/null 2>&1 && break; sleep 0.1; done
    getent passwd "$u" >/dev/null && echo "could not delete user $u" >&2
  done
}
