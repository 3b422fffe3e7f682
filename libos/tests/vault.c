/* A program that holds a secret inside the library OS enclave, for the
 * attacks by unprivileged users (unpriv_test.sh). Dynamically linked, so
 * that it loads a shared library (libc) as a trusted file. It never
 * prints the secret, only its length.
 *   vault seal FILE   the first line of stdin (the secret) into FILE
 *                     (an encrypted file inside)
 *   vault read FILE   reads FILE; prints its length
 *   vault hold FILE   reads FILE into memory, writes it back (a new version
 *                     of the encrypted file), prints "holding N bytes" and
 *                     waits for a line on stdin; then reads FILE again and
 *                     says whether it is the same as the secret it holds
 *   vault open PATH   opens PATH; prints the answer and LD_PRELOAD
 *   vault forks FILE N  reads FILE into memory and forks N times, each
 *                     when a line arrives on stdin ("ready K" first): the
 *                     child says "fork K: child running (pid P)", waits
 *                     for a line on stdin and exits 7 if the secret it was
 *                     handed is the parent's (a checksum taken before the
 *                     fork), 3 if not; the parent prints the child's
 *                     status or fork's error and goes on; then reads FILE
 *                     again as hold does ("after: ...")
 *   vault args ...    prints its argv, one "argv[I] = <S>" a line */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char secret[256];
static size_t secret_len;

static int fail(const char* what, const char* path) {
  printf("%s %s: %s\n", what, path, strerror(errno));
  return 1;
}

/* The whole of PATH into BUF (at most CAP bytes); -1 with errno. */
static long slurp(const char* path, char* buf, size_t cap) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t got = 0;
  for (;;) {
    const ssize_t r = read(fd, buf + got, cap - got);
    if (r < 0) {
      const int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (r == 0 || got + (size_t)r == cap) {
      got += (size_t)r;
      break;
    }
    got += (size_t)r;
  }
  close(fd);
  return (long)got;
}

static int store(const char* path, const char* buf, size_t len) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return fail("open", path);
  if (write(fd, buf, len) != (ssize_t)len) return fail("write", path);
  if (close(fd) != 0) return fail("close", path);
  return 0;
}

static int seal(const char* path) {
  const ssize_t n = read(0, secret, sizeof secret);
  if (n <= 0) return fail("read", "stdin");
  const char* nl = memchr(secret, '\n', (size_t)n);
  secret_len = nl ? (size_t)(nl - secret) : (size_t)n;
  if (store(path, secret, secret_len) != 0) return 1;
  printf("sealed %zu bytes\n", secret_len);
  return 0;
}

static int hold(const char* path) {
  const long n = slurp(path, secret, sizeof secret);
  if (n < 0) return fail("open", path);
  secret_len = (size_t)n;
  if (store(path, secret, secret_len) != 0) return 1;
  printf("holding %zu bytes\n", secret_len);
  char line[16];
  if (read(0, line, sizeof line) < 0) return fail("read", "stdin");
  static char again[sizeof secret];
  const long m = slurp(path, again, sizeof again);
  if (m < 0) return fail("after: open", path);
  const int same = (size_t)m == secret_len && memcmp(again, secret, secret_len) == 0;
  printf("after: %s\n", same ? "the same" : "DIFFERENT");
  return same ? 0 : 1;
}

/* FNV-1a: the child's check that its copy of the secret is the parent's. */
static unsigned long long checksum(const char* p, size_t n) {
  unsigned long long h = 14695981039346656037ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

/* The secret crosses to each child in the fork checkpoint (docs/libos.md,
 * "Processes"); the attacker watches and changes it on its way. */
static int forks(const char* path, int n) {
  const long got = slurp(path, secret, sizeof secret);
  if (got < 0) return fail("open", path);
  secret_len = (size_t)got;
  const unsigned long long sum = checksum(secret, secret_len);
  printf("holding %zu bytes\n", secret_len);
  char line[16];
  for (int k = 1; k <= n; ++k) {
    printf("ready %d\n", k);
    if (read(0, line, sizeof line) <= 0) return fail("read", "stdin");
    const pid_t pid = fork();
    if (pid == 0) {
      printf("fork %d: child running (pid %d)\n", k, (int)getpid());
      const int same = checksum(secret, secret_len) == sum;
      if (read(0, line, sizeof line) <= 0) _exit(4);
      _exit(same ? 7 : 3);
    }
    if (pid < 0) {
      printf("fork %d: %s\n", k, strerror(errno));
      continue;
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) {
      printf("fork %d: waitpid: %s\n", k, strerror(errno));
      continue;
    }
    if (WIFEXITED(st))
      printf("fork %d: child exit %d\n", k, WEXITSTATUS(st));
    else
      printf("fork %d: child status %#x\n", k, (unsigned)st);
  }
  static char again[sizeof secret];
  const long m = slurp(path, again, sizeof again);
  if (m < 0) return fail("after: open", path);
  const int same = (size_t)m == secret_len && memcmp(again, secret, secret_len) == 0;
  printf("after: %s\n", same ? "the same" : "DIFFERENT");
  return same ? 0 : 1;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "seal") == 0) return seal(argv[2]);
  if (argc == 3 && strcmp(argv[1], "hold") == 0) return hold(argv[2]);
  if (argc == 4 && strcmp(argv[1], "forks") == 0) return forks(argv[2], atoi(argv[3]));
  if (argc >= 2 && strcmp(argv[1], "args") == 0) {
    for (int i = 0; i < argc; ++i) printf("argv[%d] = <%s>\n", i, argv[i]);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "read") == 0) {
    const long n = slurp(argv[2], secret, sizeof secret);
    if (n < 0) return fail("open", argv[2]);
    printf("read %ld bytes\n", n);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "open") == 0) {
    const int fd = open(argv[2], O_RDONLY);
    printf("open %s: %s\n", argv[2], fd >= 0 ? "ok" : strerror(errno));
    const char* pre = getenv("LD_PRELOAD");
    printf("LD_PRELOAD %s\n", pre ? pre : "(unset)");
    return 0;
  }
  fprintf(stderr, "usage: vault seal|read|hold FILE | open PATH | forks FILE N | args ...\n");
  return 2;
}
