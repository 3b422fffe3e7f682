/* Switchless calls: the memory the untrusted runtime (sdk/urts/switchless.cc)
 * and the trusted runtime (sdk/trts/switchless.c) share, and the rules each
 * side follows on it. C, so that both include it.
 *
 * One block of untrusted memory per enclave, from nsgx_untrusted_alloc: on
 * the isolated backend that is the window, the only application memory an
 * enclave thread that stays inside sees change while it runs
 * (docs/isolated.md), and every queue, flag and counter both sides poll is
 * here. It starts with this header, followed by two queues of `nslots`
 * slots each, ECALL requests first, then OCALL requests.
 *
 * A slot's life (state, one 32-bit word changed only by atomic operations):
 *   FREE --caller CAS--> CLAIMED --caller writes index, ms; release--> READY
 *   READY --worker CAS--> ACCEPTED --worker writes status; release--> DONE
 *   READY --caller CAS (gave up: retries_before_fallback)--> FREE, and the
 *     caller makes an ordinary ECALL/OCALL instead (a "miss")
 *   DONE --caller reads status, release--> FREE
 * Only the CASes decide ownership, so a call is run by exactly one worker or
 * by its caller, never both.
 *
 * Trust: the enclave treats all of this as hostile input. It copies the
 * header once (sl_init_switchless), checks that the whole block lies
 * outside ELRANGE and that nslots is within bounds, and afterwards reads
 * only slot words it bounds itself; an ECALL index from a slot passes the
 * same checks as an EENTER's (plus: marked transition_using_threads). The
 * untrusted side can at worst make calls fail or spin, as it can any
 * ordinary transition. */
#ifndef NSGX_SDK_COMMON_SWITCHLESS_H
#define NSGX_SDK_COMMON_SWITCHLESS_H

#include <stddef.h>
#include <stdint.h>

#define NSGX_SL_MAGIC 0x31736c736c67736eULL /* "nsgslsl1" */
#define NSGX_SL_MAX_SLOTS 512u              /* SL_MAX_TASKS_MAX_QWORDS x 64 */

/* The trusted runtime's builtin commands (EENTER RDI), beside ECMD_INIT_ENCLAVE
 * (-1), ECMD_ORET (-2), ECMD_EXCEPT (-3), ECMD_ECALL_PTHREAD (-6): RSI = the
 * shared block / none. Our numbers; only our runtimes speak them. */
#define ECMD_INIT_SWITCHLESS -7
#define ECMD_RUN_SWITCHLESS_TWORKER -8

/* What the trusted worker's command returns when it found no request for
 * retries_before_sleep pauses (or was told to stop): it leaves the enclave
 * so that its thread can sleep outside. */
#define NSGX_SL_TWORKER_IDLE 0

enum { NSGX_SL_FREE = 0, NSGX_SL_CLAIMED = 1, NSGX_SL_READY = 2, NSGX_SL_ACCEPTED = 3, NSGX_SL_DONE = 4 };

typedef struct {
  uint32_t state;  /* NSGX_SL_* */
  uint32_t index;  /* ECALL or OCALL index */
  uint64_t ms;     /* the marshalling struct (untrusted memory) */
  uint32_t status; /* the call's sgx_status_t, valid in DONE */
  uint32_t reserved[11];
} nsgx_sl_slot_t; /* one cache line each: callers on different slots do not share lines */

typedef struct {
  /* Written once by the untrusted runtime before ECMD_INIT_SWITCHLESS. */
  uint64_t magic;
  uint32_t nslots; /* per queue */
  uint32_t retries_before_fallback;
  uint32_t retries_before_sleep;
  /* 1 when enclave threads see application memory outside this block only
   * at transitions (the isolated backend): a switchless OCALL that passes
   * pointers its proxy does not copy then goes the ordinary way. */
  uint32_t app_memory_at_transitions;
  uint32_t reserved0[10];
  /* Live words, each on its own line. */
  uint32_t stop; /* 1: workers leave, callers stop posting */
  uint32_t reserved1[15];
  uint32_t ecall_pending; /* READY ECALL slots (a hint: workers scan only when non-zero) */
  uint32_t reserved2[15];
  uint32_t ocall_pending; /* READY OCALL slots */
  uint32_t reserved3[15];
  uint32_t uworkers_awake;  /* untrusted workers polling; 0: a switchless OCALL falls back at once */
  uint32_t uworkers_wanted; /* set by the enclave when it fell back for want of an awake worker */
  uint32_t reserved4[14];
  uint64_t ocall_missed; /* counted by the enclave: switchless OCALLs made the ordinary way */
  uint64_t reserved5[7];
} nsgx_sl_shared_t;

#ifdef __cplusplus
#define NSGX_SL_ASSERT static_assert
#else
#define NSGX_SL_ASSERT _Static_assert
#endif
NSGX_SL_ASSERT(sizeof(nsgx_sl_slot_t) == 64, "one slot per cache line");
NSGX_SL_ASSERT(offsetof(nsgx_sl_shared_t, stop) == 64, "live words on their own lines");
NSGX_SL_ASSERT(offsetof(nsgx_sl_shared_t, ecall_pending) == 128, "live words on their own lines");
NSGX_SL_ASSERT(offsetof(nsgx_sl_shared_t, ocall_pending) == 192, "live words on their own lines");
NSGX_SL_ASSERT(offsetof(nsgx_sl_shared_t, uworkers_awake) == 256, "live words on their own lines");
NSGX_SL_ASSERT(offsetof(nsgx_sl_shared_t, ocall_missed) == 320, "live words on their own lines");
NSGX_SL_ASSERT(sizeof(nsgx_sl_shared_t) == 384, "header size");

/* The block's size for `nslots` slots per queue. */
static inline size_t nsgx_sl_block_size(uint32_t nslots) {
  return sizeof(nsgx_sl_shared_t) + 2u * (size_t)nslots * sizeof(nsgx_sl_slot_t);
}
static inline nsgx_sl_slot_t* nsgx_sl_ecall_slots(nsgx_sl_shared_t* sh) { return (nsgx_sl_slot_t*)(sh + 1); }
static inline nsgx_sl_slot_t* nsgx_sl_ocall_slots(nsgx_sl_shared_t* sh, uint32_t nslots) {
  return nsgx_sl_ecall_slots(sh) + nslots;
}

#endif
