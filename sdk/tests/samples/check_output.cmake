# cmake -DPROGRAM=app -DDIR=workdir -DEXPECT=lines.txt [-DLAUNCHER=nsgx;exec;--] -P check_output.cmake
# Runs PROGRAM in DIR (as an SGX SDK sample expects: its enclave beside it),
# prints its output, and fails unless it exits 0 and every line of EXPECT
# appears in its output, in order.
execute_process(COMMAND ${LAUNCHER} ${PROGRAM} WORKING_DIRECTORY ${DIR}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 240)
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${rc}")
endif()
file(STRINGS ${EXPECT} lines)
set(rest "${out}")
foreach(line IN LISTS lines)
  string(FIND "${rest}" "${line}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "missing (in this order) from the output: '${line}'")
  endif()
  string(LENGTH "${line}" n)
  math(EXPR at "${at} + ${n}")
  string(SUBSTRING "${rest}" ${at} -1 rest)
endforeach()
