/* pthread_once for C++ enclaves (it replaces the trusted runtime's weak
 * one, sdk/trts/pthread.c). std::call_once runs its function inside
 * pthread_once; if that function throws, C++ requires the flag to stay
 * unset and the exception to reach the caller (and POSIX asks the same of a
 * cancelled init routine). This file is compiled with -fexceptions, so the
 * exception unwinds through here, and the cleanup puts the state back to
 * new: the next caller — or a thread waiting meanwhile — runs init again. */
/* glibc declares pthread_once's arguments non-null, which would let the
 * compiler drop the EINVAL checks (see pthread.c). */
#define __attribute_nonnull__(params)
#include <errno.h>
#include <stddef.h>

#include "pthread_abi.h"

static void once_abandoned(pthread_once_t** armed) {
  if (*armed != NULL) __atomic_store_n(*armed, NSGX_ONCE_NEW, __ATOMIC_RELEASE);
}

int pthread_once(pthread_once_t* once, void (*init)(void)) {
  if (once == NULL || init == NULL) return EINVAL;
  for (;;) {
    int expected = NSGX_ONCE_NEW;
    if (__atomic_compare_exchange_n(once, &expected, NSGX_ONCE_RUNNING, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
      pthread_once_t* armed __attribute__((cleanup(once_abandoned))) = once;
      init();
      armed = NULL;
      __atomic_store_n(once, NSGX_ONCE_DONE, __ATOMIC_RELEASE);
      return 0;
    }
    if (expected == NSGX_ONCE_DONE) return 0;
    __builtin_ia32_pause(); /* another thread runs init(); if it throws, try again */
  }
}
