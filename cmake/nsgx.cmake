# Helpers shared by every folder.

# nsgx_test(NAME SOURCES... LIBS ...): a GoogleTest binary registered with CTest.
# Tests find the external vectors through NSGX_VECTORS_DIR.
function(nsgx_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT NSGX_TESTS)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    NSGX_VECTORS_DIR="${NSGX_VECTORS_DIR}"
    NSGX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
endfunction()
