#!/bin/bash
# First touches of zero-filled memory (docs/libos.md, "Zero-fill on
# demand"): libos_touch writes one byte a page of 8 MiB of fresh malloc'd
# memory — upward, downward, both halves in turn (two streams), every 2nd,
# 3rd and 64th page — and reads the pages back; inside, the output (what
# was written, and that every untouched page reads zero) must be the
# native one on the backend NSGX_BACKEND names. The library OS's counts
# (`nsgx run --trace`: first touches served, pages they accepted) show its
# fault-around: a program touching page after page, in one stream or two,
# gets at least 4 pages a fault (1 without it), one touching sparsely
# exactly the pages it touches (-n: the pages it skips are never read).
#   touch_test.sh NSGX TOUCH WORKDIR
set -u
NSGX=$1 TOUCH=$2 W=$3
. "$(dirname "$0")/test_lib.sh"
rm -rf "$W"; mkdir -p "$W"
cp "$TOUCH" "$W/touch"
cat > "$W/touch.toml" <<TOML
libos.entrypoint = "$W/touch"
sgx.enclave_size = "256M"
sgx.trusted_files = [ { uri = "file:$W/touch" } ]
TOML
"$NSGX" libos build --manifest "$W/touch.toml" --out "$W/enclave" > "$W/build.log" 2>&1 || { cat "$W/build.log"; fail "nsgx libos build"; finish touch; }
# counts FILE: "FAULTS PAGES" from the --trace report
counts() { sed -n 's/^nsgx libos: zero-fill on demand: \([0-9]*\) first touches, \([0-9]*\) pages accepted$/\1 \2/p' "$1"; }
n=0
# ARGS | what the counts must show: seq (>= 4 pages a fault), sparse (one page a fault)
while read -r kind args; do
  n=$((n + 1))
  "$W/touch" $args > "$W/native.$n" 2>&1; native=$?
  timeout 120 "$NSGX" run --trace --enclave "$W/enclave" -- "$W/touch" $args > "$W/inside.$n" 2> "$W/inside.err.$n"; inside=$?
  check_status "touch $args natively" "$native" 0
  check_status "touch $args inside" "$inside" 0
  [ "$inside" = 0 ] || cat "$W/inside.err.$n"
  cmp -s "$W/native.$n" "$W/inside.$n" || { diff "$W/native.$n" "$W/inside.$n"; fail "touch $args: the output differs"; }
  read -r faults pages <<< "$(counts "$W/inside.err.$n")"
  echo "touch $args: ${faults:-?} first touches, ${pages:-?} pages accepted ($kind)"
  [ -n "${faults:-}" ] && [ "$faults" -gt 0 ] || { fail "touch $args: no zero-fill counts"; continue; }
  case $kind in
    seq) [ $((faults * 4)) -le "$pages" ] || fail "touch $args: $faults faults for $pages pages: no fault-around" ;;
    sparse) [ "$faults" = "$pages" ] || fail "touch $args: a sparse toucher got $pages pages for $faults faults" ;;
  esac
done <<'ARGS'
seq 8
seq 8 1 down
seq -2 8
any 8 3
sparse -n 8 2
sparse -n 8 3 down
sparse -n 8 64
ARGS
finish touch
