// The process and system calls servers need (libos/enclave/syscalls_sys.cc,
// docs/libos.md "Servers"), through glibc as a program calls them. Its
// output is the same natively and inside (servers_test.sh compares them):
// only properties are printed, never values the two systems differ in.
//   sysprog DIR FILE  — DIR holds FILE (a 100,000-byte file the test made)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static unsigned long sum(const unsigned char* p, size_t n) {
  unsigned long h = 5381;
  for (size_t i = 0; i < n; ++i) h = h * 33 + p[i];
  return h;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  // umask: the old mask comes back.
  umask(027);
  printf("umask back %o\n", (unsigned)umask(022));
  // prctl: a thread name set reads back, cut at 15 bytes.
  char name[16] = {0};
  int r = prctl(PR_SET_NAME, "a-name-longer-than-fifteen", 0, 0, 0);
  printf("set name %d get name %d '%s'\n", r, prctl(PR_GET_NAME, name, 0, 0, 0), name);
  // sysinfo: answered, with memory and an uptime.
  struct sysinfo si;
  r = sysinfo(&si);
  printf("sysinfo %d unit %u ram>0 %d free<=ram %d uptime>=0 %d\n", r, si.mem_unit, si.totalram > 0,
         si.freeram <= si.totalram, si.uptime >= 0);
  // chdir, then a relative path; getcwd follows; a file is not a directory.
  printf("chdir %d\n", chdir(argv[1]));
  char cwd[4096];
  printf("getcwd is DIR %d\n", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, argv[1]) == 0);
  printf("chdir to a file: %s\n", chdir(argv[2]) == 0 ? "ok" : strerror(errno));
  // The legacy open(2), by its number (glibc calls openat), relative.
  const char* base = strrchr(argv[2], '/') + 1;
  int fd = (int)syscall(SYS_open, base, O_RDONLY);
  printf("open relative %d\n", fd >= 0);
  // sendfile into a pipe: with an offset (the file's own does not move),
  // then from the file's offset (it moves).
  int p[2];
  if (pipe(p) != 0) return 1;
  static unsigned char got[100000];
  off_t off = 1000;
  ssize_t n = sendfile(p[1], fd, &off, 30000);
  ssize_t k = read(p[0], got, sizeof got);
  printf("sendfile with offset %zd read %zd offset now %lld file offset %lld\n", n, k, (long long)off,
         (long long)lseek(fd, 0, SEEK_CUR));
  unsigned char want[100000];
  if (pread(fd, want, sizeof want, 0) != (ssize_t)sizeof want) return 1;
  printf("bytes equal %d\n", k == 30000 && memcmp(got, want + 1000, 30000) == 0);
  lseek(fd, 99000, SEEK_SET);
  n = sendfile(p[1], fd, NULL, 5000);  // 1000 left
  k = read(p[0], got, sizeof got);
  printf("sendfile at the end %zd read %zd file offset %lld sum %d\n", n, k, (long long)lseek(fd, 0, SEEK_CUR),
         sum(got, (size_t)k) == sum(want + 99000, 1000));
  printf("sendfile past the end %zd\n", sendfile(p[1], fd, NULL, 10));
  printf("sendfile from a pipe: %s\n", sendfile(p[1], p[0], NULL, 10) < 0 ? strerror(errno) : "ok");
  return 0;
}
