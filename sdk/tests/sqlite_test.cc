// SQLite (Debian's libsqlite3.a) in an enclave, on both backends, its
// database file through the POSIX layer (docs/posix.md): create, insert,
// select, reopen and read back, integrity check — each answer's digest
// equal to the same SQL run natively by the host's SQLite. Then a hostile
// host: the layer's OCALLs (wrapped with ld --wrap around nsgx_uposix's)
// answer out of range, and SQLite reports an I/O error; the enclave and the
// database stay intact and later calls succeed.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "nsgx_tposix_u.h"
#include "sgx_urts.h"
#include "sqlite_digest.h"
#include "sqlite_u.h"

namespace {

enum class Fault { kNone, kPreadTooLong, kPreadBadErrno, kPwriteTooLong, kFstatHugeSize, kFstatZeroBlock, kOpenBadFd };
std::atomic<Fault> g_fault{Fault::kNone};

}  // namespace

// The hostile host: the real OCALLs (nsgx_uposix), then a lie.
extern "C" {
int64_t __real_nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset);
int64_t __real_nsgx_posix_pwrite_ocall(int32_t fd, const void* buf, size_t n, int64_t offset);
int64_t __real_nsgx_posix_fstat_ocall(int32_t fd, nsgx_posix_stat* st);
int64_t __real_nsgx_posix_open_ocall(const char* path, int32_t flags, uint32_t mode);

int64_t __wrap_nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset) {
  const int64_t r = __real_nsgx_posix_pread_ocall(fd, buf, n, offset);
  if (g_fault == Fault::kPreadTooLong) return static_cast<int64_t>(n) + 4096;  // more than the buffer
  if (g_fault == Fault::kPreadBadErrno) return -100000;                        // no errno
  return r;
}
int64_t __wrap_nsgx_posix_pwrite_ocall(int32_t fd, const void* buf, size_t n, int64_t offset) {
  const int64_t r = __real_nsgx_posix_pwrite_ocall(fd, buf, n, offset);
  return g_fault == Fault::kPwriteTooLong ? INT64_MAX : r;
}
int64_t __wrap_nsgx_posix_fstat_ocall(int32_t fd, nsgx_posix_stat* st) {
  const int64_t r = __real_nsgx_posix_fstat_ocall(fd, st);
  if (g_fault == Fault::kFstatHugeSize) st->size = INT64_MAX - 10;
  if (g_fault == Fault::kFstatZeroBlock) st->blksize = 0;  // SQLite divides by it
  return r;
}
int64_t __wrap_nsgx_posix_open_ocall(const char* path, int32_t flags, uint32_t mode) {
  const int64_t r = __real_nsgx_posix_open_ocall(path, flags, mode);
  if (g_fault == Fault::kOpenBadFd && r >= 0) {
    ::close(static_cast<int>(r));
    return -5000;  // neither a descriptor nor an errno
  }
  return r;
}
}

namespace {

struct Answer {
  int rc = -1;
  std::uint64_t digest = 0;
  std::string first;
};

// The same SQL, natively, with the host's SQLite.
Answer native(const std::string& path, const char* sql) {
  Answer a;
  char buf[256] = "";
  nsgx_sqlite_rows rows = {0xcbf29ce484222325ull, buf, sizeof buf, 0};
  sqlite3* db = nullptr;
  a.rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (a.rc == SQLITE_OK) a.rc = sqlite3_exec(db, sql, nsgx_sqlite_row, &rows, nullptr);
  sqlite3_close(db);
  a.digest = rows.digest;
  a.first = buf;
  return a;
}

class SqliteEnclave : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sgx_create_enclave(NSGX_SQLITE_ENCLAVE, 1, nullptr, nullptr, &eid_, nullptr), SGX_SUCCESS);
    dir_ = std::filesystem::temp_directory_path() / ("nsgx-sqlite-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    g_fault = Fault::kNone;
    sgx_destroy_enclave(eid_);
    std::filesystem::remove_all(dir_);
  }
  Answer sql(const std::string& path, const char* text) const {
    Answer a;
    char msg[256] = "";
    EXPECT_EQ(ecall_sql(eid_, &a.rc, path.c_str(), text, &a.digest, msg, sizeof msg), SGX_SUCCESS);
    a.first = msg;
    return a;
  }
  std::uint64_t refused() const {
    std::uint64_t ocalls = 0, r = 0;
    EXPECT_EQ(ecall_posix_stats(eid_, &ocalls, &r), SGX_SUCCESS);
    return r;
  }
  sgx_enclave_id_t eid_ = 0;
  std::filesystem::path dir_;
};

constexpr const char* kCreate =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT, r REAL);"
    "CREATE INDEX t_k ON t(k);"
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)"
    " INSERT INTO t SELECT i, (i * 7919) % 1000, printf('row %d', i), sqrt(i) * sin(i) FROM c;";
constexpr const char* kSelect =
    "SELECT count(*), sum(k), min(v), max(v), printf('%.6f', sum(r)) FROM t;"
    "SELECT id, v FROM t WHERE k = 17 ORDER BY id;"
    "SELECT group_concat(id) FROM (SELECT id FROM t WHERE k BETWEEN 100 AND 105 ORDER BY id LIMIT 20);";

TEST_F(SqliteEnclave, InMemoryDatabase) {
  const char* q =
      "CREATE TABLE m(a, b); INSERT INTO m VALUES (1, 'one'), (2, 'two'), (3, acos(-1));"
      "SELECT a, b FROM m ORDER BY a; SELECT sqlite_version();";
  const Answer in = sql(":memory:", q), out = native(":memory:", q);
  EXPECT_EQ(in.rc, SQLITE_OK) << in.first;
  EXPECT_EQ(in.first, "1");
  EXPECT_EQ(in.digest, out.digest);
}

TEST_F(SqliteEnclave, FileDatabaseRoundTrip) {
  const std::string path = (dir_ / "enclave.db").string(), npath = (dir_ / "native.db").string();
  Answer a = sql(path, kCreate);
  ASSERT_EQ(a.rc, SQLITE_OK) << a.first;
  ASSERT_EQ(native(npath, kCreate).rc, SQLITE_OK);
  EXPECT_GT(std::filesystem::file_size(path), 4096u * 10);  // on the host's disk
  // Reopened (a new connection: read from the file), the same answers.
  a = sql(path, kSelect);
  const Answer n = native(npath, kSelect);
  EXPECT_EQ(a.rc, SQLITE_OK) << a.first;
  EXPECT_EQ(a.first, "3000");
  EXPECT_EQ(a.digest, n.digest);
  // Transactions with updates and deletes, then the file checked by SQLite
  // inside, and by the host's SQLite reading what the enclave wrote.
  const char* change = "BEGIN; UPDATE t SET v = v || '!' WHERE k < 100; DELETE FROM t WHERE id % 10 = 0; COMMIT;";
  EXPECT_EQ(sql(path, change).rc, SQLITE_OK);
  EXPECT_EQ(native(npath, change).rc, SQLITE_OK);
  a = sql(path, "PRAGMA integrity_check;");
  EXPECT_EQ(a.rc, SQLITE_OK);
  EXPECT_EQ(a.first, "ok");
  EXPECT_EQ(native(path, kSelect).digest, native(npath, kSelect).digest);
  EXPECT_EQ(sql(path, kSelect).digest, native(npath, kSelect).digest);
  EXPECT_EQ(refused(), 0u);
}

TEST_F(SqliteEnclave, HostileAnswersGiveCleanErrors) {
  const std::string path = (dir_ / "hostile.db").string();
  ASSERT_EQ(sql(path, kCreate).rc, SQLITE_OK);
  const std::uint64_t good = native(path, kSelect).digest;
  struct Case {
    Fault fault;
    const char* sql;
  };
  const Case cases[] = {
      {Fault::kPreadTooLong, kSelect},
      {Fault::kPreadBadErrno, kSelect},
      {Fault::kFstatHugeSize, kSelect},
      {Fault::kFstatZeroBlock, "PRAGMA chunk_size = 65536; INSERT INTO t(k, v) VALUES (1, 'x');"},
      {Fault::kPwriteTooLong, "INSERT INTO t(k, v) VALUES (2, 'y');"},
      {Fault::kOpenBadFd, kSelect},
  };
  std::uint64_t before = refused();
  for (const Case& c : cases) {
    g_fault = c.fault;
    const Answer a = sql(path, c.sql);
    g_fault = Fault::kNone;
    EXPECT_NE(a.rc, SQLITE_OK) << static_cast<int>(c.fault);
    const int primary = a.rc & 0xff;
    EXPECT_TRUE(primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN)
        << static_cast<int>(c.fault) << ": " << a.rc << " " << a.first;
    const std::uint64_t now = refused();
    EXPECT_GT(now, before) << static_cast<int>(c.fault);  // the layer saw the lie
    before = now;
    // The enclave goes on, and the database is what it was.
    const Answer check = sql(path, "PRAGMA integrity_check;");
    EXPECT_EQ(check.first, "ok") << static_cast<int>(c.fault);
    EXPECT_EQ(sql(path, kSelect).digest, good) << static_cast<int>(c.fault);
  }
}

}  // namespace
