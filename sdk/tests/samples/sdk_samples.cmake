# Intel's SGX SDK sample projects (../shared/vectors/sdk-samples, read in
# place, never copied): their applications built from their own unmodified
# sources against our headers and untrusted runtime, run on both backends
# with the enclaves Intel's SDK built (intel-built/) — binary
# compatibility, issue 16 — checked for what each sample prints when it
# works (its App sources and README).
set(samples ${NSGX_VECTORS_DIR}/sdk-samples)
if(NOT EXISTS ${samples}/SampleEnclave/App/App.cpp)
  message(STATUS "sdk samples: ${samples} not found; their tests are not built")
  return()
endif()
find_package(Threads REQUIRED)
set(run ${CMAKE_CURRENT_SOURCE_DIR}/samples/run_sample.sh)
set(sample_env "NSGX_STATE_DIR=${CMAKE_CURRENT_BINARY_DIR}/state-samples;NSGX_MONITOR_SOCKET=${CMAKE_CURRENT_BINARY_DIR}/no-daemon.sock")

# nsgx_sample_app(TARGET SOURCES ... EDL file... [EDL_SEARCH_PATHS ...] [INCLUDES ...])
function(nsgx_sample_app target)
  cmake_parse_arguments(S "" "" "SOURCES;EDL;EDL_SEARCH_PATHS;INCLUDES" ${ARGN})
  add_executable(${target} ${S_SOURCES})
  foreach(edl ${S_EDL})
    nsgx_target_untrusted_edl(${target} EDL ${edl} EDL_SEARCH_PATHS ${S_EDL_SEARCH_PATHS})
  endforeach()
  target_include_directories(${target} PRIVATE ${S_INCLUDES})
  # As the samples' Makefiles build them (-Wno-attributes), and without our
  # warnings-as-errors: the sources are Intel's, unmodified.
  # and as `make SGX_DEBUG=1` builds them: -DDEBUG -UNDEBUG, so that the
  # samples' own assert()s on what the enclave returned are checked.
  target_compile_options(${target} PRIVATE -w -Wno-error -DDEBUG -UNDEBUG -UEDEBUG)
  target_link_libraries(${target} PRIVATE Threads::Threads)
endfunction()

# nsgx_sample_test(NAME APP app [TIMEOUT s] ENCLAVES name=file... EXPECT text... [REJECT text...]):
# see run_sample.sh
function(nsgx_sample_test name)
  cmake_parse_arguments(T "" "APP;TIMEOUT" "ENCLAVES;EXPECT;REJECT" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 240)
  endif()
  set(reject)
  if(T_REJECT)
    set(reject --reject ${T_REJECT})
  endif()
  add_test(NAME ${name}_isolated COMMAND ${run} --timeout ${T_TIMEOUT} --app $<TARGET_FILE:${T_APP}>
    --enclaves ${T_ENCLAVES} --expect ${T_EXPECT} ${reject})
  add_test(NAME ${name}_inproc COMMAND ${run} --timeout ${T_TIMEOUT} --exec $<TARGET_FILE:nsgx>
    --app $<TARGET_FILE:${T_APP}> --enclaves ${T_ENCLAVES} --expect ${T_EXPECT} ${reject})
  math(EXPR ctest_timeout "${T_TIMEOUT} + 60")
  set_tests_properties(${name}_isolated ${name}_inproc PROPERTIES ENVIRONMENT "${sample_env}" TIMEOUT ${ctest_timeout})
endfunction()

# SampleEnclave: ECALLs and OCALLs of every EDL form, the trusted libc and
# C++ library, threads; the enclave Intel's SDK 2.20 built.
set(se ${samples}/SampleEnclave)
file(GLOB se_app_sources ${se}/App/App.cpp ${se}/App/Edger8rSyntax/*.cpp ${se}/App/TrustedLibrary/*.cpp)
nsgx_sample_app(sample_enclave_app SOURCES ${se_app_sources} EDL ${se}/Enclave/Enclave.edl
  EDL_SEARCH_PATHS ${se}/Enclave ${se}/Include INCLUDES ${se}/Include ${se}/App)
nsgx_sample_test(sample_enclave_intel APP sample_enclave_app
  ENCLAVES enclave.signed.so=${se}/intel-built/enclave.signed.so
  EXPECT "Info: SampleEnclave successfully returned.")

# The same Intel-built enclave through bridges written by hand in the SDK
# edger8r's convention (the marshalling struct on the application's stack).
add_executable(sdk_intel_bridge_test ${CMAKE_CURRENT_SOURCE_DIR}/samples/intel_bridge_test.cc)
target_link_libraries(sdk_intel_bridge_test PRIVATE nsgx_urts GTest::gtest GTest::gtest_main)
target_compile_definitions(sdk_intel_bridge_test PRIVATE
  NSGX_INTEL_SAMPLE_ENCLAVE="${se}/intel-built/enclave.signed.so")
add_test(NAME sdk_intel_bridge_isolated COMMAND $<TARGET_FILE:sdk_intel_bridge_test>)
add_test(NAME sdk_intel_bridge_inproc COMMAND $<TARGET_FILE:nsgx> exec -- $<TARGET_FILE:sdk_intel_bridge_test>)
set_tests_properties(sdk_intel_bridge_isolated sdk_intel_bridge_inproc PROPERTIES ENVIRONMENT "${sample_env}" TIMEOUT 240)

# SealUnseal: one enclave seals a secret to a file, another (same signer)
# unseals it.
set(su ${samples}/SealUnseal)
nsgx_sample_app(seal_unseal_app SOURCES ${su}/App/App.cpp ${su}/App/ErrorSupport.cpp
  EDL ${su}/Enclave_Seal/Enclave_Seal.edl ${su}/Enclave_Unseal/Enclave_Unseal.edl
  EDL_SEARCH_PATHS ${su}/Enclave_Seal ${su}/Enclave_Unseal INCLUDES ${su}/App)
nsgx_sample_test(seal_unseal_intel APP seal_unseal_app
  ENCLAVES libenclave_seal.signed.so=${su}/intel-built/libenclave_seal.signed.so
           libenclave_unseal.signed.so=${su}/intel-built/libenclave_unseal.signed.so
  EXPECT "Sealing data succeeded." "Unseal succeeded.")

# The same samples with their enclaves built by our toolchain from their
# own sources (nsgx_add_enclave: nsgx-edger8r, the trusted runtime with
# libstdc++, nsgx sign with the sample's Enclave.config.xml; signed with the
# test key, as the samples' Makefiles make a key when none is given).
# Warnings in the samples' code are not errors here: it is not ours to change.
function(nsgx_sample_enclave name)
  nsgx_add_enclave(${name} ${ARGN} KEY ${key})
  add_dependencies(${name} sdk_test_key)
  target_compile_options(${name}_unsigned PRIVATE -Wno-error)
endfunction()

file(GLOB se_enclave_sources ${se}/Enclave/Enclave.cpp ${se}/Enclave/Edger8rSyntax/*.cpp ${se}/Enclave/TrustedLibrary/*.cpp)
nsgx_sample_enclave(sample_enclave_built SOURCES ${se_enclave_sources} EDL ${se}/Enclave/Enclave.edl
  EDL_SEARCH_PATHS ${se}/Enclave ${se}/Include INCLUDES ${se}/Include ${se}/Enclave
  CONFIG ${se}/Enclave/Enclave.config.xml)
nsgx_sample_test(sample_enclave_built APP sample_enclave_app
  ENCLAVES enclave.signed.so=$<TARGET_PROPERTY:sample_enclave_built,NSGX_SIGNED_IMAGE>
  EXPECT "Info: SampleEnclave successfully returned.")
add_dependencies(sample_enclave_app sample_enclave_built)

foreach(part Seal Unseal)
  string(TOLOWER ${part} lower)
  nsgx_sample_enclave(enclave_${lower}_built SOURCES ${su}/Enclave_${part}/Enclave_${part}.cpp
    EDL ${su}/Enclave_${part}/Enclave_${part}.edl EDL_SEARCH_PATHS ${su}/Enclave_${part}
    INCLUDES ${su}/Enclave_${part} CONFIG ${su}/Enclave_${part}/Enclave_${part}.config.xml)
  add_dependencies(seal_unseal_app enclave_${lower}_built)
endforeach()
nsgx_sample_test(seal_unseal_built APP seal_unseal_app
  ENCLAVES libenclave_seal.signed.so=$<TARGET_PROPERTY:enclave_seal_built,NSGX_SIGNED_IMAGE>
           libenclave_unseal.signed.so=$<TARGET_PROPERTY:enclave_unseal_built,NSGX_SIGNED_IMAGE>
  EXPECT "Sealing data succeeded." "Unseal succeeded.")

# Switchless: the enclave built here from the sample's own sources with
# nsgx_add_enclave (its Enclave.edl imports sgx_tswitchless.edl, which
# sdk/edl provides), the App against our untrusted runtime; it times
# 500,000 switchless and ordinary OCALLs and ECALLs with 2 + 2 workers.
# The ordinary ones take 4-10 s on a quiet 2-core machine but minutes on
# the isolated backend when other work keeps both cores busy (its ordinary
# transitions then cost ~270 us: docs/isolated.md, "Speed"), hence the
# timeout.
set(sl ${samples}/Switchless)
nsgx_sample_enclave(switchless_sample_enclave SOURCES ${sl}/Enclave/Enclave.cpp EDL ${sl}/Enclave/Enclave.edl
  EDL_SEARCH_PATHS ${sl}/Enclave INCLUDES ${sl}/Enclave CONFIG ${sl}/Enclave/Enclave.config.xml)
nsgx_sample_app(switchless_app SOURCES ${sl}/App/App.cpp EDL ${sl}/Enclave/Enclave.edl
  EDL_SEARCH_PATHS ${sl}/Enclave INCLUDES ${sl}/App)
add_dependencies(switchless_app switchless_sample_enclave)
nsgx_sample_test(switchless_sample APP switchless_app TIMEOUT 900
  ENCLAVES enclave.signed.so=$<TARGET_PROPERTY:switchless_sample_enclave,NSGX_SIGNED_IMAGE>
  EXPECT "Repeating an **switchless** OCall that does nothing for 500000 times..."
         "Repeating an **ordinary** OCall that does nothing for 500000 times..."
         "Repeating an **switchless** ECall that does nothing for 500000 times..."
         "Repeating an **ordinary** ECall that does nothing for 500000 times..."
         "Time elapsed:")
