#!/bin/bash
# Processes in the library OS, on the backend NSGX_BACKEND names (ctest runs
# it for inproc and isolated): docs/libos.md "Processes".
#   spawn_test.sh NSGX SPAWN SPAWN_DYN HOSTILE_HOST WORKDIR
# (SPAWN static-PIE, SPAWN_DYN the same program dynamically linked)
set -u
NSGX=$1 SPAWN=$2 SPAWN_DYN=$3 HOSTILE=$4 W=$5
# A user's session's usual descriptor limit (soft 1024), not the higher one
# root or CI may have: the host once lifted descriptors above 1024, which
# F_DUPFD refuses at that limit, and every spawn and fork failed for users
# (libos/host/spawn_ocalls.cc; now the host raises its soft limit itself).
ulimit -S -n 1024 || echo "note: the descriptor limit stays $(ulimit -S -n)"
rm -rf "$W"; mkdir -p "$W"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
cp "$SPAWN" "$W/spawn"
cp "$SPAWN" "$W/helper"   # trusted, then changed after the build
cp "$SPAWN" "$W/other"    # not in the manifest
# Scripts (binfmt_script): one whose interpreter is the test program with
# an argument, one whose interpreter is that script, one with no
# interpreter (ENOEXEC).
printf '#!%s shebang\necho never read\n' "$W/spawn" > "$W/script1"
printf '#! %s\n' "$W/script1" > "$W/script2"
printf '#!  \n' > "$W/script3"
chmod +x "$W/script1" "$W/script2" "$W/script3"
cat > "$W/spawn.toml" <<TOML
libos.entrypoint = "$W/spawn"
sgx.enclave_size = "128M"
sgx.trusted_files = [ { uri = "file:$W/spawn" }, { uri = "file:$W/helper" }, { uri = "file:$W/script1" },
                      { uri = "file:$W/script2" }, { uri = "file:$W/script3" } ]
sgx.allowed_files = [ "file:$W/ready" ]
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
same fork fork
for want in "fork child's getpid is fork's answer: yes" "fork child sees global 1 heap 10 stack 100" \
    "fork child's getppid is the parent: yes" "fork child: exited 9" \
    "the parent's own copies: global 1 heap 10 stack 100" "the fork child prints on its stdout" \
    "child argv: [forked]" "fork+exec child: exited 0"; do
  grep -qF "$want" "$W/fork.inside" || fail "fork: no '$want'"
done

# A fork child whose parent's enclave base is taken in its process image
# (ASLR put a library or the heap there: it happened under load) tries
# again in a new image. The test occupies the base in the first 3 images:
# the same run as natively. Occupied in all 8, the fork fails with the
# reason. Before, the first conflict failed the fork.
NSGX_LIBOS_TEST_OCCUPY_FORK_BASE=3 same fork-placed fork
NSGX_LIBOS_TEST_OCCUPY_FORK_BASE=99 timeout 90 "$NSGX" run --enclave "$W/enc" -- "$W/spawn" fork \
  > "$W/fork-never.out" 2> "$W/fork-never.err" < /dev/null
grep -q "fork: the enclave cannot be placed at its parent's base 0x[0-9a-f]* in the new process (8 tries)" \
  "$W/fork-never.err" || { cat "$W/fork-never.err"; fail "fork never placed: no reason given"; }

same manyfds manyfds
for want in "RLIMIT_NOFILE at least 1024: yes" "descriptors opened: 990, the highest above 990: yes" \
    "child: fd without O_CLOEXEC open: yes" "child: fd with O_CLOEXEC closed: yes" \
    "read from the pipe: written by the child through an inherited pipe" "child with descriptor 1000: exited 0"; do
  grep -qF "$want" "$W/manyfds.inside" || fail "many descriptors: no '$want'"
done

same handlers handlers
for want in "after posix_spawn: SIGUSR1's handler kept: yes" "after posix_spawn: SIGCHLD's handler kept: yes" \
    "SIGUSR1 handled: yes" "SIGCHLD at the child's end: yes" \
    "its siginfo: si_code CLD_EXITED, si_pid the child's: yes, si_status 4" \
    "its SIGCHLD: yes, si_code CLD_EXITED, si_pid the child's: yes, si_status 5" "after it: SIGUSR1's handler kept: yes" \
    "SIGUSR1 handled again: yes" "child: SIGHUP ignored: yes" "child: SIGUSR1 default: yes" \
    "child: SIGUSR2 blocked: yes, SIGTERM blocked: no"; do
  grep -qF "$want" "$W/handlers.inside" || fail "signal handlers across spawn: no '$want'"
done

same noreap noreap
for want in "SIGCHLD ignored: 70 vfork and 3 posix_spawn children; wait: No child processes" \
    "SA_NOCLDWAIT: 1 child, its SIGCHLD handled: yes; wait: No child processes"; do
  grep -qF "$want" "$W/noreap.inside" || fail "children reaped automatically: no '$want'"
done

same scripts scripts
for want in "shebang argv: [shebang] [./script1] [a] [b c]" "script1: exited 6" \
    "shebang argv: [shebang] [$W/script1] [./script2] [d]" "script2: exited 6" \
    "script3: posix_spawn: Exec format error"; do
  grep -qF "$want" "$W/scripts.inside" || fail "scripts: no '$want'"
done

# A script as `nsgx run`'s entrypoint, started as execve starts one:
# script2's interpreter is script1, whose interpreter is ./spawn (two
# levels, each a trusted file); argv[0] names the entrypoint, so the
# interpreter gets the path as given. Then a /bin/sh script with the
# minimal manifest, which trusts the script's interpreter and ld.so's
# closure of it too. Before, both were refused as no ELF file.
entry() {  # NAME COMMAND... (natively from $W; inside with the same args)
  local name=$1; shift
  (cd "$W" && "$@") > "$W/$name.native" 2>&1 < /dev/null; local native=$?
  (cd "$W" && timeout 90 "$NSGX" run $ENTRY_MANIFEST -- "$@") > "$W/$name.inside" 2>&1 < /dev/null
  local inside=$?
  [ "$inside" = "$native" ] || { cat "$W/$name.inside"; fail "$name: exit status $inside inside, $native natively"; }
  cmp -s "$W/$name.native" "$W/$name.inside" || { diff "$W/$name.native" "$W/$name.inside"; fail "$name: output differs"; }
  echo "== $name (status $native):"; cat "$W/$name.inside"
}
cat > "$W/script.toml" <<TOML
libos.entrypoint = "$W/script2"
sgx.enclave_size = "64M"
sgx.trusted_files = [ { uri = "file:$W/spawn" }, { uri = "file:$W/script1" }, { uri = "file:$W/script2" } ]
TOML
ENTRY_MANIFEST="--manifest $W/script.toml" entry entry-script ./script2 d "e f"
grep -qF "shebang argv: [shebang] [$W/script1] [./script2] [d] [e f]" "$W/entry-script.inside" \
  || fail "a script as the entrypoint: not started through its interpreters"
printf '#!/bin/sh\necho "$0: $# arguments: $*"\nexit 7\n' > "$W/job.sh"
chmod +x "$W/job.sh"
ENTRY_MANIFEST="" entry entry-sh ./job.sh a "b c"
grep -qF "./job.sh: 2 arguments: a b c" "$W/entry-sh.inside" || fail "a /bin/sh script with the minimal manifest"
grep -qF "shebang: /proc/self/exe names the interpreter: yes" "$W/entry-script.inside" \
  || fail "a script as the entrypoint: /proc/self/exe is not its interpreter"
# A relative interpreter would name a file by the host's current
# directory: refused (Linux resolves it against the caller's).
printf '#!spawn shebang\n' > "$W/relative.sh"; chmod +x "$W/relative.sh"
(cd "$W" && timeout 90 "$NSGX" run -- ./relative.sh) > "$W/relative.inside" 2>&1 < /dev/null
check_status "a relative interpreter" $? 126
grep -qF "its interpreter spawn is not an absolute, valid path" "$W/relative.inside" \
  || { cat "$W/relative.inside"; fail "a relative interpreter: no clear refusal"; }

# Process groups and sessions: the ids, posix_spawn's SETPGROUP and
# SETSID, setpgid after exec, kill and waitpid of a group, kill(0), and
# daemon(3) (fork, then setsid in the child).
same groups groups
for want in "now leads its group: yes, same session: yes" "setsid as a group leader: Operation not permitted" \
    "the child's group is its pid: yes" "setpgid of the child after its exec: Permission denied" \
    "waitpid(-its group) answers it: yes" "SETPGROUP child: killed by signal 15" \
    "child: leads its group: yes, leads a session: yes, in its parent's session: no" \
    "posix_spawn SETSID|SETPGROUP: Operation not permitted" \
    "kill(0, SIGUSR1): sent, handled before it returned: yes" "child in this group: killed by signal 10" \
    "SIGUSR1 handled here: 1 time(s)" "kill(0, SIGALRM): sent, handled 1 time(s)" \
    "a vfork child's setsid after its setpgid(0, 0): Operation not permitted" \
    "daemon: leads a new session: yes, leads its group: yes, another session than its parent's: yes"; do
  grep -qF "$want" "$W/groups.inside" || fail "process groups: no '$want'"
done
# kill(0) in the group the run was started in (setsid: a group of its
# own): handled once (twice when `nsgx run` was a parent in that group
# that passed the program's own signal back).
(cd "$W" && setsid -w ./spawn groupkill) > "$W/groupkill.native" 2>&1 < /dev/null
(cd "$W" && timeout 90 setsid -w "$NSGX" run --enclave "$W/enc" -- ./spawn groupkill) > "$W/groupkill.inside" 2>&1 < /dev/null
cmp -s "$W/groupkill.native" "$W/groupkill.inside" \
  || { diff "$W/groupkill.native" "$W/groupkill.inside"; fail "kill(0) in the starting group: output differs"; }
grep -qF "kill(0, SIGUSR1) in the group it started in: sent, handled 1 time(s)" "$W/groupkill.inside" \
  || fail "kill(0) in the starting group: not handled once"
cat "$W/groupkill.inside"
# A terminal's ^C (script(1) gives the run a terminal, whose foreground
# group holds the run): handled once (twice on isolated when `nsgx run`
# was a parent that forwarded its own copy). Typed once the program has
# set its handler (it creates $W/ready, an allowed file).
terminal() {  # NAME COMMAND
  rm -f "$W/ready"
  ( for _ in $(seq 900); do [ -e "$W/ready" ] && break; sleep 0.1; done; printf '\003'; sleep 3 ) \
    | timeout 120 script -qec "cd '$W' && exec $2 ./spawn terminal '$W/ready'" /dev/null | tr -d '\r' > "$W/$1"
}
terminal terminal.native ""
terminal terminal.inside "'$NSGX' run --enclave '$W/enc' --"
for f in terminal.native terminal.inside; do
  grep -qF "the terminal's SIGINT: handled 1 time(s)" "$W/$f" || { cat "$W/$f"; fail "$f: ^C not handled once"; }
done
cat "$W/terminal.inside"
# Until READY exists (at most 90 s).
wait_ready() { for _ in $(seq 900); do [ -e "$W/ready" ] && return 0; sleep 0.1; done; return 1; }
# A SIGTERM to the run's group from outside, as `kill -TERM -PGID` and
# timeout(1) send it: `nsgx run` became the program's host process
# (tools/nsgx/run_process.cc), so nothing passes on a second copy (when it
# was the host's parent and forwarded signals, the program got two).
outside() {  # NAME COMMAND...
  local name=$1; shift
  rm -f "$W/ready"
  (cd "$W" && exec setsid "$@" ./spawn outside "$W/ready") > "$W/$name" 2>&1 < /dev/null &
  local pid=$!
  guard "$pid" 90
  wait_ready || fail "$name: never ready"
  kill -TERM -- "-$pid"
  wait "$pid"
  unguard
  grep -qF "SIGTERM from outside: handled 1 time(s)" "$W/$name" || { cat "$W/$name"; fail "$name: not handled once"; }
}
outside outside.native
outside outside.inside "$NSGX" run --enclave "$W/enc" --
cat "$W/outside.inside"
# A wait for a child that signals from outside interrupt: SIGUSR1 (its
# handler without SA_RESTART) ends it with EINTR, SIGUSR2 (SA_RESTART)
# restarts it. Before, the host retried its waitpid itself and the
# signal waited for the child's end (here: forever).
waitsig() {  # NAME COMMAND...
  local name=$1; shift
  rm -f "$W/ready"
  (cd "$W" && exec "$@" ./spawn waitsig "$W/ready") > "$W/$name" 2>&1 < /dev/null &
  local pid=$! i
  guard $pid 90
  for i in $(seq 400); do
    case $(cat "$W/ready" 2> /dev/null) in
      usr1) kill -USR1 $pid 2> /dev/null; sleep 0.2 ;;
      usr2) kill -USR2 $pid; break ;;
      *) sleep 0.1 ;;
    esac
  done
  wait $pid
  unguard
}
waitsig waitsig.native
waitsig waitsig.inside "$NSGX" run --enclave "$W/enc" --
cmp -s "$W/waitsig.native" "$W/waitsig.inside" \
  || { diff "$W/waitsig.native" "$W/waitsig.inside"; fail "a wait across signals: output differs"; }
grep -qF "waitpid across SIGUSR1 (no SA_RESTART): Interrupted system call, its handler ran: yes" "$W/waitsig.native" \
  || { cat "$W/waitsig.native"; fail "waitsig: the native run is not as expected"; }
cat "$W/waitsig.inside"
# A run without --enclave builds its enclave in a temporary directory,
# removed when the run ends however it ends — here by SIGKILL, which
# nothing in the run can see (before, the directory stayed, and so did
# the library OS host, whose parent `nsgx run` was the one killed).
rm -rf "$W/tmp" "$W/ready"; mkdir "$W/tmp"
(cd "$W" && TMPDIR="$W/tmp" exec setsid "$NSGX" run --manifest "$W/spawn.toml" -- ./spawn outside "$W/ready") \
  > "$W/killed.inside" 2>&1 < /dev/null &
pid=$!
wait_ready || { cat "$W/killed.inside"; fail "killed run: never ready"; }
[ -n "$(ls -A "$W/tmp")" ] || fail "killed run: no temporary enclave while it runs"
kill -KILL "$pid"; { wait "$pid"; } 2>/dev/null; check_status "killed run" $? 137
left=$(ps -o pid=,args= -s "$pid")  # its session (setsid): nothing of the run may be left
[ -z "$left" ] || { fail "killed run: processes left: $left"; kill -KILL -- "-$pid"; }
for _ in $(seq 100); do [ -z "$(ls -A "$W/tmp")" ] && break; sleep 0.1; done
[ -z "$(ls -A "$W/tmp")" ] || fail "killed run: its temporary enclave is left: $(ls "$W/tmp")"

same forkthread forkthread
grep -qF "thread's fork child sees global 5 stack 300" "$W/forkthread.inside" || fail "fork from a thread: no copy"

# fork of a dynamically linked program: ld.so, libc and their mappings
# (trusted copies, file-backed pages) cross in the checkpoint.
mkdir -p "$W/dyn"
cp "$SPAWN_DYN" "$W/dyn/spawn"
cat > "$W/dyn.toml" <<TOML
libos.entrypoint = "$W/dyn/spawn"
sgx.enclave_size = "128M"
sgx.trusted_files = [ { uri = "file:$W/dyn/spawn" } ]
TOML
"$NSGX" libos build --manifest "$W/dyn.toml" --out "$W/dyn-enc" > "$W/dyn-build.log" 2>&1 \
  || { cat "$W/dyn-build.log"; echo "FAIL: nsgx libos build (dynamic)"; exit 1; }
(cd "$W/dyn" && ./spawn fork) > "$W/fork-dyn.native" 2>&1 < /dev/null; native=$?
(cd "$W/dyn" && timeout 90 "$NSGX" run --enclave "$W/dyn-enc" -- ./spawn fork) > "$W/fork-dyn.inside" 2>&1 < /dev/null
inside=$?
[ "$inside" = "$native" ] || fail "fork (dynamic): exit status $inside inside, $native natively"
cmp -s "$W/fork-dyn.native" "$W/fork-dyn.inside" \
  || { diff "$W/fork-dyn.native" "$W/fork-dyn.inside"; fail "fork (dynamic): output differs"; }
grep -qF "fork child sees global 1 heap 10 stack 100" "$W/fork-dyn.inside" || fail "fork (dynamic): no copy"
echo "== fork (dynamic, status $native):"; cat "$W/fork-dyn.inside"

# Refused inside, each with a clear message: a program the manifest does
# not list and a trusted one changed after the build (one byte).
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
for f in other helper; do echo "== refused: $f"; cat "$W/$f.inside"; done

# A lying host (Iago): each lie is refused (EIO, or the new enclave
# refuses a malformed request) and the program goes on.
lie() {  # FAULT EXPECTED-LINE...
  local f=$1 mode=lies; shift
  case $f in fork-*) mode=forklies;; pgrp-*) mode=grouplies;; esac
  (cd "$W" && NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=$f timeout 60 "$NSGX" run --enclave "$W/enc" -- ./spawn $mode) \
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
lie request-ignore-kill "nsgx run: the host's spawn request is malformed" "child: exited 126"
# fork's checkpoint: one byte changed on its way (the child refuses it,
# the parent's fork answers EAGAIN), and run twice (the second child has
# no confirmation of its own and refuses; the first runs).
lie fork-flip "nsgx run: fork child: the fork checkpoint is not authentic (AES-GCM)" \
  "fork: Resource temporarily unavailable"
lie pgrp-id "getpgid: Input/output error" "getsid: Input/output error" "setsid: Input/output error"
lie fork-replay "fork child: exited 8" "nsgx run: fork child: the parent did not confirm this child" \
  "hostile host: the replayed fork child ended with status 126"

finish "processes"
