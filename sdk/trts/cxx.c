/* What C++ enclave code needs from the runtime, without exceptions or RTTI:
 * operator new/delete (on the enclave heap; a failed new aborts, as there is
 * no std::bad_alloc to throw), thread-safe static initialization guards,
 * pure-virtual calls, and atexit registration (enclaves are never unloaded
 * from inside, so destructors are not run). Itanium C++ ABI names. */
#include <stddef.h>
#include <stdint.h>

#include "trts_internal.h"

void* _Znwm(size_t n) { /* operator new(size_t) */
  void* p = malloc(n ? n : 1);
  if (p == NULL) nsgx_crash();
  return p;
}
void* _Znam(size_t n) { return _Znwm(n); }                             /* operator new[](size_t) */
void* _ZnwmRKSt9nothrow_t(size_t n, const void* t) { (void)t; return malloc(n ? n : 1); } /* nothrow */
void* _ZnamRKSt9nothrow_t(size_t n, const void* t) { (void)t; return malloc(n ? n : 1); }
void _ZdlPv(void* p) { free(p); }                    /* operator delete(void*) */
void _ZdaPv(void* p) { free(p); }                    /* operator delete[](void*) */
void _ZdlPvm(void* p, size_t n) { (void)n; free(p); } /* sized delete */
void _ZdaPvm(void* p, size_t n) { (void)n; free(p); }
void _ZdlPvRKSt9nothrow_t(void* p, const void* t) { (void)t; free(p); }
void _ZdaPvRKSt9nothrow_t(void* p, const void* t) { (void)t; free(p); }

/* std::nothrow (an empty std::nothrow_t object). */
const char _ZSt7nothrow = 0;

void __cxa_pure_virtual(void) { nsgx_crash(); }

void* __dso_handle = &__dso_handle;
int __cxa_atexit(void (*fn)(void*), void* arg, void* dso) {
  (void)fn, (void)arg, (void)dso;
  return 0;
}

/* The guard's first byte says "initialized"; the second is the lock. */
int __cxa_guard_acquire(uint64_t* guard) {
  volatile uint8_t* g = (volatile uint8_t*)guard;
  for (;;) {
    if (__atomic_load_n(&g[0], __ATOMIC_ACQUIRE)) return 0;
    if (!__atomic_exchange_n(&g[1], 1, __ATOMIC_ACQUIRE)) {
      if (__atomic_load_n(&g[0], __ATOMIC_ACQUIRE)) { /* initialized meanwhile */
        __atomic_store_n(&g[1], 0, __ATOMIC_RELEASE);
        return 0;
      }
      return 1; /* the caller initializes, then calls __cxa_guard_release */
    }
    __builtin_ia32_pause();
  }
}
void __cxa_guard_release(uint64_t* guard) {
  volatile uint8_t* g = (volatile uint8_t*)guard;
  __atomic_store_n(&g[0], 1, __ATOMIC_RELEASE);
  __atomic_store_n(&g[1], 0, __ATOMIC_RELEASE);
}
void __cxa_guard_abort(uint64_t* guard) { __atomic_store_n(&((volatile uint8_t*)guard)[1], 0, __ATOMIC_RELEASE); }
