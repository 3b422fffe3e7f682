#!/bin/bash
# Load-time system-call rewriting (docs/libos.md), on the backend
# NSGX_BACKEND names:
#   libos_rewrite_test.sh NSGX REWRITE HELLO_DYN SCAN WORKDIR
# 1. rewrite.c's hand-written sites keep SYSCALL's register contract, and a
#    jump straight to a rewritten site's `syscall` still works: the same
#    output as natively, with rewriting on and off;
# 2. with it on, calls go through stubs (the library OS's --trace counts),
#    with it off none do and every call traps;
# 3. a dynamically linked program: ld.so's and libc's sites (mapped by
#    ld.so through mmap) are rewritten too;
# 2b. after a system call that made an OCALL (every write here), the
#    program's FS is still in effect on isolated (an OCALL's return keeps
#    it) and comes back through the backend's FS gate on inproc, never the
#    #UD stub's exception round trip; with the exit gate offered without
#    its FS gate (NSGX_EXIT_GATE=no-fs-gate) kept on isolated and through
#    the stub on inproc, and with no gate (=off) through the stub on both;
#    the same output each time;
# 3b. switchless OCALLs (`nsgx run --switchless 1`): the program's clock
#    reads are served by the untrusted worker (a long fallback wait, so
#    that a worker the scheduler runs at all takes them), and every one is
#    counted as processed or missed;
# 3c. the enclave's clock: REALTIME and MONOTONIC read for 2.5 s are
#    right (below), from the TSC by default and from the host with
#    NSGX_LIBOS_CLOCK=host;
# 4. every site the rewriter finds in Debian's libc.so.6 and ld.so is
#    `mov $nr,%eax` or `xor %eax,%eax` (its trampoline a NOP) in objdump's
#    walk too, and the counts it finds there.
set -u
NSGX=$1 REWRITE=$2 HELLO_DYN=$3 SCAN=$4 W=$5
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"

cp "$REWRITE" "$W/rewrite"
"$W/rewrite" > "$W/native.out" 2>&1 < /dev/null || fail "natively: $(cat "$W/native.out")"
# "rewriting on: S sites rewritten (L left), C system calls through stubs, T trapped"
# "the program's FS after OCALLs: G through the FS gate, S through the #UD stub"
fs_counts() { sed -n "s/.*the program's FS after OCALLs: \([0-9]*\) through the FS gate, \([0-9]*\) through the #UD stub/\1 \2/p" "$1"; }
counts() { sed -n 's/.*syscall rewriting \(o[nf]*\): \([0-9]*\) sites rewritten ([0-9]* left), \([0-9]*\) system calls through stubs, \([0-9]*\) trapped/\1 \2 \3 \4/p' "$1"; }
for mode in true false; do
  cat > "$W/rewrite-$mode.toml" <<TOML
libos.entrypoint = "$W/rewrite"
libos.syscall_rewrite = $mode
sgx.trusted_files = [ { uri = "file:$W/rewrite" } ]
TOML
  "$NSGX" libos build --manifest "$W/rewrite-$mode.toml" --out "$W/enclave-$mode" > "$W/build-$mode.out" 2>&1 \
    || { cat "$W/build-$mode.out"; fail "nsgx libos build ($mode)"; continue; }
  "$NSGX" run --trace --enclave "$W/enclave-$mode" -- "$W/rewrite" > "$W/inside-$mode.out" 2> "$W/inside-$mode.err" < /dev/null
  st=$?
  [ "$st" = 0 ] || { cat "$W/inside-$mode.err"; fail "rewrite ($mode): exit status $st"; }
  cmp "$W/native.out" "$W/inside-$mode.out" || { diff "$W/native.out" "$W/inside-$mode.out"; fail "rewrite ($mode): output differs"; }
  read -r state sites stubs trapped <<< "$(counts "$W/inside-$mode.err")"
  echo "rewriting $mode: $state, $sites sites, $stubs calls through stubs, $trapped trapped"
  if [ "$mode" = true ]; then
    [ "${state:-}" = on ] && [ "${sites:-0}" -ge 50 ] && [ "${stubs:-0}" -ge 10 ] \
      || fail "rewriting on: no calls through stubs ($(cat "$W/inside-$mode.err"))"
    # The jump straight to the syscall is one that still traps; the xor
    # site's 64 reads go through its stub (its trampoline in the padding).
    [ "${trapped:-0}" -ge 1 ] || fail "rewriting on: the direct jump did not trap"
    [ "${trapped:-99}" -lt 32 ] || fail "rewriting on: $trapped calls trapped (the xor site's reads did not take a stub)"
    on_trapped=${trapped:-0}
    read -r gate stub <<< "$(fs_counts "$W/inside-$mode.err")"
    echo "FS after OCALLs: $gate through the FS gate, $stub through the stub"
    if [ "${NSGX_BACKEND:-isolated}" = isolated ]; then
      # An OCALL's return keeps the program's FS (runtime/common/exit_gate.h).
      [ "${gate:-1}" = 0 ] && [ "${stub:-1}" = 0 ] \
        || fail "the program's FS was not kept across OCALLs ($(cat "$W/inside-$mode.err"))"
    else
      [ "${gate:-0}" -ge 10 ] && [ "${stub:-1}" = 0 ] \
        || fail "the program's FS did not come back through the FS gate ($(cat "$W/inside-$mode.err"))"
    fi
    # Without the FS gate (the exit gate alone): kept all the same on
    # isolated (the exits still take the exit gate), through the #UD stub
    # on inproc; with no gate at all (every exit traps, as on SGX
    # hardware) through the stub on both.
    for gm in no-fs-gate off; do
      NSGX_EXIT_GATE=$gm "$NSGX" run --trace --enclave "$W/enclave-$mode" -- "$W/rewrite" > "$W/$gm.out" 2> "$W/$gm.err" < /dev/null
      st=$?
      [ "$st" = 0 ] || { cat "$W/$gm.err"; fail "rewrite (NSGX_EXIT_GATE=$gm): exit status $st"; }
      cmp "$W/native.out" "$W/$gm.out" || { diff "$W/native.out" "$W/$gm.out"; fail "rewrite (NSGX_EXIT_GATE=$gm): output differs"; }
      read -r gate stub <<< "$(fs_counts "$W/$gm.err")"
      echo "NSGX_EXIT_GATE=$gm: $gate through the FS gate, $stub through the stub"
      if [ "$gm" = no-fs-gate ] && [ "${NSGX_BACKEND:-isolated}" = isolated ]; then
        [ "${gate:-1}" = 0 ] && [ "${stub:-1}" = 0 ] \
          || fail "NSGX_EXIT_GATE=$gm: the program's FS was not kept ($(cat "$W/$gm.err"))"
      else
        [ "${gate:-1}" = 0 ] && [ "${stub:-0}" -ge 10 ] \
          || fail "NSGX_EXIT_GATE=$gm: the FS did not come back through the stub ($(cat "$W/$gm.err"))"
      fi
    done
  else
    [ "${state:-}" = off ] && [ "${sites:-1}" = 0 ] && [ "${stubs:-1}" = 0 ] \
      || fail "rewriting off: sites rewritten anyway ($(cat "$W/inside-$mode.err"))"
    [ "${trapped:-0}" -gt "${on_trapped:-0}" ] || fail "rewriting off: no more traps than on"
  fi
done

# 3. ld.so and libc through mmap (`nsgx libos build` adds them as trusted files).
cp "$HELLO_DYN" "$W/hello_dyn"
interp=$(readlink -f /lib64/ld-linux-x86-64.so.2) libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
cat > "$W/dyn.toml" <<TOML
libos.entrypoint = "$W/hello_dyn"
sgx.trusted_files = [ { uri = "file:$W/hello_dyn" } ]
TOML
"$NSGX" libos build --manifest "$W/dyn.toml" --out "$W/enclave-dyn" > "$W/build-dyn.out" 2>&1 \
  || { cat "$W/build-dyn.out"; fail "nsgx libos build (dyn)"; }
"$W/hello_dyn" basic > "$W/dyn-native.out" 2>/dev/null
"$NSGX" run --trace --enclave "$W/enclave-dyn" -- "$W/hello_dyn" basic > "$W/dyn-inside.out" 2> "$W/dyn-inside.err" < /dev/null
cmp "$W/dyn-native.out" "$W/dyn-inside.out" || { diff "$W/dyn-native.out" "$W/dyn-inside.out"; fail "dyn: output differs"; }
read -r state sites stubs trapped <<< "$(counts "$W/dyn-inside.err")"
echo "dynamic: $sites sites, $stubs calls through stubs, $trapped trapped"
# libc.so.6 alone has over 400 sites; the program itself none.
[ "${sites:-0}" -ge 400 ] && [ "${stubs:-0}" -ge 5 ] || fail "dyn: libc's sites not rewritten ($(cat "$W/dyn-inside.err"))"

# 3b. Switchless OCALLs: `cost 300` makes 300 clock_gettime OCALLs (and
# prints through stdout, which never goes switchless) — with the host's
# clock: the enclave's own (3c) answers from the TSC once its rate is
# measured, sooner or later by the machine's load.
NSGX_LIBOS_CLOCK=host NSGX_LIBOS_SWITCHLESS_FALLBACK=5000000 "$NSGX" run --trace --switchless 1 --enclave "$W/enclave-dyn" -- "$W/hello_dyn" cost 300 \
  > "$W/sl.out" 2> "$W/sl.err" < /dev/null
st=$?
[ "$st" = 0 ] && grep -q "clock_gettime: median" "$W/sl.out" || { cat "$W/sl.err"; fail "switchless: exit status $st"; }
read -r processed missed <<< "$(sed -n 's/.*switchless OCALLs: \([0-9]*\) processed by 1 workers, \([0-9]*\) missed/\1 \2/p' "$W/sl.err")"
echo "switchless: ${processed:-?} processed, ${missed:-?} missed"
[ "${processed:-0}" -ge 1 ] && [ $((${processed:-0} + ${missed:-0})) -ge 300 ] \
  || fail "switchless: the worker served nothing, or calls went uncounted ($(cat "$W/sl.err"))"

# 3c. The enclave's clock (libos/enclave/tsc_clock.h): `clock 2500` reads
# MONOTONIC and REALTIME for 2.5 s (a rate, then two resynchronisations):
# MONOTONIC never goes back, REALTIME and MONOTONIC advance alike within
# 2 ms, and REALTIME lies between `date`'s readings before and after the
# run — answered mostly from the TSC by default, all from the host with
# NSGX_LIBOS_CLOCK=host (and as the default where the kernel promises no
# invariant TSC); any other value is refused.
for clk in tsc host; do
  before=$(date +%s%N)
  NSGX_LIBOS_CLOCK=$clk "$NSGX" run --trace --enclave "$W/enclave-dyn" -- "$W/hello_dyn" clock 2500 \
    > "$W/clock-$clk.out" 2> "$W/clock-$clk.err" < /dev/null
  st=$?
  after=$(date +%s%N)
  [ "$st" = 0 ] || { cat "$W/clock-$clk.out" "$W/clock-$clk.err"; fail "clock ($clk): exit status $st"; continue; }
  read -r first last <<< "$(sed -n 's/^clock: realtime \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$W/clock-$clk.out")"
  apart=$(sed -n 's/.*at most \([0-9]*\) us apart$/\1/p' "$W/clock-$clk.out")
  line=$(grep "clock readings:" "$W/clock-$clk.err")
  echo "clock ($clk): $(head -1 "$W/clock-$clk.out"); ${line#nsgx libos: }"
  [ -n "$first" ] && [ "$before" -le "$first" ] && [ "$first" -le "$last" ] && [ "$last" -le "$after" ] \
    || fail "clock ($clk): REALTIME $first..$last not within date's $before..$after"
  [ -n "$apart" ] && [ "$apart" -le 2000 ] || fail "clock ($clk): REALTIME and MONOTONIC ${apart:-?} us apart"
  tsc=$(sed -n 's/.*clock readings: \([0-9]*\) from the TSC.*/\1/p' "$W/clock-$clk.err")
  if [ "$clk" = tsc ] && grep -qw constant_tsc /proc/cpuinfo && grep -qw nonstop_tsc /proc/cpuinfo; then
    [ "${tsc:-0}" -ge 1000 ] || fail "clock (tsc): the TSC answered ${tsc:-no} readings ($line)"
  else
    grep -q "clock readings: all from the host" "$W/clock-$clk.err" || fail "clock ($clk): not all from the host ($line)"
  fi
done
NSGX_LIBOS_CLOCK=rdtsc "$NSGX" run --enclave "$W/enclave-dyn" -- "$W/hello_dyn" clock 10 > /dev/null 2> "$W/clock-bad.err" < /dev/null
st=$?
[ "$st" = 126 ] && grep -q "NSGX_LIBOS_CLOCK must be tsc or host" "$W/clock-bad.err" \
  || fail "NSGX_LIBOS_CLOCK=rdtsc: exit status $st ($(cat "$W/clock-bad.err"))"

# 4. Every site the rewriter takes is, in objdump's own walk of the file,
# an instruction `mov $nr,%eax` with the same number, or `xor %eax,%eax`
# whose trampoline objdump decodes as a NOP; libc's read (number 0) is
# loaded with xor and must be among them.
for lib in "$libc" "$interp"; do
  "$SCAN" "$lib" > "$W/scan.txt" || { fail "scan $lib"; continue; }
  head -1 "$W/scan.txt"
  objdump -d --insn-width=16 "$lib" | sed -n 's/^ *\([0-9a-f]*\):\t[0-9a-f ]*\t\(.*\)/\1 \2/p' > "$W/objdump.txt"
  tail -n +2 "$W/scan.txt" | awk '$3 == "mov" { printf "%s mov    $0x%s,%%eax\n", $1, $2 }
                                 $3 == "xor" { printf "%s xor    %%eax,%%eax\n", $1 }' | sort > "$W/ours.txt"
  # A trampoline's five bytes lie in NOPs of objdump's walk (one NOP may
  # hold two trampolines: the second starts inside it).
  objdump -d "$lib" | python3 -c '
import re, sys
nops = []  # [start, end) of each NOP objdump decodes
for line in sys.stdin:
    m = re.match(r"\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t(.*)", line)
    if m:
        start, n = int(m.group(1), 16), len(m.group(2).split())
        if re.match(r"(cs |data16 )*(nop|xchg   %ax,%ax)", m.group(3)):
            if nops and nops[-1][1] == start: nops[-1][1] = start + n
            else: nops.append([start, start + n])
    elif nops and re.match(r"\s*[0-9a-f]+:\t(?:[0-9a-f]{2} )+\s*$", line):  # a long NOP continued
        nops[-1][1] += len(line.split(":")[1].split())
for t in open(sys.argv[1]).read().split():
    t = int(t, 16)
    if not any(a <= t and t + 5 <= b for a, b in nops): print(hex(t))
' <(tail -n +2 "$W/scan.txt" | awk '$3 == "xor" { print $4 }') > "$W/bad-tramp.txt"
  [ -s "$W/bad-tramp.txt" ] && fail "$lib: trampolines objdump does not decode as a NOP: $(head -3 "$W/bad-tramp.txt" | tr '\n' ' ')"
  [ "$lib" = "$libc" ] && { [ "$(grep -c ' xor ' "$W/scan.txt")" -ge 2 ] || fail "$lib: read's xor sites not found"; }
  sort "$W/objdump.txt" > "$W/objdump.sorted"
  n=$(wc -l < "$W/ours.txt")
  missing=$(comm -23 "$W/ours.txt" "$W/objdump.sorted" | wc -l)
  [ "$n" -ge 30 ] || fail "$lib: only $n sites"
  [ "$missing" = 0 ] || { comm -23 "$W/ours.txt" "$W/objdump.sorted" | head -5; fail "$lib: $missing sites objdump does not decode as their mov or xor"; }
done

finish "system-call rewriting"
