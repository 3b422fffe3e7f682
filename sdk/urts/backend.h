// Which backend this process's enclaves use: the isolated one (the default,
// NSGX_BACKEND unset or "isolated"), or the upstream Linux SGX interface
// (/dev/sgx_enclave: "inproc" under `nsgx exec`, or "sgx" on hardware).
#pragma once

namespace nsgx::urts {

bool use_isolated();

}  // namespace nsgx::urts
