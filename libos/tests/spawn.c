// Processes in the library OS (docs/libos.md "Processes"), run natively
// and inside by spawn_test.sh, which compares the two byte for byte: no
// pid is printed, only relations between them.
//   spawn            the parent's tests (below)
//   spawn child MODE ARGS...   what a spawned copy of itself does
//   spawn exec       execve of itself in this process (status 5)
//   spawn fork       fork: copies, pids, statuses, fork+execve
//   spawn forklies   one fork and wait, under a lying host
//   spawn forkthread fork from a second thread while the main one waits
//   spawn refuse PATH          posix_spawn of PATH (inside: not trusted)
//   spawn lies       one spawn and wait, under a lying host
//   spawn groups, grouplies, groupkill, terminal, outside   process groups and
//                    sessions (groups.c)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "groups.h"

static const char* self;

void status_line(const char* what, int st) {
  if (WIFEXITED(st))
    printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("%s: killed by signal %d\n", what, WTERMSIG(st));
  else
    printf("%s: status %#x\n", what, st);
}

// Reads everything from fd into buf (NUL-terminated).
static size_t slurp(int fd, char* buf, size_t cap) {
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r <= 0) break;
    n += (size_t)r;
  }
  buf[n] = 0;
  return n;
}

static int child(int argc, char** argv) {
  const char* mode = argv[2];
  if (strcmp(mode, "echo") == 0) {  // argv and an environment variable, pids
    printf("child argv:");
    for (int i = 3; i < argc; ++i) printf(" [%s]", argv[i]);
    const char* v = getenv("SPAWN_TEST");
    printf("\nchild SPAWN_TEST=%s\n", v ? v : "(unset)");
    if (argc > 3 && strcmp(argv[3], "one") == 0) printf("child pid %d\n", (int)getpid());
    fflush(stdout);
    return 0;
  }
  if (strcmp(mode, "ppid") == 0) {  // argv[3]: the parent's pid
    printf("child: getppid is the parent: %s\n", atoi(argv[3]) == (int)getppid() ? "yes" : "no");
    return 0;
  }
  if (strcmp(mode, "exit") == 0) return atoi(argv[3]);
  if (strcmp(mode, "group") == 0) return groups_child(argc, argv);
  if (strcmp(mode, "sigstate") == 0) {  // what execve kept: SIG_IGN and the mask; handlers back to SIG_DFL
    struct sigaction o;
    sigset_t m;
    sigaction(SIGHUP, NULL, &o);
    printf("child: SIGHUP ignored: %s\n", o.sa_handler == SIG_IGN ? "yes" : "no");
    sigaction(SIGUSR1, NULL, &o);
    printf("child: SIGUSR1 default: %s\n", o.sa_handler == SIG_DFL ? "yes" : "no");
    sigprocmask(SIG_BLOCK, NULL, &m);
    printf("child: SIGUSR2 blocked: %s, SIGTERM blocked: %s\n", sigismember(&m, SIGUSR2) ? "yes" : "no",
           sigismember(&m, SIGTERM) ? "yes" : "no");
    return 0;
  }
  if (strcmp(mode, "pause") == 0) {  // until a signal ends it (SIGALRM after 120 s: never left behind)
    alarm(120);
    for (;;) pause();
  }
  if (strcmp(mode, "block") == 0) {  // until stdin ends, then exit 3
    char b[64];
    while (read(0, b, sizeof b) > 0) {
    }
    return 3;
  }
  if (strcmp(mode, "fds") == 0) {  // argv[3]: inherited, argv[4]: O_CLOEXEC
    int keep = atoi(argv[3]), gone = atoi(argv[4]);
    const char msg[] = "written by the child through an inherited pipe\n";
    printf("child: fd without O_CLOEXEC open: %s\n", fcntl(keep, F_GETFD) >= 0 ? "yes" : "no");
    printf("child: fd with O_CLOEXEC closed: %s\n", fcntl(gone, F_GETFD) < 0 && errno == EBADF ? "yes" : "no");
    fflush(stdout);
    return write(keep, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1) ? 0 : 1;
  }
  if (strcmp(mode, "after-exec") == 0) {  // argv[3]: pid before, [4] inherited, [5] O_CLOEXEC
    printf("after execve: same pid: %s\n", atoi(argv[3]) == (int)getpid() ? "yes" : "no");
    printf("after execve: fd without O_CLOEXEC open: %s\n", fcntl(atoi(argv[4]), F_GETFD) >= 0 ? "yes" : "no");
    printf("after execve: fd with O_CLOEXEC closed: %s\n", fcntl(atoi(argv[5]), F_GETFD) < 0 ? "yes" : "no");
    dprintf(atoi(argv[4]), "after execve: written to the inherited descriptor\n");
    return 5;
  }
  return 99;
}

// fork's copy semantics: the child sees the parent's values as of the
// fork and changes only its own copies.
static int g_global = 1;

static int fork_test(void) {
  char buf[4096];
  int st, p[2];
  if (pipe(p) != 0) return 1;
  int* heap = malloc(sizeof *heap);
  if (heap == NULL) return 1;
  *heap = 10;
  volatile int on_stack = 100;
  g_global = 1;
  const pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork: %s\n", strerror(errno));
    return 2;
  }
  if (pid == 0) {
    close(p[0]);
    char msg[512];
    int n = snprintf(msg, sizeof msg, "fork child sees global %d heap %d stack %d\n", g_global, *heap, on_stack);
    g_global = 2;
    *heap = 20;
    on_stack = 200;
    n += snprintf(msg + n, sizeof msg - n, "fork child changed them to %d %d %d\n", g_global, *heap, on_stack);
    n += snprintf(msg + n, sizeof msg - n, "fork child's getppid is the parent: %s\n",
                  getppid() == parent ? "yes" : "no");
    n += snprintf(msg + n, sizeof msg - n, "child pid %d\n", (int)getpid());
    _exit(write(p[1], msg, (size_t)n) == n ? 9 : 1);
  }
  close(p[1]);
  slurp(p[0], buf, sizeof buf);
  close(p[0]);
  char expect[64];
  snprintf(expect, sizeof expect, "child pid %d\n", (int)pid);
  char* at = strstr(buf, "child pid ");
  printf("fork child's getpid is fork's answer: %s\n", at && strcmp(at, expect) == 0 ? "yes" : "no");
  if (at) *at = 0;
  printf("%s", buf);
  printf("waitpid returns the fork child: %s\n", waitpid(pid, &st, 0) == pid ? "yes" : "no");
  status_line("fork child", st);
  printf("the parent's own copies: global %d heap %d stack %d\n", g_global, *heap, on_stack);
  // The child prints on the stdout it shares with the parent.
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    printf("the fork child prints on its stdout\n");
    exit(0);  // flushes it
  }
  waitpid(pid, &st, 0);
  status_line("printing fork child", st);
  // fork then execve.
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    char* a[] = {(char*)self, "child", "echo", "forked", NULL};
    execve(self, a, environ);
    _exit(127);
  }
  waitpid(pid, &st, 0);
  status_line("fork+exec child", st);
  free(heap);
  return 0;
}

// fork from a thread that is not the main one: only it exists in the
// child, on its own stack (as Linux's fork).
static void* forking_thread(void* arg) {
  (void)arg;
  int p[2];
  if (pipe(p) != 0) return NULL;
  volatile int on_stack = 300;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char msg[128];
    int n = snprintf(msg, sizeof msg, "thread's fork child sees global %d stack %d\n", g_global, on_stack);
    _exit(write(p[1], msg, (size_t)n) == n ? 11 : 1);
  }
  close(p[1]);
  char buf[256];
  slurp(p[0], buf, sizeof buf);
  close(p[0]);
  printf("%s", buf);
  int st;
  waitpid(pid, &st, 0);
  status_line("thread's fork child", st);
  return NULL;
}

static pid_t spawn(posix_spawn_file_actions_t* fa, char* const* argv) {
  pid_t pid;
  fflush(stdout);  // what the parent printed comes before the child's lines, natively and inside
  int e = posix_spawn(&pid, self, fa, NULL, argv, environ);
  if (e != 0) {
    printf("posix_spawn: %s\n", strerror(e));
    exit(1);
  }
  return pid;
}

static int parent(void) {
  char buf[4096];
  int st;
  char pidbuf[16];
  // 1. posix_spawn with file actions: stdout to a pipe, the read end closed.
  int p[2];
  if (pipe(p) != 0) return 1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  posix_spawn_file_actions_addclose(&fa, p[1]);
  setenv("SPAWN_TEST", "passed along", 1);
  char* a1[] = {(char*)self, "child", "echo", "one", "two words", "", NULL};
  pid_t pid = spawn(&fa, a1);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  slurp(p[0], buf, sizeof buf);
  close(p[0]);
  char expect[64];
  snprintf(expect, sizeof expect, "child pid %d\n", (int)pid);
  char* at = strstr(buf, "child pid ");
  printf("spawned child's getpid is the pid posix_spawn gave: %s\n", at && strcmp(at, expect) == 0 ? "yes" : "no");
  if (at) *at = 0;
  printf("%s", buf);
  printf("waitpid returns the child: %s\n", waitpid(pid, &st, 0) == pid ? "yes" : "no");
  status_line("echo child", st);

  // 2. exit statuses, waitid's view of one.
  char* a2[] = {(char*)self, "child", "exit", "7", NULL};
  pid = spawn(NULL, a2);
  waitpid(pid, &st, 0);
  status_line("exit 7 child", st);
  char* a3[] = {(char*)self, "child", "exit", "0", NULL};
  pid = spawn(NULL, a3);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  printf("waitid: %d", waitid(P_PID, (id_t)pid, &si, WEXITED));
  printf(" signo %d code %s status %d pid matches %s\n", si.si_signo, si.si_code == CLD_EXITED ? "CLD_EXITED" : "?",
         si.si_status, si.si_pid == pid ? "yes" : "no");

  // 3. getppid in the child.
  snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
  char* a4[] = {(char*)self, "child", "ppid", pidbuf, NULL};
  pid = spawn(NULL, a4);
  waitpid(pid, &st, 0);
  status_line("ppid child", st);

  // 4. WNOHANG while the child blocks on its stdin (a pipe), then it ends.
  if (pipe(p) != 0) return 1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[0], 0);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  posix_spawn_file_actions_addclose(&fa, p[1]);
  char* a5[] = {(char*)self, "child", "block", NULL};
  pid = spawn(&fa, a5);
  posix_spawn_file_actions_destroy(&fa);
  close(p[0]);
  printf("WNOHANG while it runs: %d\n", (int)waitpid(pid, &st, WNOHANG));
  if (write(p[1], "x", 1) != 1) return 1;
  close(p[1]);
  printf("then waitpid returns it: %s\n", waitpid(pid, &st, 0) == pid ? "yes" : "no");
  status_line("block child", st);

  // 5. Killed: SIGKILL while it blocks.
  if (pipe(p) != 0) return 1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[0], 0);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  posix_spawn_file_actions_addclose(&fa, p[1]);
  pid = spawn(&fa, a5);
  posix_spawn_file_actions_destroy(&fa);
  close(p[0]);
  printf("kill: %d\n", kill(pid, SIGKILL));
  waitpid(pid, &st, 0);
  close(p[1]);
  status_line("killed child", st);
  printf("no child left: %s\n", waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD ? "ECHILD" : "?");

  // 6. vfork + execve: inherited descriptors (O_CLOEXEC honoured), argv, envp.
  int keep[2], gone[2];
  if (pipe(keep) != 0 || pipe2(gone, O_CLOEXEC) != 0) return 1;
  char k[16], g[16];
  snprintf(k, sizeof k, "%d", keep[1]);
  snprintf(g, sizeof g, "%d", gone[1]);
  char* a6[] = {(char*)self, "child", "fds", k, g, NULL};
  fflush(stdout);
  pid = vfork();
  if (pid == 0) {
    close(keep[0]);
    execve(self, a6, environ);
    _exit(127);
  }
  close(keep[1]);
  close(gone[1]);
  slurp(keep[0], buf, sizeof buf);
  printf("parent read: %s", buf);
  waitpid(pid, &st, 0);
  status_line("fds child", st);
  char* envp[] = {"SPAWN_TEST=from execve's envp", NULL};
  char* a7[] = {(char*)self, "child", "echo", "vforked", NULL};
  fflush(stdout);
  pid = vfork();
  if (pid == 0) {
    execve(self, a7, envp);
    _exit(127);
  }
  waitpid(pid, &st, 0);
  status_line("vforked echo child", st);

  // 7. A vfork child that exits without execve.
  pid = vfork();
  if (pid == 0) _exit(42);
  waitpid(pid, &st, 0);
  status_line("vfork child without execve", st);
  return 0;
}

// Signal handlers across posix_spawn and vfork: the child (glibc's
// posix_spawn child resets every handler before its execve; a vfork child
// here does so by hand) has its own table, the parent's survives; and the
// child's end sends the parent SIGCHLD.
static volatile sig_atomic_t g_usr1, g_chld;
static volatile int g_chld_code, g_chld_pid, g_chld_status;  // the first SIGCHLD's siginfo
static void on_usr1(int s) {
  (void)s;
  g_usr1 = 1;
}
static void on_chld(int s, siginfo_t* si, void* uc) {
  (void)s, (void)uc;
  if (!g_chld) g_chld_code = si->si_code, g_chld_pid = si->si_pid, g_chld_status = si->si_status;
  g_chld = 1;
}
static int handlers_test(void) {
  struct sigaction a, o;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_usr1;
  sigaction(SIGUSR1, &a, NULL);
  a.sa_sigaction = on_chld;
  a.sa_flags = SA_SIGINFO;
  sigaction(SIGCHLD, &a, NULL);
  a.sa_flags = 0;
  char* av[] = {(char*)self, "child", "exit", "4", NULL};
  pid_t pid = spawn(NULL, av);
  sigaction(SIGUSR1, NULL, &o);
  printf("after posix_spawn: SIGUSR1's handler kept: %s\n", o.sa_handler == on_usr1 ? "yes" : "no");
  sigaction(SIGCHLD, NULL, &o);
  printf("after posix_spawn: SIGCHLD's handler kept: %s\n", o.sa_sigaction == on_chld ? "yes" : "no");
  raise(SIGUSR1);
  printf("SIGUSR1 handled: %s\n", g_usr1 ? "yes" : "no");
  for (int i = 0; i < 6000 && !g_chld; ++i) usleep(10000);  // at most 60 s: a hang guard
  printf("SIGCHLD at the child's end: %s\n", g_chld ? "yes" : "no");
  printf("its siginfo: si_code %s, si_pid the child's: %s, si_status %d\n",
         g_chld_code == CLD_EXITED ? "CLD_EXITED" : "not CLD_EXITED", g_chld_pid == pid ? "yes" : "no", g_chld_status);
  int st;
  waitpid(pid, &st, 0);
  status_line("child", st);
  g_chld = 0;
  pid = vfork();
  if (pid == 0) {
    signal(SIGUSR1, SIG_DFL);
    _exit(5);
  }
  waitpid(pid, &st, 0);
  status_line("vfork child that reset SIGUSR1", st);
  for (int i = 0; i < 6000 && !g_chld; ++i) usleep(10000);  // at most 60 s: a hang guard
  printf("its SIGCHLD: %s, si_code %s, si_pid the child's: %s, si_status %d\n", g_chld ? "yes" : "no",
         g_chld_code == CLD_EXITED ? "CLD_EXITED" : "not CLD_EXITED", g_chld_pid == pid ? "yes" : "no", g_chld_status);
  sigaction(SIGUSR1, NULL, &o);
  printf("after it: SIGUSR1's handler kept: %s\n", o.sa_handler == on_usr1 ? "yes" : "no");
  g_usr1 = 0;
  raise(SIGUSR1);
  printf("SIGUSR1 handled again: %s\n", g_usr1 ? "yes" : "no");
  // What the new program keeps across execve: SIGHUP ignored and SIGUSR2
  // blocked; SIGUSR1's handler is SIG_DFL there.
  signal(SIGHUP, SIG_IGN);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m, NULL);
  char* as[] = {(char*)self, "child", "sigstate", NULL};
  pid = spawn(NULL, as);
  waitpid(pid, &st, 0);
  status_line("sigstate child", st);
  return 0;
}

// Scripts: posix_spawn of `#!` files (spawn_test.sh writes them), whose
// interpreter is this program (main's "shebang" mode prints what it got).
static int scripts_test(void) {
  const char* names[] = {"script1", "script2", "script3"};
  char* args[3][5] = {{"./script1", "a", "b c", NULL}, {"./script2", "d", NULL}, {"./script3", NULL}};
  for (int i = 0; i < 3; ++i) {
    char path[64];
    snprintf(path, sizeof path, "./%s", names[i]);
    fflush(stdout);
    pid_t pid;
    const int e = posix_spawn(&pid, path, NULL, NULL, args[i], environ);
    if (e != 0) {
      printf("%s: posix_spawn: %s\n", names[i], strerror(e));
      continue;
    }
    int st;
    waitpid(pid, &st, 0);
    char what[64];
    snprintf(what, sizeof what, "%s", names[i]);
    status_line(what, st);
  }
  return 0;
}

// Descriptors far above 64: a thousand open at once, and a child started
// with posix_spawn inheriting descriptor 1000 (and not 999, O_CLOEXEC).
static int many_fds(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 1;
  printf("RLIMIT_NOFILE at least 1024: %s\n", r.rlim_cur >= 1024 ? "yes" : "no");
  int p[2];
  if (pipe(p) != 0) return 1;
  int opened = 0, highest = 0;
  for (int i = 0; i < 990; ++i) {
    const int d = dup(p[0]);
    if (d < 0) break;
    ++opened;
    if (d > highest) highest = d;
  }
  printf("descriptors opened: %d, the highest above 990: %s\n", opened, highest > 990 ? "yes" : "no");
  fflush(stdout);
  if (dup2(p[1], 1000) != 1000 || dup3(p[1], 999, O_CLOEXEC) != 999) {
    printf("dup2 to 1000: %s\n", strerror(errno));
    return 1;
  }
  char* a[] = {(char*)self, "child", "fds", "1000", "999", NULL};
  pid_t pid;
  int e = posix_spawn(&pid, self, NULL, NULL, a, environ);
  if (e != 0) {
    printf("posix_spawn: %s\n", strerror(e));
    return 1;
  }
  close(p[1]);
  close(1000);
  close(999);
  char buf[128] = {0};
  ssize_t got = read(p[0], buf, sizeof buf - 1);
  printf("read from the pipe: %s", got > 0 ? buf : "nothing\n");
  int st;
  waitpid(pid, &st, 0);
  status_line("child with descriptor 1000", st);
  for (int d = p[0] + 1; d <= highest; ++d) close(d);
  return 0;
}

// Children reaped automatically (sigaction(2)): with SIGCHLD ignored, 70
// vfork children (more than the library OS's 64 child slots) and 3
// posix_spawn children leave no zombie, and wait fails with ECHILD; with
// SA_NOCLDWAIT and a handler, the handler still runs at a child's end and
// wait fails with ECHILD too.
static volatile sig_atomic_t g_nocld_calls;
static void on_nocld(int s) {
  (void)s;
  g_nocld_calls = g_nocld_calls + 1;
}
// Starts `self child exit 0` and waits for its stdout's end (the child has
// ended, or is ending), without wait.
static int spawn_and_see_end(void) {
  int p[2];
  if (pipe(p) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  char* av[] = {(char*)self, "child", "exit", "0", NULL};
  pid_t pid;
  fflush(stdout);
  const int e = posix_spawn(&pid, self, &fa, NULL, av, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  char b;
  while (e == 0 && read(p[0], &b, 1) > 0) {
  }
  close(p[0]);
  return e;
}
static int noreap_test(void) {
  signal(SIGCHLD, SIG_IGN);
  int vforked = 0, spawned = 0;
  for (int i = 0; i < 70; ++i) {
    pid_t pid = vfork();
    if (pid == 0) _exit(0);
    if (pid > 0) ++vforked;
  }
  for (int i = 0; i < 3; ++i)
    if (spawn_and_see_end() == 0) ++spawned;
  errno = 0;
  pid_t w = wait(NULL);
  printf("SIGCHLD ignored: %d vfork and %d posix_spawn children; wait: %s\n", vforked, spawned,
         w < 0 ? strerror(errno) : "a zombie");
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_nocld;
  a.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &a, NULL);
  spawned = spawn_and_see_end() == 0;
  for (int i = 0; i < 6000 && g_nocld_calls == 0; ++i) usleep(10000);  // at most 60 s: a hang guard
  errno = 0;
  w = wait(NULL);
  printf("SA_NOCLDWAIT: %d child, its SIGCHLD handled: %s; wait: %s\n", spawned, g_nocld_calls ? "yes" : "no",
         w < 0 ? strerror(errno) : "a zombie");
  return 0;
}

// A wait for a child, interrupted by signals from outside: SIGUSR1 (no
// SA_RESTART) ends it with EINTR once its handler ran; SIGUSR2
// (SA_RESTART) restarts it, and its handler ends the child, which the
// restarted wait then reports. READY tells the sender when to send.
static volatile sig_atomic_t g_usr1_hits, g_usr2_hits;
static pid_t g_paused;
static void on_wait_usr1(int s) {
  (void)s;
  g_usr1_hits = g_usr1_hits + 1;
}
static void on_wait_usr2(int s) {
  (void)s;
  g_usr2_hits = g_usr2_hits + 1;
  kill(g_paused, SIGTERM);
}
static void ready_file(const char* ready, const char* what) {
  FILE* f = fopen(ready, "w");
  if (f != NULL) {
    fputs(what, f);
    fclose(f);
  }
}
static int wait_signals(const char* ready) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_wait_usr1;
  sigaction(SIGUSR1, &a, NULL);
  a.sa_handler = on_wait_usr2;
  a.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &a, NULL);
  char* av[] = {(char*)self, "child", "pause", NULL};
  g_paused = spawn(NULL, av);
  int st = 0;
  ready_file(ready, "usr1\n");
  pid_t r = waitpid(g_paused, &st, 0);
  printf("waitpid across SIGUSR1 (no SA_RESTART): %s, its handler ran: %s\n", r < 0 ? strerror(errno) : "the child",
         g_usr1_hits > 0 ? "yes" : "no");  // sent until the wait ends: one may come before it
  signal(SIGUSR1, SIG_IGN);                // a late one of those sent until the wait ended: restarts nothing
  ready_file(ready, "usr2\n");
  r = waitpid(g_paused, &st, 0);
  printf("waitpid across SIGUSR2 (SA_RESTART): %s, its handler ran %d time(s)\n",
         r == g_paused ? "the child" : strerror(errno), (int)g_usr2_hits);
  status_line("the child", st);
  return 0;
}

int main(int argc, char** argv) {
  self = argv[0];
  if (argc == 3 && strcmp(argv[1], "waitsig") == 0) return wait_signals(argv[2]);
  if (argc == 2 && strcmp(argv[1], "noreap") == 0) return noreap_test();
  if (argc == 2 && strcmp(argv[1], "groups") == 0) return groups_test(self);
  if (argc == 2 && strcmp(argv[1], "grouplies") == 0) return groups_lies();
  if (argc == 2 && strcmp(argv[1], "groupkill") == 0) return groups_kill_own();
  if (argc == 3 && strcmp(argv[1], "terminal") == 0)
    return groups_wait_signal(argv[2], SIGINT, "the terminal's SIGINT");
  if (argc == 3 && strcmp(argv[1], "outside") == 0) return groups_wait_signal(argv[2], SIGTERM, "SIGTERM from outside");
  if (argc >= 3 && strcmp(argv[1], "child") == 0) return child(argc, argv);
  if (argc == 2 && strcmp(argv[1], "exec") == 0) {
    // execve in this process: same pid, fd 5 inherited, fd 6 (O_CLOEXEC) not.
    char pidbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
    if (dup2(1, 5) != 5 || dup3(1, 6, O_CLOEXEC) != 6) return 1;
    char* a[] = {(char*)self, "child", "after-exec", pidbuf, "5", "6", NULL};
    printf("before execve\n");
    fflush(stdout);
    execve(self, a, environ);
    printf("execve: %s\n", strerror(errno));
    return 1;
  }
  if (argc == 2 && strcmp(argv[1], "fork") == 0) return fork_test();
  if (argc == 2 && strcmp(argv[1], "manyfds") == 0) return many_fds();
  if (argc == 2 && strcmp(argv[1], "handlers") == 0) return handlers_test();
  if (argc == 2 && strcmp(argv[1], "scripts") == 0) return scripts_test();
  if (argc >= 2 && strcmp(argv[1], "shebang") == 0) {  // started as a script's interpreter
    printf("shebang argv:");
    for (int i = 1; i < argc; ++i) printf(" [%s]", argv[i]);
    printf("\n");
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    printf("shebang: /proc/self/exe names the interpreter: %s\n", strcmp(exe, argv[0]) == 0 ? "yes" : exe);
    return 6;
  }
  if (argc == 2 && strcmp(argv[1], "forkthread") == 0) {
    g_global = 5;
    pthread_t t;
    if (pthread_create(&t, NULL, forking_thread, NULL) != 0) return 1;
    pthread_join(t, NULL);
    printf("the main thread goes on\n");
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "forklies") == 0) {  // under a lying host (spawn_test.sh)
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      printf("fork: %s\n", strerror(errno));
    } else if (pid == 0) {
      _exit(8);
    } else {
      int st = 0;
      waitpid(pid, &st, 0);
      status_line("fork child", st);
    }
    printf("the program goes on\n");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "refuse") == 0) {
    pid_t pid;
    char* a[] = {argv[2], "child", "exit", "0", NULL};
    int e = posix_spawn(&pid, argv[2], NULL, NULL, a, environ);
    printf("posix_spawn %s: %s\n", argv[2], e ? strerror(e) : "started");
    if (e == 0) waitpid(pid, NULL, 0);
    return e ? 3 : 0;
  }
  if (argc == 2 && strcmp(argv[1], "lies") == 0) {  // under a lying host (spawn_test.sh)
    pid_t pid;
    char* a[] = {(char*)self, "child", "exit", "6", NULL};
    int e = posix_spawn(&pid, self, NULL, NULL, a, environ);
    printf("posix_spawn: %s\n", e ? strerror(e) : "started");
    if (e == 0) {
      int st = 0;
      if (waitpid(pid, &st, 0) < 0)
        printf("waitpid: %s\n", strerror(errno));
      else
        status_line("child", st);
    }
    printf("the program goes on\n");
    return 0;
  }
  return parent();
}
