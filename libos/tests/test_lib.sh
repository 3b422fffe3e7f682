# Sourced by the library OS test scripts (libos/tests/*_test.sh): failure
# counting and the one ending they all share. Each script keeps its own
# checks; this is only the scaffolding around them.

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check_status() { [ "$2" = "$3" ] || fail "$1: exit status $2, expected $3"; }  # WHAT ACTUAL EXPECTED

# guard PID SECONDS: PID is killed (SIGKILL) after SECONDS unless
# `unguard` comes first. The sleep holds none of the test's output: ctest
# waits until every holder of it has closed it, so a guard's orphaned
# sleep holding it once added its whole time to every run.
guard() { ( exec > /dev/null 2>&1 < /dev/null; sleep "$2"; kill -KILL "$1" 2> /dev/null ) & GUARD=$!; }
unguard() { kill "$GUARD" 2> /dev/null; wait "$GUARD" 2> /dev/null; }

# finish WHAT: the summary line, and the exit status ctest reads.
finish() {
  if [ "$failures" != 0 ]; then
    echo "$1: $failures failure(s) (${NSGX_BACKEND:-isolated})"
    exit 1
  fi
  echo "$1: all passed (${NSGX_BACKEND:-isolated})"
  exit 0
}
