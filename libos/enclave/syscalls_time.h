// The program's clocks and CPU times (docs/libos.md, "Time"): every answer
// is the host's, through the POSIX layer's clock OCALL (nsgx_tposix checks
// its form: nanoseconds below 10^9, seconds below 2^40), and what Linux
// promises never goes back is checked here not to go back either (Iago).
//
// What the enclave can know of its CPU time: only what the host says. The
// host's CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID are those of
// the process and thread that make the OCALL — on inproc the program's own
// (the enclave runs in that process, each program thread on the host
// thread of its ECALL); on isolated the application's, whose threads wait
// while the enclave host's compute, so they count little of the program's
// work (an open problem: the enclave host's CPU time would have to come
// from the monitor). Untrusted information either way: a host can make a
// program's CPU time fast or slow, never go back.
#pragma once

#include <stdint.h>
#include <time.h>

#include <string>

namespace nsgx::libos {

// clock_gettime: the host's answer for clocks 0–11. MONOTONIC,
// MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME and PROCESS_CPUTIME_ID never
// earlier than what any thread had been answered when the call began
// (EIO: the host went back; a reading that overlapped a later one answers
// that later time); THREAD_CPUTIME_ID never earlier than this thread's
// last answer.
long sys_clock_gettime(int64_t clk, uint64_t out);
// The same for the library OS's own use (`ts` in enclave memory); 0 or -errno.
long clock_checked(int clk, struct timespec& ts);
// One line for --trace: how many readings of REALTIME and MONOTONIC the
// enclave's clock answered from the TSC and how many the host did
// (tsc_clock.h), or that the host reports no invariant TSC.
std::string clock_describe();
// time(2), gettimeofday(2): CLOCK_REALTIME (timezone UTC).
long sys_time(uint64_t tloc);
long sys_gettimeofday(uint64_t tv, uint64_t tz);
// times(2): the monotonic clock in ticks of AT_CLKTCK (100 Hz) as the
// return value; tms_utime the process's CPU time (the host's, checked as
// above: it is not split into user and system time, all of it is user),
// tms_stime 0, the children's 0 (their CPU time is the host's to know;
// wait4 does not report it either).
long sys_times(uint64_t buf);
// getrusage(2): RUSAGE_SELF the process's CPU time, RUSAGE_THREAD the
// calling thread's, each as ru_utime (ru_stime 0); RUSAGE_CHILDREN all
// zero; every other field 0; another `who` EINVAL.
long sys_getrusage(int64_t who, uint64_t out);

}  // namespace nsgx::libos
