#!/usr/bin/env bash
# End-to-end tests of the nsgx command line against the known-answer vectors.
# Usage: cli_test.sh NSGX VECTORS_DIR
set -u
NSGX=$1
V=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
expect_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }
# expect_rc NAME WANT CMD... — runs CMD, checks its exit status and that a failure says why on stderr.
expect_rc() {
  local name=$1 want=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want ($(head -c 300 "$T/err"))"; return; fi
  if [ "$want" != 0 ] && [ ! -s "$T/err" ]; then fail "$name: failed without a reason"; return; fi
  pass "$name"
}
flip() {  # flip FILE OFFSET OUT — copy FILE with one byte inverted
  cp "$1" "$3"; chmod u+w "$3"
  local b; b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$3" bs=1 seek="$2" conv=notrunc status=none
}
json_field() { sed -n "s/.*\"$1\": \"\([0-9a-f]*\)\".*/\1/p"; }

# --- measurement ---
expect_eq "measure --sgxs fortanix" "$("$NSGX" measure --sgxs "$V/sgx/fortanix_test_enclave.sgxs")" \
  784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc
expect_eq "measure --pages enarx" "$("$NSGX" measure --pages "$V/sgx/enarx_encl.bin" --tcs 0 --enclave-size 0x8000 --ssa-frame-size 1)" \
  b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0
for img in "$V"/sdk/*; do
  name=$(basename "$img")
  hash=$("$NSGX" sigstruct --json "$img" | json_field enclavehash)
  measured=$("$NSGX" measure "$img")
  expect_eq "measure $name = ENCLAVEHASH" "$measured" "$hash"
  # Change one byte of measured code (the middle of the text segment).
  read -r seg_off seg_size < <(readelf -lW "$img" | awk '$1=="LOAD" && / R E / {print $2, $5; exit}')
  off=$((seg_off + seg_size / 2))
  flip "$img" "$off" "$T/code.so"
  changed=$("$NSGX" measure "$T/code.so")
  if [ -n "$changed" ] && [ "$changed" != "$measured" ]; then pass "code byte changes $name"; else fail "code byte changes $name"; fi
  expect_rc "sigstruct of the patched $name names the mismatch" 1 "$NSGX" sigstruct "$T/code.so"
  grep -q "ENCLAVEHASH does not match" "$T/err" && pass "mismatch reason" || fail "mismatch reason: $(cat "$T/err")"
done
"$NSGX" measure --sgxs-out "$T/sample.sgxs" "$V/sdk/sgxsdk_SampleEnclave.signed.so" >"$T/mr"
expect_eq "SGXS written for an image measures the same" "$("$NSGX" measure --sgxs "$T/sample.sgxs")" "$(cat "$T/mr")"
expect_eq "SGXS stream hash is MRENCLAVE" "$(sha256sum "$T/sample.sgxs" | cut -d' ' -f1)" "$(cat "$T/mr")"

# --- signing vectors, byte for byte ---
"$NSGX" sign --key "$V/sgx/fortanix_sig1.key.pem" --enclavehash c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d \
  --date 20160109 --vendor 0 --attributes 0x4 --attributes-mask 0xfffffffffffffffd --xfrm 0x3 --xfrm-mask 0xffffffffffffff1b \
  --miscselect 0 --misc-mask 0xffffffff --isvprodid 0 --isvsvn 0 --out "$T/sig1.bin" >/dev/null
cmp -s "$T/sig1.bin" "$V/sgx/fortanix_sig1.sigstruct.bin" && pass "fortanix sig1 byte for byte" || fail "fortanix sig1 byte for byte"
"$NSGX" sign --key "$V/sgx/enarx_encl.pem" --pages "$V/sgx/enarx_encl.bin" --tcs 0 --date 00000000 \
  --attributes 4 --xfrm 3 --attributes-mask 0 --xfrm-mask 0 --misc-mask 0 --out "$T/enarx.ss" >/dev/null
cmp -s "$T/enarx.ss" "$V/sgx/enarx_encl.ss" && pass "enarx re-sign byte for byte" || fail "enarx re-sign byte for byte"

# --- sigstruct: every vector accepted, a flipped signed byte rejected with a reason ---
for f in "$V"/sgx/fortanix_test_enclave.sig "$V"/sgx/fortanix_sig1.sigstruct.bin "$V"/sgx/enarx_encl.ss "$V"/sdk/*; do
  expect_rc "sigstruct accepts $(basename "$f")" 0 "$NSGX" sigstruct "$f"
done
for off in 0 20 30 940 960 1024 1026; do
  flip "$V/sgx/fortanix_test_enclave.sig" "$off" "$T/bad.sig"
  expect_rc "sigstruct rejects flipped signed byte $off" 1 "$NSGX" sigstruct "$T/bad.sig"
done
# The metadata starts 0x19 bytes into .note.sgxmeta (12-byte note header + "sgx_metadata\0").
note=$(readelf -SW "$V/sdk/sgxsdk_SampleEnclave.signed.so" | awk '$2==".note.sgxmeta" {print $5}')
md=$((0x$note + 0x19))
flip "$V/sdk/sgxsdk_SampleEnclave.signed.so" $((md + 64 + 1026)) "$T/badsig.so"  # ISVSVN inside the image's SIGSTRUCT
expect_rc "sigstruct rejects an image whose SIGSTRUCT was altered" 1 "$NSGX" sigstruct "$T/badsig.so"
grep -q "SIGNATURE does not verify" "$T/err" && pass "altered image reason" || fail "altered image reason: $(cat "$T/err")"

# --- keygen, sign an image, verify it ---
expect_rc "keygen" 0 "$NSGX" keygen --out "$T/key.pem"
[ "$(stat -c %a "$T/key.pem")" == 600 ] && pass "key mode 0600" || fail "key mode $(stat -c %a "$T/key.pem")"
expect_rc "sign image" 0 "$NSGX" sign --key "$T/key.pem" --isvsvn 7 --out "$T/new.ss" --out-image "$T/new.so" "$V/sdk/sgxsdk_SampleEnclave.signed.so"
expect_rc "signed image verifies" 0 "$NSGX" sigstruct "$T/new.so"
expect_eq "signed image keeps MRENCLAVE" "$("$NSGX" measure "$T/new.so")" "$("$NSGX" measure "$V/sdk/sgxsdk_SampleEnclave.signed.so")"
expect_eq "new ISVSVN" "$("$NSGX" sigstruct --json "$T/new.so" | sed -n 's/.*"isvsvn": \([0-9]*\).*/\1/p')" 7

# --- bad input: clear errors, exit 2 ---
head -c 1000 "$V/sdk/sgxsdk_SampleEnclave.signed.so" >"$T/trunc.so"
expect_rc "truncated image" 2 "$NSGX" measure "$T/trunc.so"
head -c 1000 "$V/sgx/fortanix_test_enclave.sgxs" >"$T/trunc.sgxs"
expect_rc "truncated sgxs" 2 "$NSGX" measure --sgxs "$T/trunc.sgxs"
expect_rc "missing file" 2 "$NSGX" measure --sgxs "$T/none"
expect_rc "two inputs" 2 "$NSGX" measure --sgxs "$V/sgx/fortanix_test_enclave.sgxs" "$V/sdk/sgxsdk_SampleEnclave.signed.so"
expect_rc "bad hash" 2 "$NSGX" sign --key "$T/key.pem" --enclavehash 1234 --out "$T/x"
expect_rc "bad number" 2 "$NSGX" sign --key "$T/key.pem" --enclavehash "$(cat "$T/mr")" --isvsvn 70000 --out "$T/x"
expect_rc "bad date" 2 "$NSGX" sign --key "$T/key.pem" --enclavehash "$(cat "$T/mr")" --date 2024-01-01 --out "$T/x"
openssl genrsa -3 2048 >"$T/small.pem" 2>/dev/null
expect_rc "2048-bit key refused" 2 "$NSGX" sign --key "$T/small.pem" --enclavehash "$(cat "$T/mr")" --out "$T/x"
expect_rc "not a sigstruct" 2 "$NSGX" sigstruct "$V/sgx/enarx_encl.pem"

# --- exec and bench: clear errors; the inproc suite runs when it is built ---
expect_rc "exec of a static program refused" 2 "$NSGX" exec -- /sbin/ldconfig
expect_rc "exec of a missing program" 2 "$NSGX" exec -- "$T/no-such-program"
expect_rc "bench: unknown suite" 2 "$NSGX" bench nosuchsuite
if "$NSGX" bench --list inproc | grep -q '^inproc	/'; then
  out=$(NSGX_STATE_DIR="$T/state" "$NSGX" bench inproc --filter 'NullEnterExit|Ud2' --min-time 0.01 --out "$T/bench" 2>&1)
  if grep -q 'null EENTER->EEXIT through the vDSO: median [0-9]* cycles' <<<"$out" && [ -s "$T/bench/inproc.json" ]; then
    pass "bench inproc reports the round trip"
  else
    fail "bench inproc: $(tail -5 <<<"$out")"
  fi
fi

if "$NSGX" bench --list sdk | grep -q '^sdk	/'; then
  out=$(NSGX_STATE_DIR="$T/state" "$NSGX" bench sdk --calls 500 2>&1)
  if grep -q 'backend isolated  null OCALL round trip (exit gate): median [0-9]* cycles' <<<"$out" &&
    grep -q 'backend isolated  null ECALL round trip (trap path): median [0-9]* cycles.*0 through the gate' <<<"$out" &&
    grep -q 'backend isolated  null ECALL round trip (exit gate): median [0-9]* cycles.*x a plain call; exits: [1-9][0-9]* through the gate, 0 trapped' <<<"$out" &&
    grep -q 'backend inproc    null OCALL round trip (exit gate): median [0-9]* cycles' <<<"$out" &&
    grep -q 'backend inproc    null ECALL round trip (exit gate): median [0-9]* cycles.*exits: [1-9][0-9]* through the gate, 0 trapped' <<<"$out" &&
    grep -q 'backend inproc    null ECALL round trip (trap path): median [0-9]* cycles.*0 through the gate' <<<"$out"; then
    pass "bench sdk reports ECALL and OCALL round trips on both backends, through the exit gate and the trap path"
  else
    fail "bench sdk: $(tail -5 <<<"$out")"
  fi
fi

# --- demo: hello, local attestation, the sealed counter twice (the count survives the new process) ---
if [ -x "$(dirname "$NSGX")/../../examples/sealed_counter/sealed_counter" ]; then
  out=$(NSGX_STATE_DIR="$T/demo-state" "$NSGX" demo 2>&1)
  if [ $? == 0 ] && grep -q "enclave says: Hello, nestedsgx" <<<"$out" && grep -q "^local attestation: OK$" <<<"$out" &&
    grep -q "count is now 2" <<<"$out" && grep -q "refused (SGX_ERROR_MAC_MISMATCH)" <<<"$out"; then
    pass "demo runs hello, local attestation, and the sealed counter twice (count 1 then 2, tampering refused)"
  else
    fail "demo: $(tail -5 <<<"$out")"
  fi
fi

# --- verify snp: the vector report, its VCEK and AMD's chain; each failure says why ---
S="$V/snp"
# --at: the vector VCEK expires in 2030; verify as of a fixed day inside every validity period.
SNP=(verify snp --report "$S/virtee_report_milan.hex" --vcek "$S/virtee_vcek_milan.der" --at 2024-06-01)
expect_rc "verify snp: vector, built-in chain (auto)" 0 "$NSGX" "${SNP[@]}"
grep -q "^verdict: OK$" "$T/out" && grep -q "^chain: Milan (built-in" "$T/out" && pass "verify snp: verdict and chain" ||
  fail "verify snp: verdict and chain: $(tail -3 "$T/out")"
expect_rc "verify snp: --product milan" 0 "$NSGX" "${SNP[@]}" --product milan
expect_rc "verify snp: --ark/--ask files" 0 "$NSGX" "${SNP[@]}" --ark "$S/amd_milan_ark.pem" --ask "$S/amd_milan_ask.pem"
expect_rc "verify snp: --json" 0 "$NSGX" "${SNP[@]}" --json
grep -q '"verified": true' "$T/out" && pass "verify snp: JSON verdict" || fail "verify snp: JSON verdict"
expect_rc "verify snp: the Genoa chain" 1 "$NSGX" "${SNP[@]}" --product genoa
grep -q "VCEK not signed by ASK" "$T/err" && pass "Genoa reason" || fail "Genoa reason: $(cat "$T/err")"
expect_rc "verify snp: the Genoa ASK under the Milan ARK" 1 "$NSGX" "${SNP[@]}" --ark "$S/amd_milan_ark.pem" --ask "$S/amd_genoa_ask.pem"
grep -q "ASK not signed by ARK" "$T/err" && pass "crossed chain reason" || fail "crossed chain reason: $(cat "$T/err")"
expect_rc "verify snp: after the VCEK expired" 1 "$NSGX" verify snp --report "$S/virtee_report_milan.hex" \
  --vcek "$S/virtee_vcek_milan.der" --at 2031-01-01
grep -q "VCEK expired on 2030-04-03" "$T/err" && pass "expiry reason" || fail "expiry reason: $(cat "$T/err")"
perl -0777 -ne 'print pack("H*", $_ =~ s/\s//gr)' "$S/virtee_report_milan.hex" >"$T/report.bin"
expect_rc "verify snp: binary report" 0 "$NSGX" "${SNP[@]/$S\/virtee_report_milan.hex/$T/report.bin}"
flip "$T/report.bin" $((0x90)) "$T/measurement.bin"
expect_rc "verify snp: a flipped MEASUREMENT byte" 1 "$NSGX" "${SNP[@]/$S\/virtee_report_milan.hex/$T/measurement.bin}"
grep -q "report signature does not verify with the VCEK" "$T/err" && pass "signature reason" || fail "signature reason: $(cat "$T/err")"
flip "$T/report.bin" $((0x1a0)) "$T/chip.bin"
expect_rc "verify snp: another CHIP_ID" 1 "$NSGX" "${SNP[@]/$S\/virtee_report_milan.hex/$T/chip.bin}"
grep -q "VCEK hwID does not match report CHIP_ID" "$T/err" && pass "hwID reason" || fail "hwID reason: $(cat "$T/err")"
head -c 1000 "$T/report.bin" >"$T/short.bin"
expect_rc "verify snp: truncated report" 2 "$NSGX" "${SNP[@]/$S\/virtee_report_milan.hex/$T/short.bin}"
expect_rc "verify snp: a certificate as the report" 2 "$NSGX" "${SNP[@]/$S\/virtee_report_milan.hex/$S/amd_milan_ark.pem}"
expect_rc "verify snp: a report as the VCEK" 2 "$NSGX" verify snp --report "$T/report.bin" --vcek "$T/report.bin"
expect_rc "verify snp: missing report" 2 "$NSGX" verify snp --report "$T/none" --vcek "$S/virtee_vcek_milan.der"
expect_rc "verify snp: unknown product" 2 "$NSGX" "${SNP[@]}" --product rome
expect_rc "verify snp: --ask without --ark" 2 "$NSGX" "${SNP[@]}" --ask "$S/amd_milan_ask.pem"
expect_rc "verify: a subcommand is required" 2 "$NSGX" verify

# --- snp report: emulated evidence (no /dev/sev-guest here), refused unless allowed ---
if [ ! -e /dev/sev-guest ]; then
  # RSA-3072 (accepted, like AMD's 4096) keeps the one-time key generation short.
  expect_rc "snp report (emulated)" 0 env NSGX_STATE_DIR="$T/snp-state" "$NSGX" snp report --out "$T/emu.bin" \
    --report-data 00112233 --measurement aabb --certs-out "$T/emu" --rsa-bits 3072
  [ "$(stat -c %a "$T/snp-state/snp-emulated/vcek-key.pem")" == 600 ] && pass "emulated key mode 0600" ||
    fail "emulated key mode $(stat -c %a "$T/snp-state/snp-emulated/vcek-key.pem")"
  EMU=(verify snp --report "$T/emu.bin" --vcek "$T/emu/vcek.pem" --ask "$T/emu/ask.pem" --ark "$T/emu/ark.pem")
  expect_rc "verify snp: emulated evidence refused by default" 1 "$NSGX" "${EMU[@]}"
  grep -q "emulated platform root" "$T/err" && pass "emulated reason" || fail "emulated reason: $(cat "$T/err")"
  expect_rc "verify snp: emulated evidence with --allow-emulated" 0 "$NSGX" "${EMU[@]}" --allow-emulated
  grep -q "^verdict: OK (EMULATED" "$T/out" && grep -q "^report_data: 00112233" "$T/out" && pass "emulated verdict" ||
    fail "emulated verdict: $(tail -2 "$T/out")"
  expect_rc "verify snp: emulated VCEK under AMD's roots" 1 "$NSGX" verify snp --report "$T/emu.bin" --vcek "$T/emu/vcek.pem" --allow-emulated
  expect_rc "snp report: same root the second time" 0 env NSGX_STATE_DIR="$T/snp-state" "$NSGX" snp report --out "$T/emu2.bin" --certs-out "$T/emu2"
  cmp -s "$T/emu/vcek.pem" "$T/emu2/vcek.pem" && pass "emulated root persists" || fail "emulated root persists"
  expect_rc "snp report: REPORT_DATA too long" 2 "$NSGX" snp report --out "$T/x" --report-data "$(printf '%0130d' 0)"
fi

# --- manifest: a library OS manifest to its canonical binary form; bad ones refused, saying where ---
h=$(printf 'ab%.0s' $(seq 32))
cat >"$T/m.toml" <<EOF
libos.entrypoint = "/usr/local/bin/hello"
loader.env.LANG = "C"
sgx.trusted_files = [ { uri = "file:/usr/local/bin/hello", sha256 = "$h" } ]
sgx.allowed_files = [ "file:/tmp/out.txt" ]
sgx.encrypted_files = [ { uri = "file:/data", key_name = "_sgx_mrsigner" }, { uri = "file:/a/b" } ]
EOF
expect_rc "manifest: compiles" 0 "$NSGX" manifest "$T/m.toml" --out "$T/m.bin"
expect_eq "manifest: prints the binary form's SHA-256" "$(sed -n 's/^manifest sha256 \([0-9a-f]*\).*/\1/p' "$T/out")" \
  "$(sha256sum "$T/m.bin" | cut -d' ' -f1)"
expect_eq "manifest: lists the trusted file" "$(grep '^trusted' "$T/out")" "trusted $h /usr/local/bin/hello"
expect_eq "manifest: lists the encrypted paths" "$(grep '^encrypted' "$T/out" | tr '\n' ' ')" \
  "encrypted _sgx_mrenclave /a/b encrypted _sgx_mrsigner /data "
# The same manifest in another order: the same bytes.
cat >"$T/m2.toml" <<EOF
sgx.encrypted_files = [ { uri = "file:/a/b", key_name = "_sgx_mrenclave" }, { uri = "file:/data", key_name = "_sgx_mrsigner" } ]
sgx.allowed_files = [ "file:/tmp/out.txt" ]
sgx.trusted_files = [ { uri = "file:/usr/local/bin/hello", sha256 = "$h" } ]
loader.env.LANG = "C"
libos.entrypoint = "file:/usr/local/bin/hello"
EOF
expect_rc "manifest: reordered compiles" 0 "$NSGX" manifest "$T/m2.toml" --out "$T/m2.bin"
if cmp -s "$T/m.bin" "$T/m2.bin"; then pass "manifest: one encoding"; else fail "manifest: reordered TOML encodes differently"; fi
printf 'libos.entrypoint = "/x"\nsgx.bogus = 1\n' >"$T/bad.toml"
expect_rc "manifest: unknown key" 2 "$NSGX" manifest "$T/bad.toml"
if grep -q 'bad.toml:2: unknown key sgx.bogus' "$T/err"; then pass "manifest: says which key and line"; else fail "manifest: $(cat "$T/err")"; fi
printf 'libos.entrypoint = "/x"\n' >"$T/untrusted.toml"
expect_rc "manifest: entrypoint not trusted" 2 "$NSGX" manifest "$T/untrusted.toml"
expect_rc "manifest: missing file" 2 "$NSGX" manifest "$T/none.toml"

echo "$fails failure(s)"
[ "$fails" == 0 ]
