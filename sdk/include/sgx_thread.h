/* Mutexes and condition variables inside an enclave (SGX SDK interface).
 * A thread that must wait sleeps outside the enclave on an untrusted event
 * (sgx_tstdc.edl's OCALLs, which the enclave must import); wake-ups are
 * only hints — ownership is decided inside. */
#ifndef _SGX_THREAD_H_
#define _SGX_THREAD_H_

#include <stddef.h>
#include <stdint.h>

#include "sgx_defs.h"

typedef uintptr_t sgx_thread_t;
#define SGX_THREAD_T_NULL ((sgx_thread_t)(NULL))

typedef struct _sgx_thread_queue_t {
  sgx_thread_t m_first;
  sgx_thread_t m_last;
} sgx_thread_queue_t;

#define SGX_THREAD_MUTEX_NONRECURSIVE 0x01
#define SGX_THREAD_MUTEX_RECURSIVE 0x02

typedef struct _sgx_thread_mutex_t {
  size_t m_refcount;
  uint32_t m_control;
  volatile uint32_t m_lock;
  sgx_thread_t m_owner;
  sgx_thread_queue_t m_queue;
} sgx_thread_mutex_t;

#define SGX_THREAD_NONRECURSIVE_MUTEX_INITIALIZER {0, SGX_THREAD_MUTEX_NONRECURSIVE, 0, SGX_THREAD_T_NULL, {SGX_THREAD_T_NULL, SGX_THREAD_T_NULL}}
#define SGX_THREAD_RECURSIVE_MUTEX_INITIALIZER {0, SGX_THREAD_MUTEX_RECURSIVE, 0, SGX_THREAD_T_NULL, {SGX_THREAD_T_NULL, SGX_THREAD_T_NULL}}
#define SGX_THREAD_MUTEX_INITIALIZER SGX_THREAD_NONRECURSIVE_MUTEX_INITIALIZER

typedef struct _sgx_thread_mutex_attr_t {
  unsigned char m_dummy;
} sgx_thread_mutexattr_t;

typedef struct _sgx_thread_cond_t {
  volatile uint32_t m_lock;
  sgx_thread_queue_t m_queue;
} sgx_thread_cond_t;

#define SGX_THREAD_COND_INITIALIZER {0, {SGX_THREAD_T_NULL, SGX_THREAD_T_NULL}}

typedef struct _sgx_thread_cond_attr_t {
  unsigned char m_dummy;
} sgx_thread_condattr_t;

#ifdef __cplusplus
extern "C" {
#endif

int sgx_thread_mutex_init(sgx_thread_mutex_t* mutex, const sgx_thread_mutexattr_t* unused);
int sgx_thread_mutex_destroy(sgx_thread_mutex_t* mutex);
int sgx_thread_mutex_lock(sgx_thread_mutex_t* mutex);
int sgx_thread_mutex_trylock(sgx_thread_mutex_t* mutex);
int sgx_thread_mutex_unlock(sgx_thread_mutex_t* mutex);
int sgx_thread_cond_init(sgx_thread_cond_t* cond, const sgx_thread_condattr_t* unused);
int sgx_thread_cond_destroy(sgx_thread_cond_t* cond);
int sgx_thread_cond_wait(sgx_thread_cond_t* cond, sgx_thread_mutex_t* mutex);
int sgx_thread_cond_signal(sgx_thread_cond_t* cond);
int sgx_thread_cond_broadcast(sgx_thread_cond_t* cond);
sgx_thread_t sgx_thread_self(void);
int sgx_thread_equal(sgx_thread_t a, sgx_thread_t b);

#ifdef __cplusplus
}
#endif

#endif
