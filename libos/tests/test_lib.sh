# Sourced by the library OS test scripts (libos/tests/*_test.sh): failure
# counting and the one ending they all share. Each script keeps its own
# checks; this is only the scaffolding around them.

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check_status() { [ "$2" = "$3" ] || fail "$1: exit status $2, expected $3"; }  # WHAT ACTUAL EXPECTED

# finish WHAT: the summary line, and the exit status ctest reads.
finish() {
  if [ "$failures" != 0 ]; then
    echo "$1: $failures failure(s) (${NSGX_BACKEND:-isolated})"
    exit 1
  fi
  echo "$1: all passed (${NSGX_BACKEND:-isolated})"
  exit 0
}
