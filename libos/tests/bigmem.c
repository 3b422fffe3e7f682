/* Large zero-filled memory the program touches little of (docs/libos.md,
 * "Zero-fill on demand"): a 144 MiB .bss and a 192 MiB anonymous mapping,
 * more together than the isolated monitor's EPC, of which a few pages are
 * written — by the program, and by the library OS on its behalf (read()
 * into them); a MAP_FIXED anonymous mapping over part of the mapping reads
 * zero again. The output is the same natively and inside (bigmem_test.sh). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BSS_BYTES (144u << 20)
#define MAP_BYTES (192ul << 20)

static unsigned char big_bss[BSS_BYTES];

/* Over the first 8 KiB of every MiB and the last 8 KiB: the pages written
 * and some never written (reading every page would commit them all). */
static unsigned sum(const unsigned char* p, size_t n) {
  unsigned s = 0;
  for (size_t at = 0; at < n; at += 1u << 20)
    for (size_t i = at; i < at + 8192; ++i) s = s * 31 + p[i];
  for (size_t i = n - 8192; i < n; ++i) s = s * 31 + p[i];
  return s;
}

int main(void) {
  /* Untouched pages read as zero; a few are written, far apart. */
  printf("bss zero %d\n", big_bss[BSS_BYTES / 2] == 0 && big_bss[BSS_BYTES - 1] == 0);
  for (size_t off = 0; off < BSS_BYTES; off += 16u << 20) big_bss[off + 7] = (unsigned char)(off >> 20);
  unsigned char* m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  printf("map zero %d\n", m[0] == 0 && m[MAP_BYTES - 1] == 0);
  for (size_t off = 4096; off < MAP_BYTES; off += 24ul << 20) m[off + 11] = (unsigned char)(off >> 20);
  /* The library OS writes into pages never touched yet (read from stdin). */
  char msg[64];
  const ssize_t got = read(0, big_bss + BSS_BYTES - 5000, 10);
  const ssize_t got2 = read(0, m + MAP_BYTES - 3000, 100);
  snprintf(msg, sizeof msg, "read %zd %zd\n", got, got2);
  fputs(msg, stdout);
  printf("bss sum %08x\n", sum(big_bss, BSS_BYTES));
  printf("map sum %08x\n", sum(m, MAP_BYTES));
  /* MAP_FIXED anonymous over written pages: zero again. */
  unsigned char* f = mmap(m + 4096, 64ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed %d zero %d\n", f == m + 4096, f[11] == 0);
  printf("map sum %08x\n", sum(m, MAP_BYTES));
  return munmap(m, MAP_BYTES) == 0 ? 0 : 1;
}
