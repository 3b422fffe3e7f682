// The POSIX layer (posix_io.c, posix_env.c) natively, under other names
// (NSGX_TPOSIX_TEST_NAMES), with this file as its host: the OCALLs are
// answered here, truthfully (the real system calls) or with lies. Every
// lie must become -1/EIO (counted as refused) and never touch memory the
// caller did not give; SQLite's unix VFS, its system calls pointed at the
// layer (sqlite3_vfs.xSetSystemCall), must report a clean error. Runs in
// the ASan build too (no enclave needed), so an out-of-bounds copy fails it.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include "nsgx_tposix.h"
#include "nsgx_tposix_t.h"

extern "C" {
int nsgx_tposix_open(const char* path, int flags, ...);
int nsgx_tposix_close(int fd);
ssize_t nsgx_tposix_read(int fd, void* buf, size_t n);
ssize_t nsgx_tposix_pread64(int fd, void* buf, size_t n, off_t offset);
ssize_t nsgx_tposix_pwrite64(int fd, const void* buf, size_t n, off_t offset);
int nsgx_tposix_fstat(int fd, struct stat* st);
int nsgx_tposix_stat(const char* path, struct stat* st);
int nsgx_tposix_lstat(const char* path, struct stat* st);
int nsgx_tposix_ftruncate(int fd, off_t len);
int nsgx_tposix_fcntl(int fd, int cmd, ...);
int nsgx_tposix_fchmod(int fd, mode_t mode);
int nsgx_tposix_fchown(int fd, uid_t uid, gid_t gid);
int nsgx_tposix_access(const char* path, int mode);
int nsgx_tposix_unlink(const char* path);
int nsgx_tposix_mkdir(const char* path, mode_t mode);
int nsgx_tposix_rmdir(const char* path);
char* nsgx_tposix_getcwd(char* buf, size_t size);
ssize_t nsgx_tposix_readlink(const char* path, char* buf, size_t size);
uid_t nsgx_tposix_geteuid(void);
void* nsgx_tposix_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t offset);
int nsgx_tposix_munmap(void* addr, size_t len);
void* nsgx_tposix_mremap(void* old, size_t old_len, size_t new_len, int flags, ...);
long nsgx_tposix_sysconf(int name);
int nsgx_tposix_clock_gettime(clockid_t clock, struct timespec* ts);
void* nsgx_tposix_dlopen(const char* file, int mode);
char* nsgx_tposix_dlerror(void);
}

namespace {

enum class Lie { kNone, kTooLong, kBadErrno, kHugeSize, kZeroBlock, kBadType, kUnterminated, kBadLock, kBadNsec };
Lie g_lie = Lie::kNone;

int64_t answer(long r) { return r < 0 ? -static_cast<int64_t>(errno) : r; }

}  // namespace

// The host. Bridges copy [out] buffers of the size the enclave chose; here
// the buffer is the caller's own, so a lie about the length is all a host
// can tell.
extern "C" {
sgx_status_t nsgx_posix_open_ocall(int64_t* r, const char* path, int32_t flags, uint32_t mode) {
  *r = answer(::open(path, flags, mode));
  if (g_lie == Lie::kBadErrno) *r = -5000;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_close_ocall(int64_t* r, int32_t fd) {
  *r = answer(::close(fd));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_read_ocall(int64_t* r, int32_t fd, void* buf, size_t n) {
  *r = answer(::read(fd, buf, n));
  if (g_lie == Lie::kTooLong) *r = static_cast<int64_t>(n) + 1;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_write_ocall(int64_t* r, int32_t fd, const void* buf, size_t n) {
  *r = answer(::write(fd, buf, n));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_pread_ocall(int64_t* r, int32_t fd, void* buf, size_t n, int64_t off) {
  *r = answer(::pread(fd, buf, n, off));
  if (g_lie == Lie::kTooLong) *r = static_cast<int64_t>(n) + 4096;
  if (g_lie == Lie::kBadErrno) *r = INT64_MIN;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_pwrite_ocall(int64_t* r, int32_t fd, const void* buf, size_t n, int64_t off) {
  *r = answer(::pwrite(fd, buf, n, off));
  if (g_lie == Lie::kTooLong) *r = static_cast<int64_t>(n) * 2;
  return SGX_SUCCESS;
}
static void wire(const struct stat& s, nsgx_posix_stat* w) {
  *w = nsgx_posix_stat{};
  w->dev = s.st_dev, w->ino = s.st_ino, w->nlink = s.st_nlink, w->mode = s.st_mode, w->uid = s.st_uid;
  w->gid = s.st_gid, w->size = s.st_size, w->blksize = s.st_blksize, w->blocks = s.st_blocks;
  w->mtime_sec = s.st_mtim.tv_sec, w->mtime_nsec = s.st_mtim.tv_nsec;
  if (g_lie == Lie::kHugeSize) w->size = INT64_MAX;
  if (g_lie == Lie::kZeroBlock) w->blksize = 0;
  if (g_lie == Lie::kBadType) w->mode = 0170777;
  if (g_lie == Lie::kBadNsec) w->mtime_nsec = 1000000000;
}
sgx_status_t nsgx_posix_fstat_ocall(int64_t* r, int32_t fd, nsgx_posix_stat* w) {
  struct stat s {};
  *r = answer(::fstat(fd, &s));
  wire(s, w);
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_stat_ocall(int64_t* r, const char* path, int32_t nofollow, nsgx_posix_stat* w) {
  struct stat s {};
  *r = answer(nofollow ? ::lstat(path, &s) : ::stat(path, &s));
  wire(s, w);
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_ftruncate_ocall(int64_t* r, int32_t fd, int64_t len) {
  *r = answer(::ftruncate(fd, len));
  if (g_lie == Lie::kTooLong) *r = 7;  // success is 0 only
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_fsync_ocall(int64_t* r, int32_t fd, int32_t data_only) {
  *r = answer(data_only ? ::fdatasync(fd) : ::fsync(fd));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_fcntl_ocall(int64_t* r, int32_t fd, int32_t cmd, int64_t arg) {
  *r = answer(::fcntl(fd, cmd, static_cast<int>(arg)));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_fcntl_lock_ocall(int64_t* r, int32_t fd, int32_t cmd, nsgx_posix_flock* w) {
  struct flock lk {};
  lk.l_type = static_cast<short>(w->type), lk.l_whence = static_cast<short>(w->whence);
  lk.l_start = w->start, lk.l_len = w->len;
  *r = answer(::fcntl(fd, cmd, &lk));
  w->type = lk.l_type, w->whence = lk.l_whence, w->start = lk.l_start, w->len = lk.l_len, w->pid = lk.l_pid;
  if (g_lie == Lie::kBadLock) w->type = 99, w->start = -1;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_fchmod_ocall(int64_t* r, int32_t fd, uint32_t mode) {
  *r = answer(::fchmod(fd, mode));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_fchown_ocall(int64_t* r, int32_t fd, uint32_t uid, uint32_t gid) {
  *r = answer(::fchown(fd, uid, gid));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_access_ocall(int64_t* r, const char* path, int32_t mode) {
  *r = answer(::access(path, mode));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_unlink_ocall(int64_t* r, const char* path) {
  *r = answer(::unlink(path));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_rename_ocall(int64_t* r, const char* from, const char* to, uint32_t flags) {
  *r = answer(flags == 0 ? ::rename(from, to) : ::renameat2(AT_FDCWD, from, AT_FDCWD, to, flags));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_mkdir_ocall(int64_t* r, const char* path, uint32_t mode) {
  *r = answer(::mkdir(path, mode));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_rmdir_ocall(int64_t* r, const char* path) {
  *r = answer(::rmdir(path));
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_getcwd_ocall(int64_t* r, char* buf, size_t n) {
  *r = ::getcwd(buf, n) ? static_cast<int64_t>(std::strlen(buf)) : -errno;
  if (g_lie == Lie::kTooLong) *r = static_cast<int64_t>(n);
  if (g_lie == Lie::kUnterminated) std::memset(buf, 'a', n), *r = static_cast<int64_t>(n) - 1;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_readlink_ocall(int64_t* r, const char* path, char* buf, size_t n) {
  *r = answer(::readlink(path, buf, n));
  if (g_lie == Lie::kTooLong) *r = static_cast<int64_t>(n) + 1;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_utime_ocall(int64_t* r, const char*, int32_t, int64_t, int64_t) {
  *r = -ENOSYS;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_getpid_ocall(int64_t* r) {
  *r = ::getpid();
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_geteuid_ocall(int64_t* r) {
  *r = g_lie == Lie::kBadErrno ? int64_t{1} << 40 : ::geteuid();
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_clock_gettime_ocall(int64_t* r, int32_t clock, int64_t* sec, int64_t* nsec) {
  struct timespec ts {};
  *r = answer(::clock_gettime(clock, &ts));
  *sec = ts.tv_sec, *nsec = g_lie == Lie::kBadNsec ? 2000000000 : ts.tv_nsec;
  return SGX_SUCCESS;
}
sgx_status_t nsgx_posix_nanosleep_ocall(int64_t* r, int64_t, int64_t) {
  *r = 0;
  return SGX_SUCCESS;
}
}

namespace {

class PosixLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("nsgx-posix-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "f").string();
  }
  void TearDown() override {
    g_lie = Lie::kNone;
    std::filesystem::remove_all(dir_);
  }
  // The call under a lie: -1 with EIO, one more refused answer.
  template <typename F>
  void refused(Lie lie, F call) {
    const std::uint64_t before = nsgx_tposix_refused();
    g_lie = lie;
    errno = 0;
    const long r = static_cast<long>(call());
    g_lie = Lie::kNone;
    EXPECT_EQ(r, -1) << static_cast<int>(lie);
    EXPECT_EQ(errno, EIO) << static_cast<int>(lie);
    EXPECT_EQ(nsgx_tposix_refused(), before + 1) << static_cast<int>(lie);
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(PosixLayer, TruthfulHostWorks) {
  const int fd = nsgx_tposix_open(path_.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  char big[200000];
  for (std::size_t i = 0; i < sizeof big; ++i) big[i] = static_cast<char>(i * 31);
  EXPECT_EQ(nsgx_tposix_pwrite64(fd, big, sizeof big, 10), static_cast<ssize_t>(sizeof big));  // 4 chunks
  char back[sizeof big];
  EXPECT_EQ(nsgx_tposix_pread64(fd, back, sizeof back, 10), static_cast<ssize_t>(sizeof back));
  EXPECT_EQ(std::memcmp(big, back, sizeof big), 0);
  EXPECT_EQ(nsgx_tposix_pread64(fd, back, 100, sizeof big), 10);  // short at the end
  struct stat st {};
  EXPECT_EQ(nsgx_tposix_fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(sizeof big + 10));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  struct flock lk {};
  lk.l_type = F_WRLCK, lk.l_whence = SEEK_SET, lk.l_start = 0, lk.l_len = 1;
  EXPECT_EQ(nsgx_tposix_fcntl(fd, F_SETLK, &lk), 0);
  lk.l_type = F_WRLCK;
  EXPECT_EQ(nsgx_tposix_fcntl(fd, F_GETLK, &lk), 0);
  EXPECT_EQ(lk.l_type, F_UNLCK);  // our own lock does not conflict
  EXPECT_EQ(nsgx_tposix_ftruncate(fd, 5), 0);
  EXPECT_EQ(nsgx_tposix_pread64(fd, back, 100, -1), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(nsgx_tposix_close(fd), 0);
  EXPECT_EQ(nsgx_tposix_close(fd), -1);
  EXPECT_EQ(errno, EBADF);  // the host's errno, passed on
  char cwd[4096];
  ASSERT_NE(nsgx_tposix_getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(std::filesystem::path(cwd), std::filesystem::current_path());
  EXPECT_EQ(nsgx_tposix_access(path_.c_str(), F_OK), 0);
  EXPECT_EQ(nsgx_tposix_unlink(path_.c_str()), 0);
  EXPECT_EQ(nsgx_tposix_access(path_.c_str(), F_OK), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(nsgx_tposix_mkdir((dir_ / "d").c_str(), 0700), 0);
  EXPECT_EQ(nsgx_tposix_rmdir((dir_ / "d").c_str()), 0);
  timespec ts{};
  EXPECT_EQ(nsgx_tposix_clock_gettime(CLOCK_REALTIME, &ts), 0);
  EXPECT_GT(ts.tv_sec, 1700000000);
  // What an enclave cannot do fails, saying so.
  EXPECT_EQ(nsgx_tposix_mmap(nullptr, 4096, PROT_READ, MAP_SHARED, 3, 0), MAP_FAILED);
  EXPECT_EQ(errno, ENOSYS);
  EXPECT_EQ(nsgx_tposix_dlopen("libm.so.6", RTLD_NOW), nullptr);
  EXPECT_NE(nsgx_tposix_dlerror(), nullptr);
  EXPECT_EQ(nsgx_tposix_dlerror(), nullptr);
  EXPECT_EQ(nsgx_tposix_sysconf(_SC_PAGESIZE), 4096);
}

TEST_F(PosixLayer, EveryLieIsRefused) {
  const int fd = nsgx_tposix_open(path_.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  char buf[8192] = {};
  ASSERT_EQ(nsgx_tposix_pwrite64(fd, buf, sizeof buf, 0), static_cast<ssize_t>(sizeof buf));
  char small[16];
  refused(Lie::kTooLong, [&] { return nsgx_tposix_pread64(fd, small, sizeof small, 0); });
  refused(Lie::kBadErrno, [&] { return nsgx_tposix_pread64(fd, small, sizeof small, 0); });
  refused(Lie::kTooLong, [&] { return nsgx_tposix_pwrite64(fd, small, sizeof small, 0); });
  refused(Lie::kTooLong, [&] { return nsgx_tposix_read(fd, small, sizeof small); });
  refused(Lie::kTooLong, [&] { return nsgx_tposix_ftruncate(fd, 0); });
  refused(Lie::kBadErrno, [&] { return nsgx_tposix_open(path_.c_str(), O_RDONLY); });
  struct stat st {};
  for (Lie lie : {Lie::kHugeSize, Lie::kZeroBlock, Lie::kBadType, Lie::kBadNsec})
    refused(lie, [&] { return nsgx_tposix_fstat(fd, &st); });
  refused(Lie::kHugeSize, [&] { return nsgx_tposix_stat(path_.c_str(), &st); });
  struct flock lk {};
  lk.l_type = F_RDLCK, lk.l_whence = SEEK_SET, lk.l_len = 1;
  refused(Lie::kBadLock, [&] { return nsgx_tposix_fcntl(fd, F_GETLK, &lk); });
  EXPECT_EQ(lk.l_type, F_RDLCK);  // the caller's struct untouched
  char cwd[64];
  refused(Lie::kTooLong, [&] { return nsgx_tposix_getcwd(cwd, sizeof cwd) == nullptr ? -1 : 0; });
  refused(Lie::kUnterminated, [&] { return nsgx_tposix_getcwd(cwd, sizeof cwd) == nullptr ? -1 : 0; });
  char link[8];
  refused(Lie::kTooLong, [&] { return nsgx_tposix_readlink(path_.c_str(), link, sizeof link); });
  timespec ts{};
  refused(Lie::kBadNsec, [&] { return nsgx_tposix_clock_gettime(CLOCK_REALTIME, &ts); });
  refused(Lie::kBadErrno, [&] { return static_cast<long>(static_cast<int>(nsgx_tposix_geteuid())); });
  EXPECT_EQ(nsgx_tposix_close(fd), 0);
}

// SQLite's unix VFS with its system calls pointed at the layer: a
// database made and read back, then lies that must end as SQLite errors.
struct Syscall {
  const char* name;
  sqlite3_syscall_ptr f;
};

class SqliteOverLayer : public PosixLayer {
 protected:
  void SetUp() override {
    PosixLayer::SetUp();
    vfs_ = sqlite3_vfs_find("unix");
    ASSERT_NE(vfs_, nullptr);
    const Syscall calls[] = {
        {"open", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_open)},
        {"close", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_close)},
        {"access", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_access)},
        {"getcwd", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_getcwd)},
        {"stat", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_stat)},
        {"fstat", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_fstat)},
        {"ftruncate", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_ftruncate)},
        {"fcntl", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_fcntl)},
        {"read", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_read)},
        {"pread64", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_pread64)},
        {"pwrite64", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_pwrite64)},
        {"fchmod", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_fchmod)},
        {"unlink", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_unlink)},
        {"mkdir", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_mkdir)},
        {"rmdir", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_rmdir)},
        {"fchown", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_fchown)},
        {"geteuid", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_geteuid)},
        {"mmap", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_mmap)},
        {"munmap", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_munmap)},
        {"mremap", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_mremap)},
        {"readlink", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_readlink)},
        {"lstat", reinterpret_cast<sqlite3_syscall_ptr>(nsgx_tposix_lstat)},
    };
    for (const Syscall& c : calls) ASSERT_EQ(vfs_->xSetSystemCall(vfs_, c.name, c.f), SQLITE_OK) << c.name;
  }
  void TearDown() override {
    vfs_->xSetSystemCall(vfs_, nullptr, nullptr);  // every one back to the C library's
    PosixLayer::TearDown();
  }
  int exec(const char* sql, std::string* first = nullptr) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2((dir_ / "t.db").c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(
          db, sql,
          [](void* out, int, char** v, char**) {
            if (out != nullptr && v[0] != nullptr) *static_cast<std::string*>(out) = v[0];
            return 0;
          },
          first, nullptr);
    sqlite3_close(db);
    return rc;
  }
  sqlite3_vfs* vfs_ = nullptr;
};

TEST_F(SqliteOverLayer, DatabaseThroughTheLayerAndCleanErrorsOnLies) {
  const std::uint64_t ocalls = nsgx_tposix_ocalls();
  ASSERT_EQ(exec("CREATE TABLE t(a, b); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<2000)"
                 " INSERT INTO t SELECT i, printf('%0100d', i) FROM c;"),
            SQLITE_OK);
  EXPECT_GT(nsgx_tposix_ocalls(), ocalls + 10);  // the layer did the I/O
  std::string n;
  ASSERT_EQ(exec("SELECT count(*) FROM t;", &n), SQLITE_OK);
  EXPECT_EQ(n, "2000");
  for (Lie lie : {Lie::kTooLong, Lie::kBadErrno, Lie::kHugeSize, Lie::kZeroBlock, Lie::kBadType}) {
    const std::uint64_t before = nsgx_tposix_refused();
    g_lie = lie;
    const int rc = exec("SELECT sum(a) FROM t; INSERT INTO t VALUES (0, 'x');");
    g_lie = Lie::kNone;
    EXPECT_NE(rc, SQLITE_OK) << static_cast<int>(lie);
    EXPECT_GT(nsgx_tposix_refused(), before) << static_cast<int>(lie);
    std::string ok;
    EXPECT_EQ(exec("PRAGMA integrity_check;", &ok), SQLITE_OK);
    EXPECT_EQ(ok, "ok") << static_cast<int>(lie);
  }
  ASSERT_EQ(exec("SELECT count(*) FROM t;", &n), SQLITE_OK);
  EXPECT_EQ(n, "2000");
}

}  // namespace
