/* The debugger test's enclave: a function to stop in, locals to print, a
 * call to step over, and a fault. Built without optimisation (see
 * CMakeLists.txt) so that every local has a value at every line. The line
 * numbers of the marked lines are what gdb_test.sh expects. */
#include "Enclave_t.h"

static int square(int v) { return v * v; }

int ecall_compute(int seed) {
  int doubled = seed * 2;        /* line 10: the breakpoint */
  int squared = square(doubled); /* line 11: after `next` */
  int total = squared + 1;
  return total;
}

int ecall_crash(unsigned long address) {
  volatile const int* p = (volatile const int*)address;
  return *p; /* line 18: the fault */
}
