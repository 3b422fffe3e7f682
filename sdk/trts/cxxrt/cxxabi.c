/* The parts of the C++ runtime that enclaves take from the trusted runtime
 * instead of from libstdc++ (Debian's libstdc++-12-pic, linked into every
 * enclave with C++ sources: cmake/nsgx_enclave.cmake), because libstdc++'s
 * own versions need what an enclave lacks:
 *  - __cxa_get_globals: libstdc++ keeps each thread's exception state in
 *    thread-local storage (eh_globals.o); here it lives in the thread's TD;
 *  - __cxa_guard_*: libstdc++ waits for a contended static initialisation
 *    with the futex system call (guard.o); here the waiter spins;
 *  - __cxa_atexit/atexit and __dso_handle: enclaves are not unloaded from
 *    inside, so destructors of static objects are recorded nowhere and never
 *    run (the SGX SDK runs them only at sgx_destroy_enclave's
 *    ECMD_UNINIT_ENCLAVE, which this runtime does not have);
 *  - __libc_single_threaded: enclaves run several threads, so libstdc++'s
 *    reference counts must always use atomic operations.
 * Names and layouts: the Itanium C++ ABI (itanium-cxx-abi.github.io,
 * "Exception Handling" 2.2.2 and "C++ ABI" 3.3.2). */
#include <stddef.h>
#include <stdint.h>

#include "trts_internal.h"

/* Itanium C++ ABI EH 2.2.2: "struct __cxa_eh_globals { __cxa_exception*
 * caughtExceptions; unsigned int uncaughtExceptions; };" kept in the TD. */
struct __cxa_eh_globals {
  void* caughtExceptions;
  unsigned int uncaughtExceptions;
};
_Static_assert(offsetof(nsgx_td_t, cxa_uncaught_exceptions) - offsetof(nsgx_td_t, cxa_caught_exceptions) ==
                   offsetof(struct __cxa_eh_globals, uncaughtExceptions),
               "the TD's fields have __cxa_eh_globals' layout");
_Static_assert(sizeof(((nsgx_td_t*)0)->cxa_uncaught_exceptions) == sizeof(unsigned int), "uncaughtExceptions");

struct __cxa_eh_globals* __cxa_get_globals_fast(void) {
  return (struct __cxa_eh_globals*)(void*)&nsgx_td()->cxa_caught_exceptions;
}
struct __cxa_eh_globals* __cxa_get_globals(void) {
  return __cxa_get_globals_fast();
}

/* Hidden, as crtbegin's is: every reference stays inside the enclave. */
void* __dso_handle = &__dso_handle;

int __cxa_atexit(void (*fn)(void*), void* arg, void* dso) {
  (void)fn, (void)arg, (void)dso;
  return 0;
}
int atexit(void (*fn)(void)) {
  (void)fn;
  return 0;
}

char __libc_single_threaded = 0;

/* Itanium C++ ABI 3.3.2: the guard's first byte is non-zero once the object
 * is initialized (compilers test it inline); the second byte is our lock. */
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
/* The initializer threw: the next caller tries again. */
void __cxa_guard_abort(uint64_t* guard) { __atomic_store_n(&((volatile uint8_t*)guard)[1], 0, __ATOMIC_RELEASE); }

/* A pure virtual function called (through a vtable under construction or
 * destruction): libstdc++ references this weakly, so its own (pure.o) is
 * not linked; the message goes where its would, then the enclave stops. */
extern int fputs(const char* s, void* stream);
extern void* stderr;
void __cxa_pure_virtual(void) {
  fputs("pure virtual method called\n", stderr);
  nsgx_crash();
}

/* Transactional memory (GCC's libitm ABI, gcc.gnu.org/wiki/TransactionalMemory):
 * libstdc++'s transaction-safe clones of the exception constructors
 * (cow-stdexcept.o) refer to these weakly, and nothing else does. Enclaves
 * have no libitm, so no transaction ever runs the clones. Left undefined,
 * an enclave linked without -z nodynamic-undefined-weak or --gc-sections
 * (the SGX SDK's Cxx11SGXDemo Makefile) keeps PLT relocations for them,
 * which no enclave loader resolves; defined here, they stop the enclave if
 * ever called. This object is in every C++ enclave (__cxa_get_globals). */
#define NSGX_NO_TM(name) \
  void name(void);       \
  void name(void) { nsgx_crash(); }
NSGX_NO_TM(_ITM_RU1)
NSGX_NO_TM(_ITM_RU8)
NSGX_NO_TM(_ITM_memcpyRnWt)
NSGX_NO_TM(_ITM_memcpyRtWn)
NSGX_NO_TM(_ITM_addUserCommitAction)
NSGX_NO_TM(_ZGTtnam)  /* operator new[](unsigned long), transactional clone */
NSGX_NO_TM(_ZGTtdlPv) /* operator delete(void*), transactional clone */
