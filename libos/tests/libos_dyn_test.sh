#!/bin/bash
# Dynamically linked programs in the library OS (docs/libos.md, M3), on
# the backend NSGX_BACKEND names (ctest runs it for inproc and isolated).
#   libos_dyn_test.sh NSGX HELLO_DYN FILES DEVICES HOSTILE_HOST WORKDIR
# HELLO_DYN, FILES and DEVICES are built by plain gcc (PIEs with ld.so);
# sqlite3 is Debian's /usr/bin/sqlite3 (scripts/deps.sh installs it).
set -u
NSGX=$1 HELLO=$2 FILES=$3 DEVICES=$4 HOSTILE=$5 W=$6
rm -rf "$W"; mkdir -p "$W/lib"
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
same() {  # NAME: $W/NAME.{native,inside}.{out,err} are equal
  cmp "$W/$1.native.out" "$W/$1.inside.out" || { diff "$W/$1.native.out" "$W/$1.inside.out"; fail "$1: stdout differs"; }
  cmp "$W/$1.native.err" "$W/$1.inside.err" || { diff "$W/$1.native.err" "$W/$1.inside.err"; fail "$1: stderr differs"; }
}
build() {  # TOML DIR
  "$NSGX" libos build --manifest "$1" --out "$2" > "$2.log" 2>&1 || { cat "$2.log"; fail "nsgx libos build $1"; exit 1; }
}

cp "$HELLO" "$W/hello"
cp "$FILES" "$W/files"
cp "$DEVICES" "$W/devices"
printf 'first line\nsecond line\n' > "$W/data.txt"
seq 1 2000 > "$W/big.txt"      # 8893 bytes: two pages and a part
seq 3 3000 > "$W/allowed.txt"  # pass-through, mapped through pread
cd "$W" || exit 1              # relative paths below: the working directory inside is the host's at start

# 1. A dynamically linked hello: the manifest names the program and its
# data only; `nsgx libos build` adds ld.so and libc (resolved as ld.so
# will inside) as trusted files with their hashes. The data file's path
# is relative to the working directory.
cat > hello.toml <<TOML
libos.entrypoint = "$W/hello"
loader.env.LANG = "C"
sgx.trusted_files = [ { uri = "file:$W/hello" }, { uri = "file:$W/data.txt" } ]
TOML
build hello.toml "$W/hello-enclave"
./hello basic data.txt one 'two words' > hello.native.out 2> hello.native.err; native=$?
"$NSGX" run --enclave "$W/hello-enclave" -- "$W/hello" basic data.txt one 'two words' \
  > hello.inside.out 2> hello.inside.err < /dev/null; inside=$?
check_status hello "$inside" "$native"
check_status "hello (native)" "$native" 3
same hello

# 2. File mappings (ld.so's reserve-then-MAP_FIXED pattern, offsets, the
# partial last page, private writes, munmap of parts, mprotect), stat,
# access, getcwd and readlink: of a trusted file and of an allowed one.
cat > files.toml <<TOML
libos.entrypoint = "$W/files"
sgx.trusted_files = [ { uri = "file:$W/files" }, { uri = "file:$W/big.txt" } ]
sgx.allowed_files = [ "file:$W/allowed.txt", "file:$W/copied.txt", "file:$W/shared.bin" ]
sgx.encrypted_files = [ { uri = "file:$W/shared.enc" } ]
TOML
build files.toml "$W/files-enclave"
inside() { "$NSGX" run --enclave "$W/files-enclave" -- "$W/files" "$@" < /dev/null; }
./files map big.txt allowed.txt > map.native.out 2> map.native.err; native=$?
inside map big.txt allowed.txt > map.inside.out 2> map.inside.err; st=$?
check_status map "$st" "$native"
same map
[ "$(grep -c '^mapped equal 1, tail zero 1$' map.native.out)" = 2 ] || fail "the map test's native run: $(cat map.native.out)"
# copy_file_range from a trusted file into an allowed one (it was ENOSYS).
: > copied.txt
./files copy big.txt copied.txt > copy.native.out 2> copy.native.err; native=$?
: > copied.txt
inside copy big.txt copied.txt > copy.inside.out 2> copy.inside.err; st=$?
check_status copy "$st" "$native"
same copy

# MAP_SHARED of files (docs/libos.md, "Shared file mappings"): the same
# answers and the same file afterwards as natively.
./files shared big.txt shared.bin > shared.native.out 2> shared.native.err; native=$?
cp shared.bin shared.native.bin
inside shared big.txt shared.bin > shared.inside.out 2> shared.inside.err; st=$?
check_status shared "$st" "$native"
same shared
cmp -s shared.bin shared.native.bin || fail "the file written through a shared mapping differs from the native run's"
grep -qx "after munmap: QkR, size 100" shared.native.out || fail "the shared test's native run: $(cat shared.native.out)"
[ "$(dd if=shared.native.bin bs=1 skip=10 count=1 2> /dev/null)" = E ] ||
  fail "the shared test's native run left no byte from a mapping at its end"
# System V shared memory (shmat and shmdt under the memory calls' locks).
./files shm > shm.native.out 2> shm.native.err; native=$?
inside shm > shm.inside.out 2> shm.inside.err; st=$?
check_status shm "$st" "$native"
same shm
# A record lock outlives a munmap of a shared mapping of its file (the
# library OS keeps its own descriptor of the file to the end: closing it
# would drop the process's locks), seen from a process outside.
lock_state() {  # FILE: "held" if another process holds a write lock on byte 0
  python3 -c 'import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0))
print("held" if struct.unpack("hhqqi4x", got)[0] != fcntl.F_UNLCK else "gone")' "$1"
}
held_lock() {  # WHERE CMD...: CMD locks, maps and unmaps, says "locked", waits for stdin's end
  coproc HOLDER { "${@:2}" 2>&1; }
  local line=""
  read -r -t 60 line <&"${HOLDER[0]}"
  local state
  state=$(lock_state shared.bin)
  exec {HOLDER[1]}>&-
  wait "$HOLDER_PID"
  [ "$line.$state" = "locked.held" ] || fail "$1: a record lock after a munmap of its file's mapping: '$line' $state"
}
held_lock natively ./files holdlock shared.bin
held_lock inside "$NSGX" run --enclave "$W/files-enclave" -- "$W/files" holdlock shared.bin
# A fork keeps the parent's record locks (the host put the child's
# descriptors in place by copies it closed in the parent, which released
# them: docs/libos.md "Processes").
./files forklock shared.bin > forklock.native.out 2> forklock.native.err; native=$?
inside forklock shared.bin > forklock.inside.out 2> forklock.inside.err; st=$?
check_status forklock "$st" "$native"
same forklock
grep -qx "fork 2: the parent's lock held" forklock.native.out || fail "forklock's native run: $(cat forklock.native.out)"
# The same on an encrypted file: its plaintext read and written back
# through the protected-file layer, what the program reads the same.
rm -f shared.enc
inside shared big.txt shared.enc > shared-enc.inside.out 2> shared-enc.inside.err; st=$?
check_status "shared (encrypted)" "$st" "$native"
cmp -s shared.native.out shared-enc.inside.out ||
  { diff shared.native.out shared-enc.inside.out; cat shared-enc.inside.err; fail "shared (encrypted): stdout differs"; }
grep -q "QkR" shared.enc && fail "the encrypted file holds the mapping's plaintext"

# What the library OS refuses where Linux would not.
out=$(inside refuse big.txt 2> refuse.err); st=$?
check_status refuse "$st" 0
want="MAP_FIXED partly over pages not the program's: Invalid argument
MAP_FIXED outside the enclave: Cannot allocate memory
stat /etc/passwd: No such file or directory
access /etc/passwd: No such file or directory
open /etc/passwd: Permission denied
open a trusted file for writing: Permission denied
uid 0 euid 0 gid 0 egid 0"
[ "$out" = "$want" ] || { echo "--- got:"; echo "$out"; echo "--- wanted:"; echo "$want"; fail "refusals"; }

# 2b. Directories (docs/libos.md, "Directories"): a tree the manifest
# lists (two trusted files, one allowed) is listed, rewound, seeked, used
# by the *at calls and fchdir, the same as natively. Before: opening a
# directory was refused.
mkdir -p tree/sub
echo alpha > tree/a.txt; echo beta > tree/sub/b.txt; echo gamma > tree/c.txt
cat > dirs.toml <<TOML
libos.entrypoint = "$W/files"
sgx.trusted_files = [ { uri = "file:$W/files" }, { uri = "file:$W/tree/a.txt" }, { uri = "file:$W/tree/sub/b.txt" } ]
sgx.allowed_files = [ "file:$W/tree/c.txt" ]
TOML
build dirs.toml "$W/dirs-enclave"
./files dirs tree > dirs.native.out 2> dirs.native.err; native=$?
"$NSGX" run --enclave "$W/dirs-enclave" -- "$W/files" dirs tree > dirs.inside.out 2> dirs.inside.err < /dev/null
check_status dirs "$?" "$native"
check_status "dirs (native)" "$native" 0
same dirs
grep -qx "  sub dir" dirs.native.out || fail "the dirs test's native run: $(cat dirs.native.out)"
# The working directory inside is what an execve'd program starts in
# (the host's stays where the run began): `cd tree/sub && exec files cwd`.
cat > cwd.toml <<TOML
libos.entrypoint = "/bin/sh"
sgx.trusted_files = [ { uri = "file:/bin/sh" }, { uri = "file:$W/files" }, { uri = "file:$W/tree/sub/b.txt" } ]
TOML
build cwd.toml "$W/cwd-enclave"
out=$("$NSGX" run --enclave "$W/cwd-enclave" -- /bin/sh -c 'cd tree/sub && exec "$0" cwd' "$W/files" < /dev/null 2> cwd.err)
[ "$out" = "getcwd: $W/tree/sub" ] || { cat cwd.err; fail "the working directory across execve: '$out'"; }

# 3. Hostile host answers: a pread that answers more than asked fails the
# allowed file's mapping (EIO); a working directory that is not a normal
# path is not used ("/" instead; the honest one is in the map test).
out=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=pread-count inside map allowed.txt 2> hostile-pread.err)
echo "$out" | grep -qx 'mmap: Input/output error' || { echo "$out"; fail "hostile pread"; }
out=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=cwd-dotdot inside cwd 2> hostile-cwd.err)
[ "$out" = "getcwd: /" ] || fail "hostile getcwd: '$out'"

# 3b. The library OS's own devices (/dev/null, zero, full, random,
# urandom), which the manifest does not name: every call the same as
# natively, /dev/zero's mappings, and /dev/null inherited across fork and
# execve (an O_CLOEXEC descriptor not across execve). Before: EACCES.
cat > devices.toml <<TOML
libos.entrypoint = "$W/devices"
sgx.trusted_files = [ { uri = "file:$W/devices" } ]
TOML
build devices.toml "$W/devices-enclave"
"$W/devices" > devices.native.out 2> devices.native.err; native=$?
"$NSGX" run --enclave "$W/devices-enclave" -- "$W/devices" > devices.inside.out 2> devices.inside.err < /dev/null
check_status devices "$?" "$native"
check_status "devices (native)" "$native" 0
same devices
grep -qx "execve'd program: 0" devices.native.out || fail "devices' native run: $(cat devices.native.out)"
# A manifest that names one is refused, with the reason.
sed 's|^sgx.trusted_files.*|&\nsgx.allowed_files = [ "file:/dev/urandom" ]|' devices.toml > devices-named.toml
"$NSGX" libos build --manifest devices-named.toml --out "$W/devices-named" > devices-named.log 2>&1 \
  && fail "a manifest naming /dev/urandom was built"
grep -q "/dev/urandom is an allowed file, but the library OS provides that device itself" devices-named.log \
  || { cat devices-named.log; fail "no clear error for a manifest naming /dev/urandom"; }

# 4. A real Debian program: sqlite3, SQL from a trusted file (-init, a
# relative path) and from stdin, an error on stderr and status 1.
SQLITE=/usr/bin/sqlite3
printf "create table t(a integer, b text);\ninsert into t values (1, 'one'), (2, 'two');\n" > q.sql
cat > more.sql <<'SQL'
select a, b, length(b) from t order by a desc;
select sum(a), group_concat(b, '+') from t;
with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000) select count(*), sum(x), printf('%.3f', 1.0 / 3) from c;
select * from nosuch;
select 'after the error';
SQL
cat > sqlite.toml <<TOML
libos.entrypoint = "$SQLITE"
loader.env.HOME = "/nonexistent"
sgx.trusted_files = [ { uri = "file:$SQLITE" }, { uri = "file:$W/q.sql" } ]
TOML
if [ ! -x "$SQLITE" ]; then
  fail "$SQLITE is not installed (scripts/deps.sh installs sqlite3)"
else
  build sqlite.toml "$W/sqlite-enclave"
  env -i HOME=/nonexistent "$SQLITE" -batch -init q.sql :memory: < more.sql > sqlite.native.out 2> sqlite.native.err
  native=$?
  "$NSGX" run --enclave "$W/sqlite-enclave" -- "$SQLITE" -batch -init q.sql :memory: < more.sql \
    > sqlite.inside.out 2> sqlite.inside.err; inside=$?
  check_status sqlite3 "$inside" "$native"
  check_status "sqlite3 (native)" "$native" 1
  grep -q '^1000|500500|0.333$' sqlite.native.out || fail "sqlite3's native run: $(cat sqlite.native.out)"
  same sqlite
fi

# 4b. SQLite's WAL mode on a database in an allowed directory: its index
# (the -shm file) is a shared mapping (docs/libos.md, "Shared file
# mappings"; it was ENODEV, and sqlite3 said "disk I/O error"). Two runs
# inside — the second reads what the first wrote — answer as two native
# runs do, and the native sqlite3 reads the database the enclave wrote.
if [ -x "$SQLITE" ]; then
  rm -rf wal.native wal.inside; mkdir -p wal.native wal.inside
  cat > wal.sql <<'SQL'
pragma journal_mode=wal;
create table if not exists t(a integer, b text);
insert into t select x, printf('row %d', x) from (with recursive c(x) as (select 1 union all select x + 1 from c where x < 500) select x from c);
select count(*), sum(a) from t;
SQL
  cat > wal.toml <<TOML
libos.entrypoint = "$SQLITE"
loader.env.HOME = "/nonexistent"
sgx.trusted_files = [ { uri = "file:$SQLITE" } ]
sgx.allowed_files = [ "file:$W/wal.inside" ]
TOML
  build wal.toml "$W/wal-enclave"
  : > wal.native.out; : > wal.native.err; : > wal.inside.out; : > wal.inside.err
  for run in 1 2; do
    env -i HOME=/nonexistent "$SQLITE" -batch "$W/wal.native/db" < wal.sql >> wal.native.out 2>> wal.native.err
    native=$?
    "$NSGX" run --enclave "$W/wal-enclave" -- "$SQLITE" -batch "$W/wal.inside/db" < wal.sql \
      >> wal.inside.out 2>> wal.inside.err
    check_status "sqlite3 in WAL mode, run $run" "$?" "$native"
  done
  same wal
  grep -qx "1000|250500" wal.native.out || fail "sqlite3's native WAL runs: $(cat wal.native.out)"
  out=$(env -i HOME=/nonexistent "$SQLITE" -batch "$W/wal.inside/db" \
    "select count(*), sum(a) from t; pragma integrity_check;" 2>&1)
  [ "$out" = "1000|250500
ok" ] || fail "the database written inside in WAL mode, read natively: $out"
  # The same on an encrypted directory: the database, its WAL and its
  # index are protected files; a third run inside checks the database.
  rm -rf wal.enc; mkdir -p wal.enc
  sed 's|^sgx.allowed_files.*|sgx.encrypted_files = [ { uri = "file:'"$W"'/wal.enc" } ]|' wal.toml > wal-enc.toml
  build wal-enc.toml "$W/wal-enc-enclave"
  : > wal-enc.inside.out; : > wal-enc.inside.err
  for run in 1 2; do
    "$NSGX" run --enclave "$W/wal-enc-enclave" -- "$SQLITE" -batch "$W/wal.enc/db" < wal.sql \
      >> wal-enc.inside.out 2>> wal-enc.inside.err
    check_status "sqlite3 in WAL mode on an encrypted directory, run $run" "$?" 0
  done
  cmp -s wal.native.out wal-enc.inside.out ||
    { diff wal.native.out wal-enc.inside.out; cat wal-enc.inside.err; fail "sqlite3 WAL (encrypted): stdout differs"; }
  out=$("$NSGX" run --enclave "$W/wal-enc-enclave" -- "$SQLITE" -batch "$W/wal.enc/db" \
    "select count(*), sum(a) from t; pragma integrity_check;" 2>&1 < /dev/null)
  [ "$out" = "1000|250500
ok" ] || fail "the encrypted WAL database, checked inside: $out"
  grep -qa "row 250" wal.enc/db && fail "the encrypted database holds its rows in the clear"
fi

# 5. The minimal manifest of `nsgx run -- PROG` trusts a dynamically
# linked program's interpreter and libraries, and nothing else.
out=$("$NSGX" run -- ./hello open data.txt < /dev/null 2> minimal.err); st=$?
check_status minimal "$st" 0
[ "$out" = "open data.txt: Permission denied" ] || { cat minimal.err; fail "minimal manifest: '$out'"; }
# The program's path as given is trusted with its real one: /bin/sh is a
# link to dash (on Debian also through /bin -> usr/bin), and sh execs
# itself by the name it was given.
out=$("$NSGX" run -- /bin/sh -c 'exec /bin/sh -c "echo again \$0"' < /dev/null 2> minimal-link.err); st=$?
[ "$st.$out" = "0.again /bin/sh" ] || { cat minimal-link.err; fail "exec of the entrypoint by its given path: $st '$out'"; }
# A program the entrypoint execs gets its libraries trusted too: ls needs
# libselinux and libpcre2, which sh does not load.
cat > execls.toml <<TOML
libos.entrypoint = "/bin/sh"
sgx.trusted_files = [ { uri = "file:/bin/sh" }, { uri = "file:/usr/bin/ls" } ]
TOML
build execls.toml "$W/execls-enclave"
out=$("$NSGX" run --enclave "$W/execls-enclave" -- /bin/sh -c 'exec /usr/bin/ls -d /dev/null' < /dev/null 2> execls.err); st=$?
[ "$st.$out" = "0./dev/null" ] || { cat execls.err; fail "an exec'd program's libraries: $st '$out'"; }

# 5b. GNU make (Debian's /usr/bin/make, from build-essential) with two
# jobs: it finds its recipes' programs through PATH — access(X_OK) and the
# mode of trusted files, executable when they are ELF files or #! scripts
# (they were all 0444 but the entrypoint: "echo: Permission denied") —,
# sets its ids to its own before each (setresuid: it was ENOSYS), and
# waits for its children with SIGCHLD blocked but in pselect (whose mask
# was ignored: make waited forever). Lines sorted: the jobs' order is the
# scheduler's, natively too.
cat > Makefile.test <<'MAKE'
all: a b c
	@echo all done
a:
	@echo A
b:
	@sleep 0.2; echo B
c:
	@test -x /usr/bin/echo && echo "echo is executable"; test -x Makefile.test || echo "the makefile is not"
MAKE
cat > make.toml <<TOML
libos.entrypoint = "/usr/bin/make"
loader.env.PATH = "/usr/bin"
sgx.enclave_size = "256M"
sgx.max_threads = 4
sgx.trusted_files = [ { uri = "file:/usr/bin/make" }, { uri = "file:$W/Makefile.test" }, { uri = "file:/bin/sh" },
  { uri = "file:/usr/bin/echo" }, { uri = "file:/usr/bin/sleep" } ]
TOML
build make.toml "$W/make-enclave"
env -i PATH=/usr/bin /usr/bin/make -s -j2 -f Makefile.test > make.native.raw 2> make.native.err; native=$?
"$NSGX" run --enclave "$W/make-enclave" -- /usr/bin/make -s -j2 -f Makefile.test > make.inside.raw 2> make.inside.err \
  < /dev/null; inside=$?
sort make.native.raw > make.native.out
sort make.inside.raw > make.inside.out
check_status "make -j2" "$inside" "$native"
check_status "make -j2 (native)" "$native" 0
tail -1 make.native.raw | grep -qx "all done" || fail "make's native run: $(cat make.native.raw)"
same make

# 5c. A bash script of Debian's everyday programs over an allowed
# directory (a directory in sgx.allowed_files: everything below it passes
# through; its listing is the host's names, each checked): text tools,
# awk (a link to mawk: both listed), tar and gzip writing there, cp, mv,
# rm, mkdir, rmdir, ls and find listing it (find saves its working
# directory by opening "." without O_DIRECTORY); tar extracting (fchown
# to root, fchmod, utimensat), chmod, touch, cp -a, ln -s and readlink
# (chmod, chown and symlink were ENOSYS), stat -f (statfs: the host's file
# system's type), 3000 files listed (the host's listing in pages, by its
# own positions); an encrypted directory listed the same way
# (its protected files, a subdirectory made and removed); xargs forking
# echo (on isolated a fork child's host reaped a zombie monitor of its
# own: wait answered EIO); a background job, a trap, perl. The same
# output as natively.
mkdir -p "$W/shdata" "$W/shenc"
seq 1 5000 > "$W/shdata/nums.txt"
printf 'b\na\nc\n' > "$W/shdata/l.txt"
mkdir -p "$W/tarsrc/dd" && echo hello > "$W/tarsrc/dd/h.txt" && chmod 640 "$W/tarsrc/dd/h.txt"
tar cf "$W/shdata/src.tar" --owner=0 --group=0 --numeric-owner -C "$W/tarsrc" .
cat > job.sh <<'JOB'
set -u
umask 022
cd "$1" || exit 9
stat -f -c %T .
sort -r l.txt | head -2
awk '{s+=$1} END {print "sum", s}' nums.txt
sed -n '10,12p' nums.txt | tr '\n' ' '; echo
tar cf t.tar l.txt nums.txt && tar tf t.tar && rm t.tar
gzip -c nums.txt > n.gz && gzip -dc n.gz | tail -1 && rm n.gz
cp l.txt l2.txt && mv l2.txt l3.txt && ls && rm l3.txt
mkdir d1 && echo x > d1/f && ls d1 && cd d1 && pwd | sed "s|$1|DIR|" && cd .. && rm d1/f && rmdir d1
find . -name '*.txt' | sort
mkdir big && for i in $(seq 3000); do : > "big/file-$i"; done && ls big | wc -l && ls -U big | sort | tail -1 && rm -r big
mkdir x && tar xf src.tar -C x && cat x/dd/h.txt && stat -c %a x/dd/h.txt
chmod 600 x/dd/h.txt && touch -d @100000 x/dd/h.txt && stat -c '%a %Y' x/dd/h.txt
cp -a x y && ls y/dd && stat -c '%a %Y' y/dd/h.txt && ln -s dd/h.txt y/lnk && cat y/lnk && readlink y/lnk && rm -r x y
seq 3 | xargs -n1 echo x
( sleep 0.1; echo sub ) & wait
trap 'echo trapped' USR1; kill -USR1 $$
perl -e 'print "perl ", 1+1, "\n"'
ls
cd "$2" && echo secret > s.txt && mkdir sub && echo y > sub/y && ls && ls sub && cat s.txt sub/y && rm sub/y &&
  rmdir sub && ls
JOB
progs=""
for p in bash sort head tail awk sed tr tar gzip cp mv ls rm mkdir rmdir pwd find xargs echo sleep perl seq cat stat chmod touch ln readlink wc; do
  progs="$progs { uri = \"file:/usr/bin/$p\" },"
done
cat > sh.toml <<TOML
libos.entrypoint = "/usr/bin/bash"
loader.env.PATH = "/usr/bin"
loader.env.LANG = "C"
sgx.enclave_size = "1G"
sgx.max_threads = 8
sgx.trusted_files = [ $progs { uri = "file:$(readlink -f /usr/bin/awk)" }, { uri = "file:$W/job.sh" } ]
sgx.allowed_files = [ "file:$W/shdata" ]
sgx.encrypted_files = [ { uri = "file:$W/shenc", key_name = "_sgx_mrenclave" } ]
TOML
build sh.toml "$W/sh-enclave"
env -i PATH=/usr/bin LANG=C /usr/bin/bash job.sh "$W/shdata" "$W/shenc" > sh.native.out 2> sh.native.err; native=$?
grep -qx secret "$W/shenc/s.txt" || fail "the bash job's native s.txt"
rm -f "$W/shenc/s.txt"
"$NSGX" run --enclave "$W/sh-enclave" -- /usr/bin/bash "$W/job.sh" "$W/shdata" "$W/shenc" > sh.inside.out \
  2> sh.inside.err < /dev/null; inside=$?
# The encrypted directory listed its protected files (from the host's
# names), and what the host holds there is ciphertext.
[ -s "$W/shenc/s.txt" ] && ! grep -q secret "$W/shenc/s.txt" || fail "s.txt in the encrypted directory is not sealed"
check_status "bash job" "$inside" "$native"
check_status "bash job (native)" "$native" 0
grep -qx "perl 2" sh.native.out || fail "the bash job's native run: $(cat sh.native.out)"
same sh
# A host whose listing adds a name with a '/' ("../x"): refused (EIO), so
# ls reports the directory unreadable rather than a path outside it.
rm -f list.log
out=$(NSGX_LIBOS_HOST=$HOSTILE NSGX_LIBOS_FAULT=list-slash NSGX_LIBOS_FAULT_LOG="$W/list.log" \
  "$NSGX" run --enclave "$W/sh-enclave" -- /usr/bin/bash -c "ls $W/shdata" < /dev/null 2> list.err); st=$?
check_status "ls of a lying listing" "$st" 2
[ -z "$out" ] || fail "ls listed a lying host's names: $out"
grep -q "reading directory.*Input/output error" list.err || { cat list.err; fail "ls of a lying listing: no EIO"; }
grep -q '^list-slash$' list.log 2>/dev/null || fail "list-slash: the host never lied"

# 6. A changed library is refused: libc copied to a directory of its own
# (LD_LIBRARY_PATH in loader.env; `nsgx libos build` resolves libc there,
# as ld.so will inside), one byte flipped after signing.
libc=$(env -i /lib64/ld-linux-x86-64.so.2 --list "$W/hello" | awk '$1 == "libc.so.6" { print $3 }')
cp "$libc" "$W/lib/libc.so.6"
cat > copied.toml <<TOML
libos.entrypoint = "$W/hello"
loader.env.LD_LIBRARY_PATH = "$W/lib"
sgx.trusted_files = [ { uri = "file:$W/hello" } ]
TOML
build copied.toml "$W/copied-enclave"
out=$("$NSGX" run --enclave "$W/copied-enclave" -- "$W/hello" open "$W/hello" < /dev/null 2> copied.err); st=$?
[ "$st.$out" = "0.open $W/hello: ok" ] || { cat copied.err; fail "with the copied libc: $st '$out'"; }
cp "$W/lib/libc.so.6" "$W/libc.orig"
printf '\x01' | dd of="$W/lib/libc.so.6" bs=1 seek=4000 conv=notrunc status=none
[ "$(cmp -l "$W/libc.orig" "$W/lib/libc.so.6" | wc -l)" = 1 ] || fail "the flip changed other than one byte"
out=$("$NSGX" run --enclave "$W/copied-enclave" -- "$W/hello" open "$W/hello" < /dev/null 2> flipped.err); st=$?
[ "$st" != 0 ] || fail "the changed libc: status 0"
[ -z "$out" ] || fail "the program ran with the changed libc: $out"
grep -q "nsgx run: $W/lib/libc.so.6: SHA-256 does not match the manifest" flipped.err \
  || { cat flipped.err; fail "no clear error naming the changed library"; }
grep -q "libc.so.6: cannot open shared object file" flipped.err || { cat flipped.err; fail "ld.so loaded a libc"; }

# 7. A program whose interpreter does not exist: refused before the enclave
# is built, naming the program.
sed 's|/lib64/ld-linux-x86-64.so.2|/lib64/ld-linux-x86-64.so.9|' "$W/hello" > "$W/badinterp"
chmod +x "$W/badinterp"
"$NSGX" run -- "$W/badinterp" open x < /dev/null > /dev/null 2> badinterp.err; st=$?
check_status badinterp "$st" 126
grep -q "nsgx run: $W/badinterp: resolving its shared libraries" badinterp.err || { cat badinterp.err; fail "no clear error for a missing interpreter"; }

finish "dynamically linked programs"
