/* The library OS's file and memory test program (docs/libos.md, M3),
 * built dynamically linked (plain gcc: a PIE with ld.so) and run natively
 * and inside the enclave (libos_dyn_test.sh):
 *   files map FILE...  what file mappings, stat, access, getcwd and
 *                      readlink say about FILE (a relative path, at least
 *                      two pages long), and time/gettimeofday: the
 *                      same natively and inside
 *   files refuse FILE  what the library OS refuses where Linux would not
 *                      (the expected answers are in the test)
 *   files cwd          getcwd
 *   files dirs DIR     DIR's listing (readdir, each entry's type), rewind,
 *                      seek, the *at calls relative to it, fchdir, and
 *                      what a directory descriptor refuses: the same
 *                      natively and inside when DIR holds what the
 *                      manifest lists */
#define _GNU_SOURCE  /* statx, AT_EMPTY_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* says(long r) { return r < 0 ? strerror(errno) : "ok"; }

static unsigned long sum(const unsigned char* p, size_t n) {
  unsigned long s = 0;
  for (size_t i = 0; i < n; ++i) s = s * 31 + p[i];
  return s;
}

static int map(const char* file) {
  const long page = sysconf(_SC_PAGESIZE);
  int fd = open(file, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 2 * page) {
    printf("open %s: %s\n", file, strerror(errno));
    return 1;
  }
  const size_t size = (size_t)st.st_size, rounded = (size + (size_t)page - 1) & ~((size_t)page - 1);
  /* The whole file, private: its bytes, and zeros after them to the page's end. */
  unsigned char* p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    printf("mmap: %s\n", strerror(errno));
    return 0;
  }
  unsigned char* copy = malloc(size);
  if (copy == NULL || pread(fd, copy, size, 0) != (ssize_t)size) return 1;
  printf("size %zu, regular %d, checksum %lu\n", size, S_ISREG(st.st_mode), sum(copy, size));
  int tail_zero = 1;
  for (size_t i = size; i < rounded; ++i) tail_zero &= p[i] == 0;
  printf("mapped equal %d, tail zero %d\n", memcmp(p, copy, size) == 0, tail_zero);
  printf("munmap whole %s\n", says(munmap(p, size)));

  /* ld.so's pattern: reserve a span, then map a part of the file over it
   * at an offset with MAP_FIXED, unmap and mprotect parts. */
  unsigned char* r = mmap(NULL, 3 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char* q = mmap(r + page, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, page);
  printf("fixed at the reserved page %d, equal %d\n", q == r + page,
         q != MAP_FAILED && memcmp(q, copy + page, (size_t)page) == 0);
  if (q == MAP_FAILED) return 0;
  q[0] ^= 0xff; /* private: the file does not change */
  unsigned char b0;
  printf("private write: file unchanged %d\n", pread(fd, &b0, 1, page) == 1 && b0 == copy[page]);
  printf("mprotect exec %s\n", says(mprotect(q, (size_t)page, PROT_READ | PROT_EXEC)));
  printf("munmap first %s, last %s\n", says(munmap(r, (size_t)page)), says(munmap(r + 2 * page, (size_t)page)));
  printf("still mapped %d\n", q[1] == copy[page + 1]);
  printf("munmap middle %s\n", says(munmap(q, (size_t)page)));
  /* Anonymous MAP_FIXED over the program's own pages, zeroed. */
  unsigned char* a = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 7, 2 * (size_t)page);
  unsigned char* z =
      mmap(a + page, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("anonymous fixed %d, zero %d, before kept %d\n", z == a + page,
         z != MAP_FAILED && z[0] == 0 && z[page - 1] == 0, a[page - 1] == 7);
  /* A mapping past the end of the file maps nothing of it: zeros (on
   * the partial page only; Linux faults further). */
  unsigned char* o = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, (off_t)(rounded - (size_t)page));
  printf("last page: equal %d\n",
         o != MAP_FAILED && memcmp(o, copy + rounded - page, size - (rounded - (size_t)page)) == 0);
  printf("unaligned offset: %s\n",
         mmap(NULL, 100, PROT_READ, MAP_PRIVATE, fd, 5) == MAP_FAILED ? strerror(errno) : "ok");
  printf("bad fd: %s\n", mmap(NULL, 100, PROT_READ, MAP_PRIVATE, 63, 0) == MAP_FAILED ? strerror(errno) : "ok");

  unsigned char five[5];
  const ssize_t got = pread(fd, five, 5, 7);
  printf("pread at 7: %zd %d\n", got, memcmp(five, copy + 7, 5) == 0);
  close(fd);

  /* By path, relative to the working directory. */
  struct stat s2;
  const char* said = says(stat(file, &s2));
  printf("stat: %s, size %lld\n", said, (long long)s2.st_size);
  char dotted[4096];
  snprintf(dotted, sizeof dotted, "./%s", file);
  said = says(stat(dotted, &s2));
  printf("stat ./: %s, same file %d\n", said, s2.st_ino == st.st_ino && s2.st_dev == st.st_dev);
  printf("lstat: %s\n", says(lstat(file, &s2)));
  /* statx by the system call itself: glibc's statx() answers from fstatat
   * when the kernel says ENOSYS, which would hide the library OS's answer. */
  struct statx sx;
  memset(&sx, 0, sizeof sx);
  said = says(syscall(SYS_statx, AT_FDCWD, file, 0, STATX_BASIC_STATS, &sx));
  printf("statx: %s, basic stats %d, same as stat %d\n", said, (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS,
         sx.stx_ino == (unsigned long long)st.st_ino && sx.stx_size == (unsigned long long)st.st_size &&
             sx.stx_mode == st.st_mode && sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
             makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);
  const int sfd = open(file, O_RDONLY);
  memset(&sx, 0, sizeof sx);
  said = says(syscall(SYS_statx, sfd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
  printf("statx AT_EMPTY_PATH: %s, size %lld\n", said, (long long)sx.stx_size);
  close(sfd);
  printf("statx of a missing file: %s\n", says(syscall(SYS_statx, AT_FDCWD, "no-such-file", 0, STATX_BASIC_STATS, &sx)));
  printf("statx with a bad flag: %s\n", says(syscall(SYS_statx, AT_FDCWD, file, 0x1, STATX_BASIC_STATS, &sx)));
  printf("statx into NULL: %s\n", says(syscall(SYS_statx, AT_FDCWD, file, 0, STATX_BASIC_STATS, NULL)));
  said = says(syscall(SYS_statx, AT_FDCWD, ".", 0, STATX_BASIC_STATS, &sx));
  printf("statx .: %s, directory %d\n", said, S_ISDIR(sx.stx_mode));
  said = says(stat(".", &s2));
  printf("stat .: %s, directory %d\n", said, S_ISDIR(s2.st_mode));
  printf("access R_OK: %s, W_OK|X_OK of a missing file: %s\n", says(access(file, R_OK)),
         says(access("no-such-file", W_OK | X_OK)));
  printf("faccessat: %s\n", says(faccessat(AT_FDCWD, file, R_OK, 0)));
  printf("openat relative: %s\n", says(openat(AT_FDCWD, file, O_RDONLY)));
  char cwd[4096], exe[4096];
  printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
  printf("getcwd small: %s\n", getcwd(cwd, 2) ? cwd : strerror(errno));
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  printf("readlink /proc/self/exe: %s\n", n > 0 ? exe : strerror(errno));
  printf("readlink of a file: %s\n", readlink(file, exe, sizeof exe) < 0 ? strerror(errno) : "a link");
  /* time and gettimeofday: system calls inside (no vDSO), the vDSO natively.
   * glibc's time() reads CLOCK_REALTIME_COARSE, which lags the precise clock
   * by up to a tick: across a second boundary gettimeofday may already be one
   * second past the time() that follows it. */
  struct timeval tv;
  const time_t t0 = time(NULL);
  const int g = gettimeofday(&tv, NULL);
  const time_t t1 = time(NULL);
  printf("time and gettimeofday agree %d\n",
         g == 0 && t0 > 1600000000 && tv.tv_sec >= t0 && tv.tv_sec <= t1 + 1 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  free(copy);
  return 0;
}

/* Where the library OS refuses what Linux allows: each line's answer
 * inside is fixed (the test compares). */
static int refuse(const char* file) {
  const long page = sysconf(_SC_PAGESIZE);
  int fd = open(file, O_RDONLY);
  unsigned char* a = mmap(NULL, 2 * (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(a + page, (size_t)page);
  void* f = mmap(a, 2 * (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED partly over pages not the program's: %s\n", f == MAP_FAILED ? strerror(errno) : "ok");
  f = mmap((void*)(uintptr_t)0x10000, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED outside the enclave: %s\n", f == MAP_FAILED ? strerror(errno) : "ok");
  struct stat st;
  printf("stat /etc/passwd: %s\n", says(stat("/etc/passwd", &st)));
  printf("access /etc/passwd: %s\n", says(access("/etc/passwd", F_OK)));
  printf("open /etc/passwd: %s\n", says(open("/etc/passwd", O_RDONLY)));
  printf("open a trusted file for writing: %s\n", says(open(file, O_WRONLY)));
  printf("uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
  return 0;
}

/* MAP_SHARED of files (docs/libos.md, "Shared file mappings"): a trusted
 * file maps read-only; what the program writes through a shared mapping
 * of an allowed file reaches the file at msync and munmap — only the bytes
 * it changed, never past the file's end — also after its descriptor was
 * closed. Printed only where Linux's page cache and the library OS's
 * write-back agree. */
static int shared(const char* trusted, const char* allowed) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  int t = open(trusted, O_RDONLY);
  unsigned char* tp = mmap(NULL, page, PROT_READ, MAP_SHARED, t, 0);
  printf("trusted, read-only: %s", tp == MAP_FAILED ? strerror(errno) : "ok");
  if (tp != MAP_FAILED) printf(", sum %lu", sum(tp, page));
  printf("\n");
  void* tw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, t, 0);
  printf("trusted, writable: %s\n", tw == MAP_FAILED ? strerror(errno) : "ok");
  close(t);

  const size_t size = 3 * page + 100;
  int fd = open(allowed, O_RDWR | O_CREAT | O_TRUNC, 0644);
  unsigned char* data = malloc(size);
  for (size_t i = 0; i < size; ++i) data[i] = (unsigned char)('a' + i % 26);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size) return printf("allowed: %s\n", strerror(errno)), 1;
  unsigned char* p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return printf("allowed, shared: %s\n", strerror(errno)), 1;
  close(fd); /* the mapping keeps the file */
  printf("mapped: %s\n", memcmp(p, data, size) == 0 ? "the file's bytes" : "other bytes");
  p[0] = 'X';
  p[page + 5] = 'Y';
  p[3 * page + 99] = 'Z';
  p[3 * page + 200] = 'W'; /* past the end, in the last page: never in the file */
  printf("msync: %s\n", says(msync(p, 4 * page, MS_SYNC)));
  fd = open(allowed, O_RDWR);
  char b[4] = {0};
  pread(fd, b, 1, 0);
  pread(fd, b + 1, 1, (off_t)page + 5);
  pread(fd, b + 2, 1, (off_t)(3 * page + 99));
  struct stat st;
  fstat(fd, &st);
  printf("after msync: %.3s, size %lld\n", b, (long long)st.st_size - (long long)(3 * page));
  /* Another writer's byte, in a page the program then changes elsewhere:
   * the write-back keeps it (natively the page cache is one). */
  pwrite(fd, "Q", 1, (off_t)(2 * page + 7));
  p[2 * page + 9] = 'R';
  printf("munmap of the middle: %s\n", says(munmap(p + page, page)));
  printf("munmap of the rest: %s\n", says(munmap(p, 4 * page)));
  memset(b, 0, sizeof b);
  pread(fd, b, 3, (off_t)(2 * page + 7));
  fstat(fd, &st);
  printf("after munmap: %c%c%c, size %lld\n", b[0], b[1], b[2], (long long)st.st_size - (long long)(3 * page));
  /* The program's own byte and a page it never wrote: unchanged since. */
  pread(fd, b, 1, 1);
  printf("untouched byte: %c\n", b[0]);

  int ro = open(allowed, O_RDONLY);
  void* w = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
  printf("read-only descriptor, writable: %s\n", w == MAP_FAILED ? strerror(errno) : "ok");
  unsigned char* r = mmap(NULL, page, PROT_READ, MAP_SHARED, ro, 0);
  printf("read-only descriptor, read-only: %s", r == MAP_FAILED ? strerror(errno) : "ok");
  if (r != MAP_FAILED) printf(", first byte %c", r[0]);
  printf("\n");
  /* An mmap over a shared mapping: what it held reaches the file first. */
  unsigned char* q = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  q[20] = 'F';
  void* over = mmap(q, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  pread(fd, b, 1, 20);
  printf("mmap over it: %s, the file then has %c\n", over == (void*)q ? "ok" : strerror(errno), b[0]);
  printf("msync unaligned: %s\n", says(msync(q + 1, 10, MS_SYNC)));
  printf("msync sync and async: %s\n", says(msync(q, page, MS_SYNC | MS_ASYNC)));
  munmap(q, page);
  printf("msync unmapped: %s\n", says(msync(q, page, MS_SYNC)));
  close(ro);
  /* Left mapped, changed, when the program ends: the file has it after
   * (the test compares the file). */
  unsigned char* e = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (e != MAP_FAILED) e[10] = 'E';
  close(fd);
  free(data);
  return 0;
}

/* Takes a write lock on byte 0 of FILE, maps the file shared and unmaps it,
 * says "locked" and holds the lock until stdin ends: the test looks from
 * another process whether the munmap dropped it (closing any descriptor of
 * a file drops the process's record locks on it). */
static int holdlock(const char* file) {
  const int fd = open(file, O_RDWR);
  struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  if (fd < 0 || fcntl(fd, F_SETLK, &lk) != 0) return printf("lock: %s\n", strerror(errno)), 1;
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char* m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return printf("mmap: %s\n", strerror(errno)), 1;
  m[1] = m[1];
  munmap(m, page);
  printf("locked\n");
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}

/* A record lock this process holds, as a fork child sees it: held (a
 * fork or spawn must not release the parent's locks). */
static int forklock(const char* file) {
  const int fd = open(file, O_RDWR);
  struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  if (fd < 0 || fcntl(fd, F_SETLK, &lk) != 0) return printf("lock: %s\n", strerror(errno)), 1;
  fflush(stdout);
  for (int round = 0; round < 2; ++round) {
    const pid_t child = fork();
    if (child == 0) {
      const int c = open(file, O_RDWR);
      struct flock probe = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
      _exit(c >= 0 && fcntl(c, F_GETLK, &probe) == 0 ? (probe.l_type == F_UNLCK ? 1 : 0) : 2);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("fork %d: the parent's lock %s\n", round + 1,
           WIFEXITED(status) && WEXITSTATUS(status) == 0   ? "held"
           : WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "gone"
                                                           : "unknown");
  }
  return 0;
}

/* System V shared memory, attached and detached (the same memory calls as
 * mmap and munmap underneath). */
static int shm(void) {
  const int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  if (id < 0) return printf("shmget: %s\n", strerror(errno)), 1;
  unsigned char* p = shmat(id, NULL, 0);
  if (p == (void*)-1) return printf("shmat: %s\n", strerror(errno)), 1;
  struct shmid_ds ds;
  printf("zero: %d\n", p[0] == 0 && p[8191] == 0);
  memset(p, 7, 8192);
  const long st = shmctl(id, IPC_STAT, &ds);
  printf("stat: %s, size %zu, attached %lu\n", says(st), (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
  printf("shmdt: %s\n", says(shmdt(p)));
  printf("shmdt again: %s\n", says(shmdt(p)));
  printf("rmid: %s\n", says(shmctl(id, IPC_RMID, NULL)));
  return 0;
}

static int by_name(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* DIR's entries, sorted, each with its type (d_type, or stat's where the
 * file system does not say: DT_UNKNOWN is allowed). */
static int list(DIR* d, int dfd) {
  char* names[256];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < 256) {
    unsigned type = e->d_type;
    struct stat st;
    if (type == DT_UNKNOWN && fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : 99;
    const char* t = type == DT_DIR ? "dir" : type == DT_REG ? "file" : "other";
    names[n] = malloc(strlen(e->d_name) + 8);
    sprintf(names[n++], "%s %s", e->d_name, t);
  }
  qsort(names, (size_t)n, sizeof names[0], by_name);
  for (int i = 0; i < n; ++i) {
    printf("  %s\n", names[i]);
    free(names[i]);
  }
  return n;
}

static int dirs(const char* dir) {
  DIR* d = opendir(dir);
  if (d == NULL) {
    printf("opendir %s: %s\n", dir, strerror(errno));
    return 1;
  }
  const int dfd = dirfd(d);
  printf("%s:\n", dir);
  const int n = list(d, dfd);
  rewinddir(d);
  int again = 0;
  while (readdir(d) != NULL) ++again;
  printf("rewound: %d entries again %d\n", n, again == n);
  rewinddir(d);
  (void)readdir(d);
  (void)readdir(d);
  const long at = telldir(d);
  struct dirent* third = readdir(d);
  char name[256] = "";
  if (third) snprintf(name, sizeof name, "%s", third->d_name);
  while (readdir(d) != NULL) {
  }
  seekdir(d, at);
  third = readdir(d);
  printf("seekdir back: same entry %d\n", third != NULL && strcmp(third->d_name, name) == 0);

  struct stat st;
  printf("fstat: dir %d\n", fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode));
  printf("F_GETFL O_DIRECTORY %d\n", (fcntl(dfd, F_GETFL) & O_DIRECTORY) != 0);
  const int in = openat(dfd, "sub/b.txt", O_RDONLY);
  char buf[64] = {0};
  printf("openat sub/b.txt: %s", in >= 0 ? "ok" : strerror(errno));
  if (in >= 0 && read(in, buf, sizeof buf - 1) > 0)
    printf(", reads %s", buf);
  else
    printf("\n");
  close(in);
  printf("fstatat a.txt: %s", says(fstatat(dfd, "a.txt", &st, 0)));
  printf(" size %lld\n", (long long)st.st_size);
  printf("faccessat a.txt R: %s\n", says(faccessat(dfd, "a.txt", R_OK, 0)));
  printf("fstatat sub: dir %d\n", fstatat(dfd, "sub", &st, 0) == 0 && S_ISDIR(st.st_mode));
  /* (openat of a missing file: ENOENT natively, EACCES inside, where it
   * is a refused path: the refuse test.) */
  printf("openat nosuch fails %d\n", openat(dfd, "nosuch", O_RDONLY) < 0);
  printf("fstatat nosuch: %s\n", says(fstatat(dfd, "nosuch", &st, 0)));
  printf("fstatat under a file: %s\n", says(fstatat(dfd, "a.txt/x", &st, 0)));

  char was[4096], now[4096];
  if (getcwd(was, sizeof was) == NULL) return 1;
  printf("fchdir: %s", says(fchdir(dfd)));
  printf(", getcwd ends with the directory %d", getcwd(now, sizeof now) != NULL && strlen(now) >= strlen(dir) &&
                                                    strcmp(now + strlen(now) - strlen(dir), dir) == 0);
  printf(", a.txt opens %d\n", open("a.txt", O_RDONLY) >= 0);
  if (chdir(was) != 0) return 1;

  /* (read on a directory: EISDIR or EINVAL, by kernel and file system.) */
  char one[8];
  lseek(dfd, 0, SEEK_SET);
  printf("getdents64 into 8 bytes: %s\n", says(syscall(SYS_getdents64, dfd, one, sizeof one)));
  printf("open for writing: %s\n", says(open(dir, O_WRONLY)));
  printf("a file with O_DIRECTORY: %s\n", says(openat(dfd, "a.txt", O_RDONLY | O_DIRECTORY)));
  printf("openat under a file: %s\n", says(openat(dfd, "a.txt/x", O_RDONLY)));

  /* The open descriptors are listed in /proc/self/fd. */
  DIR* p = opendir("/proc/self/fd");
  char want[16];
  snprintf(want, sizeof want, "%d", dfd);
  int found = 0;
  struct dirent* e;
  while (p != NULL && (e = readdir(p)) != NULL) found |= strcmp(e->d_name, want) == 0;
  printf("/proc/self/fd lists it %d\n", found);
  if (p != NULL) closedir(p);

  /* /proc/self/fd read one entry at a time while descriptors before the
   * position close: none after it is skipped (positions are descriptor
   * numbers, as Linux's). */
  int extra[3];
  for (int i = 0; i < 3; ++i) extra[i] = open("/dev/null", O_RDONLY);
  const int pfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
  int seen[3] = {0, 0, 0};
  for (;;) {
    char rec[32];
    const long got = syscall(SYS_getdents64, pfd, rec, sizeof rec);
    if (got <= 0) break;
    const int n = atoi(rec + 19);
    for (int i = 0; i < 3; ++i)
      if (n == extra[i] && rec[19] != '.') {
        seen[i] = 1;
        close(extra[i]);  /* the next one's position must not move */
      }
  }
  close(pfd);
  printf("/proc/self/fd one by one, closing as it goes: %d %d %d\n", seen[0], seen[1], seen[2]);

  /* The directory by its descriptor's link; a fork child's copy; dup2
   * over a directory descriptor. */
  char link[64];
  snprintf(link, sizeof link, "/dev/fd/%d", dfd);
  printf("chdir %s: %s", "/dev/fd/N", says(chdir(link)));
  printf(", getcwd ends with the directory %d\n", getcwd(now, sizeof now) != NULL && strlen(now) >= strlen(dir) &&
                                                        strcmp(now + strlen(now) - strlen(dir), dir) == 0);
  if (chdir(was) != 0) return 1;
  lseek(dfd, 0, SEEK_SET);
  fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    char in_child[4096];
    _exit(syscall(SYS_getdents64, dfd, in_child, sizeof in_child) > 0 ? 0 : 1);
  }
  int ws = -1;
  if (pid < 0)
    printf("fork with a directory descriptor open: %s\n", strerror(errno));
  else if (waitpid(pid, &ws, 0) != pid)
    printf("waitpid: %s\n", strerror(errno));
  else
    printf("a fork child lists it: %d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  const int over = dup(dfd);
  printf("dup2 over a directory descriptor: %s\n", says(dup2(extra[0] = open("/dev/null", O_RDONLY), over)));
  close(over);
  close(extra[0]);

  /* A dup reads the directory too. */
  const int copy = dup(dfd);
  lseek(copy, 0, SEEK_SET);
  char big[4096];
  printf("getdents64 on a dup: %d\n", syscall(SYS_getdents64, copy, big, sizeof big) > 0);
  close(copy);
  closedir(d);
  return 0;
}

/* copy_file_range by the system call (glibc's wrapper is the call
 * itself, but coreutils falls back on ENOSYS): from SRC into DST, which it
 * truncates first, with and without offsets; then DST's contents. */
static int copy(const char* src, const char* dst) {
  const int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_TRUNC);
  if (in < 0 || out < 0) {
    printf("copy: cannot open: %s\n", strerror(errno));
    return 1;
  }
  long r = syscall(SYS_copy_file_range, in, NULL, out, NULL, 100, 0);
  printf("copy 100 by the offsets: %ld %s, offsets now %lld %lld\n", r, says(r), (long long)lseek(in, 0, SEEK_CUR),
         (long long)lseek(out, 0, SEEK_CUR));
  loff_t off_in = 1000, off_out = 50;
  r = syscall(SYS_copy_file_range, in, &off_in, out, &off_out, 30, 0);
  printf("copy 30 from 1000 to 50: %ld %s, offsets %lld %lld, descriptors' %lld %lld\n", r, says(r),
         (long long)off_in, (long long)off_out, (long long)lseek(in, 0, SEEK_CUR), (long long)lseek(out, 0, SEEK_CUR));
  off_in = 1LL << 40;
  r = syscall(SYS_copy_file_range, in, &off_in, out, NULL, 30, 0);
  printf("copy past the end: %ld %s\n", r, says(r));
  printf("bad flags: %s\n", says(syscall(SYS_copy_file_range, in, NULL, out, NULL, 30, 1)));
  printf("into a read-only descriptor: %s\n", says(syscall(SYS_copy_file_range, in, NULL, in, NULL, 30, 0)));
  int p[2];
  if (pipe(p) == 0) {
    printf("to a pipe: %s\n", says(syscall(SYS_copy_file_range, in, NULL, p[1], NULL, 30, 0)));
    close(p[0]);
    close(p[1]);
  }
  close(in);
  close(out);
  /* Within one file (another descriptor of DST): overlapping ranges are
   * EINVAL, the length first cut at the end of the file; apart, a copy. */
  const int a = open(dst, O_RDONLY), b = open(dst, O_WRONLY);
  if (a >= 0 && b >= 0) {
    loff_t i = 0, o = 10;
    printf("same file, overlapping: %s\n", says(syscall(SYS_copy_file_range, a, &i, b, &o, 20, 0)));
    i = 90, o = 95;
    printf("same file, overlapping once cut at the end: %s\n",
           says(syscall(SYS_copy_file_range, a, &i, b, &o, 100, 0)));
    i = 1000, o = 0;
    r = syscall(SYS_copy_file_range, a, &i, b, &o, 50, 0);
    printf("same file, from past its end: %ld %s\n", r, says(r));
    i = 0, o = 100;
    r = syscall(SYS_copy_file_range, a, &i, b, &o, 20, 0);
    printf("same file, apart: %ld %s, offsets %lld %lld\n", r, says(r), (long long)i, (long long)o);
  }
  if (a >= 0) close(a);
  if (b >= 0) close(b);
  char buf[256] = {0};
  const int fd = open(dst, O_RDONLY);
  const ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  printf("%s now holds %zd bytes: [%s]\n", dst, n, n > 0 ? buf : "");
  if (fd >= 0) close(fd);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "map") == 0) {
    int st = 0;
    for (int i = 2; i < argc && st == 0; ++i) st = map(argv[i]);
    return st;
  }
  if (argc == 3 && strcmp(argv[1], "refuse") == 0) return refuse(argv[2]);
  if (argc == 4 && strcmp(argv[1], "shared") == 0) return shared(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "holdlock") == 0) return holdlock(argv[2]);
  if (argc == 2 && strcmp(argv[1], "shm") == 0) return shm();
  if (argc == 3 && strcmp(argv[1], "forklock") == 0) return forklock(argv[2]);
  if (argc == 2 && strcmp(argv[1], "cwd") == 0) {
    char cwd[4096];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "dirs") == 0) return dirs(argv[2]);
  if (argc == 4 && strcmp(argv[1], "copy") == 0) return copy(argv[2], argv[3]);
  fprintf(stderr,
          "usage: files map FILE... | refuse FILE | shared TRUSTED ALLOWED | holdlock FILE | forklock FILE | shm | cwd "
          "| dirs DIR | "
          "copy SRC "
          "DST\n");
  return 2;
}
