/* The SQLite workload (NestedSGX's OCALL-heavy one): Debian's SQLite on a
 * database file, the same code natively and in an enclave (where the file
 * I/O goes through the POSIX layer's OCALLs, docs/posix.md).
 *
 * The file is opened with the rollback journal (journal_mode DELETE, the
 * default) and synchronous=OFF: no fsync, as NestedSGX-style runs do, so
 * what is measured is SQLite plus the file calls, not the disk. One
 * iteration, a rows and transactions of b rows:
 *   - DELETE FROM t (one transaction), then a inserts in transactions of b;
 *   - a/2 indexed point selects, each its own (read) transaction: a shared
 *     lock, the change counter read, the lock released — several file calls
 *     per select;
 *   - a/10 updates by rowid, in transactions of b.
 * Every value the selects return goes into the result; the digest hashes
 * the whole table afterwards, so the enclave and native runs must agree. */
#include <sqlite3.h>
#include <stddef.h>
#include <unistd.h>

#include "workloads.h"

static sqlite3* g_db;
static char g_path[512];

int wl_set_path(const char* path) {
  size_t n = 0;
  while (path[n] && n + 1 < sizeof g_path) {
    g_path[n] = path[n];
    ++n;
  }
  if (path[n]) return WL_EINVAL;
  g_path[n] = 0;
  return WL_OK;
}

/* Values below 2^63 as SQLite's integers. */
static sqlite3_int64 i64(uint64_t v) { return (sqlite3_int64)v; }

static int exec(const char* sql) { return sqlite3_exec(g_db, sql, 0, 0, 0) == SQLITE_OK ? WL_OK : WL_EINVAL; }

void sq_release(void) {
  if (g_db) {
    sqlite3_close(g_db);
    g_db = 0;
    unlink(g_path);
  }
}

int sq_prepare(wl_state* st) {
  if (st->a < 10 || st->a > 1000000 || st->b == 0 || st->b > st->a || g_path[0] == 0) return WL_EINVAL;
  sq_release();
  unlink(g_path); /* a stale file of an earlier run */
  if (sqlite3_open_v2(g_path, &g_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0) != SQLITE_OK) {
    sqlite3_close(g_db);
    g_db = 0;
    return WL_EINVAL;
  }
  if (exec("PRAGMA synchronous = OFF; PRAGMA journal_mode = DELETE;"
           "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL);"
           "CREATE INDEX t_k ON t(k);") != WL_OK) {
    sq_release();
    return WL_EINVAL;
  }
  return WL_OK;
}

static uint64_t step_all(sqlite3_stmt* s, uint64_t h, int* ok) {
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    for (int i = 0; i < sqlite3_column_count(s); ++i) h = wl_hash(h, (uint64_t)sqlite3_column_int64(s, i));
  if (rc != SQLITE_DONE) *ok = 0;
  sqlite3_reset(s);
  return h;
}

uint64_t sq_run(wl_state* st, uint64_t iters) {
  const uint64_t a = st->a, b = st->b, keys = a / 4 + 1;
  sqlite3_stmt *ins = 0, *sel = 0, *upd = 0;
  int ok = sqlite3_prepare_v2(g_db, "INSERT INTO t(id, k, v) VALUES (?1, ?2, printf('v%016x', ?3))", -1, &ins, 0) ==
               SQLITE_OK &&
           sqlite3_prepare_v2(g_db, "SELECT count(*), sum(id), sum(length(v)) FROM t WHERE k = ?1", -1, &sel, 0) ==
               SQLITE_OK &&
           sqlite3_prepare_v2(g_db, "UPDATE t SET v = printf('u%016x', ?2) WHERE id = ?1", -1, &upd, 0) == SQLITE_OK;
  uint64_t h = 0;
  for (uint64_t it = 0; it < iters && ok; ++it) {
    uint64_t seed = UINT64_C(0x5eed) + it % 4; /* the same four iterations over and over */
    ok = exec("DELETE FROM t") == WL_OK;
    for (uint64_t i = 0; i < a && ok; ++i) {
      if (i % b == 0) ok = exec("BEGIN") == WL_OK;
      const uint64_t r = wl_rng(&seed);
      sqlite3_bind_int64(ins, 1, i64(i + 1));
      sqlite3_bind_int64(ins, 2, i64(r % keys));
      sqlite3_bind_int64(ins, 3, i64(r >> 1));
      ok = ok && sqlite3_step(ins) == SQLITE_DONE;
      sqlite3_reset(ins);
      if (ok && (i % b == b - 1 || i == a - 1)) ok = exec("COMMIT") == WL_OK;
    }
    for (uint64_t i = 0; i < a / 2 && ok; ++i) {
      sqlite3_bind_int64(sel, 1, i64(wl_rng(&seed) % keys));
      h = step_all(sel, h, &ok);
    }
    for (uint64_t i = 0; i < a / 10 && ok; ++i) {
      if (i % b == 0) ok = exec("BEGIN") == WL_OK;
      sqlite3_bind_int64(upd, 1, i64(wl_rng(&seed) % a + 1));
      sqlite3_bind_int64(upd, 2, i64(wl_rng(&seed) >> 1));
      ok = ok && sqlite3_step(upd) == SQLITE_DONE;
      sqlite3_reset(upd);
      if (ok && (i % b == b - 1 || i == a / 10 - 1)) ok = exec("COMMIT") == WL_OK;
    }
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  if (!ok) {
    exec("ROLLBACK");
    return WL_FAILED;
  }
  return h;
}

uint64_t sq_digest(void) {
  sqlite3_stmt* s = 0;
  if (sqlite3_prepare_v2(g_db, "SELECT id, k, v FROM t ORDER BY id", -1, &s, 0) != SQLITE_OK) return WL_FAILED;
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    h = wl_hash(h, (uint64_t)sqlite3_column_int64(s, 0));
    h = wl_hash(h, (uint64_t)sqlite3_column_int64(s, 1));
    for (const unsigned char* p = sqlite3_column_text(s, 2); p && *p; ++p) h = wl_hash(h, *p);
  }
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? h : WL_FAILED;
}
