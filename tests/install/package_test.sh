#!/usr/bin/env bash
# The Debian package installed for real on this machine (issue 17's
# acceptance; CI runs it as root on a throwaway machine, from
# scripts/package): cpack builds the .deb from BUILD_DIR, apt-get installs
# whatever of its Depends is missing, `dpkg -i` installs it at /opt/nestedsgx
# and its postinst creates the monitor's user and group; then, from clean
# directories outside the repository, Intel's SDK samples are built by their
# own Makefiles after `source /opt/nestedsgx/environment` and run
# (sdk_samples.sh: HW = the isolated backend, SIM = the inproc one), the
# CMake find_package(nestedsgx) project builds, signs and runs an enclave,
# `nsgx run` runs the tree's static-PIE program in the library OS enclave
# (libos_run.sh), and `nsgx bench` runs the installed benchmarks; `dpkg -P` must then leave
# no file of the package and no account behind.
#
# What it changes is the machine's: it refuses to start where the package or
# /opt/nestedsgx is there already. Accounts and monitor state made before it
# (scripts/install-service) must survive the purge untouched. tests/install/deb_test.sh
# (ctest install_deb) checks the same package inside a temporary dpkg root
# instead, which any developer machine can run.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR [SAMPLE:MODE ...]  (sdk_samples.sh's matrix)
set -u
BUILD=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
shift 2
P=/opt/nestedsgx
SAMPLES=$SRC/../shared/vectors/sdk-samples
T=$(mktemp -d /tmp/nsgx-package-test.XXXXXX)
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
installed=
cleanup() {
  if [ -n "$installed" ]; then dpkg -P nestedsgx >/dev/null 2>&1; fi
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
finish() { echo "$fails failure(s)"; [ $fails -eq 0 ]; exit; }
[ "$(id -u)" == 0 ] || { echo "package_test.sh: must run as root (dpkg -i)" >&2; exit 2; }
for c in cpack dpkg dpkg-deb apt-get getent; do
  command -v $c >/dev/null || { echo "package_test.sh: $c is missing" >&2; exit 2; }
done
if dpkg -s nestedsgx >/dev/null 2>&1 || [ -e $P ]; then
  echo "package_test.sh: nestedsgx is installed here already ($P); not touching it" >&2
  exit 2
fi
# Accounts or monitor state made before (scripts/install-service, the
# machine's own system monitor) are not the package's: postinst records what
# it made and the purge must leave the rest exactly as it was.
accounts_before=$(getent passwd nsgx-monitor; getent group nsgx; getent group nsgx-monitor)
state_before=$( [ -e /var/lib/nsgx ] && find /var/lib/nsgx -type f -exec sha256sum {} + | sort)
[ -n "$accounts_before" ] && echo "package_test.sh: the accounts exist already; the purge must keep them"
start=$SECONDS

# --- build the package ---
if ! (cd "$T" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T/pkg") >"$T/cpack.log" 2>&1; then
  fail "cpack -G DEB: $(tail -5 "$T/cpack.log")"
  finish
fi
deb=$(ls "$T"/pkg/nestedsgx_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && pass "cpack built $(basename "$deb") ($((SECONDS - start)) s)" || { fail "no .deb"; finish; }

# --- its dependencies, then dpkg -i ---
depends=$(dpkg-deb -f "$deb" Depends)
missing=()
for d in $(tr ',' '\n' <<<"$depends" | sed 's/([^)]*)//; s/|.*//; s/ //g'); do
  dpkg -s "$d" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$d")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$T/apt.log" 2>&1 &&
    pass "apt-get installed the missing Depends: ${missing[*]}" || { fail "apt-get: $(tail -3 "$T/apt.log")"; finish; }
fi
if dpkg -i "$deb" >"$T/dpkg-i.log" 2>&1; then
  installed=1
  pass "dpkg -i $(basename "$deb")"
else
  installed=1
  fail "dpkg -i: $(tail -5 "$T/dpkg-i.log")"
  finish
fi
[ "$(dpkg-query -W -f '${Status}' nestedsgx)" == "install ok installed" ] && pass "dpkg: install ok installed" ||
  fail "dpkg status: $(dpkg-query -W -f '${Status}' nestedsgx)"
getent passwd nsgx-monitor | grep -q ':/var/lib/nsgx:/usr/sbin/nologin$' && getent group nsgx >/dev/null &&
  pass "user nsgx-monitor and group nsgx present after postinst" || fail "postinst accounts"
dpkg -L nestedsgx | grep -v '^/\.$' | sort >"$T/files"
grep -qxF $P/lib64/libsgx_urts.so.2 "$T/files" && pass "dpkg -L: $(wc -l <"$T/files") paths" || fail "dpkg -L"

# --- SDK samples' own Makefiles, from clean directories ---
cd "$T"
if "$SRC/tests/install/sdk_samples.sh" $P "$SAMPLES" "$SRC" "$@" >"$T/samples.out" 2>&1; then
  pass "SDK samples against $P: $(grep -c '^ok' "$T/samples.out") builds and runs"
else
  fail "SDK samples against $P"
fi
sed 's/^/     /' "$T/samples.out"

# --- a CMake project: find_package(nestedsgx) ---
unset NSGX_MONITOR NSGX_ENCLAVE_HOST NSGX_PRELOAD NSGX_BACKEND
export NSGX_STATE_DIR=$T/state NSGX_MONITOR_SOCKET=$T/no-daemon.sock
cp -r "$SRC/tests/install/project" "$T/cmake-src"
if (source $P/environment && cmake -S "$T/cmake-src" -B "$T/cmake-build" && cmake --build "$T/cmake-build") \
  >"$T/cmake.log" 2>&1; then
  pass "CMake find_package(nestedsgx) project builds and signs against $P"
  (cd "$T/cmake-build" && source $P/environment && ./sum_app sum_enclave.signed.so) >"$T/run.out" 2>&1 &&
    grep -q "app: total 39" "$T/run.out" && pass "its application runs the enclave" ||
    fail "CMake project run: $(head -c 600 "$T/run.out")"
else
  fail "CMake project: $(tail -20 "$T/cmake.log")"
fi

# --- nsgx run: the tree's static-PIE program in the package's library OS
# enclave on each backend, against its native run (libos_run.sh) ---
if "$SRC/tests/install/libos_run.sh" $P "$BUILD/libos/tests/libos_hello" >"$T/libos.out" 2>&1; then
  pass "nsgx run from $P: $(grep -c '^ok' "$T/libos.out") checks (libos_run.sh)"
else
  fail "nsgx run from $P"
fi
sed 's/^/     /' "$T/libos.out"

# --- installed benchmarks: nsgx bench sdk, both backends ---
if $P/bin/nsgx bench sdk --calls 200 --out "$T/bench" >"$T/bench.out" 2>&1 &&
  [ -s "$T/bench/sdk-isolated.json" ] && [ -s "$T/bench/sdk-inproc.json" ]; then
  pass "nsgx bench sdk runs the package's sdk_ecall_bench ($(grep -c 'null ECALL' "$T/bench.out") ECALL figures)"
else
  fail "nsgx bench sdk: $(tail -5 "$T/bench.out")"
fi

# --- purge: no file, no account left ---
cd /
if dpkg -P nestedsgx >"$T/purge.log" 2>&1; then
  installed=
  pass "dpkg -P nestedsgx"
else
  fail "dpkg -P: $(tail -5 "$T/purge.log")"
fi
left=$(while read -r f; do [ -e "$f" ] || [ -L "$f" ] && [ "$f" != /opt ] && echo "$f"; done <"$T/files")
[ -z "$left" ] && [ ! -e $P ] && pass "no file of the package left" || fail "left after purge: $(head -5 <<<"$left")"
[ ! -e /etc/systemd/system/nsgx-monitor.service ] && [ ! -e /var/lib/nestedsgx ] && pass "no unit or package record left" ||
  fail "unit or /var/lib/nestedsgx left"
if [ -z "$state_before" ]; then
  [ ! -e /var/lib/nsgx ] && pass "no monitor state left" || fail "/var/lib/nsgx left"
else
  [ "$(find /var/lib/nsgx -type f -exec sha256sum {} + | sort)" == "$state_before" ] &&
    pass "the monitor state made before the package is intact" || fail "purge changed /var/lib/nsgx made before it"
fi
accounts_after=$(getent passwd nsgx-monitor; getent group nsgx; getent group nsgx-monitor)
if [ -z "$accounts_before" ]; then
  [ -z "$accounts_after" ] && pass "purge removed user nsgx-monitor and groups nsgx, nsgx-monitor" ||
    fail "accounts left after purge: $accounts_after"
else
  [ "$accounts_after" == "$accounts_before" ] && pass "purge kept the accounts made before the package" ||
    fail "accounts changed by purge: '$accounts_before' -> '$accounts_after'"
fi
dpkg -s nestedsgx >/dev/null 2>&1 && fail "dpkg still knows nestedsgx" || pass "dpkg no longer knows nestedsgx"
echo "package stage: $((SECONDS - start)) s"
finish
