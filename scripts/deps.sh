#!/usr/bin/env bash
# Installs the Debian 12 packages nestedsgx builds with, if any is missing.
# Sourced by the other scripts; safe to run repeatedly.
set -euo pipefail

NSGX_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-tidy binutils openssl
  libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libseccomp-dev libmbedtls-dev libpugixml-dev libstdc++-12-pic libsqlite3-dev
  libtomlplusplus-dev sqlite3
  gdb python3
  redis-server redis-tools lighttpd wrk fio curl xz-utils
)

nsgx_install_deps() {
  local missing=()
  for p in "${NSGX_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
    { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# nsgx_build DIR [cmake args...] — configures (once) and builds with Ninja.
nsgx_build() {
  local dir=$1
  shift
  cmake -S "$NSGX_ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir"
}

NSGX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NSGX_ROOT
