/* Thread-local storage inside an enclave: `thread_local`/`__thread` in
 * enclave code and in libstdc++ (std::call_once's callable).
 *
 * An enclave is a shared object, so its code reaches TLS through the
 * general- and local-dynamic models: __tls_get_addr({module, offset})
 * (x86-64 psABI, "Thread-Local Storage"; Drepper, "ELF Handling For
 * Thread-Local Storage" 4.1.6), with R_X86_64_DTPMOD64 relocations that the
 * trusted runtime's self-relocation sets to 1, the only module (trts.c).
 * Each thread's block is allocated on the enclave heap at its first TLS
 * access, from the PT_TLS image (.tdata, then .tbss zeroed), and kept in its
 * TD: per TCS, as with the SGX SDK, so an ECALL thread's values persist
 * from one ECALL on that TCS to the next. An enclave pthread's block is
 * freed when the thread ends, after its thread_local destructors
 * (__cxa_thread_atexit_impl, the glibc interface libstdc++'s
 * __cxa_thread_atexit calls). The initial-exec and local-exec models
 * (%fs-relative) are not supported: the signer refuses their relocations. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sgx_trts.h"
#include "trts_internal.h"

/* x86-64 psABI: __tls_get_addr's argument. */
typedef struct {
  uint64_t module;
  uint64_t offset;
} tls_index;

typedef struct {
  uintptr_t image; /* .tdata in the enclave */
  uint64_t filesz; /* bytes of .tdata */
  uint64_t memsz;  /* the whole block */
  uint64_t align;  /* at least 16 */
} tls_layout;

/* The PT_TLS segment, from the program headers at the enclave base (the
 * signer checked it: at most one, alignment a power of two up to 4096). */
static int find_tls(tls_layout* out) {
  /* The program headers follow the header; their addresses are RVAs. */
  const uintptr_t hdr = (uintptr_t)__ehdr_start, base = nsgx_enclave_base();
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)(const void*)__ehdr_start;
  if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > nsgx_gd.enclave_size ||
      !sgx_is_within_enclave((const void*)(hdr + eh->e_phoff), (size_t)eh->e_phnum * sizeof(Elf64_Phdr)))
    return 0;
  const Elf64_Phdr* ph = (const Elf64_Phdr*)(hdr + eh->e_phoff);
  for (unsigned i = 0; i < eh->e_phnum; ++i)
    if (ph[i].p_type == PT_TLS) {
      if (ph[i].p_filesz > ph[i].p_memsz ||
          (ph[i].p_filesz && !sgx_is_within_enclave((void*)(base + ph[i].p_vaddr), ph[i].p_filesz)))
        return 0;
      out->image = base + ph[i].p_vaddr;
      out->filesz = ph[i].p_filesz;
      out->memsz = ph[i].p_memsz;
      out->align = ph[i].p_align < 16 ? 16 : ph[i].p_align;
      return 1;
    }
  return 0;
}

/* The block's first byte is the allocation's first `align`-aligned byte. */
static uint8_t* block_start(void* raw, uint64_t align) {
  return (uint8_t*)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
}

void* __tls_get_addr(const tls_index* ti) {
  tls_layout l;
  if (ti->module != 1 || !find_tls(&l) || ti->offset >= l.memsz) nsgx_crash(); /* no such variable */
  nsgx_td_t* td = nsgx_td();
  if (td->tls_block == NULL) {
    void* raw = malloc(l.memsz + l.align - 1);
    if (raw == NULL) nsgx_crash(); /* no heap for this thread's variables: nothing to return */
    uint8_t* b = block_start(raw, l.align);
    memcpy(b, (const void*)l.image, l.filesz);
    memset(b + l.filesz, 0, l.memsz - l.filesz);
    td->tls_block = raw;
  }
  return block_start(td->tls_block, l.align) + ti->offset;
}

/* thread_local objects' destructors, newest first, at the thread's end. */
typedef struct tls_dtor {
  struct tls_dtor* next;
  void (*fn)(void*);
  void* obj;
} tls_dtor;

int __cxa_thread_atexit_impl(void (*fn)(void*), void* obj, void* dso) {
  (void)dso;
  tls_dtor* d = malloc(sizeof *d);
  if (d == NULL) return -1;
  nsgx_td_t* td = nsgx_td();
  d->fn = fn;
  d->obj = obj;
  d->next = td->tls_dtors;
  td->tls_dtors = d;
  return 0;
}

void nsgx_tls_thread_end(nsgx_td_t* td) {
  /* A destructor may create more thread_local objects: until none is left. */
  while (td->tls_dtors != NULL) {
    tls_dtor* d = td->tls_dtors;
    td->tls_dtors = d->next;
    d->fn(d->obj);
    free(d);
  }
  free(td->tls_block);
  td->tls_block = NULL;
}
