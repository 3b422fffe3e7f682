#!/usr/bin/env bash
# The Debian package (packaging/CMakeLists.txt, CPack DEB) built from this
# build and installed with dpkg: its control data and contents, then an
# install, a small enclave application built outside the tree against the
# installed prefix (CMake find_package and an SGX SDK sample-style
# Makefile) and run, then removal and purge leaving nothing behind.
#
# The install goes into a temporary root (dpkg --root, maintainer scripts
# run with DPKG_ROOT by --force-script-chrootless) rather than into /: the
# package's postinst creates the nsgx-monitor user and nsgx group, which the
# trust_boundary test creates and deletes for itself and which other work on
# a shared machine may rely on, and /opt/nestedsgx may hold a real install.
# The root has no dependencies installed (--force-depends); they are checked
# in the control data, and the programs run with the host's libraries.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
T=$(mktemp -d /tmp/nsgx-deb-test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
finish() { echo "$fails failure(s)"; [ $fails -eq 0 ]; exit; }
# dpkg --root and useradd --prefix need root (CI runs as root); say so loudly.
if [ "$(id -u)" != 0 ] || ! command -v dpkg-deb >/dev/null || ! command -v cpack >/dev/null; then
  echo "SKIPPED: deb_test.sh needs root, dpkg-deb and cpack" >&2
  exit 77
fi
unset NSGX_MONITOR NSGX_ENCLAVE_HOST NSGX_PRELOAD NSGX_BENCH_DIR NSGX_DEMO_DIR NSGX_RA_DIR NSGX_BACKEND
export NSGX_STATE_DIR=$T/state NSGX_MONITOR_SOCKET=$T/no-daemon.sock

# --- the package, from this build ---
if ! (cd "$T" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T/pkg") >"$T/cpack.log" 2>&1; then
  fail "cpack -G DEB: $(tail -5 "$T/cpack.log")"
  finish
fi
deb=$(ls "$T"/pkg/nestedsgx_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && pass "cpack built $(basename "$deb")" || { fail "no .deb in $T/pkg"; finish; }

# --- control data ---
info=$(dpkg-deb -I "$deb")
grep -q "^ Package: nestedsgx$" <<<"$info" && grep -q "^ Architecture: amd64$" <<<"$info" &&
  pass "control: package nestedsgx, amd64" || fail "control: $info"
depends=$(dpkg-deb -f "$deb" Depends)
[[ "$depends" == *libssl3* && "$depends" == *libseccomp2* && "$depends" == *libc6* ]] &&
  pass "Depends (from dpkg-shlibdeps): $depends" || fail "Depends: '$depends'"
for s in postinst prerm postrm; do
  grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$s +#!/bin/sh" <<<"$info" &&
    pass "maintainer script $s present, executable, /bin/sh" || fail "maintainer script $s: $info"
done

# --- contents: root-owned, under /opt/nestedsgx, no build paths ---
dpkg-deb -c "$deb" >"$T/contents"
awk '$2 != "root/root"' "$T/contents" >"$T/not-root"
[ ! -s "$T/not-root" ] && pass "every file owned by root/root" || fail "not root's: $(head -3 "$T/not-root")"
awk '{print $6}' "$T/contents" | grep -vE '^\./$|^\./opt/$|^\./opt/nestedsgx/' >"$T/outside"
[ ! -s "$T/outside" ] && pass "everything under /opt/nestedsgx" || fail "outside the prefix: $(head -3 "$T/outside")"
grep -qE '^-rwsr|^-rwxr-sr' "$T/contents" && fail "setuid/setgid files" || pass "no setuid/setgid files"
for f in ./opt/nestedsgx/bin/nsgx ./opt/nestedsgx/lib64/libsgx_urts.so.2 ./opt/nestedsgx/share/nestedsgx/gdb/nsgx_gdb.py \
  ./opt/nestedsgx/share/nestedsgx/nsgx-monitor.service ./opt/nestedsgx/libexec/nestedsgx/nsgx-monitor \
  ./opt/nestedsgx/libexec/nestedsgx/{nsgx-libos-host,libos_enclave.unsigned.so} \
  ./opt/nestedsgx/libexec/nestedsgx/{sdk_ecall_bench,bench_enclave.signed.so,workloads_bench,workloads_enclave.signed.so}; do
  awk '{print $6}' "$T/contents" | grep -qxF "$f" || fail "missing $f"
done
mkdir "$T/x" && dpkg-deb -x "$deb" "$T/x"
# Text files (scripts, CMake and pkg-config files, the unit, the
# environment) must name /opt/nestedsgx, never this build or source tree;
# ELF files no RPATH/RUNPATH into them. (Debug information, which this
# RelWithDebInfo build carries in programs and in the static archives'
# objects, names source files by design.)
leaks=
while IFS= read -r -d '' f; do
  if [ "$(head -c 7 "$f")" == '!<arch>' ]; then
    continue  # static libraries: objects with debug information only
  elif head -c 4 "$f" | grep -q $'\x7fELF'; then
    readelf -d "$f" 2>/dev/null | grep -E 'RPATH|RUNPATH' | grep -qE "$BUILD|$SRC" && leaks+=" $f"
  elif grep -qE "$BUILD|$SRC" "$f"; then
    leaks+=" $f"
  fi
done < <(find "$T/x" -type f -print0)
[ -z "$leaks" ] && pass "no build or source paths in text files or run paths" || fail "build paths in:$leaks"
grep -q "^export SGX_SDK=/opt/nestedsgx$" "$T/x/opt/nestedsgx/environment" && pass "environment names /opt/nestedsgx" ||
  fail "environment: $(head -5 "$T/x/opt/nestedsgx/environment")"

# --- install into a temporary root ---
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/etc"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$R/etc/shadow"
printf 'root:*::\n' >"$R/etc/gshadow"
# The tree outside dpkg's database, less the backups (passwd- …) useradd leaves.
(cd "$R" && find . -path ./var/lib/dpkg -prune -o -path './etc/*-' -prune -o -print | sort) >"$T/before"
cp "$R"/etc/{passwd,group} "$T/"
dpkg_r() { dpkg --root="$R" --force-script-chrootless --force-depends --log="$T/dpkg.log" "$@"; }
if dpkg_r -i "$deb" >"$T/install.log" 2>&1; then
  pass "dpkg -i (root $R)"
else
  fail "dpkg -i: $(tail -5 "$T/install.log")"
  finish
fi
status=$(dpkg --root="$R" -s nestedsgx 2>/dev/null | grep '^Status:')
[ "$status" == "Status: install ok installed" ] && pass "dpkg -s: $status" || fail "dpkg -s: '$status'"
grep -q '^nsgx-monitor:x:[0-9]*:[0-9]*:nestedsgx security monitor:/var/lib/nsgx:/usr/sbin/nologin$' "$R/etc/passwd" &&
  grep -q '^nsgx:' "$R/etc/group" && pass "postinst created user nsgx-monitor and group nsgx (in the root)" ||
  fail "postinst accounts: $(cat "$R/etc/passwd" "$R/etc/group")"
P=$R/opt/nestedsgx
[ -x "$P/bin/nsgx" ] && "$P/bin/nsgx" --version >/dev/null && pass "installed nsgx runs" || fail "installed nsgx"

# --- an application outside the tree, against the installed prefix ---
run_app() {  # run_app NAME DIR APP ENCLAVE
  if (cd "$2" && LD_LIBRARY_PATH=$P/lib64 ./"$3" "$4") >"$T/run.out" 2>&1 &&
    grep -q "app: total 39" "$T/run.out"; then
    pass "$1 runs on the isolated backend with the package's monitor"
  else
    fail "$1 run: $(head -c 600 "$T/run.out")"
  fi
}
cp -r "$SRC/tests/install/project" "$T/cmake-src"
if cmake -S "$T/cmake-src" -B "$T/cmake-build" -DCMAKE_PREFIX_PATH="$P" >"$T/cmake.log" 2>&1 &&
  cmake --build "$T/cmake-build" >>"$T/cmake.log" 2>&1; then
  pass "CMake find_package(nestedsgx) project builds against the package"
  run_app "CMake project" "$T/cmake-build" sum_app sum_enclave.signed.so
else
  fail "CMake project: $(tail -20 "$T/cmake.log")"
fi
cp -r "$SRC/tests/install/project" "$T/make-src"
if make -C "$T/make-src" SGX_SDK="$P" >"$T/make.log" 2>&1; then
  pass "SampleCode-style Makefile (SGX_SDK=$P) builds against the package"
  run_app "Makefile project" "$T/make-src" app enclave.signed.so
else
  fail "Makefile project: $(tail -20 "$T/make.log")"
fi

# --- remove, then purge: nothing left ---
if dpkg_r -r nestedsgx >"$T/remove.log" 2>&1; then pass "dpkg -r"; else fail "dpkg -r: $(tail -5 "$T/remove.log")"; fi
[ ! -e "$R/opt/nestedsgx" ] && pass "dpkg -r removed /opt/nestedsgx" ||
  fail "left after dpkg -r: $(find "$R/opt" | head -5)"
grep -q '^nsgx-monitor:' "$R/etc/passwd" && pass "the accounts stay until purge (sealed data's owner)" ||
  fail "dpkg -r removed the accounts"
if dpkg_r -P nestedsgx >"$T/purge.log" 2>&1; then pass "dpkg -P"; else fail "dpkg -P: $(tail -5 "$T/purge.log")"; fi
(cd "$R" && find . -path ./var/lib/dpkg -prune -o -path './etc/*-' -prune -o -print | sort) >"$T/after"
diff "$T/before" "$T/after" >"$T/left" && pass "after purge the root holds exactly what it held before" ||
  fail "left behind: $(cat "$T/left")"
cmp -s "$T/passwd" "$R/etc/passwd" && cmp -s "$T/group" "$R/etc/group" &&
  pass "purge removed the accounts postinst made" || fail "accounts after purge: $(cat "$R/etc/passwd" "$R/etc/group")"
[ -z "$(dpkg --root="$R" -l 2>/dev/null | awk '$2 == "nestedsgx"')" ] && pass "dpkg no longer knows the package" ||
  fail "dpkg -l still lists nestedsgx"

# --- accounts and monitor state made before the package (scripts/install-service) are not the package's ---
groupadd --prefix "$R" --system nsgx && useradd --prefix "$R" --system --user-group --home-dir /var/lib/nsgx \
  --no-create-home --shell /usr/sbin/nologin nsgx-monitor || fail "pre-creating the accounts in $R"
mkdir -p "$R/var/lib/nsgx" && echo "sealing depends on me" >"$R/var/lib/nsgx/monitor-platform.secrets"
cp "$R"/etc/{passwd,group} "$T/"
if dpkg_r -i "$deb" >"$T/install2.log" 2>&1 && dpkg_r -P nestedsgx >"$T/purge2.log" 2>&1; then
  pass "dpkg -i then -P over accounts and state made before"
else
  fail "second install/purge: $(tail -5 "$T/install2.log" "$T/purge2.log")"
fi
cmp -s "$T/passwd" "$R/etc/passwd" && cmp -s "$T/group" "$R/etc/group" &&
  pass "purge kept the accounts it did not make" || fail "accounts after purge: $(cat "$R/etc/passwd" "$R/etc/group")"
grep -qx "sealing depends on me" "$R/var/lib/nsgx/monitor-platform.secrets" 2>/dev/null &&
  pass "purge kept the monitor state it did not make" || fail "purge deleted /var/lib/nsgx made before the package"
[ ! -e "$R/var/lib/nestedsgx" ] && pass "purge removed its own record" || fail "left: $R/var/lib/nestedsgx"
finish
