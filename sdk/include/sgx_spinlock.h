/* Spin locks inside an enclave (SGX SDK interface, sgx_spinlock.h). They
 * never leave the enclave: a waiter spins with PAUSE. Both functions
 * return 0. Example:
 *   static sgx_spinlock_t lock = SGX_SPINLOCK_INITIALIZER;
 *   sgx_spin_lock(&lock); ...; sgx_spin_unlock(&lock); */
#ifndef _SGX_SPINLOCK_H_
#define _SGX_SPINLOCK_H_

#include <stdint.h>

#include "sgx_defs.h"

typedef volatile uint32_t sgx_spinlock_t;

#define SGX_SPINLOCK_INITIALIZER 0

#ifdef __cplusplus
extern "C" {
#endif

uint32_t SGXAPI sgx_spin_lock(sgx_spinlock_t* lock);
uint32_t SGXAPI sgx_spin_unlock(sgx_spinlock_t* lock);

#ifdef __cplusplus
}
#endif

#endif
