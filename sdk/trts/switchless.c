/* Switchless calls, trusted side (the SGX SDK's sgx_tswitchless: the ECALLs
 * of sgx_tswitchless.edl and sgx_ocall_switchless). The protocol and its
 * trust rules are in sdk/common/switchless.h; docs/sdk-abi.md describes the
 * whole feature.
 *
 * - sl_init_switchless (ECMD_INIT_SWITCHLESS): takes the untrusted block,
 *   once.
 * - sl_run_switchless_tworker (ECMD_RUN_SWITCHLESS_TWORKER): a trusted
 *   worker — an application thread that entered for the purpose — polls
 *   the ECALL queue and runs the requests; it leaves after
 *   retries_before_sleep pauses without one, so that its thread sleeps
 *   outside.
 * - sgx_ocall_switchless: posts the OCALL for the untrusted workers and
 *   waits retries_before_fallback pauses for one to take it; otherwise (or
 *   with no worker awake, no free slot, or switchless not set up) it makes
 *   the ordinary OCALL. */
#include "sdk/common/switchless.h"

#include <string.h>

#include "nsgx_tswitchless.h"
#include "sgx_edger8r.h"
#include "sgx_lfence.h"
#include "sgx_trts.h"
#include "trts_internal.h"

static nsgx_sl_shared_t* g_sh; /* untrusted */
static uint32_t g_nslots, g_retries_fallback, g_retries_sleep, g_app_at_transitions;
static uint32_t g_sl_state; /* 0 none, 1 being set up, 2 ready */

static inline uint32_t load32(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void store32(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline int cas32(uint32_t* p, uint32_t from, uint32_t to) {
  return __atomic_compare_exchange_n(p, &from, to, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline void cpu_pause(void) { __builtin_ia32_pause(); }

sgx_status_t sl_init_switchless(void* sl_data) {
  if (sl_data == NULL || ((uintptr_t)sl_data & 63) != 0 || !sgx_is_outside_enclave(sl_data, sizeof(nsgx_sl_shared_t)))
    return SGX_ERROR_INVALID_PARAMETER;
  sgx_lfence();
  /* One fetch of the header: later decisions use this copy only. */
  nsgx_sl_shared_t hdr;
  memcpy(&hdr, sl_data, sizeof hdr);
  if (hdr.magic != NSGX_SL_MAGIC || hdr.nslots == 0 || hdr.nslots > NSGX_SL_MAX_SLOTS)
    return SGX_ERROR_INVALID_PARAMETER;
  if (!sgx_is_outside_enclave(sl_data, nsgx_sl_block_size(hdr.nslots))) return SGX_ERROR_INVALID_PARAMETER;
  if (!cas32(&g_sl_state, 0, 1)) return SGX_ERROR_UNEXPECTED; /* once per enclave */
  g_sh = (nsgx_sl_shared_t*)sl_data;
  g_nslots = hdr.nslots;
  g_retries_fallback = hdr.retries_before_fallback;
  g_retries_sleep = hdr.retries_before_sleep;
  g_app_at_transitions = hdr.app_memory_at_transitions != 0;
  store32(&g_sl_state, 2);
  return SGX_SUCCESS;
}

/* Claims a FREE slot of `q`, starting at a place that depends on the
 * caller so that threads rarely collide; NULL if all are taken. */
static nsgx_sl_slot_t* claim(nsgx_sl_slot_t* q, uint32_t start) {
  for (uint32_t i = 0; i < g_nslots; ++i) {
    nsgx_sl_slot_t* s = &q[(start + i) % g_nslots];
    if (load32(&s->state) == NSGX_SL_FREE && cas32(&s->state, NSGX_SL_FREE, NSGX_SL_CLAIMED)) return s;
  }
  return NULL;
}

sgx_status_t sl_run_switchless_tworker(void) {
  if (load32(&g_sl_state) != 2) return SGX_ERROR_INVALID_STATE;
  nsgx_sl_shared_t* const sh = g_sh;
  nsgx_sl_slot_t* const q = nsgx_sl_ecall_slots(sh);
  uint32_t idle = 0, next = 0;
  for (;;) {
    if (load32(&sh->stop)) return SGX_SUCCESS;
    int served = 0;
    if (load32(&sh->ecall_pending) != 0) {
      for (uint32_t i = 0; i < g_nslots; ++i) {
        const uint32_t k = (next + i) % g_nslots;
        nsgx_sl_slot_t* s = &q[k];
        if (load32(&s->state) != NSGX_SL_READY || !cas32(&s->state, NSGX_SL_READY, NSGX_SL_ACCEPTED)) continue;
        __atomic_fetch_sub(&sh->ecall_pending, 1, __ATOMIC_RELAXED);
        /* Each read once: the untrusted side may change them meanwhile. */
        const uint32_t index = __atomic_load_n(&s->index, __ATOMIC_RELAXED);
        void* const ms = (void*)__atomic_load_n(&s->ms, __ATOMIC_RELAXED);
        const sgx_status_t st = nsgx_switchless_ecall(index, ms);
        __atomic_store_n(&s->status, (uint32_t)st, __ATOMIC_RELAXED);
        store32(&s->state, NSGX_SL_DONE);
        next = k + 1;
        served = 1;
        break;
      }
    }
    if (served) {
      idle = 0;
      continue;
    }
    cpu_pause();
    if (++idle >= g_retries_sleep) return SGX_SUCCESS; /* NSGX_SL_TWORKER_IDLE: sleep outside */
  }
}

static sgx_status_t missed(unsigned index, void* ms) {
  __atomic_fetch_add(&g_sh->ocall_missed, 1, __ATOMIC_RELAXED);
  return sgx_ocall(index, ms);
}

sgx_status_t nsgx_ocall_switchless_ex(const unsigned int index, void* ms, int app_memory) {
  /* Not set up (no SGX_CREATE_ENCLAVE_EX_SWITCHLESS), or a call whose
   * pointers reach application memory the untrusted worker would not see
   * (docs/isolated.md): the ordinary way, as the SDK falls back. */
  if (load32(&g_sl_state) != 2 || (app_memory && g_app_at_transitions) || nsgx_td()->switchless_off != 0)
    return sgx_ocall(index, ms);
  if (index >= nsgx_ocall_count()) return SGX_ERROR_INVALID_FUNCTION;
  nsgx_sl_shared_t* const sh = g_sh;
  if (load32(&sh->stop)) return sgx_ocall(index, ms);
  if (load32(&sh->uworkers_awake) == 0) {
    /* Every untrusted worker sleeps; the untrusted runtime wakes them when
     * this ordinary OCALL reaches it. */
    store32(&sh->uworkers_wanted, 1);
    return missed(index, ms);
  }
  nsgx_td_t* const td = nsgx_td();
  nsgx_sl_slot_t* const s = claim(nsgx_sl_ocall_slots(sh, g_nslots), (uint32_t)(td->tcs >> 12));
  if (s == NULL) return missed(index, ms);
  __atomic_store_n(&s->index, index, __ATOMIC_RELAXED);
  __atomic_store_n(&s->ms, (uint64_t)(uintptr_t)ms, __ATOMIC_RELAXED);
  store32(&s->state, NSGX_SL_READY);
  __atomic_fetch_add(&sh->ocall_pending, 1, __ATOMIC_RELEASE);
  for (uint32_t r = 0; r < g_retries_fallback && load32(&s->state) == NSGX_SL_READY; ++r) cpu_pause();
  if (cas32(&s->state, NSGX_SL_READY, NSGX_SL_FREE)) {
    /* No worker took it in time: withdrawn, so none will run it. */
    __atomic_fetch_sub(&sh->ocall_pending, 1, __ATOMIC_RELAXED);
    store32(&sh->uworkers_wanted, 1);
    return missed(index, ms);
  }
  /* A worker runs it; wait for its end however long the OCALL takes (the
   * SDK's rule: switchless calls should be short). */
  uint32_t st;
  while ((st = load32(&s->state)) == NSGX_SL_ACCEPTED) cpu_pause();
  /* Anything but DONE is a hostile untrusted side: the slot is left alone. */
  if (st != NSGX_SL_DONE) return SGX_ERROR_UNEXPECTED;
  const sgx_status_t status = (sgx_status_t)__atomic_load_n(&s->status, __ATOMIC_RELAXED);
  store32(&s->state, NSGX_SL_FREE);
  return status;
}

sgx_status_t sgx_ocall_switchless(const unsigned int index, void* ms) { return nsgx_ocall_switchless_ex(index, ms, 0); }

int nsgx_switchless_ocalls(int allowed) {
  nsgx_td_t* const td = nsgx_td();
  const int was = td->switchless_off == 0;
  td->switchless_off = allowed ? 0 : 1;
  return was;
}
