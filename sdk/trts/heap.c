/* The enclave heap: malloc/free/calloc/realloc over the heap pages the
 * signer laid out. First fit over an address-ordered list of blocks with
 * boundary sizes, split on allocation, merged with free neighbours on
 * free; one spin lock (enclave threads cannot sleep without an OCALL). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "trts_internal.h"

typedef struct block {
  size_t size; /* bytes of the whole block, header included; low bit: in use */
  struct block* prev_phys;
} block_t;

#define HDR ((size_t)sizeof(block_t))
#define ALIGN 16u
#define USED ((size_t)1)

static uint8_t *heap_lo, *heap_hi;
static volatile int heap_lock;

static void lock(void) {
  while (__atomic_exchange_n(&heap_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
}
static void unlock(void) { __atomic_store_n(&heap_lock, 0, __ATOMIC_RELEASE); }

static size_t bsize(const block_t* b) { return b->size & ~USED; }
static block_t* next_of(block_t* b) {
  uint8_t* n = (uint8_t*)b + bsize(b);
  return n < heap_hi ? (block_t*)n : 0;
}

void nsgx_heap_init(void* base, size_t size) {
  uint8_t* lo = (uint8_t*)(((uintptr_t)base + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
  size = size > (size_t)(lo - (uint8_t*)base) ? (size - (size_t)(lo - (uint8_t*)base)) & ~(size_t)(ALIGN - 1) : 0;
  heap_lo = lo;
  heap_hi = lo + size;
  if (size >= 2 * HDR) {
    block_t* b = (block_t*)lo;
    b->size = size;
    b->prev_phys = 0;
  } else {
    heap_hi = heap_lo;
  }
}

void* malloc(size_t n) {
  if (n == 0) n = 1;
  if (n > (size_t)(heap_hi - heap_lo)) {
    errno = ENOMEM;
    return 0;
  }
  const size_t need = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  lock();
  for (block_t* b = (block_t*)heap_lo; b != 0; b = next_of(b)) {
    if ((b->size & USED) || bsize(b) < need) continue;
    if (bsize(b) - need >= HDR + ALIGN) { /* split */
      block_t* rest = (block_t*)((uint8_t*)b + need);
      rest->size = bsize(b) - need;
      rest->prev_phys = b;
      block_t* after = next_of(rest);
      if (after) after->prev_phys = rest;
      b->size = need;
    }
    b->size |= USED;
    unlock();
    return (uint8_t*)b + HDR;
  }
  unlock();
  errno = ENOMEM;
  return 0;
}

static int owned(const void* p) {
  return (const uint8_t*)p >= heap_lo + HDR && (const uint8_t*)p < heap_hi && ((uintptr_t)p & (ALIGN - 1)) == 0;
}

void free(void* p) {
  if (p == 0) return;
  if (!owned(p)) nsgx_crash(); /* not ours: heap corruption or a bad pointer */
  lock();
  block_t* b = (block_t*)((uint8_t*)p - HDR);
  if (!(b->size & USED)) {
    unlock();
    nsgx_crash(); /* double free */
  }
  b->size &= ~USED;
  block_t* n = next_of(b);
  if (n && !(n->size & USED)) { /* merge with the next */
    b->size += bsize(n);
    block_t* nn = next_of(b);
    if (nn) nn->prev_phys = b;
  }
  block_t* prev = b->prev_phys;
  if (prev && !(prev->size & USED)) { /* and with the previous */
    prev->size += bsize(b);
    block_t* nn = next_of(prev);
    if (nn) nn->prev_phys = prev;
  }
  unlock();
}

void* calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return 0;
  }
  void* p = malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

void* realloc(void* p, size_t n) {
  if (p == 0) return malloc(n);
  if (n == 0) {
    free(p);
    return 0;
  }
  if (!owned(p)) nsgx_crash();
  const block_t* b = (const block_t*)((uint8_t*)p - HDR);
  const size_t have = bsize(b) - HDR;
  if (n <= have) return p;
  void* q = malloc(n);
  if (q) {
    memcpy(q, p, have);
    free(p);
  }
  return q;
}
