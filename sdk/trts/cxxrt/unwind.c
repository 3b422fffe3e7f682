/* How the unwinder (libgcc_eh's unwind-dw2-fde-dip.c, GCC 12) finds the
 * enclave's unwind tables: it asks glibc's _dl_find_object (glibc 2.35,
 * <dlfcn.h>) for the object containing a PC, and reads that object's
 * PT_GNU_EH_FRAME segment (.eh_frame_hdr, the binary-search table of FDEs).
 * The enclave is the only object here: its program headers follow the ELF
 * header at the enclave base, measured like the rest of the image. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdint.h>

#include "sgx_trts.h"
#include "trts_internal.h"

int _dl_find_object(void* pc, struct dl_find_object* result) {
  /* The program headers follow the header; their addresses are RVAs. */
  const uintptr_t hdr = (uintptr_t)__ehdr_start, base = nsgx_enclave_base();
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)(const void*)__ehdr_start;
  if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > nsgx_gd.enclave_size ||
      !sgx_is_within_enclave((const void*)(hdr + eh->e_phoff), (size_t)eh->e_phnum * sizeof(Elf64_Phdr)))
    return -1;
  const Elf64_Phdr* ph = (const Elf64_Phdr*)(hdr + eh->e_phoff);
  uintptr_t end = hdr, eh_frame = 0;
  for (unsigned i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type == PT_LOAD && base + ph[i].p_vaddr + ph[i].p_memsz > end)
      end = base + ph[i].p_vaddr + ph[i].p_memsz;
    if (ph[i].p_type == PT_GNU_EH_FRAME) eh_frame = base + ph[i].p_vaddr;
  }
  if ((uintptr_t)pc < hdr || (uintptr_t)pc >= end || eh_frame == 0 || !sgx_is_within_enclave((void*)eh_frame, 4))
    return -1; /* not code of this enclave, or no unwind tables */
  result->dlfo_flags = 0;
  result->dlfo_map_start = (void*)hdr;
  result->dlfo_map_end = (void*)end;
  result->dlfo_link_map = NULL;
  result->dlfo_eh_frame = (void*)eh_frame;
  return 0;
}
