# Build-time edits of Intel's LocalAttestation sample, made on copies in the
# build directory (the sample's sources stay as they are; nothing of them is
# in this repository). cmake -P with one of:
#
#   -DMODE=mrsigner -DNSGX=nsgx -DKEY=key.pem -DOUT=key.mrsigner
#     The MRSIGNER (SHA-256 of the modulus, SDM Vol.3D 38.13) of KEY, in hex,
#     as our own tools compute it: nsgx sign makes a SIGSTRUCT with that key
#     (for an all-zero ENCLAVEHASH: MRSIGNER depends on the key alone) and
#     nsgx sigstruct --json reports its mrsigner.
#
#   -DMODE=peer -DIN=EnclaveX.cpp -DOUT=... -DVAR=g_..._mrsigner -DMRSIGNER=key.mrsigner
#     What the sample's README and comments tell its developer to do: set the
#     hard-coded peer MRSIGNER VAR (a placeholder of 0xff bytes) to the peer
#     enclave's signer, and enable the check of it in
#     verify_peer_enclave_trust(), commented out in the sample ("Please
#     enable blow check in your project!!!"). Without the check the value
#     would be dead and the MRSIGNER that sgx_dh reports untested.
#
#   -DMODE=socket -DIN=... -DOUT=...
#     The two-process flow's Unix socket, hard-coded as /tmp/UNIX.domain in
#     the responder and the initiator, becomes UNIX.domain in the current
#     directory: the test runs both in a directory of its own, so two runs
#     (both backends, other builds on the machine) never meet.
cmake_minimum_required(VERSION 3.19) # string(JSON)

function(fail msg)
  message(FATAL_ERROR "local_attestation_patch (${MODE} ${IN}): ${msg}")
endfunction()

# Replaces the one occurrence of `from` in content_var; anything else is an
# error, so that a changed sample stops the build instead of going unpatched.
function(replace_once content_var from to)
  set(c "${${content_var}}")
  string(FIND "${c}" "${from}" at)
  if(at EQUAL -1)
    fail("'${from}' not found")
  endif()
  string(LENGTH "${from}" n)
  math(EXPR rest "${at} + ${n}")
  string(SUBSTRING "${c}" ${rest} -1 tail)
  string(FIND "${tail}" "${from}" again)
  if(NOT again EQUAL -1)
    fail("'${from}' found more than once")
  endif()
  string(SUBSTRING "${c}" 0 ${at} head)
  set(${content_var} "${head}${to}${tail}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "mrsigner")
  set(sig ${OUT}.sigstruct)
  execute_process(COMMAND ${NSGX} sign --key ${KEY} --enclavehash 0000000000000000000000000000000000000000000000000000000000000000
                          --out ${sig}
    RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    fail("nsgx sign failed (${rc})")
  endif()
  execute_process(COMMAND ${NSGX} sigstruct --json ${sig} RESULT_VARIABLE rc OUTPUT_VARIABLE json)
  if(NOT rc EQUAL 0)
    fail("nsgx sigstruct failed (${rc})")
  endif()
  string(JSON mrsigner GET "${json}" mrsigner)
  if(NOT mrsigner MATCHES "^[0-9a-f]+$")
    fail("no MRSIGNER in nsgx sigstruct's output")
  endif()
  string(LENGTH "${mrsigner}" n)
  if(NOT n EQUAL 64)
    fail("MRSIGNER ${mrsigner} is not 32 bytes")
  endif()
  file(REMOVE ${sig})
  file(WRITE ${OUT} "${mrsigner}\n")
  return()
endif()

file(READ ${IN} content)
if(MODE STREQUAL "peer")
  file(READ ${MRSIGNER} hex)
  string(STRIP "${hex}" hex)
  if(NOT hex MATCHES "^[0-9a-f]+$")
    fail("${MRSIGNER} does not hold a MRSIGNER")
  endif()
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
  string(REGEX REPLACE ", $" "" bytes "${bytes}")

  # sgx_measurement_t VAR = { { 0xff, ... } };  →  the signer's 32 bytes
  set(decl "sgx_measurement_t ${VAR} = {")
  string(FIND "${content}" "${decl}" at)
  if(at EQUAL -1)
    fail("'${decl}' not found")
  endif()
  string(SUBSTRING "${content}" ${at} -1 from_decl)
  string(FIND "${from_decl}" "};" end)
  if(end EQUAL -1)
    fail("no end to ${VAR}'s initializer")
  endif()
  math(EXPR end "${end} + 2")
  string(SUBSTRING "${from_decl}" 0 ${end} old)
  if(NOT old MATCHES "^sgx_measurement_t ${VAR} = {[ \t\r\n]*{[ \t\r\n0xf,]*}[ \t\r\n]*};$")
    fail("${VAR} is not the sample's placeholder: ${old}")
  endif()
  replace_once(content "${old}" "sgx_measurement_t ${VAR} = {{${bytes}}};")

  # /* if (memcmp(... &VAR ...)) return ENCLAVE_TRUST_ERROR; */  →  enabled
  set(cmp "(uint8_t*)&${VAR}, sizeof(sgx_measurement_t)))")
  string(FIND "${content}" "${cmp}" at)
  if(at EQUAL -1)
    fail("the check of ${VAR} not found")
  endif()
  string(SUBSTRING "${content}" 0 ${at} before)
  string(SUBSTRING "${content}" ${at} -1 after)
  string(FIND "${before}" "/*" open REVERSE)
  string(FIND "${after}" "*/" close)
  if(open EQUAL -1 OR close EQUAL -1)
    fail("the check of ${VAR} is not commented out")
  endif()
  math(EXPR body "${open} + 2")
  string(SUBSTRING "${before}" 0 ${open} head)
  string(SUBSTRING "${before}" ${body} -1 check_head)
  string(SUBSTRING "${after}" 0 ${close} check_tail)
  math(EXPR rest "${close} + 2")
  string(SUBSTRING "${after}" ${rest} -1 tail)
  set(check "${check_head}${check_tail}")
  if(NOT check MATCHES "^[ \t\r\n]*if \\(memcmp\\([^\r\n]*\\)\\)[ \t\r\n]*return ENCLAVE_TRUST_ERROR;[ \t\r\n]*$")
    fail("the commented-out check of ${VAR} is not what the sample has: ${check}")
  endif()
  set(content "${head}${check}${tail}")
elseif(MODE STREQUAL "socket")
  replace_once(content "#define UNIX_DOMAIN \"/tmp/UNIX.domain\"" "#define UNIX_DOMAIN \"UNIX.domain\"")
else()
  fail("unknown MODE")
endif()
file(WRITE ${OUT} "// Generated from ${IN} by local_attestation_patch.cmake (MODE=${MODE}).\n${content}")
