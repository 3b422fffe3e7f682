/* The untrusted runtime's interface to debuggers (nestedsgx; not an SDK
 * header). docs/sdk-abi.md "Debugger interface" describes it.
 *
 * The SGX SDK's urts tells its gdb plugin about enclaves by calling a
 * function the debugger has a breakpoint on; nestedsgx does the same with
 * its own, versioned, structure. A debugger:
 *   - breaks on the first instruction of nsgx_debug_enclave_event (the
 *     symbol is exported by libsgx_urts.so and present in every program
 *     linked with the static runtime); there, per the System V x86-64
 *     calling convention, RDI holds the event (NSGX_DEBUG_EVENT_*) and RSI
 *     a pointer to the enclave's nsgx_debug_enclave_info;
 *   - after attaching to a running program, walks nsgx_debug_enclave_list.
 * The fields are read at the offsets asserted below, so a debugger needs
 * no debug information of the runtime itself. A reader checks `version`
 * and ignores bytes beyond `struct_size` it does not know.
 *
 * Every enclave the runtime creates is announced, with its DEBUG
 * attribute: a debugger must not treat a non-debug enclave as debuggable
 * (on SGX hardware EDBGRD/EDBGWR refuse it); nsgx gdb loads no symbols
 * for one. */
#ifndef _NSGX_DEBUGGER_H_
#define _NSGX_DEBUGGER_H_

#include <stddef.h>
#include <stdint.h>

#include "nsgx_layout_assert.h"

#define NSGX_DEBUG_INFO_VERSION 1

/* The enclave is initialised far enough to run code: its pages are in
 * place at [base, base + size). Announced before its first ECALL (the
 * trusted runtime's own initialisation), so breakpoints there fire. */
#define NSGX_DEBUG_EVENT_LOAD 1
/* The enclave is about to go: its memory is still mapped. */
#define NSGX_DEBUG_EVENT_UNLOAD 2
/* A debug enclave crashed (an exception its handlers did not take);
 * the fault fields say what the last AEX reported. */
#define NSGX_DEBUG_EVENT_CRASH 3

/* Where the enclave's code runs. */
#define NSGX_DEBUG_BACKEND_IN_PROCESS 0 /* inproc (or hardware): this process */
#define NSGX_DEBUG_BACKEND_ISOLATED 1   /* a separate enclave host process */

#define NSGX_DEBUG_FAULT_VALID 1u   /* vector, error_code, fault_address */
#define NSGX_DEBUG_FAULT_HAS_RIP 2u /* fault_rip */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nsgx_debug_enclave_info {
  uint32_t version;                     /* NSGX_DEBUG_INFO_VERSION */
  uint32_t struct_size;                 /* sizeof(nsgx_debug_enclave_info) of the writer */
  struct nsgx_debug_enclave_info* next; /* nsgx_debug_enclave_list */
  const char* path;                     /* the enclave file, absolute, NUL-terminated */
  uint64_t base;                        /* ELRANGE; the image at base + the p_vaddr of the PT_LOAD
                                           holding its header (0 but for <UserRegionFirst>) */
  uint64_t size;
  uint64_t enclave_id; /* the sgx_enclave_id_t */
  uint32_t debug;      /* SECS.ATTRIBUTES.DEBUG: 1 or 0 */
  uint32_t backend;    /* NSGX_DEBUG_BACKEND_* */
  uint16_t vector;     /* the crash's exception vector (14 = #PF, ...) */
  uint16_t error_code;
  uint32_t fault_flags;   /* NSGX_DEBUG_FAULT_* */
  uint64_t fault_address; /* #PF/#GP: the linear address (EXINFO.MADDR) */
  uint64_t fault_rip;     /* the faulting instruction, relative to base */
  /* Added in version 1 with struct_size 88 (readers check struct_size):
   * the isolated enclave host's pid for a debug enclave, which its
   * owner's debugger may attach to; 0 otherwise. */
  uint32_t host_pid;
  uint32_t reserved;
} nsgx_debug_enclave_info;

NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, next) == 8, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, path) == 16, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, base) == 24, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, size) == 32, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, enclave_id) == 40, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, debug) == 48, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, backend) == 52, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, vector) == 56, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, error_code) == 58, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, fault_flags) == 60, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, fault_address) == 64, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, fault_rip) == 72, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_enclave_info, host_pid) == 80, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(sizeof(nsgx_debug_enclave_info) == 88, "nsgx debugger ABI v1");

/* The trusted runtime's side (sdk/trts): where a thread inside the
 * enclave keeps the untrusted state of its latest entry, so that a
 * debugger can unwind from the enclave's entry frame into the frames of
 * the application that made the ECALL.
 *
 * Every entry (EENTER with CSSA 0) records, before it switches to the
 * enclave's stack, the address EEXIT will return to (RCX at EENTER) and
 * the untrusted RSP and RBP (what EENTER also saves in the SSA frame's
 * GPRSGX.URSP/URBP, SDM Vol. 3D 37.9.1) in the thread data that GS
 * points at (TCS.OGSBASGX), whose first word holds its own address. The
 * ECALL returns exactly there: these are the caller's registers.
 *
 * A debugger finds the layout in the enclave image itself, as the
 * symbol `nsgx_debug_trts` (an nsgx_debug_trts_info), and the entry code
 * as the symbol `enclave_entry`; an image without `nsgx_debug_trts`
 * (the SGX SDK's trusted runtime) is not unwound across the ECALL. */
#define NSGX_DEBUG_TRTS_VERSION 1

typedef struct nsgx_debug_entry_state {
  uint64_t exit_address; /* RCX at EENTER: where EEXIT returns */
  uint64_t ursp;         /* the untrusted RSP at EENTER */
  uint64_t urbp;         /* the untrusted RBP at EENTER */
} nsgx_debug_entry_state;

typedef struct nsgx_debug_trts_info {
  uint32_t version;     /* NSGX_DEBUG_TRTS_VERSION */
  uint32_t struct_size; /* sizeof(nsgx_debug_trts_info) of the writer */
  uint32_t td_self;     /* offset in the thread data of its own address */
  uint32_t td_entry;    /* offset in the thread data of the nsgx_debug_entry_state */
} nsgx_debug_trts_info;

NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_entry_state, ursp) == 8, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_entry_state, urbp) == 16, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(sizeof(nsgx_debug_entry_state) == 24, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_trts_info, td_self) == 8, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(offsetof(nsgx_debug_trts_info, td_entry) == 12, "nsgx debugger ABI v1");
NSGX_LAYOUT_ASSERT(sizeof(nsgx_debug_trts_info) == 16, "nsgx debugger ABI v1");

/* Called by the runtime on each event; does nothing but is never inlined
 * or elided, so a breakpoint on it sees every event. */
void nsgx_debug_enclave_event(uint32_t event, const nsgx_debug_enclave_info* info);

/* The enclaves alive in this process, newest first (changed only under
 * the runtime's lock; a debugger reads it while the process is stopped). */
extern nsgx_debug_enclave_info* nsgx_debug_enclave_list;

#ifdef __cplusplus
}
#endif

#endif
