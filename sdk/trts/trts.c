/* The trusted runtime: first-entry set-up (self-relocation, constructors,
 * heap), ECALL dispatch with the SDK's permission rules, OCALLs, and the
 * enclave-range checks the generated bridges rely on (docs/sdk-abi.md). */
#include <elf.h>
#include <stdint.h>

#include "nsgx_debugger.h"
#include "sdk/common/switchless.h"
#include "sgx_edger8r.h"
#include "sgx_lfence.h"
#include "sgx_trts.h"
#include "trts_internal.h"

/* Patched by the signer (sdk/sign), so measured. In .data: the patch
 * writes file bytes, which .bss does not have. */
__attribute__((visibility("default"), section(".data"))) volatile nsgx_global_data_t g_global_data = {0};
extern HIDDEN volatile nsgx_global_data_t nsgx_gd __attribute__((alias("g_global_data")));

/* The tables nsgx-edger8r (or sgx_edger8r) generates, read generically. */
extern HIDDEN const struct {
  size_t nr_ecall;
  struct {
    void* ecall_addr;
    uint8_t is_priv;
    uint8_t is_switchless;
  } ecall_table[];
} g_ecall_table;
extern HIDDEN const struct {
  size_t nr_ocall;
  uint8_t entry_table[];
} g_dyn_entry_table;

extern HIDDEN const Elf64_Dyn _DYNAMIC[];

volatile int nsgx_crashed;
static volatile int enclave_state; /* 0 new, 1 initializing, 2 ready */

void nsgx_crash(void) {
  nsgx_crashed = 1;
  __builtin_trap();
}

/* Where the image's link-time addresses (linked at 0) are: its header. */
static uintptr_t image_base(void) { return (uintptr_t)__ehdr_start; }

/* Applies the image's relocations for where it was loaded. Runs before
 * anything that holds an absolute address: only PC-relative code here. The
 * signer admits only R_X86_64_RELATIVE, R_X86_64_DTPMOD64 without a symbol
 * (the enclave's own TLS module) and NONE. */
static int relocate(void) {
  const uintptr_t base = image_base();
  const Elf64_Rela* rela = 0;
  uint64_t relasz = 0, relaent = sizeof(Elf64_Rela);
  for (const Elf64_Dyn* d = _DYNAMIC; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_RELA) rela = (const Elf64_Rela*)(base + d->d_un.d_ptr);
    if (d->d_tag == DT_RELASZ) relasz = d->d_un.d_val;
    if (d->d_tag == DT_RELAENT) relaent = d->d_un.d_val;
  }
  if (rela == 0 || relasz == 0) return 1;
  if (relaent != sizeof(Elf64_Rela)) return 0;
  for (uint64_t i = 0; i < relasz / sizeof(Elf64_Rela); ++i) {
    const uint32_t type = (uint32_t)ELF64_R_TYPE(rela[i].r_info);
    if (type == R_X86_64_NONE) continue;
    if (!sgx_is_within_enclave((void*)(base + rela[i].r_offset), 8)) return 0;
    if (type == R_X86_64_DTPMOD64 && ELF64_R_SYM(rela[i].r_info) == 0) {
      /* The TLS module of a thread-local variable of the enclave itself:
       * the only module, 1 (what __tls_get_addr expects, tls.c). */
      *(uint64_t*)(base + rela[i].r_offset) = 1;
      continue;
    }
    if (type != R_X86_64_RELATIVE) return 0;
    *(uint64_t*)(base + rela[i].r_offset) = base + (uint64_t)rela[i].r_addend;
  }
  return 1;
}

static void run_constructors(void) {
  const uintptr_t base = image_base();
  void (**init)(void) = 0;
  uint64_t count = 0;
  void (*legacy)(void) = 0;
  for (const Elf64_Dyn* d = _DYNAMIC; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_INIT_ARRAY) init = (void (**)(void))(base + d->d_un.d_ptr);
    if (d->d_tag == DT_INIT_ARRAYSZ) count = d->d_un.d_val / sizeof(void*);
    if (d->d_tag == DT_INIT) legacy = (void (*)(void))(base + d->d_un.d_ptr);
  }
  if (legacy) legacy();
  for (uint64_t i = 0; i < count; ++i)
    if (init[i] != 0 && init[i] != (void (*)(void))-1) init[i]();
}

static sgx_status_t init_enclave(void* features) {
  /* The SDK's system_features_t (sdk/common/system_features.h) must lie
   * wholly outside, as the SDK's trusted runtime requires. Its CPUID rows
   * answer the CPUID instruction where nothing else does (cpuid.c). */
  if (features != 0 && !sgx_is_outside_enclave(features, sizeof(nsgx_system_features_t)))
    return SGX_ERROR_INVALID_PARAMETER;
  if (!__sync_bool_compare_and_swap(&enclave_state, 0, 1)) return SGX_ERROR_UNEXPECTED; /* only once */
  if (features != 0) nsgx_cpuid_rows_init((const nsgx_system_features_t*)features);
  if (nsgx_gd.magic != NSGX_GLOBAL_DATA_MAGIC || !relocate()) {
    nsgx_crashed = 1;
    return SGX_ERROR_INVALID_ENCLAVE;
  }
  nsgx_heap_init((void*)(nsgx_enclave_base() + nsgx_gd.heap_offset), nsgx_gd.heap_size);
  run_constructors();
  __atomic_store_n(&enclave_state, 2, __ATOMIC_RELEASE);
  return SGX_SUCCESS;
}

static void init_thread(nsgx_td_t* td, uint64_t tcs) {
  td->self = td;
  td->tcs = tcs;
  td->stack_base = tcs - NSGX_GUARD_SIZE;
  td->stack_limit = td->stack_base - nsgx_gd.stack_size;
  td->ssa_gpr = tcs + 4096 + (uint64_t)nsgx_gd.ssa_frame_size * 4096 - GPRSGX_SIZE;
  td->ocall_index = -1;
  td->initialized = 1;
}

static sgx_status_t do_ecall(long index, void* ms, nsgx_td_t* td) {
  if (index < 0 || (size_t)index >= g_ecall_table.nr_ecall) return SGX_ERROR_INVALID_FUNCTION;
  if (td->last_sp == 0) {
    /* A root ECALL: public ones only. */
    if (g_ecall_table.ecall_table[index].is_priv) return SGX_ERROR_ECALL_NOT_ALLOWED;
  } else {
    /* Nested, from a pending OCALL: only what that OCALL's allow() lists. */
    const int64_t oc = td->ocall_index;
    if (oc < 0 || (size_t)oc >= g_dyn_entry_table.nr_ocall ||
        !g_dyn_entry_table.entry_table[(size_t)oc * g_ecall_table.nr_ecall + (size_t)index])
      return SGX_ERROR_ECALL_NOT_ALLOWED;
  }
  void* addr = g_ecall_table.ecall_table[index].ecall_addr;
  if (!sgx_is_within_enclave(addr, 1)) return SGX_ERROR_UNEXPECTED;
  return ((sgx_status_t(*)(void*))addr)(ms);
}

/* Where entry.S keeps the untrusted state of the latest entry, for a
 * debugger that unwinds from enclave_entry into the application's frames
 * (sdk/include/nsgx_debugger.h). Read from the image by the debugger, so
 * `used`: nothing in the enclave refers to it. */
_Static_assert(offsetof(nsgx_td_t, self) == 0, "nsgx_debug_trts.td_self");
_Static_assert(offsetof(nsgx_td_t, entry_ursp) ==
                       offsetof(nsgx_td_t, exit_addr) + offsetof(nsgx_debug_entry_state, ursp) &&
                   offsetof(nsgx_td_t, entry_urbp) ==
                       offsetof(nsgx_td_t, exit_addr) + offsetof(nsgx_debug_entry_state, urbp),
               "the TD's exit_addr, entry_ursp, entry_urbp are an nsgx_debug_entry_state");
__attribute__((used)) const nsgx_debug_trts_info nsgx_debug_trts = {
    .version = NSGX_DEBUG_TRTS_VERSION,
    .struct_size = sizeof(nsgx_debug_trts_info),
    .td_self = offsetof(nsgx_td_t, self),
    .td_entry = offsetof(nsgx_td_t, exit_addr),
};

static sgx_status_t dispatch(long cmd, void* ms, nsgx_td_t* td);

/* Called by enclave_entry on its stack for every command but ECMD_ORET. */
HIDDEN sgx_status_t nsgx_trts_entry(long cmd, void* ms, nsgx_td_t* td, uint64_t tcs) {
  if (!td->initialized) init_thread(td, tcs);
  const uint64_t outer_top = td->ocalloc_top;
  td->ocalloc_top = 0;
  const sgx_status_t r = dispatch(cmd, ms, td);
  td->ocalloc_top = outer_top;
  return r;
}

static sgx_status_t dispatch(long cmd, void* ms, nsgx_td_t* td) {
  if (nsgx_crashed) return SGX_ERROR_ENCLAVE_CRASHED;
  if (cmd == ECMD_INIT_ENCLAVE) return init_enclave(ms);
  if (__atomic_load_n(&enclave_state, __ATOMIC_ACQUIRE) != 2) {
    nsgx_crashed = 1; /* the SDK's rule: anything before initialization crashes the enclave */
    return SGX_ERROR_ENCLAVE_CRASHED;
  }
  if (cmd >= 0) return do_ecall(cmd, ms, td);
  if (cmd == ECMD_ECALL_PTHREAD) return nsgx_pthread_run(ms, td);
  if (cmd == ECMD_INIT_SWITCHLESS) return sl_init_switchless(ms);
  if (cmd == ECMD_RUN_SWITCHLESS_TWORKER) return sl_run_switchless_tworker();
  return SGX_ERROR_INVALID_FUNCTION;
}

/* A switchless ECALL a trusted worker took from the queue: the checks of a
 * root ECALL (do_ecall), and the ECALL must be marked
 * transition_using_threads. */
sgx_status_t nsgx_switchless_ecall(uint32_t index, void* ms) {
  if ((size_t)index >= g_ecall_table.nr_ecall) return SGX_ERROR_INVALID_FUNCTION;
  sgx_lfence();
  if (g_ecall_table.ecall_table[index].is_priv || !g_ecall_table.ecall_table[index].is_switchless)
    return SGX_ERROR_ECALL_NOT_ALLOWED;
  void* addr = g_ecall_table.ecall_table[index].ecall_addr;
  if (!sgx_is_within_enclave(addr, 1)) return SGX_ERROR_UNEXPECTED;
  return ((sgx_status_t(*)(void*))addr)(ms);
}

size_t nsgx_ocall_count(void) { return g_dyn_entry_table.nr_ocall; }

sgx_status_t sgx_ocall(const unsigned int index, void* ms) {
  if (index >= g_dyn_entry_table.nr_ocall) return SGX_ERROR_INVALID_FUNCTION;
  nsgx_td_t* td = nsgx_td();
  const int64_t outer = td->ocall_index;
  td->ocall_index = index;
  const sgx_status_t r = nsgx_trts_ocall(index, ms, td);
  td->ocall_index = outer;
  return r;
}

void* sgx_ocalloc(size_t size) {
  nsgx_td_t* td = nsgx_td();
  uint64_t* ursp = (uint64_t*)(td->ssa_gpr + GPR_URSP);
  const uint64_t top = *ursp;
  if (!sgx_is_outside_enclave((void*)top, 1) || size > top) return 0;
  const uint64_t addr = (top - size) & ~(uint64_t)15;
  if (!sgx_is_outside_enclave((void*)addr, top - addr)) return 0;
  if (td->ocalloc_top == 0) td->ocalloc_top = top;
  /* Touch every page from the top down, so a guard page below the
   * untrusted stack is hit before anything beyond it. */
  for (uint64_t p = top; p > addr;) {
    p = (p - 1) & ~(uint64_t)4095;
    if (p < addr) p = addr;
    (void)*(volatile char*)p;
  }
  *ursp = addr;
  return (void*)addr;
}

/* Back to the untrusted RSP before this OCALL's allocations — not to the
 * latest entry's: an OCALL's return (ECMD_ORET) enters with the RSP below
 * its marshalling data, and restoring that would lower the stack by every
 * OCALL's allocation (the OCALL stack ran out after ~4,000 OCALLs with
 * buffers on the isolated backend, the thread's stack after ~130,000 on
 * inproc). */
void sgx_ocfree(void) {
  nsgx_td_t* td = nsgx_td();
  if (td->ocalloc_top == 0) return;
  *(uint64_t*)(td->ssa_gpr + GPR_URSP) = td->ocalloc_top;
  td->ocalloc_top = 0;
}

void* sgx_ocalloc_switchless(size_t size) { return sgx_ocalloc(size); }
void sgx_ocfree_switchless(void) { sgx_ocfree(); }

int sgx_is_within_enclave(const void* addr, size_t size) {
  const uintptr_t a = (uintptr_t)addr, base = nsgx_enclave_base();
  const uintptr_t end = a + (size ? size : 1);
  if (end < a) return 0;
  return a >= base && end <= base + nsgx_gd.enclave_size;
}

int sgx_is_outside_enclave(const void* addr, size_t size) {
  const uintptr_t a = (uintptr_t)addr, base = nsgx_enclave_base();
  const uintptr_t end = a + (size ? size : 1);
  if (end < a) return 0;
  return end <= base || a >= base + nsgx_gd.enclave_size;
}

int sgx_is_enclave_crashed(void) { return nsgx_crashed; }
