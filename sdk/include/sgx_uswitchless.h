/* Switchless calls (SGX SDK interface, sgx_uswitchless.h): the
 * configuration an application passes to sgx_create_enclave_ex with
 * SGX_CREATE_ENCLAVE_EX_SWITCHLESS. ECALLs and OCALLs marked
 * `transition_using_threads` in the EDL are then served by worker threads
 * (untrusted workers run OCALLs, trusted workers ECALLs) that poll shared
 * request queues instead of crossing the enclave boundary.
 *
 * The enclave imports sgx_tswitchless.edl. Callbacks run on the worker
 * threads: START and EXIT once per worker, IDLE when a worker goes to sleep
 * (after retries_before_sleep pauses without a request), MISS when a worker
 * waking, going to sleep or ending finds that calls of its kind fell back to an
 * ordinary transition since it last reported; `stats` are those of all
 * workers of that kind. How nestedsgx implements it: docs/sdk-abi.md. */
#ifndef _SGX_USWITCHLESS_H_
#define _SGX_USWITCHLESS_H_

#include <stdint.h>

#include "sgx_defs.h"
#include "sgx_eid.h"
#include "sgx_error.h"

typedef enum {
  SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED, /* serves OCALLs, outside the enclave */
  SGX_USWITCHLESS_WORKER_TYPE_TRUSTED    /* serves ECALLs, inside the enclave */
} sgx_uswitchless_worker_type_t;

typedef enum {
  SGX_USWITCHLESS_WORKER_EVENT_START, /* a worker starts */
  SGX_USWITCHLESS_WORKER_EVENT_IDLE,  /* a worker found no work and goes to sleep */
  SGX_USWITCHLESS_WORKER_EVENT_MISS,  /* a caller gave up waiting and made an ordinary call */
  SGX_USWITCHLESS_WORKER_EVENT_EXIT,  /* a worker exits */
  _SGX_USWITCHLESS_WORKER_EVENT_NUM,
} sgx_uswitchless_worker_event_t;

typedef struct {
  uint64_t processed; /* calls all workers of this type have served */
  uint64_t missed;    /* calls that fell back to an ordinary transition */
} sgx_uswitchless_worker_stats_t;

typedef void (*sgx_uswitchless_worker_callback_t)(sgx_uswitchless_worker_type_t type,
                                                  sgx_uswitchless_worker_event_t event,
                                                  const sgx_uswitchless_worker_stats_t* stats);

#define SL_DEFAULT_FALLBACK_RETRIES 20000
#define SL_DEFAULT_SLEEP_RETRIES 20000
#define SL_DEFUALT_MAX_TASKS_QWORDS 1 /* (sic, the SDK's spelling) x 64 outstanding calls */
#define SL_MAX_TASKS_MAX_QWORDS 8

typedef struct {
  uint32_t switchless_calls_pool_size_qwords; /* outstanding calls / 64; 0: the default */
  uint32_t num_uworkers;                      /* untrusted worker threads (OCALLs) */
  uint32_t num_tworkers;                      /* trusted worker threads (ECALLs) */
  uint32_t retries_before_fallback;           /* a caller's pauses before an ordinary call; 0: the default */
  uint32_t retries_before_sleep;              /* a worker's pauses before it sleeps; 0: the default */
  sgx_uswitchless_worker_callback_t callback_func[_SGX_USWITCHLESS_WORKER_EVENT_NUM];
} sgx_uswitchless_config_t;

#define SGX_USWITCHLESS_CONFIG_INITIALIZER \
  {                                        \
    0, 1, 1, 0, 0, { 0 }                   \
  }

#ifdef __cplusplus
extern "C" {
#endif

/* nestedsgx extension: the statistics the callbacks receive, for workers of
 * `type`, at any time. SGX_ERROR_FEATURE_NOT_SUPPORTED for an enclave
 * created without SGX_CREATE_ENCLAVE_EX_SWITCHLESS. */
sgx_status_t SGX_CDECL nsgx_uswitchless_stats(const sgx_enclave_id_t eid, const sgx_uswitchless_worker_type_t type,
                                              sgx_uswitchless_worker_stats_t* stats);

#ifdef __cplusplus
}
#endif

#endif
