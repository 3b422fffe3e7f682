/* POSIX threads inside an enclave (the SGX SDK's sgx_pthread.h): the
 * pthread_* functions of <pthread.h> — pthread_create/join/detach/exit/self/
 * equal, mutexes, condition variables, once, keys — implemented by the
 * trusted runtime (sdk/trts/pthread.c) for glibc's <pthread.h> types, which
 * nestedsgx enclaves are compiled with. Creating threads needs the
 * application's help: import sgx_pthread.edl in the enclave's EDL
 *   from "sgx_pthread.edl" import *;
 * (without it pthread_create returns ENOSYS). Each thread runs on a TCS of
 * its own while it lives; none free: EAGAIN. Not supported: timed waits,
 * cancellation, scheduling and stack attributes. docs/sdk-abi.md. */
#ifndef _SGX_PTHREAD_H_
#define _SGX_PTHREAD_H_

#include <pthread.h>

#endif
