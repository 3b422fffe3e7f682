#!/bin/bash
# Processes in the library OS, on the backend NSGX_BACKEND names (ctest runs
# it for inproc and isolated): docs/libos.md "Processes".
#   spawn_test.sh NSGX SPAWN HOSTILE_HOST WORKDIR
set -u
NSGX=$1 SPAWN=$2 HOSTILE=$3 W=$4
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
cp "$SPAWN" "$W/spawn"
cp "$SPAWN" "$W/helper"   # trusted, then changed after the build
cp "$SPAWN" "$W/other"    # not in the manifest
cat > "$W/spawn.toml" <<TOML
libos.entrypoint = "$W/spawn"
sgx.enclave_size = "128M"
sgx.trusted_files = [ { uri = "file:$W/spawn" }, { uri = "file:$W/helper" } ]
TOML
"$NSGX" libos build --manifest "$W/spawn.toml" --out "$W/enc" > "$W/build.log" 2>&1 \
  || { cat "$W/build.log"; echo "FAIL: nsgx libos build"; exit 1; }
printf '\x90' | dd of="$W/helper" bs=1 seek=200 conv=notrunc status=none

# Native and inside: the same output and status (a run that hangs is
# ended after 90 s and fails).
same() {  # NAME ARGS...
  local name=$1; shift
  (cd "$W" && ./spawn "$@") > "$W/$name.native" 2>&1 < /dev/null; local native=$?
  (cd "$W" && timeout 90 "$NSGX" run --enclave "$W/enc" -- ./spawn "$@") > "$W/$name.inside" 2>&1 < /dev/null
  local inside=$?
  [ "$inside" = "$native" ] || fail "$name: exit status $inside inside, $native natively"
  cmp -s "$W/$name.native" "$W/$name.inside" || { diff "$W/$name.native" "$W/$name.inside"; fail "$name: output differs"; }
  echo "== $name (status $native):"; cat "$W/$name.inside"
}
same parent
grep -q "killed child: killed by signal 9" "$W/parent.native" || fail "the native run itself failed"
grep -q "spawned child's getpid is the pid posix_spawn gave: yes" "$W/parent.inside" || fail "child's pid"
same exec exec
grep -q "after execve: same pid: yes" "$W/exec.inside" || fail "execve in the process: pid"

# Refused inside, each with a clear message: a program the manifest does
# not list, a trusted one changed after the build (one byte), and fork.
inside() {  # NAME ARGS...
  local name=$1; shift
  (cd "$W" && timeout 60 "$NSGX" run --enclave "$W/enc" -- ./spawn "$@") > "$W/$name.inside" 2>&1 < /dev/null
  echo $?
}
st=$(inside other refuse "$W/other")
grep -q "nsgx libos: execve $W/other: not a trusted file of the manifest: EACCES" "$W/other.inside" \
  || fail "untrusted program: no message"
grep -q "posix_spawn $W/other: Permission denied" "$W/other.inside" && [ "$st" = 3 ] || fail "untrusted program started"
st=$(inside helper refuse "$W/helper")
grep -q "nsgx libos: execve $W/helper: SHA-256 does not match the manifest: EACCES" "$W/helper.inside" \
  || fail "modified program: no message"
grep -q "posix_spawn $W/helper: Permission denied" "$W/helper.inside" && [ "$st" = 3 ] || fail "modified program started"
st=$(inside fork fork)
grep -q "nsgx libos: fork (a copy of the process) is not implemented: ENOSYS" "$W/fork.inside" && [ "$st" = 2 ] \
  || fail "fork: not refused clearly"
for f in other helper fork; do echo "== refused: $f"; cat "$W/$f.inside"; done

# A lying host (Iago): each lie is refused (EIO, or the new enclave
# refuses a malformed request) and the program goes on.
lie() {  # FAULT EXPECTED-LINE...
  local f=$1; shift
  (cd "$W" && NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=$f timeout 60 "$NSGX" run --enclave "$W/enc" -- ./spawn lies) \
    > "$W/lie-$f" 2>&1 < /dev/null || fail "$f: exit status $?"
  for want in "$@" "the program goes on"; do
    grep -qF "$want" "$W/lie-$f" || { cat "$W/lie-$f"; fail "$f: no '$want'"; }
  done
  echo "== lie $f:"; cat "$W/lie-$f"
}
lie spawn-pid "nsgx libos: execve: the host answered pid 1 for the new process: EIO" "posix_spawn: Input/output error"
lie wait-pid "waitpid: Input/output error"
lie wait-status "waitpid: Input/output error"
lie request-short "nsgx run: the host's spawn request is malformed" "child: exited 126"

finish "processes"
