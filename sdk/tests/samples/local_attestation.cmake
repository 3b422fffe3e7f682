# Intel's LocalAttestation sample (../shared/vectors/sdk-samples/LocalAttestation,
# read in place): two enclaves that attest to each other with sgx_dh
# (local attestation, LAv1 as its Makefile builds it by default), then
# exchange a message over the session they set up. Built from its own
# sources with our toolchain, as `make` (SGX_DEBUG=1) builds it: each
# enclave signed with its own key, and run on both backends
#   - app: both enclaves in one process;
#   - appresponder as a server, then appinitiator: one enclave in each.
# What its README asks of a developer is done on copies in the build
# directory (local_attestation_patch.cmake): each enclave's hard-coded peer
# MRSIGNER set to the peer's signing key's, and its check enabled; and the
# Unix socket of the two-process flow moved out of /tmp into the directory
# each test runs in. Needs sdk_samples.cmake's functions (included first).
set(la ${NSGX_VECTORS_DIR}/sdk-samples/LocalAttestation)
if(NOT EXISTS ${la}/App/App.cpp OR NOT COMMAND nsgx_sample_test)
  message(STATUS "LocalAttestation: ${la} not found; its tests are not built")
  return()
endif()
set(la_gen ${CMAKE_CURRENT_BINARY_DIR}/local_attestation)
set(la_patch ${CMAKE_CURRENT_SOURCE_DIR}/samples/local_attestation_patch.cmake)
file(MAKE_DIRECTORY ${la_gen})

# Keys: the initiator's is the tests' key; the responder has its own, as the
# sample's Makefiles give each enclave one; a third signs a responder that
# the initiator must refuse.
foreach(k responder stranger)
  add_custom_command(OUTPUT ${la_gen}/${k}_key.pem COMMAND nsgx keygen --out ${la_gen}/${k}_key.pem
    DEPENDS nsgx COMMENT "a signing key for LocalAttestation's ${k} enclave")
endforeach()
set(la_initiator_key ${key})
set(la_responder_key ${la_gen}/responder_key.pem)
foreach(who initiator responder)
  add_custom_command(OUTPUT ${la_gen}/${who}.mrsigner
    COMMAND ${CMAKE_COMMAND} -DMODE=mrsigner -DNSGX=$<TARGET_FILE:nsgx> -DKEY=${la_${who}_key}
      -DOUT=${la_gen}/${who}.mrsigner -P ${la_patch}
    DEPENDS nsgx ${la_${who}_key} ${la_patch}
    COMMENT "the MRSIGNER of LocalAttestation's ${who} key")
endforeach()

# Each enclave's source with its peer's MRSIGNER.
foreach(pair Initiator:g_responder_mrsigner:responder Responder:g_initiator_mrsigner:initiator)
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 part)
  list(GET pair 1 var)
  list(GET pair 2 peer)
  add_custom_command(OUTPUT ${la_gen}/Enclave${part}.cpp
    COMMAND ${CMAKE_COMMAND} -DMODE=peer -DIN=${la}/Enclave${part}/Enclave${part}.cpp
      -DOUT=${la_gen}/Enclave${part}.cpp -DVAR=${var} -DMRSIGNER=${la_gen}/${peer}.mrsigner -P ${la_patch}
    DEPENDS ${la}/Enclave${part}/Enclave${part}.cpp ${la_gen}/${peer}.mrsigner ${la_patch}
    COMMENT "Enclave${part}.cpp with the ${peer}'s MRSIGNER")
endforeach()
foreach(src AppResponder/CPServer.cpp util/fifo.cpp)
  get_filename_component(name ${src} NAME)
  add_custom_command(OUTPUT ${la_gen}/${name}
    COMMAND ${CMAKE_COMMAND} -DMODE=socket -DIN=${la}/${src} -DOUT=${la_gen}/${name} -P ${la_patch}
    DEPENDS ${la}/${src} ${la_patch}
    COMMENT "${name} with its socket in the current directory")
endforeach()

# EnclaveInitiator/EnclaveMessageExchange.cpp includes
# "../EnclaveInitiator/EnclaveInitiator_t.h", where the SDK's edger8r leaves
# it (beside the EDL); ours is elsewhere: a header there forwards to it.
file(MAKE_DIRECTORY ${la_gen}/include)
file(CONFIGURE OUTPUT ${la_gen}/EnclaveInitiator/EnclaveInitiator_t.h CONTENT
  "// Where LocalAttestation's EnclaveMessageExchange.cpp looks for its trusted bridge.\n#include <EnclaveInitiator_t.h>\n")

# The enclaves, as the sample's Makefiles build them with SGX_DEBUG=1
# (-DDEBUG, no NDEBUG: verify_peer_enclave_trust() refuses a debug peer
# under NDEBUG, and `make` launches debug enclaves).
foreach(part Initiator Responder)
  string(TOLOWER ${part} who)
  set(dir ${la}/Enclave${part})
  file(GLOB sources ${dir}/*.cpp)
  list(FILTER sources EXCLUDE REGEX "/Enclave${part}\\.cpp$")
  nsgx_add_enclave(la_sample_${who} SOURCES ${la_gen}/Enclave${part}.cpp ${sources}
    EDL ${dir}/Enclave${part}.edl EDL_SEARCH_PATHS ${dir} ${la}/Include
    INCLUDES ${dir} ${la}/Include ${la_gen}/include CONFIG ${dir}/Enclave${part}.config.xml KEY ${la_${who}_key})
  add_dependencies(la_sample_${who} sdk_test_key)
  target_compile_options(la_sample_${who}_unsigned PRIVATE -Wno-error -DDEBUG -UNDEBUG -UEDEBUG)
endforeach()

# The responder signed by a stranger: same code, another MRSIGNER.
set(la_stranger ${la_gen}/responder_stranger.signed.so)
add_custom_command(OUTPUT ${la_stranger}
  COMMAND nsgx sign --config ${la}/EnclaveResponder/EnclaveResponder.config.xml --key ${la_gen}/stranger_key.pem
    --out-image ${la_stranger} $<TARGET_FILE:la_sample_responder_unsigned>
  DEPENDS nsgx la_sample_responder_unsigned ${la_gen}/stranger_key.pem ${la}/EnclaveResponder/EnclaveResponder.config.xml
  COMMENT "nsgx sign LocalAttestation's responder with a stranger's key")
add_custom_target(la_sample_responder_stranger ALL DEPENDS ${la_stranger})

# The applications.
set(edl_paths ${la}/EnclaveInitiator ${la}/EnclaveResponder ${la}/Include)
nsgx_sample_app(la_sample_app SOURCES ${la}/App/App.cpp ${la}/App/UntrustedEnclaveMessageExchange.cpp
  EDL ${la}/EnclaveInitiator/EnclaveInitiator.edl ${la}/EnclaveResponder/EnclaveResponder.edl
  EDL_SEARCH_PATHS ${edl_paths} INCLUDES ${la}/Include ${la}/App)
nsgx_sample_app(la_sample_appinitiator SOURCES ${la}/AppInitiator/App.cpp
  ${la}/AppInitiator/UntrustedEnclaveMessageExchange.cpp ${la_gen}/fifo.cpp
  EDL ${la}/EnclaveInitiator/EnclaveInitiator.edl EDL_SEARCH_PATHS ${edl_paths}
  INCLUDES ${la}/AppInitiator ${la}/Include)
nsgx_sample_app(la_sample_appresponder SOURCES ${la}/AppResponder/App.cpp ${la}/AppResponder/CPTask.cpp
  ${la}/AppResponder/Thread.cpp ${la_gen}/CPServer.cpp ${la_gen}/fifo.cpp
  EDL ${la}/EnclaveResponder/EnclaveResponder.edl EDL_SEARCH_PATHS ${edl_paths}
  INCLUDES ${la}/AppResponder ${la}/Include)
foreach(app la_sample_app la_sample_appinitiator la_sample_appresponder)
  add_dependencies(${app} la_sample_initiator la_sample_responder la_sample_responder_stranger)
endforeach()

set(la_enclaves libenclave_initiator.signed.so=$<TARGET_PROPERTY:la_sample_initiator,NSGX_SIGNED_IMAGE>
  libenclave_responder.signed.so=$<TARGET_PROPERTY:la_sample_responder,NSGX_SIGNED_IMAGE>)
set(la_expect "succeed to establish secure channel." "Succeed to exchange secure message..."
  "Succeed to close Session...")
nsgx_sample_test(sdk_sample_local_attestation APP la_sample_app ENCLAVES ${la_enclaves}
  EXPECT "succeed to load enclaves." ${la_expect})
# The initiator checks whom it attested: a responder of another signer is
# refused — INVALID_SESSION (0xe3), what create_session() returns when
# verify_peer_enclave_trust() fails — and the app prints that and exits 0.
nsgx_sample_test(sdk_sample_local_attestation_stranger APP la_sample_app
  ENCLAVES libenclave_initiator.signed.so=$<TARGET_PROPERTY:la_sample_initiator,NSGX_SIGNED_IMAGE>
           libenclave_responder.signed.so=${la_stranger}
  EXPECT "succeed to load enclaves." "failed to establish secure channel: ECALL return 0x0, error code is 0xe3."
  REJECT "succeed to establish secure channel.")

set(la_run ${CMAKE_CURRENT_SOURCE_DIR}/samples/run_local_attestation.sh)
set(la_args --responder $<TARGET_FILE:la_sample_appresponder> --initiator $<TARGET_FILE:la_sample_appinitiator>
  --enclaves ${la_enclaves} --expect "succeed to load enclave libenclave_initiator.signed.so" ${la_expect})
add_test(NAME sdk_sample_local_attestation_two_process_isolated COMMAND ${la_run} ${la_args})
add_test(NAME sdk_sample_local_attestation_two_process_inproc COMMAND ${la_run} --exec $<TARGET_FILE:nsgx> ${la_args})
set_tests_properties(sdk_sample_local_attestation_two_process_isolated sdk_sample_local_attestation_two_process_inproc
  PROPERTIES ENVIRONMENT "${sample_env}" TIMEOUT 300)
