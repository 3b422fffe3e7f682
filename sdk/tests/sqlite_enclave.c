/* SQLite in an enclave (sqlite.edl): Debian's libsqlite3.a, its unix VFS's
 * files through the POSIX layer (nsgx_tposix). */
#include <sqlite3.h>
#include <string.h>

#include "nsgx_tposix.h"
#include "sqlite_digest.h"
#include "sqlite_t.h"

int ecall_sql(const char* path, const char* sql, uint64_t* digest, char* msg, size_t n) {
  struct nsgx_sqlite_rows rows = {0xcbf29ce484222325ull, msg, n, 0};
  if (n > 0) msg[0] = 0;
  sqlite3* db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_extended_result_codes(db, 1);
    rc = sqlite3_exec(db, sql, nsgx_sqlite_row, &rows, NULL);
  }
  if (rc != SQLITE_OK && n > 0) {
    const char* e = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    size_t len = strlen(e);
    if (len >= n) len = n - 1;
    memcpy(msg, e, len);
    msg[len] = 0;
  }
  if (rc != SQLITE_OK && db) rc = sqlite3_extended_errcode(db);
  sqlite3_close(db);
  *digest = rows.digest;
  return rc;
}

void ecall_posix_stats(uint64_t* ocalls, uint64_t* refused) {
  *ocalls = nsgx_tposix_ocalls();
  *refused = nsgx_tposix_refused();
}
