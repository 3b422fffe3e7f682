#!/usr/bin/env bash
# `nsgx gdb` in batch mode on the debugger test's application (issue 17):
# a breakpoint in an ECALL function fires, the backtrace shows the enclave
# frame with its source line and crosses the ECALL into the application's
# frames (the proxy that made it, main), `next` steps, a local prints its value and
# the program finishes; a page fault inside the enclave stops at its line
# and the crash is described with the RIP relative to the enclave base; a
# non-debug enclave gets no symbols, so its breakpoint never fires; on the
# isolated backend (--isolated) the debug enclave's host is attached as a
# second inferior (breakpoint, bt, locals, nsgx-bt into the application)
# and a non-debug enclave is announced as out of reach; sgx-gdb,
# the SDK's command, runs nsgx gdb from the prefix's bin/.
#
# The same enclave laid out with its user region first (REGION_FIRST:
# its symbols sit the region's size above ELRANGE's base) stops at the
# same breakpoint with the same backtrace, on both backends.
#
#   gdb_test.sh NSGX GDB APP ENCLAVE SGX_GDB REGION_FIRST
set -uo pipefail
nsgx=$1 gdb=$2 app=$3 enclave=$4 sgx_gdb=$5 region_first=$6
fail=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
has() { grep -qE -- "$1" <<<"$out"; }

echo "== a breakpoint in an ECALL function, bt, next, locals, continue"
out=$("$nsgx" gdb --gdb "$gdb" -batch -ex 'break debug_enclave.c:ecall_compute' -ex run -ex bt -ex next \
  -ex 'info locals' -ex 'print doubled' -ex continue -- "$app" "$enclave" compute 2>&1)
echo "$out"
check "the enclave was announced and its symbols loaded" has "nsgx: debug enclave .*debugger_enclave.signed.so loaded at 0x"
check "the breakpoint fired in the enclave, at its first line" \
  has "^Breakpoint 1, ecall_compute \(seed=21\) at .*debug_enclave.c:10"
check "bt: frame #0 is the enclave function with its source file:line" \
  has "^#0  ecall_compute \(seed=21\) at .*debug_enclave.c:10"
check "bt: the ECALL's trusted bridge is the caller" has "^#1  .* in sgx_ecall_compute .*|^#1  sgx_ecall_compute"
# The application's frames follow the enclave's entry, in order (the
# extension's ECALL unwinder; without it bt ends in garbage after enclave_entry).
bt=$(sed -n '/^#0  ecall_compute/,/^[^#]/p' <<<"$out")
check "bt: after enclave_entry, the untrusted proxy ecall_compute (Enclave_u.c) and then main" \
  grep -qzE "#[0-9]+ +0x[0-9a-f]+ in enclave_entry [^#]*(#[0-9]+ [^#]*)*#[0-9]+ +0x[0-9a-f]+ in ecall_compute \(eid=[^#]*Enclave_u\.c:[0-9]+[^#]*#[0-9]+ +0x[0-9a-f]+ in main \(" <<<"$bt"
check "next: stopped at the following line" has "^11[[:space:]]+int squared = square\(doubled\);"
check "info locals: doubled = 42" has "^doubled = 42$"
check "print doubled: 42" has '^\$1 = 42$'
check "the program finished normally" has "result 1765" && check "exit 0" has "exited normally"
check "the symbols were removed when the enclave was destroyed" has "nsgx: debug enclave .* unloaded, symbols removed"

echo "== a page fault inside the enclave"
out=$("$nsgx" gdb --gdb "$gdb" -batch -ex run -ex bt -ex continue -ex continue -- "$app" "$enclave" crash 2>&1)
echo "$out"
check "gdb stopped at the faulting line" has "SIGSEGV"
check "... in the enclave function" has "ecall_crash \(address=0\) at .*debug_enclave.c:18"
check "the crash is described: #PF, address 0, rip relative to the base, source line" \
  has "nsgx: debug enclave .* crashed: #PF \(vector 14\), error code 0x[0-9a-f]+, address 0x0, rip = base \+ 0x[0-9a-f]+ \(0x[0-9a-f]+\) in ecall_crash at .*debug_enclave.c:18"
check "the runtime's NSGX_DEBUG line too" has "nsgx: enclave at 0x[0-9a-f]+ crashed: #PF \(vector 14\)"
check "the application saw SGX_ERROR_ENCLAVE_CRASHED and exited 1" has "ecall: 0x1006" && check "exit 1" has "exited with code 01"

echo "== a non-debug enclave"
out=$("$nsgx" gdb --gdb "$gdb" -batch -ex 'break debug_enclave.c:ecall_compute' -ex run -- "$app" "$enclave" \
  compute nodebug 2>&1)
echo "$out"
check "it is announced as not a debug enclave" has "is not a debug enclave: no symbols loaded"
check "the breakpoint never fired" bash -c '! grep -q "^Breakpoint 1, " <<<"$0"' "$out"
check "the program finished normally" has "result 1765"

echo "== the isolated backend: nsgx gdb --isolated attaches the debug enclave's host"
out=$("$nsgx" gdb --gdb "$gdb" --isolated -batch -ex 'break debug_enclave.c:ecall_compute' -ex run -ex continue \
  -ex bt -ex next -ex 'print doubled' -ex nsgx-bt -ex continue -- "$app" "$enclave" compute 2>&1)
echo "$out"
check "the host was attached as a second inferior, with the enclave's symbols" \
  has "nsgx: debug enclave .*debugger_enclave.signed.so at 0x[0-9a-f]+ runs in enclave host [0-9]+: attached as inferior 2"
check "the breakpoint fired in the enclave host's thread" \
  has "^Thread 2\.[0-9]+ .* hit Breakpoint 1, ecall_compute \(seed=21\) at .*debug_enclave.c:10"
check "bt: the enclave function, then the trusted bridge" has "^#1  .* in sgx_ecall_compute "
check "bt: it ends at enclave_entry (the caller is another process)" \
  has "^#[0-9]+ +0x0+ in \?\? \(\)$"
check "print doubled after next: 42" has '^\$1 = 42$'
check "nsgx-bt: the application thread that made the ECALL, down to main" \
  grep -qzE "in enclave_entry [^#]*(#[0-9]+ [^#]*)*--- the ECALL, in the application: thread 1\.1 \(inferior 1\)[^#]*(#[0-9]+ [^#]*)*in ecall_compute \(eid=[^#]*Enclave_u\.c[^#]*#[0-9]+ +0x[0-9a-f]+ in main \(" \
  <<<"$out"
check "the host was detached before the enclave went" has "nsgx: debug enclave .* unloaded, its enclave host [0-9]+ detached"
check "the program finished normally" has "result 1765" && check "exit 0" has "exited normally"

echo "== the user region first: the symbols above it, on both backends"
for backend in "" --isolated; do
  # On isolated the session stops once when the enclave host is attached.
  attached=()
  [ -n "$backend" ] && attached=(-ex continue)
  out=$("$nsgx" gdb --gdb "$gdb" $backend -batch -ex 'break debug_enclave.c:ecall_compute' -ex run "${attached[@]}" \
    -ex bt -ex continue -- "$app" "$region_first" compute 2>&1)
  echo "$out"
  check "${backend:-inproc}: the breakpoint fired in the enclave, at its first line" \
    has "Breakpoint 1, ecall_compute \(seed=21\) at .*debug_enclave.c:10"
  check "${backend:-inproc}: bt reaches the enclave's entry" has "in enclave_entry "
  check "${backend:-inproc}: the program finished normally" has "result 1765"
done

echo "== the isolated backend: a non-debug enclave is never reached"
out=$("$nsgx" gdb --gdb "$gdb" --isolated -batch -ex 'break debug_enclave.c:ecall_compute' -ex run \
  -- "$app" "$enclave" compute nodebug 2>&1)
echo "$out"
check "it is announced as out of any debugger's reach" \
  has "runs in an isolated enclave host and is not a debug enclave: no debugger may reach it"
check "no second inferior, the breakpoint never fired" \
  bash -c '! grep -qE "^Breakpoint 1, |hit Breakpoint 1|attached as inferior" <<<"$0"' "$out"
check "the program finished normally" has "result 1765"

echo "== sgx-gdb (as installed: beside nsgx in bin/), the SDK's form --args APP ARGS"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp "$sgx_gdb" "$bin/sgx-gdb"
ln -s "$(readlink -f "$nsgx")" "$bin/nsgx"
out=$(PATH="$(dirname "$gdb"):$PATH" "$bin/sgx-gdb" -batch -ex 'break debug_enclave.c:ecall_compute' -ex run -ex bt \
  -ex continue --args "$app" "$enclave" compute 2>&1)
echo "$out"
check "sgx-gdb: the breakpoint fired in the enclave" has "^Breakpoint 1, ecall_compute \(seed=21\) at .*debug_enclave.c:10"
check "sgx-gdb: the backtrace reaches main" has "^#[0-9]+ +0x[0-9a-f]+ in main \("
check "sgx-gdb: the program finished normally" has "result 1765"
out=$("$bin/sgx-gdb" -batch "$app" core 2>&1)
check "sgx-gdb APP COREFILE: exit 2" [ $? == 2 ]
check "... saying how instead" has "use --args APP ARGS"

echo "== bad use"
out=$("$nsgx" gdb --gdb "$gdb" 2>&1)
check "no application: exit 2 with a message" [ $? == 2 ]
check "... saying so" has "no application given"
out=$("$nsgx" gdb --gdb "$gdb" -batch 2>&1)
check "gdb options but no -- APP: exit 2" [ $? == 2 ]
out=$("$nsgx" gdb --gdb /nonexistent/gdb -- "$app" 2>&1)
check "a missing gdb: exit 127" [ $? == 127 ]
check "... saying so" has "cannot run /nonexistent/gdb"
out=$("$nsgx" gdb --help 2>&1)
check "nsgx gdb --help: exit 0" [ $? == 0 ]
check "... with the usage" has "nsgx gdb \[--gdb PROGRAM\] \[--isolated\] \[GDB OPTIONS...\] -- APP"
exit $fail
