#!/usr/bin/env bash
# Walks through measuring, inspecting and signing enclaves with `nsgx`.
set -euo pipefail
NSGX=$1
V=${NSGX_VECTORS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/vectors}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
step() { printf '\n== %s\n' "$*"; }

IMG="$V/sdk/sgxsdk_SampleEnclave.signed.so"
step "MRENCLAVE of the SGX SDK SampleEnclave, replayed from its layout (nsgx measure)"
MR=$("$NSGX" measure --sgxs-out "$W/sample.sgxs" "$IMG")
echo "$MR"
step "its SIGSTRUCT (nsgx sigstruct): the signature verifies and ENCLAVEHASH equals the measurement"
"$NSGX" sigstruct "$IMG"
step "the SGXS stream written alongside hashes to the same MRENCLAVE"
echo "sha256(sample.sgxs) = $(sha256sum "$W/sample.sgxs" | cut -d' ' -f1)"
step "a fresh RSA-3072 exponent-3 key (nsgx keygen) re-signs the image as our own"
"$NSGX" keygen --out "$W/key.pem"
"$NSGX" sign --key "$W/key.pem" --isvprodid 1 --isvsvn 2 --out "$W/sample.ss" --out-image "$W/sample.signed.so" "$IMG"
"$NSGX" sigstruct "$W/sample.signed.so" | grep -E 'mrsigner|isvprodid|isvsvn|signature'
step "one changed code byte changes MRENCLAVE, and the old SIGSTRUCT no longer matches"
cp "$IMG" "$W/tampered.so"
chmod u+w "$W/tampered.so"
printf '\x90' | dd of="$W/tampered.so" bs=1 seek=$((0x3000)) conv=notrunc status=none
"$NSGX" measure "$W/tampered.so"
if "$NSGX" sigstruct "$W/tampered.so" >/dev/null; then echo "unexpected: tampered image accepted"; exit 1; fi
echo "demo complete"
