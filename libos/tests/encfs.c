/* Encrypted files inside the library OS (encfs_test.sh): a static-PIE
 * program that writes and reads a file with the ordinary calls. Run
 * natively on a plain file and inside on an encrypted one, its output is
 * the same; the test checks what the host holds.
 *   encfs write PATH         O_CREAT|O_TRUNC, write/pwrite/lseek/ftruncate/
 *                            O_APPEND/fstat/fsync, then read back
 *   encfs read PATH          prints the size, a hash and the first line
 *   encfs rollback PATH RAW  writes PATH twice, putting the first version's
 *                            host bytes back through RAW (the same host file
 *                            by another name) in between, then reads PATH
 *   encfs exec PATH          PATH written to, then given to an execve'd
 *                            encfs as stdin (at offset 17) and as
 *                            descriptor 5 (O_APPEND): what it reads
 *   encfs paths PATH         the path calls on PATH (which must not exist):
 *                            stat's size (closed and open), access, unlink
 *                            (closed and open), a new file of the same name
 *                            after each unlink; its directory's stat
 *   encfs rename DIR         rename within DIR (an existing directory): to a
 *                            new name, over an existing file, refused by
 *                            RENAME_NOREPLACE, a missing source; reads back
 *   encfs rename-to FROM TO  rename(FROM, TO)'s answer */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char content[16384];
static size_t content_len;

static int fail(const char* what, const char* path) {
  printf("%s %s: %s\n", what, path, strerror(errno));
  return 1;
}

/* About 10 KiB of recognisable text: three 4 KiB chunks. */
static void make_content(const char* tag) {
  content_len = 0;
  for (int i = 0; content_len < 10000; ++i)
    content_len +=
        (size_t)snprintf(content + content_len, sizeof content - content_len, "secret line %d of %s\n", i, tag);
}

static unsigned long fnv(const char* p, size_t n) {
  unsigned long h = 1469598103934665603UL;
  for (size_t i = 0; i < n; ++i) h = (h ^ (unsigned char)p[i]) * 1099511628211UL;
  return h;
}

static int write_file(const char* path, const char* tag) {
  make_content(tag);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return fail("open", path);
  /* The first half with write, then 100 bytes of junk past it, cut again. */
  const size_t half = content_len / 2;
  if (write(fd, content, half) != (ssize_t)half) return fail("write", path);
  if (pwrite(fd, "junk", 4, (off_t)content_len + 100) != 4) return fail("pwrite", path);
  if (ftruncate(fd, (off_t)half) != 0) return fail("ftruncate", path);
  if (lseek(fd, 0, SEEK_END) != (off_t)half) return fail("lseek", path);
  if (fsync(fd) != 0) return fail("fsync", path);
  if (close(fd) != 0) return fail("close", path);
  /* The rest appended, its first byte overwritten by pwrite at its place. */
  fd = open(path, O_WRONLY | O_APPEND);
  if (fd < 0) return fail("open", path);
  /* Its status flags (glibc's fdopen asks them) and readiness, as a
   * regular file's: F_SETFL changes O_APPEND. */
  if ((fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND)) != (O_WRONLY | O_APPEND)) return fail("F_GETFL", path);
  if (fcntl(fd, F_SETFL, 0) != 0 || (fcntl(fd, F_GETFL) & O_APPEND) != 0) return fail("F_SETFL", path);
  if (fcntl(fd, F_SETFL, O_APPEND) != 0 || (fcntl(fd, F_GETFL) & O_APPEND) == 0) return fail("F_SETFL", path);
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  if (poll(&p, 1, 2000) != 1 || p.revents != (POLLIN | POLLOUT)) return fail("poll", path);
  if (write(fd, "X", 1) != 1) return fail("write", path);
  if (write(fd, content + half + 1, content_len - half - 1) != (ssize_t)(content_len - half - 1))
    return fail("write", path);
  if (close(fd) != 0) return fail("close", path);
  fd = open(path, O_RDWR);
  if (fd < 0) return fail("open", path);
  if (pwrite(fd, content + half, 1, (off_t)half) != 1) return fail("pwrite", path);
  /* Read back through a dup of it, the original closed first: one open
   * file, which lives until its last descriptor is closed. */
  const int d = dup(fd);
  if (d < 0) return fail("dup", path);
  if (close(fd) != 0) return fail("close", path);
  struct stat st;
  if (fstat(d, &st) != 0) return fail("fstat", path);
  char back[sizeof content];
  if (pread(d, back, sizeof back, 0) != (ssize_t)content_len) return fail("pread", path);
  if (close(d) != 0) return fail("close", path);
  printf("wrote %zu bytes, size %lld, %s\n", content_len, (long long)st.st_size,
         memcmp(back, content, content_len) == 0 ? "read back the same" : "READ BACK DIFFERENT");
  return 0;
}

static int read_file(const char* path) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) return fail("open", path);
  char buf[sizeof content];
  size_t got = 0;
  for (;;) {
    const ssize_t r = read(fd, buf + got, got + 1000 < sizeof buf ? 1000 : sizeof buf - got);
    if (r < 0) return fail("read", path);
    if (r == 0) break;
    got += (size_t)r;
  }
  close(fd);
  const char* nl = memchr(buf, '\n', got);
  printf("read %zu bytes, fnv %016lx, first line: %.*s\n", got, fnv(buf, got), nl ? (int)(nl - buf) : 0, buf);
  return 0;
}

static int rollback(const char* path, const char* raw) {
  if (write_file(path, "version one") != 0) return 1;
  /* The host's bytes of version one, as a host would keep them. */
  static char old[65536];
  int fd = open(raw, O_RDONLY);
  if (fd < 0) return fail("open", raw);
  const ssize_t n = read(fd, old, sizeof old);
  if (n <= 0) return fail("read", raw);
  close(fd);
  if (write_file(path, "version two") != 0) return 1;
  fd = open(raw, O_WRONLY | O_TRUNC);
  if (fd < 0) return fail("open", raw);
  if (write(fd, old, (size_t)n) != n) return fail("write", raw);
  close(fd);
  return read_file(path);
}

/* What stat(2) and access(2) say of `path`, as one line (no path in it:
 * natively and inside, the files live in different directories). */
static void say_stat(const char* what, const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    printf("%s: stat: %s\n", what, strerror(errno));
    return;
  }
  /* Not st_blocks: the host file system's allocation natively. */
  printf("%s: stat: %s, size %lld; access R|W %d, X %d\n", what,
         S_ISREG(st.st_mode)   ? "file"
         : S_ISDIR(st.st_mode) ? "directory"
                               : "other",
         S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL, access(path, R_OK | W_OK), access(path, X_OK));
}

static int paths(const char* path) {
  say_stat("before", path);
  if (write_file(path, "paths") != 0) return 1;
  say_stat("written", path);
  /* Open: the size comes from the open file. */
  int fd = open(path, O_RDWR);
  if (fd < 0) return fail("open", path);
  if (pwrite(fd, "more", 4, (off_t)content_len) != 4) return fail("pwrite", path);
  say_stat("open, 4 bytes more", path);
  close(fd);
  say_stat("closed", path);
  /* Its times are the host file's: set (whole seconds), one omitted, and
   * touched through a descriptor (futimens). */
  const struct timespec when[2] = {{1000000000, 0}, {1100000000, 0}};
  const struct timespec omit[2] = {{0, UTIME_OMIT}, {1200000000, 0}};
  struct stat ts;
  if (utimensat(AT_FDCWD, path, when, 0) != 0 || stat(path, &ts) != 0) return fail("utimensat", path);
  printf("times set: atime %lld mtime %lld\n", (long long)ts.st_atime, (long long)ts.st_mtime);
  if (utimensat(AT_FDCWD, path, omit, 0) != 0 || stat(path, &ts) != 0) return fail("utimensat", path);
  /* (Not the atime: the library OS reads a closed protected file for its
   * size, which may touch the host's atime.) */
  printf("atime omitted: mtime %lld\n", (long long)ts.st_mtime);
  fd = open(path, O_RDONLY);
  if (fd < 0 || futimens(fd, NULL) != 0 || fstat(fd, &ts) != 0) return fail("futimens", path);
  printf("touched now: %d\n", ts.st_mtime > 1200000000);
  close(fd);
  /* Unlinked, then made again: a new, empty file (not a rolled-back one). */
  if (unlink(path) != 0) return fail("unlink", path);
  say_stat("unlinked", path);
  if (unlink(path) == 0 || errno != ENOENT) return fail("unlink again", path);
  fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return fail("open anew", path);
  if (write(fd, "fresh\n", 6) != 6) return fail("write", path);
  if (close(fd) != 0) return fail("close", path);
  say_stat("anew", path);
  if (read_file(path) != 0) return 1;
  /* Unlinked while open: the descriptor keeps the removed file; a create
   * of the name is a new file, and the old one's close changes nothing. */
  fd = open(path, O_RDWR);
  if (fd < 0) return fail("open", path);
  if (unlink(path) != 0) return fail("unlink (open)", path);
  say_stat("unlinked while open", path);
  if (lseek(fd, 0, SEEK_END) != 6) return fail("lseek (unlinked)", path);
  if (write(fd, "gone\n", 5) != 5) return fail("write (unlinked)", path);
  char back[16] = "";
  if (pread(fd, back, sizeof back - 1, 0) != 11) return fail("pread (unlinked)", path);
  printf("the unlinked file reads: %s", back);
  const int fd2 = open(path, O_RDWR | O_CREAT, 0600);
  if (fd2 < 0) return fail("open (created while the old one is open)", path);
  if (write(fd2, "third\n", 6) != 6) return fail("write", path);
  if (close(fd) != 0) return fail("close (unlinked)", path);
  if (close(fd2) != 0) return fail("close", path);
  say_stat("third", path);
  if (read_file(path) != 0) return 1;
  if (unlink(path) != 0) return fail("unlink", path);
  /* Its directory: the host's, a directory. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char* slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) *slash = 0;
  say_stat("directory", dir);
  /* A directory made below it (the host's), entered, a file made there by
   * a relative path and read back by its absolute one; a second mkdir
   * EEXIST. */
  char sub[4200], file[4300];
  snprintf(sub, sizeof sub, "%s/made", dir);
  if (mkdir(sub, 0700) != 0) return fail("mkdir", sub);
  if (mkdir(sub, 0700) == 0 || errno != EEXIST) return fail("mkdir again", sub);
  char was[4096];
  if (getcwd(was, sizeof was) == NULL) return fail("getcwd", dir);
  if (chdir(sub) != 0) return fail("chdir", sub);
  if (write_file("in-made", "a file in a made directory") != 0) return 1;
  if (chdir(was) != 0) return fail("chdir back", was);
  snprintf(file, sizeof file, "%s/in-made", sub);
  if (read_file(file) != 0) return 1;
  if (unlink(file) != 0) return fail("unlink", file);
  return 0;
}

/* Carried across execve: PATH written to (not closed: the new program
 * must read what was written), then as stdin at offset 17, and again at
 * descriptor 5 with O_APPEND. */
static int exec_with(const char* self, const char* path) {
  const int w = open(path, O_RDWR);
  if (w < 0) return fail("open", path);
  if (lseek(w, 0, SEEK_END) < 0 || write(w, "tail line\n", 10) != 10) return fail("write", path);
  const int in = open(path, O_RDONLY);
  if (in < 0 || lseek(in, 17, SEEK_SET) != 17 || dup2(in, 0) != 0) return fail("stdin", path);
  const int a = open(path, O_WRONLY | O_APPEND);
  if (a < 0 || dup2(a, 5) != 5) return fail("descriptor 5", path);
  execl(self, self, "stdin", (char*)NULL);
  return fail("execl", self);
}

/* The execve'd side: what stdin reads from where it stands, and
 * descriptor 5's flags. */
static int from_stdin(void) {
  char buf[sizeof content];
  size_t got = 0;
  for (;;) {
    const ssize_t r = read(0, buf + got, sizeof buf - got);
    if (r < 0) return fail("read", "stdin");
    if (r == 0) break;
    got += (size_t)r;
  }
  const int fl = fcntl(5, F_GETFL);
  printf("stdin read %zu bytes, fnv %016lx; descriptor 5 %s\n", got, fnv(buf, got),
         fl < 0                                                   ? strerror(errno)
         : (fl & (O_ACCMODE | O_APPEND)) == (O_WRONLY | O_APPEND) ? "write-only, append"
                                                                  : "?");
  return 0;
}

static void say_rename(const char* what, int r) { printf("%s: %s\n", what, r == 0 ? "ok" : strerror(errno)); }

static int renames(const char* dir) {
  char r1[4096], r2[4096], r3[4096], r4[4096];
  snprintf(r1, sizeof r1, "%s/r1", dir);
  snprintf(r2, sizeof r2, "%s/r2", dir);
  snprintf(r3, sizeof r3, "%s/r3", dir);
  snprintf(r4, sizeof r4, "%s/r4", dir);
  if (write_file(r1, "renamed") != 0) return 1;
  say_rename("rename to a new name", rename(r1, r2));
  printf("the old name: %s\n", access(r1, F_OK) == 0 ? "still there" : strerror(errno));
  if (read_file(r2) != 0) return 1;
  if (write_file(r3, "replaced") != 0) return 1;
  const int held = open(r3, O_RDONLY); /* the replaced file stays this descriptor's */
  say_rename("rename over an existing file", rename(r2, r3));
  if (read_file(r3) != 0) return 1;
  char head[32] = {0};
  printf("the replaced file, through a descriptor open before: %s\n",
         held >= 0 && read(held, head, 20) == 20 ? head : strerror(errno));
  close(held);
  if (write_file(r4, "kept") != 0) return 1;
  say_rename("RENAME_NOREPLACE over an existing file", renameat2(AT_FDCWD, r3, AT_FDCWD, r4, RENAME_NOREPLACE));
  say_rename("a missing source", rename(r1, r2));
  if (read_file(r4) != 0) return 1;
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "exec") == 0) return exec_with(argv[0], argv[2]);
  if (argc == 2 && strcmp(argv[1], "stdin") == 0) return from_stdin();
  if (argc == 3 && strcmp(argv[1], "write") == 0) return write_file(argv[2], "the encrypted file");
  if (argc == 3 && strcmp(argv[1], "read") == 0) return read_file(argv[2]);
  if (argc == 4 && strcmp(argv[1], "rollback") == 0) return rollback(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "paths") == 0) return paths(argv[2]);
  if (argc == 3 && strcmp(argv[1], "rename") == 0) return renames(argv[2]);
  if (argc == 4 && strcmp(argv[1], "rename-to") == 0) {
    say_rename("rename", rename(argv[2], argv[3]));
    return 0;
  }
  fprintf(stderr, "usage: encfs write|read|paths|exec PATH | rename DIR | rename-to FROM TO | rollback PATH RAW\n");
  return 2;
}
