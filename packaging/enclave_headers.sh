#!/bin/sh
# enclave_headers.sh OUT CXX WRAPPERS
#
# Writes OUT: the C and C++ standard headers of enclave code compiled as the
# SGX SDK's Makefiles compile it — `-nostdinc -nostdinc++` with
# -I$(SGX_SDK)/include/tlibc and -I$(SGX_SDK)/include/libcxx, in either order
# (SampleEnclave puts tlibc first, Cxx11SGXDemo libcxx). Enclave C++ here is
# GCC's libstdc++ (lib64/libsgx_tcxx.a holds its position-independent build),
# over glibc's headers, as nsgx_add_enclave compiles enclaves; so OUT is the
# compiler's own search list (`CXX -E -v`: libstdc++, GCC's, glibc's and the
# kernel's headers) seen through one directory, each name resolved to the
# file the compiler would find first, as a symbolic link to it.
#
# #include_next cannot work in such a directory (it searches the directories
# after the one the file was found in, and here that is the other view, or
# none). The few headers that use it (libstdc++'s <cmath> and C wrappers,
# GCC's <limits.h> and <stdint.h>) are written as copies whose
# `#include_next <X>` names, by absolute path, the file the compiler's own
# list holds next for X. WRAPPERS (sdk/include/tlibc_ext: what the SDK's
# tlibc and libc++ give enclave code beyond the standard's, e.g. the
# bounds-checked string functions) come first, in front of everything.
# C++'s NULL is 0, as the SDK's tlibc defines it.
set -eu
out=$1 cxx=$2 wrappers=$3
rm -rf "$out"
mkdir -p "$out"
# The compiler's #include <...> directories, in order; of the two generic
# ones (multiarch and /usr/include) only the C library's and the kernel's
# parts: other libraries' headers are not for enclaves.
dirs=$("$cxx" -xc++ -E -v /dev/null 2>&1 | sed -n '/^#include <...> search starts here:/,/^End of search list/p' |
  sed -n 's/^ \(\/.*\)$/\1/p' | grep -v '^/usr/local/include$')
[ -n "$dirs" ] || { echo "enclave_headers.sh: no include directories from $cxx" >&2; exit 1; }
generic() { case "$1" in /usr/include | /usr/include/*-linux-gnu) return 0 ;; esac; return 1; }
list=$(mktemp)
trap 'rm -f "$list"' EXIT
n=0
for d in $wrappers $dirs; do
  n=$((n + 1))
  [ -d "$d" ] || continue
  if generic "$d"; then
    (cd "$d" && find . -maxdepth 1 -name '*.h' \( -type f -o -type l \) &&
      for s in bits sys gnu linux asm asm-generic net netinet arpa; do [ -d "$s" ] && find "$s" \( -type f -o -type l \); done;
      true)
  else
    (cd "$d" && find . \( -type f -o -type l \))
  fi | sed "s|^\./||; s|^|$n $d |" >>"$list"
done
# The first provider of each name wins (sort -s keeps the list's order).
win=$list.win nexts=$list.next
trap 'rm -f "$list" "$win" "$nexts"' EXIT
sort -s -k3,3 "$list" | awk '!seen[$3]++' >"$win"
awk '{ print $2 "/" $3 }' "$win" | xargs -d '\n' grep -l '^[[:space:]]*#[[:space:]]*include_next' >"$nexts" || true
awk '{ n = $3; sub(/\/?[^\/]*$/, "", n); print "'"$out"'/" n }' "$win" | sort -u | xargs -d '\n' mkdir -p
# Links, one ln per directory of the view.
awk -v nexts="$nexts" -v out="$out" '
  BEGIN { while ((getline l < nexts) > 0) skip[l] = 1 }
  { src = $2 "/" $3; if (src in skip) next; d = $3; sub(/\/?[^\/]*$/, "", d); print out "/" d "\t" src }' "$win" |
  sort -s -t "$(printf '\t')" -k1,1 | awk -F '\t' '
    $1 != cur { if (cur != "") printf "\n"; cur = $1; printf "%s", $1 } { printf "\t%s", $2 } END { if (cur != "") printf "\n" }' |
  while IFS= read -r line; do
    d=${line%%	*}
    printf '%s' "${line#*	}" | tr '\t' '\n' | xargs -d '\n' ln -s -t "$d"
  done
# The files with #include_next, each #include_next <X> to the next provider
# of X after its own directory.
awk -v nexts="$nexts" 'BEGIN { while ((getline l < nexts) > 0) want[l] = 1 } ($2 "/" $3) in want' "$win" |
while read -r idx dir name; do
  awk -v idx="$idx" -v list="$list" '
    function next_of(x,   line, f, best) {
      best = ""
      while ((getline line < list) > 0) {
        split(line, f, " ")
        if (f[3] == x && f[1] + 0 > idx + 0) { best = f[2] "/" f[3]; break }
      }
      close(list)
      return best
    }
    /^[[:space:]]*#[[:space:]]*include_next[[:space:]]*</ {
      x = $0; sub(/^[^<]*</, "", x); sub(/>.*$/, "", x)
      p = next_of(x)
      if (p != "") { sub(/include_next[[:space:]]*<[^>]*>/, "include \"" p "\"") }
    }
    { print }' "$dir/$name" >"$out/$name"
done
# NULL: 0 in C++ (the SDK's tlibc; SDK samples overload f(int)/f(int*) on
# it), after the compiler's own <stddef.h> however often that is included.
mv "$out/stddef.h" "$out/nsgx_compiler_stddef.h"
cat >"$out/stddef.h" <<'EOF'
/* nestedsgx (packaging/enclave_headers.sh): the compiler's <stddef.h>, with
 * NULL 0 in C++ as the SGX SDK's tlibc defines it. No include guard: the C
 * library includes it again for each __need_ macro. */
#include "nsgx_compiler_stddef.h"
#if defined(__cplusplus) && defined(NULL)
#undef NULL
#define NULL 0
#endif
EOF
