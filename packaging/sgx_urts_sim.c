/* libsgx_urts_sim.so: the name SGX SDK Makefiles link in simulation mode
 * (SGX_MODE=SIM) selects the inproc backend (docs/inproc.md): the
 * untrusted runtime together with the code `nsgx exec` preloads, whose
 * open, ioctl, mmap ... come before the C library's because the application
 * links this library first (packaging/CMakeLists.txt). Enclave code then
 * runs inside the application process, as in the SDK's simulation mode, with
 * the same measurement, launch checks, keys and reports as on the isolated
 * backend. */
#include <stdlib.h>

__attribute__((visibility("default"), used)) const char nsgx_urts_version[] =
    "nestedsgx untrusted runtime, inproc backend (sgx_urts_sim) " NSGX_VERSION_STRING;

/* The runtime reads NSGX_BACKEND when it creates an enclave (sdk/urts);
 * `nsgx exec` sets it the same way. */
__attribute__((constructor)) static void nsgx_urts_sim_select_inproc(void) { setenv("NSGX_BACKEND", "inproc", 1); }
