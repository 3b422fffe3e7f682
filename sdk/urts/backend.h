// Which backend this process's enclaves use: the isolated one (the default,
// NSGX_BACKEND unset or "isolated"), or the upstream Linux SGX interface
// (/dev/sgx_enclave: "inproc" under `nsgx exec`, or "sgx" on hardware).
#pragma once

#include "sgx_eid.h"

namespace nsgx::urts {

bool use_isolated();

// Whether the enclave this thread is serving an OCALL of has crashed or been
// lost since: an OCALL that waits (an untrusted event) gives up then, and
// the call returns SGX_ERROR_ENCLAVE_CRASHED instead of re-entering.
bool current_enclave_failed();

// The enclave and OCALL table of the ECALL whose OCALL this thread is
// serving; false outside one (pthread_ocalls.cc starts threads with them).
bool current_ecall(sgx_enclave_id_t* eid, const void** ocall_table);

// tstdc_ocalls.cc: wakes every thread waiting on an untrusted event, so that
// those whose enclave failed see it (called when an enclave fails).
void wake_untrusted_event_waiters();

}  // namespace nsgx::urts
