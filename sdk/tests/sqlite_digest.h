/* The digest of a query's rows, the same natively and in an enclave:
 * FNV-1a over each value's text (NULL as "\xff"), with a separator. */
#ifndef NSGX_SQLITE_DIGEST_H
#define NSGX_SQLITE_DIGEST_H
#include <stdint.h>
#include <string.h>

static inline uint64_t nsgx_sqlite_digest_add(uint64_t h, const char* v) {
  const unsigned char* p = (const unsigned char*)(v ? v : "\xff");
  for (; *p; ++p) h = (h ^ *p) * 0x100000001b3ull;
  return (h ^ 0x1f) * 0x100000001b3ull;
}

struct nsgx_sqlite_rows {
  uint64_t digest;
  char* first; /* the first row's first value, copied */
  size_t room;
  int rows;
};

/* sqlite3_exec's callback over a struct nsgx_sqlite_rows. */
static inline int nsgx_sqlite_row(void* ctx, int n, char** values, char** names) {
  struct nsgx_sqlite_rows* r = (struct nsgx_sqlite_rows*)ctx;
  (void)names;
  if (r->rows++ == 0 && r->room > 0 && n > 0) {
    const char* v = values[0] ? values[0] : "NULL";
    size_t len = strlen(v);
    if (len >= r->room) len = r->room - 1;
    memcpy(r->first, v, len);
    r->first[len] = 0;
  }
  for (int i = 0; i < n; ++i) r->digest = nsgx_sqlite_digest_add(r->digest, values[i]);
  return 0;
}
#endif
