// Which backend this process's enclaves use: the isolated one (the default,
// NSGX_BACKEND unset or "isolated"), or the upstream Linux SGX interface
// (/dev/sgx_enclave: "inproc" under `nsgx exec`, or "sgx" on hardware).
#pragma once

namespace nsgx::urts {

bool use_isolated();

// Whether the enclave this thread is serving an OCALL of has crashed or been
// lost since: an OCALL that waits (an untrusted event) gives up then, and
// the call returns SGX_ERROR_ENCLAVE_CRASHED instead of re-entering.
bool current_enclave_failed();

// tstdc_ocalls.cc: wakes every thread waiting on an untrusted event, so that
// those whose enclave failed see it (called when an enclave fails).
void wake_untrusted_event_waiters();

}  // namespace nsgx::urts
