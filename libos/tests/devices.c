/* The library OS's own devices (docs/libos.md, "Devices"): /dev/null,
 * /dev/zero, /dev/full, /dev/random and /dev/urandom, run natively and
 * inside the enclave with a manifest that names none of them
 * (libos_dyn_test.sh); the output must be the same.
 *   devices            every call on each device, /dev/zero's mappings,
 *                      the links to descriptors (/dev/stdout, /dev/fd/N,
 *                      /proc/self/fd/N), then a fork child and an
 *                      execve'd program that inherit /dev/null as stderr
 *                      and a descriptor opened O_CLOEXEC that they must
 *                      not get
 *   devices child N M  (the execve'd program) descriptor N must be
 *                      /dev/null, M must be closed */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* says(long r) { return r < 0 ? strerror(errno) : "ok"; }

/* "zeros", "x" (untouched), or "bytes" (anything else) for n bytes. */
static const char* what(const unsigned char* b, long n) {
  if (n <= 0) return "-";
  int zero = 1, x = 1;
  for (long i = 0; i < n; ++i) {
    zero &= b[i] == 0;
    x &= b[i] == 'x';
  }
  return zero ? "zeros" : x ? "x" : "bytes";
}

static void one(const char* name) {
  struct stat st;
  if (stat(name, &st) != 0) {
    printf("%s: stat: %s\n", name, strerror(errno));
    return;
  }
  printf("%s: chr %d mode %o rdev %u:%u size %lld\n", name, S_ISCHR(st.st_mode), (unsigned)(st.st_mode & 07777),
         major(st.st_rdev), minor(st.st_rdev), (long long)st.st_size);
  printf("  access rw %s", says(access(name, R_OK | W_OK)));
  printf(", x %s\n", says(access(name, X_OK)));
  const int fd = open(name, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    printf("  open: %s\n", strerror(errno));
    return;
  }
  /* One call per statement: the order printf's arguments are evaluated in is unspecified. */
  struct stat fst;
  const long fs = fstat(fd, &fst);
  printf("  fstat %s same %d\n", says(fs), fs == 0 && fst.st_rdev == st.st_rdev && S_ISCHR(fst.st_mode));
  printf("  getfl %#o", fcntl(fd, F_GETFL));
  printf(" getfd %d\n", fcntl(fd, F_GETFD));
  unsigned char a[64], b[64];
  memset(a, 'x', sizeof a);
  memset(b, 'x', sizeof b);
  long r = read(fd, a, sizeof a);
  const long r2 = pread(fd, b, sizeof b, 4096);
  printf("  read %ld %s, pread %ld %s", r, what(a, r), r2, what(b, r2));
  if (r == (long)sizeof a && strcmp(what(a, r), "bytes") == 0) printf(", differ %d", memcmp(a, b, sizeof a) != 0);
  printf("\n");
  r = write(fd, "abc", 3);
  printf("  write %ld %s", r, says(r));
  printf(", pwrite %ld\n", (long)pwrite(fd, "abcd", 4, 100));
  printf("  lseek %ld", (long)lseek(fd, 10, SEEK_SET));
  printf(" %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  const int ready = poll(&p, 1, 0);
  printf("  poll %d revents %#x\n", ready, p.revents);
  int n = 0;
  printf("  FIONREAD %s", says(ioctl(fd, FIONREAD, &n)));
  printf(", fsync %s", says(fsync(fd)));
  printf(", ftruncate %s\n", says(ftruncate(fd, 0)));
  printf("  setfl %s", says(fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND)));
  printf(" getfl %#o\n", fcntl(fd, F_GETFL));
  close(fd);
}

/* Linux's links to descriptors: opening one opens the descriptor's file
 * anew (a new offset, the new flags). */
static void links(const char* self) {
  char path[64], link[256];
  fflush(stdout);
  int fd = open("/dev/stdout", O_WRONLY | O_APPEND);
  printf("open /dev/stdout: %s\n", fd >= 0 ? "ok" : strerror(errno));
  fflush(stdout);
  if (fd >= 0) {
    const char line[] = "written through /dev/stdout\n";
    printf("its write %ld\n", (long)write(fd, line, sizeof line - 1));
    close(fd);
  }
  ssize_t n = readlink("/dev/stdin", link, sizeof link - 1);
  printf("readlink /dev/stdin: %.*s\n", n > 0 ? (int)n : 0, link);
  printf("access /dev/stdout W: %s\n", says(access("/dev/stdout", W_OK)));
  struct stat st, st2;
  printf("/dev/fd: dir %d\n", stat("/dev/fd", &st) == 0 && S_ISDIR(st.st_mode));
  printf("stat /dev/fd/99: %s\n", says(stat("/dev/fd/99", &st)));
  printf("open /dev/fd/99: %s\n", says(open("/dev/fd/99", O_RDONLY)));

  /* A pipe's write end by its link: the same pipe. */
  int p[2];
  if (pipe(p) != 0) return;
  snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
  const int w = open(path, O_WRONLY);
  const int same = stat(path, &st) == 0 && fstat(p[0], &st2) == 0 && S_ISFIFO(st.st_mode) && st.st_ino == st2.st_ino;
  printf("pipe by its link: open %s, same pipe %d", w >= 0 ? "ok" : strerror(errno), same);
  n = readlink(path, link, sizeof link - 1);
  printf(", readlink %s", n > 6 && strncmp(link, "pipe:[", 6) == 0 && link[n - 1] == ']' ? "pipe:[...]" : "?");
  char buf[32] = {0};
  if (w >= 0 && write(w, "through", 7) == 7 && read(p[0], buf, sizeof buf - 1) == 7) printf(", read %s", buf);
  printf("\n");
  close(w);
  close(p[0]);
  close(p[1]);

  /* A device's link: a new description with the new flags. */
  const int null = open("/dev/null", O_RDONLY);
  snprintf(path, sizeof path, "/proc/self/fd/%d", null);
  n = readlink(path, link, sizeof link - 1);
  printf("readlink of /dev/null's descriptor: %.*s\n", n > 0 ? (int)n : 0, link);
  fd = open(path, O_WRONLY);
  printf("/dev/null reopened for writing: write %ld\n", (long)write(fd, "x", 1));
  close(fd);
  close(null);

  /* A regular file's link: its own offset. */
  const int exe = open(self, O_RDONLY);
  char a[4] = {0}, b[4] = {0};
  if (exe >= 0 && read(exe, a, 4) == 4) {
    snprintf(path, sizeof path, "/dev/fd/%d", exe);
    fd = open(path, O_RDONLY);
    printf("the program by its link: %s", fd >= 0 ? "ok" : strerror(errno));
    if (fd >= 0 && read(fd, b, 4) == 4) printf(", from offset 0 again %d", memcmp(a, b, 4) == 0);
    printf("\n");
    close(fd);
  }
  close(exe);

  /* No file behind a socket's or an epoll set's link: ENXIO. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
    snprintf(path, sizeof path, "/dev/fd/%d", sv[0]);
    printf("a socket by its link: %s\n", says(open(path, O_RDWR)));
    close(sv[0]);
    close(sv[1]);
  }
  const int ep = epoll_create1(0);
  snprintf(path, sizeof path, "/dev/fd/%d", ep);
  printf("an epoll set by its link: %s\n", says(open(path, O_RDONLY)));
  close(ep);
}

static int child(int null_fd, int closed_fd) {
  struct stat st;
  if (fstat(null_fd, &st) != 0) return 10;
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) return 11;
  if (write(null_fd, "gone", 4) != 4) return 12;
  if (fcntl(closed_fd, F_GETFD) != -1 || errno != EBADF) return 13;
  fprintf(stderr, "stderr is /dev/null: nobody sees this\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "child") == 0) return child(atoi(argv[2]), atoi(argv[3]));
  if (argc != 1) {
    fprintf(stderr, "usage: devices | devices child N M\n");
    return 2;
  }
  static const char* const kNames[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; ++i) one(kNames[i]);

  struct stat st;
  printf("/dev: dir %d\n", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode));
  int fd = open("/dev/null", O_RDONLY);
  printf("write to O_RDONLY: %s\n", says(write(fd, "a", 1)));
  close(fd);
  fd = open("/dev/zero", O_WRONLY);
  char c;
  printf("read from O_WRONLY: %s\n", says(read(fd, &c, 1)));
  close(fd);
  printf("O_DIRECTORY: %s\n", says(open("/dev/null", O_RDONLY | O_DIRECTORY)));
  printf("O_CREAT|O_EXCL: %s\n", says(open("/dev/null", O_WRONLY | O_CREAT | O_EXCL, 0600)));
  printf("O_CREAT|O_TRUNC: %s\n", says(fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600)));
  close(fd);
  printf("creat: %s", says(fd = creat("/dev/null", 0600)));
  printf(", getfl %#o\n", fcntl(fd, F_GETFL) & O_ACCMODE);
  close(fd);

  /* /dev/zero's pages: anonymous memory, private or shared; the others
   * have no mmap. */
  fd = open("/dev/zero", O_RDWR);
  for (int shared = 0; shared <= 1; ++shared) {
    unsigned char* m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      printf("mmap /dev/zero %s: %s\n", shared ? "shared" : "private", strerror(errno));
      continue;
    }
    const char* before = what(m, 8192);
    m[5000] = 7;
    printf("mmap /dev/zero %s: %s, written %d\n", shared ? "shared" : "private", before, m[5000]);
    munmap(m, 8192);
  }
  close(fd);
  fd = open("/dev/null", O_RDWR);
  printf("mmap /dev/null: %s\n",
         mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? strerror(errno) : "ok");
  const int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {0}};
  printf("epoll_ctl /dev/null: %s\n", says(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)));
  close(ep);
  links(argv[0]);

  /* Inherited: /dev/null at 2 across fork and execve; an O_CLOEXEC one
   * only across fork. */
  fflush(stdout);
  const int saved = dup(2);
  dup2(fd, 2);
  close(fd);
  const int ce = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid == 0) {
    const int r = fcntl(ce, F_GETFD) == FD_CLOEXEC ? child(2, 1000) : 20;
    fflush(stderr);
    _exit(r);
  }
  int ws = 0;
  waitpid(pid, &ws, 0);
  dup2(saved, 2);
  printf("fork child: %d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  fflush(stdout);
  const pid_t e = fork();
  if (e == 0) {
    dup2(open("/dev/null", O_WRONLY), 2);
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", 2);
    snprintf(b, sizeof b, "%d", ce);
    execl(argv[0], argv[0], "child", a, b, (char*)NULL);
    _exit(30);
  }
  waitpid(e, &ws, 0);
  printf("execve'd program: %d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  return 0;
}
