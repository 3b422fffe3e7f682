/* The SGX SDK's AEX-Notify interface (sgx_trts_aex.h), written from its
 * documented interface: handlers an enclave thread registers to run after
 * an asynchronous exit, when the processor delivers AEX notifications
 * (SSA.GPRSGX.AEXNOTIFY with ATTRIBUTES.AEXNOTIFY, ENCLU[EDECCSSA]).
 *
 * nestedsgx's backends do not deliver AEX notifications (nor does SGX
 * hardware without AEX-Notify): registration keeps its per-thread list as
 * the SDK does, and the handlers are never called; asking to enable
 * notifications with sgx_set_ssa_aexnotify fails with SGX_ERROR_UNEXPECTED
 * so an enclave that depends on them can tell. */
#ifndef SGX_TRTS_AEX_H_
#define SGX_TRTS_AEX_H_

#include <stddef.h>
#include <stdint.h>

#include "sgx_defs.h"
#include "sgx_error.h"
#include "sgx_trts_exception.h"

typedef void (*sgx_aex_mitigation_fn_t)(const sgx_exception_info_t* info, const void* args);

/* Owned by the caller, which keeps it valid until it unregisters. */
typedef struct _aex_mitigation_node_t {
  sgx_aex_mitigation_fn_t handler;
  const void* args;
  struct _aex_mitigation_node_t* next;
} sgx_aex_mitigation_node_t;

#ifdef __cplusplus
extern "C" {
#endif

/* flag 0: notifications off for this thread (SGX_SUCCESS); non-zero: on,
 * which no backend of nestedsgx offers (SGX_ERROR_UNEXPECTED). */
sgx_status_t SGXAPI sgx_set_ssa_aexnotify(int flag);

/* Adds `handler` with `args` to the calling thread's list through
 * `aex_node`. SGX_ERROR_INVALID_PARAMETER if either is NULL. */
sgx_status_t SGXAPI sgx_register_aex_handler(sgx_aex_mitigation_node_t* aex_node, sgx_aex_mitigation_fn_t handler,
                                             const void* args);

/* Removes `handler` from the calling thread's list:
 * SGX_ERROR_UNEXPECTED if the list is empty, SGX_ERROR_INVALID_PARAMETER if
 * `handler` is NULL or not in it. */
sgx_status_t SGXAPI sgx_unregister_aex_handler(sgx_aex_mitigation_fn_t handler);

#ifdef __cplusplus
}
#endif

#endif
