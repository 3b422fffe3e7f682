/* A stand-in for the trusted runtime, to test generated bridges without an
 * enclave. The "enclave" is this shared object's own image plus a heap arena
 * (malloc/free of the trusted code are redirected here); everything else is
 * outside. ECALL dispatch follows the trusted runtime's rules: index range,
 * private ECALLs only as nested calls, nested ECALLs only when the running
 * OCALL allows them (g_dyn_entry_table); sgx_ocalloc takes from an
 * untrusted stack that sgx_ocfree rewinds to where the ECALL started. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "sgx_edger8r.h"
#include "sgx_trts.h"

extern const struct {
  size_t nr_ecall;
  struct {
    void* ecall_addr;
    uint8_t is_priv;
    uint8_t is_switchless;
  } ecall_table[];
} g_ecall_table;

extern const struct {
  size_t nr_ocall;
  uint8_t entry_table[];
} g_dyn_entry_table;

typedef sgx_status_t (*ocall_dispatch_t)(unsigned index, void* ms);

static uint8_t *arena, *ustack;
static size_t arena_used;
static const size_t kArenaSize = 16u << 20, kStackSize = 1u << 20;
static uintptr_t image_lo, image_hi;
static uint8_t* usp;            /* the untrusted stack pointer */
static uint8_t* ecall_sp;       /* where the current ECALL's ocallocs start */
static long current_ocall = -1; /* the OCALL in progress, for nested ECALLs */
static ocall_dispatch_t dispatch;

static int find_image(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  const uintptr_t me = (uintptr_t)data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    const uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  if (me >= lo && me < hi) {
    image_lo = lo;
    image_hi = hi;
    return 1;
  }
  return 0;
}

static void setup(void) {
  if (arena != NULL) return;
  arena = mmap(NULL, kArenaSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ustack = mmap(NULL, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  usp = ustack + kStackSize;
  dl_iterate_phdr(find_image, (void*)(uintptr_t)&setup);
}

/* The trusted code's malloc/free (-Dmalloc=fake_encl_malloc): a bump
 * allocator in the arena, so that copies made by the bridges are inside. */
void* malloc(size_t n) {
  setup();
  n = (n + 15) & ~(size_t)15;
  if (n == 0 || n > kArenaSize - arena_used) return NULL;
  void* p = arena + arena_used;
  arena_used += n;
  return p;
}
void free(void* p) { (void)p; }

static int overlaps(uintptr_t a, uintptr_t b, uintptr_t lo, uintptr_t hi) { return a < hi && lo < b; }

int sgx_is_within_enclave(const void* addr, size_t size) {
  setup();
  const uintptr_t a = (uintptr_t)addr, b = a + (size ? size : 1);
  if (b < a) return 0;
  const uintptr_t alo = (uintptr_t)arena, ahi = alo + kArenaSize;
  return (a >= alo && b <= ahi) || (a >= image_lo && b <= image_hi);
}

int sgx_is_outside_enclave(const void* addr, size_t size) {
  setup();
  const uintptr_t a = (uintptr_t)addr, b = a + (size ? size : 1);
  if (b < a) return 0;
  const uintptr_t alo = (uintptr_t)arena, ahi = alo + kArenaSize;
  return !overlaps(a, b, alo, ahi) && !overlaps(a, b, image_lo, image_hi);
}

void* sgx_ocalloc(size_t size) {
  setup();
  if (size > (size_t)(usp - ustack)) return NULL;
  usp = (uint8_t*)(((uintptr_t)(usp - size)) & ~(uintptr_t)15);
  return usp;
}

void sgx_ocfree(void) { usp = ecall_sp; }

sgx_status_t sgx_ocall(const unsigned int index, void* ms) {
  if (index >= g_dyn_entry_table.nr_ocall) return SGX_ERROR_INVALID_FUNCTION;
  const long saved = current_ocall;
  current_ocall = (long)index;
  const sgx_status_t r = dispatch(index, ms);
  current_ocall = saved;
  return r;
}

/* The EENTER of an ECALL, as the trusted runtime's entry dispatches it. */
__attribute__((visibility("default"))) sgx_status_t fake_trts_ecall(int index, void* ms, ocall_dispatch_t d) {
  setup();
  dispatch = d;
  if (index < 0 || (size_t)index >= g_ecall_table.nr_ecall) return SGX_ERROR_INVALID_FUNCTION;
  if (current_ocall < 0) {
    if (g_ecall_table.ecall_table[index].is_priv) return SGX_ERROR_ECALL_NOT_ALLOWED;
  } else if (!g_dyn_entry_table.entry_table[(size_t)current_ocall * g_ecall_table.nr_ecall + (size_t)index]) {
    return SGX_ERROR_ECALL_NOT_ALLOWED;
  }
  uint8_t* const saved_ecall_sp = ecall_sp;
  const long saved_ocall = current_ocall;
  ecall_sp = usp;
  current_ocall = -1;
  sgx_status_t (*bridge)(void*) = (sgx_status_t(*)(void*))g_ecall_table.ecall_table[index].ecall_addr;
  const sgx_status_t r = bridge(ms);
  usp = ecall_sp;
  ecall_sp = saved_ecall_sp;
  current_ocall = saved_ocall;
  return r;
}

/* For the tests: an address inside the enclave (the arena). */
__attribute__((visibility("default"))) void* fake_trts_inside(void) {
  setup();
  return arena + kArenaSize - 4096;
}
