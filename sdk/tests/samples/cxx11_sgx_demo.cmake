# Intel's Cxx11SGXDemo sample (../shared/vectors/sdk-samples/Cxx11SGXDemo),
# built from its own, unmodified sources with nestedsgx's toolchain (its
# enclave with nsgx_add_enclave, so libstdc++; its application against
# sgx_urts), and run on both backends from a directory holding
# enclave.signed.so, the name the application loads. The output must have
# cxx11_sgx_demo.expected's lines in order. Warnings in the sample's code
# are not errors here: it is not ours to change.
set(demo ${NSGX_VECTORS_DIR}/sdk-samples/Cxx11SGXDemo)
if(NOT EXISTS ${demo}/Enclave/Enclave.edl)
  message(STATUS "Cxx11SGXDemo: ${demo} not found, sample test skipped")
  return()
endif()
nsgx_add_enclave(cxx11_demo_enclave
  SOURCES ${demo}/Enclave/Enclave.cpp ${demo}/Enclave/TrustedLibrary/Libcxx.cpp
  EDL ${demo}/Enclave/Enclave.edl
  EDL_SEARCH_PATHS ${demo}/Enclave
  INCLUDES ${demo}/Enclave
  CONFIG ${demo}/Enclave/Enclave.config.xml
  KEY ${key})
add_dependencies(cxx11_demo_enclave sdk_test_key)
# Two things the sample takes from the SGX SDK's own trusted headers (its
# tlibc and libc++) that GCC's and glibc's do not give: memcpy without
# <cstring> (libc++'s headers include it on the way), and NULL defined as 0
# in C++ (its nullptr demo calls f(NULL) with f(int) and f(int*) overloads,
# ambiguous with GCC's __null). Both are supplied from the command line;
# the sources stay as they are.
target_compile_options(cxx11_demo_enclave_unsigned PRIVATE -Wno-error $<$<COMPILE_LANGUAGE:CXX>:-include cstring -D__null=0>)
add_executable(cxx11_demo_app ${demo}/App/App.cpp ${demo}/App/TrustedLibrary/Libcxx.cpp)
target_include_directories(cxx11_demo_app PRIVATE ${demo}/App)
nsgx_target_untrusted_edl(cxx11_demo_app EDL ${demo}/Enclave/Enclave.edl EDL_SEARCH_PATHS ${demo}/Enclave)
target_compile_options(cxx11_demo_app PRIVATE -Wno-error)
set(run ${CMAKE_CURRENT_BINARY_DIR}/cxx11_demo)
add_custom_command(OUTPUT ${run}/enclave.signed.so
  COMMAND ${CMAKE_COMMAND} -E make_directory ${run}
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_PROPERTY:cxx11_demo_enclave,NSGX_SIGNED_IMAGE> ${run}/enclave.signed.so
  DEPENDS cxx11_demo_enclave $<TARGET_PROPERTY:cxx11_demo_enclave,NSGX_SIGNED_IMAGE>)
add_custom_target(cxx11_demo ALL DEPENDS ${run}/enclave.signed.so cxx11_demo_app)
set(check -DPROGRAM=$<TARGET_FILE:cxx11_demo_app> -DDIR=${run}
  -DEXPECT=${CMAKE_CURRENT_SOURCE_DIR}/samples/cxx11_sgx_demo.expected -P ${CMAKE_CURRENT_SOURCE_DIR}/samples/check_output.cmake)
add_test(NAME sdk_sample_cxx11_inproc COMMAND ${CMAKE_COMMAND} "-DLAUNCHER=$<TARGET_FILE:nsgx>;exec;--" ${check})
add_test(NAME sdk_sample_cxx11_isolated COMMAND ${CMAKE_COMMAND} ${check})
set_tests_properties(sdk_sample_cxx11_inproc PROPERTIES ENVIRONMENT "NSGX_STATE_DIR=${CMAKE_CURRENT_BINARY_DIR}/state" TIMEOUT 300)
set_tests_properties(sdk_sample_cxx11_isolated PROPERTIES TIMEOUT 300
  ENVIRONMENT "NSGX_STATE_DIR=${CMAKE_CURRENT_BINARY_DIR}/state-isolated;NSGX_MONITOR_SOCKET=${CMAKE_CURRENT_BINARY_DIR}/no-daemon.sock")
