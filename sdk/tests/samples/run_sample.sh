#!/usr/bin/env bash
# Runs one SDK sample application as its README says: in a directory that
# holds its enclave files under the names the application opens, with a
# character on stdin for its "Enter a character before exit" prompt.
# Passes when it exits 0, prints every --expect line and no --reject line.
#   run_sample.sh [--exec NSGX] [--timeout SECONDS] --app APP --enclaves NAME=FILE... --expect TEXT...
#                 [--reject TEXT...] [-- ARGS]
set -euo pipefail
exec_with='' app='' enclaves=() expect=() reject=() args=() limit=240
while [ $# -gt 0 ]; do
  case "$1" in
    --exec) exec_with=$2; shift 2 ;;
    --app) app=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --enclaves) shift; while [ $# -gt 0 ] && [[ "$1" != --* ]]; do enclaves+=("$1"); shift; done ;;
    --expect) shift; while [ $# -gt 0 ] && [[ "$1" != --* ]]; do expect+=("$1"); shift; done ;;
    --reject) shift; while [ $# -gt 0 ] && [[ "$1" != --* ]]; do reject+=("$1"); shift; done ;;
    --) shift; args=("$@"); break ;;
    *) echo "run_sample.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for e in "${enclaves[@]}"; do ln -s "${e#*=}" "$dir/${e%%=*}"; done
cd "$dir"
cmd=("$app" "${args[@]}")
[ -n "$exec_with" ] && cmd=("$exec_with" exec -- "${cmd[@]}")
set +e
out=$(printf 'q\n' | timeout "$limit" "${cmd[@]}" 2>&1)
rc=$?
set -e
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then echo "run_sample.sh: exit status $rc" >&2; exit 1; fi
for line in "${expect[@]}"; do
  if ! grep -qF -- "$line" <<<"$out"; then echo "run_sample.sh: missing: $line" >&2; exit 1; fi
done
for line in "${reject[@]}"; do
  if grep -qF -- "$line" <<<"$out"; then echo "run_sample.sh: printed: $line" >&2; exit 1; fi
done
