# cmake -DAR=... -DOUT=... -DMBEDCRYPTO=... -DLIBGCC=... -DWORK=... -P make_tcrypto.cmake
# libsgx_tcrypto.a: every member of MBEDCRYPTO plus the member of LIBGCC
# that defines __udivti3 (mbedTLS's bignum division needs it; enclaves
# linked -nodefaultlibs get no libgcc).
execute_process(COMMAND nm -A --defined-only ${LIBGCC} OUTPUT_VARIABLE syms ERROR_QUIET)
string(REGEX MATCH "[^\n]*:([^:\n]+\\.o):[0-9a-f]+ T __udivti3" line "${syms}")
if(NOT CMAKE_MATCH_1)
  message(FATAL_ERROR "no member of ${LIBGCC} defines __udivti3")
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(REMOVE ${OUT})
execute_process(COMMAND ${AR} x ${LIBGCC} ${CMAKE_MATCH_1} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ar x ${LIBGCC} ${CMAKE_MATCH_1} failed")
endif()
file(WRITE ${WORK}/script.mri "CREATE ${OUT}\nADDLIB ${MBEDCRYPTO}\nADDMOD ${WORK}/${CMAKE_MATCH_1}\nSAVE\nEND\n")
execute_process(COMMAND ${AR} -M INPUT_FILE ${WORK}/script.mri RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ar -M failed building ${OUT}")
endif()
