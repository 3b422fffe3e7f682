/* The contract between nestedsgx's signer (sdk/sign) and trusted runtime
 * (sdk/trts): the layout facts the signer patches into the enclave's
 * g_global_data (through the metadata's patch table, so they are measured)
 * and the per-thread layout both assume. C, for both sides.
 *
 * One thread's pages, as the SGX SDK lays them out (docs/sdk-abi.md):
 *   GUARD | STACK (stack_size) | GUARD | TCS | SSA (2 frames) | GUARD | TD
 * with the TCS's FS/GS bases at the TD page. Threads follow one another
 * every `thread_step` bytes from `first_tcs_offset`. */
#ifndef NSGX_SDK_GLOBAL_DATA_H
#define NSGX_SDK_GLOBAL_DATA_H

#include <stdint.h>

#define NSGX_GLOBAL_DATA_MAGIC 0x31304447584753ull /* "SGXGD01" */
#define NSGX_GUARD_SIZE 0x10000ull                 /* 16 pages, the SDK's SE_GUARD_PAGE_SIZE */
#define NSGX_SSA_FRAMES 2u                         /* NSSA: one for the ECALL, one for an exception handler */

typedef struct nsgx_global_data {
  uint64_t magic;            /* NSGX_GLOBAL_DATA_MAGIC once signed; 0 in an unsigned image */
  uint64_t enclave_size;     /* SECS.SIZE */
  uint64_t heap_offset;      /* from the enclave base */
  uint64_t heap_size;
  uint64_t stack_size;       /* per thread */
  uint64_t first_tcs_offset; /* the first TCS, from the enclave base */
  uint64_t thread_step;      /* bytes from one thread's pages to the next */
  uint32_t tcs_num;
  uint32_t ssa_frame_size; /* pages per SSA frame */
  uint64_t user_region_offset; /* <UserRegionSize>: unadded ELRANGE for EACCEPT, from the base; */
  uint64_t user_region_size;   /* 0 if none */
  /* The ELF image's first byte (its header, __ehdr_start), from the
   * enclave base: 0 as the SDK lays an enclave out, the user region's size
   * where the signer put the user region first (<UserRegionFirst>, the
   * library OS's layout for non-PIE programs, which need ELRANGE to start
   * at 0). The image is linked at 0 either way: its link-time addresses
   * (dynamic section, relocations, symbols) are from its header, while the
   * program headers the signer writes are RVAs, as the loader places them. */
  uint64_t image_offset;
  uint64_t reserved[5];
} nsgx_global_data_t;

#ifdef __cplusplus
static_assert(sizeof(nsgx_global_data_t) == 128, "global data: 128 bytes");
#else
_Static_assert(sizeof(nsgx_global_data_t) == 128, "global data: 128 bytes");
#endif

#endif
