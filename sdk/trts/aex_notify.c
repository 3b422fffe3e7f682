/* sgx_trts_aex.h: the per-thread list of AEX-Notify handlers. No backend
 * of nestedsgx delivers AEX notifications, so nothing calls them; the list
 * exists so that enclaves written for the SDK keep their registration
 * logic (and see the SDK's answers) unchanged. Per thread, as in the SDK:
 * an AEX is a thread's event. */
#include <stddef.h>

#include "sgx_trts_aex.h"

static __thread sgx_aex_mitigation_node_t* aex_handlers;

sgx_status_t sgx_set_ssa_aexnotify(int flag) { return flag == 0 ? SGX_SUCCESS : SGX_ERROR_UNEXPECTED; }

sgx_status_t sgx_register_aex_handler(sgx_aex_mitigation_node_t* aex_node, sgx_aex_mitigation_fn_t handler,
                                      const void* args) {
  if (aex_node == NULL || handler == NULL) return SGX_ERROR_INVALID_PARAMETER;
  aex_node->handler = handler;
  aex_node->args = args;
  aex_node->next = aex_handlers;
  aex_handlers = aex_node;
  return SGX_SUCCESS;
}

sgx_status_t sgx_unregister_aex_handler(sgx_aex_mitigation_fn_t handler) {
  if (handler == NULL) return SGX_ERROR_INVALID_PARAMETER;
  if (aex_handlers == NULL) return SGX_ERROR_UNEXPECTED;
  for (sgx_aex_mitigation_node_t** link = &aex_handlers; *link != NULL; link = &(*link)->next) {
    if ((*link)->handler == handler) {
      *link = (*link)->next;
      return SGX_SUCCESS;
    }
  }
  return SGX_ERROR_INVALID_PARAMETER;
}
