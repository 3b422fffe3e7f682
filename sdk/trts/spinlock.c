/* sgx_spin_lock / sgx_spin_unlock (sgx_spinlock.h): test-and-test-and-set
 * on a 32-bit word. Acquire and release ordering make what the holder wrote
 * visible to the next holder; PAUSE while the lock is seen held keeps the
 * waiter from flooding the bus and yields to a hyperthread sibling. */
#include "sgx_spinlock.h"

uint32_t sgx_spin_lock(sgx_spinlock_t* lock) {
  for (;;) {
    if (__atomic_exchange_n(lock, 1u, __ATOMIC_ACQUIRE) == 0) return 0;
    while (__atomic_load_n(lock, __ATOMIC_RELAXED) != 0) __builtin_ia32_pause();
  }
}

uint32_t sgx_spin_unlock(sgx_spinlock_t* lock) {
  __atomic_store_n(lock, 0u, __ATOMIC_RELEASE);
  return 0;
}
