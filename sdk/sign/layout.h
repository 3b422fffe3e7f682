// Lays out an unsigned enclave (an ELF shared object linked with the
// trusted runtime, carrying an empty `.note.sgxmeta`) as the SGX SDK's
// signing tool does: heap, then one thread's pages per TCS (guard, stack,
// guard, TCS, two SSA frames, guard, thread data), a final guard up to a
// power of two; the layout table, the TCS template, and the patch table
// (the trusted runtime's g_global_data, the ELF header's section fields)
// written into the note as SGX SDK metadata 1.4. The result is an SDK image
// that image::SdkImage measures and the loader loads like any other; the
// SIGSTRUCT is added by signing it.
#pragma once

#include "base/bytes.h"
#include "sdk/sign/enclave_config.h"

namespace nsgx::sdk {

Result<Bytes> lay_out(ByteSpan unsigned_elf, const EnclaveConfig& config);

}  // namespace nsgx::sdk
