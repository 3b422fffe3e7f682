/* sgx_aligned_malloc / sgx_get_aligned_ptr (sgx_secure_align_api.h): keep
 * secret fields out of bytes 0..7 of every 64-byte cache line
 * (Intel-SA-00219's guidance).
 *
 * Whether a placement works depends only on the block's address modulo 64,
 * so the candidates are the addresses at the alignment from the start of
 * the memory for one cache line's worth (for alignment >= 64 every
 * candidate is at the same offset in its line: the first decides). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sgx_secure_align_api.h"

enum { kLine = 64, kExposed = 8 };

/* Does [start, start + len) touch bytes 0..7 of a cache line? */
static int touches_line_start(uintptr_t start, size_t len) {
  if (len == 0) return 0;
  if (start % kLine < kExposed) return 1;
  const uintptr_t next_line = start - start % kLine + kLine;
  return len > next_line - start;
}

static int valid_request(size_t size, size_t alignment, const align_req_t* data, size_t count) {
  if (size == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0) return 0;
  if (count != 0 && data == NULL) return 0;
  for (size_t i = 0; i < count; ++i)
    if (data[i].offset > size || data[i].len > size - data[i].offset) return 0;
  return 1;
}

static int placement_ok(uintptr_t at, size_t size, const align_req_t* data, size_t count) {
  if (count == 0) return !touches_line_start(at, size); /* the whole block is secret */
  for (size_t i = 0; i < count; ++i)
    if (touches_line_start(at + data[i].offset, data[i].len)) return 0;
  return 1;
}

/* The first placement at or after `from` that ends by `limit`, or 0. */
static uintptr_t place(uintptr_t from, uintptr_t limit, size_t size, size_t alignment, const align_req_t* data,
                       size_t count) {
  if (from > UINTPTR_MAX - (alignment - 1)) return 0;
  uintptr_t at = (from + alignment - 1) & ~(uintptr_t)(alignment - 1);
  const size_t tries = alignment >= kLine ? 1 : kLine / alignment;
  for (size_t i = 0; i < tries; ++i, at += alignment) {
    if (at > limit || size > limit - at) return 0;
    if (placement_ok(at, size, data, count)) return at;
  }
  return 0;
}

void* sgx_get_aligned_ptr(void* raw, size_t raw_size, size_t allocate_size, size_t alignment, align_req_t* data,
                          size_t count) {
  if (raw == NULL || !valid_request(allocate_size, alignment, data, count)) return NULL;
  const uintptr_t start = (uintptr_t)raw;
  if (raw_size > UINTPTR_MAX - start) return NULL;
  return (void*)place(start, start + raw_size, allocate_size, alignment, data, count);
}

/* sgx_aligned_malloc keeps the heap block's address just below the block it
 * returns, which sgx_aligned_free reads back. */
void* sgx_aligned_malloc(size_t size, size_t alignment, align_req_t* data, size_t count) {
  if (!valid_request(size, alignment, data, count)) return NULL;
  const size_t slack = sizeof(void*) + kLine + alignment;
  if (size > SIZE_MAX - slack) return NULL;
  void* raw = malloc(size + slack);
  if (raw == NULL) return NULL;
  const uintptr_t start = (uintptr_t)raw;
  const uintptr_t at = place(start + sizeof(void*), start + size + slack, size, alignment, data, count);
  if (at == 0) {
    free(raw);
    return NULL;
  }
  memcpy((void*)(at - sizeof(void*)), &raw, sizeof raw);
  return (void*)at;
}

void sgx_aligned_free(void* ptr) {
  if (ptr == NULL) return;
  void* raw = NULL;
  memcpy(&raw, (const char*)ptr - sizeof raw, sizeof raw);
  free(raw);
}
