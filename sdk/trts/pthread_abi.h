/* How the enclave's pthread primitives (pthread.c) keep their state in the
 * objects of glibc's x86-64 ABI. Enclave code — and Debian's libstdc++,
 * which was compiled against glibc — is compiled with glibc's <pthread.h>,
 * so the objects have glibc's sizes, and statically initialised ones hold
 * glibc's initializers:
 *   PTHREAD_MUTEX_INITIALIZER              all zero
 *   PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP __kind = PTHREAD_MUTEX_RECURSIVE_NP
 *   PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP __kind = PTHREAD_MUTEX_ERRORCHECK_NP
 *   PTHREAD_COND_INITIALIZER               all zero
 *   PTHREAD_ONCE_INIT                      0
 * (glibc sysdeps/x86/nptl/bits/struct_mutex.h and pthreadtypes-arch.h).
 * Each of our layouts keeps glibc's __kind where glibc has it and reads an
 * all-zero object as a valid unlocked/empty one. */
#ifndef NSGX_TRTS_PTHREAD_ABI_H
#define NSGX_TRTS_PTHREAD_ABI_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sgx_thread.h"

typedef struct {
  volatile uint32_t lock;     /* 0: spin lock over the rest (glibc __lock) */
  uint32_t count;             /* 4: times the owner holds it (glibc __count) */
  sgx_thread_t owner;         /* 8: the owner's TD, 0 if free (glibc __owner, __nusers) */
  int32_t kind;               /* 16: glibc __kind, PTHREAD_MUTEX_* */
  uint32_t reserved;          /* 20: glibc __spins, __elision */
  sgx_thread_queue_t waiters; /* 24: TDs waiting for it (glibc __list) */
} nsgx_pthread_mutex_t;

_Static_assert(sizeof(nsgx_pthread_mutex_t) == sizeof(pthread_mutex_t), "glibc x86-64: pthread_mutex_t is 40 bytes");
_Static_assert(_Alignof(nsgx_pthread_mutex_t) <= _Alignof(pthread_mutex_t), "aligned like pthread_mutex_t");
_Static_assert(offsetof(nsgx_pthread_mutex_t, kind) == offsetof(pthread_mutex_t, __data.__kind),
               "the static initializers' __kind");

typedef struct {
  volatile uint32_t lock;     /* 0: spin lock over the queue */
  uint32_t reserved;          /* 4 */
  sgx_thread_queue_t waiters; /* 8: TDs waiting on the condition */
} nsgx_pthread_cond_t;

_Static_assert(sizeof(nsgx_pthread_cond_t) <= sizeof(pthread_cond_t), "fits glibc's 48-byte pthread_cond_t");
_Static_assert(_Alignof(nsgx_pthread_cond_t) <= _Alignof(pthread_cond_t), "aligned like pthread_cond_t");

_Static_assert(sizeof(pthread_once_t) == sizeof(int), "glibc: pthread_once_t is an int");
/* pthread_once_t's states; PTHREAD_ONCE_INIT is 0. */
enum { NSGX_ONCE_NEW = 0, NSGX_ONCE_RUNNING = 1, NSGX_ONCE_DONE = 2 };
_Static_assert(sizeof(pthread_t) == sizeof(uintptr_t), "glibc: pthread_t holds a pointer");

#endif
