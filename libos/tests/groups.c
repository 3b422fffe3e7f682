// Process groups and sessions (docs/libos.md "Process groups and
// sessions"), part of the spawn test program (spawn.c): run natively and
// inside by spawn_test.sh, which compares the two byte for byte. No id is
// printed, only relations between ids and errors.
//   spawn groups              the tests below
//   spawn child group SID     a spawned copy: its group and session
//                             against its pid and SID (its parent's
//                             session), then it waits for a signal
//   spawn grouplies           getpgid, getsid and setsid under a lying host
//   spawn groupkill           kill(0) in the group it was started in
//   spawn terminal READY      a SIGINT from its terminal (^C) once it has
//                             created the file READY
//   spawn outside READY       the same for a SIGTERM sent from outside
#define _GNU_SOURCE
#include "groups.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* yes(int c) { return c ? "yes" : "no"; }

int groups_child(int argc, char** argv) {
  if (argc != 4) return 99;
  const pid_t me = getpid(), sid = (pid_t)atoi(argv[3]);
  printf("child: leads its group: %s, leads a session: %s, in its parent's session: %s\n",
         yes(getpgrp() == me && getpgid(0) == me), yes(getsid(0) == me), yes(getsid(0) == sid));
  fflush(stdout);
  for (;;) pause();  // until a signal ends it
}

// Starts `self child group SID` with `flags` (pgroup 0) on a pipe for its
// stdout, and reads its line. posix_spawn's error, or 0 and *pid.
static int start(const char* self, short flags, pid_t* pid) {
  int out[2];
  if (pipe(out) != 0) return errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, flags);
  posix_spawnattr_setpgroup(&at, 0);
  char sid[16];
  snprintf(sid, sizeof sid, "%d", (int)getsid(0));
  char* av[] = {(char*)self, "child", "group", sid, NULL};
  fflush(stdout);
  const int e = posix_spawn(pid, self, &fa, &at, av, environ);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (e != 0) {
    close(out[0]);
    return e;
  }
  char line[256];
  ssize_t n = read(out[0], line, sizeof line - 1);  // one line, written and flushed at once
  line[n > 0 ? n : 0] = 0;
  printf("%s", n > 0 ? line : "child: no line\n");
  close(out[0]);
  return 0;
}

static volatile sig_atomic_t g_usr1;
static void on_usr1(int s) {
  (void)s;
  g_usr1 = g_usr1 + 1;
}

static volatile sig_atomic_t g_alrm;
static void on_alrm(int s) {
  (void)s;
  g_alrm = g_alrm + 1;
}

// Waits up to `ms` for more signals, so that a second copy of one would
// be counted.
static void linger(int ms) {
  for (int i = 0; i < ms / 10; ++i) usleep(10000);
}

int groups_test(const char* self) {
  const pid_t me = getpid();
  // This process: the ids as each call names them.
  printf("getpgrp is getpgid(0) and getpgid(getpid()): %s\n",
         yes(getpgrp() > 0 && getpgrp() == getpgid(0) && getpgid(0) == getpgid(me)));
  printf("getsid(0) is getsid(getpid()): %s\n", yes(getsid(0) > 0 && getsid(0) == getsid(me)));
  errno = 0;
  printf("getpgid of no process: %s\n", getpgid((1 << 22) - 1) < 0 ? strerror(errno) : "an id");
  errno = 0;
  printf("setpgid to a negative group: %s\n", setpgid(0, -1) < 0 ? strerror(errno) : "done");

  // A new group led by this process, in the same session.
  const pid_t sid = getsid(0);
  printf("a group leader at the start: %s\n", yes(getpgrp() == me));
  printf("setpgid(0, 0): %s\n", setpgid(0, 0) == 0 ? "done" : strerror(errno));
  printf("now leads its group: %s, same session: %s\n", yes(getpgrp() == me), yes(getsid(0) == sid));
  errno = 0;
  printf("setsid as a group leader: %s\n", setsid() < 0 ? strerror(errno) : "done");

  // posix_spawn into a new group (POSIX_SPAWN_SETPGROUP, pgroup 0): the
  // child's group is its pid when posix_spawn returns; after its exec its
  // parent may no longer move it; kill(-pgid) and waitpid(-pgid) reach it.
  pid_t pid;
  int e = start(self, POSIX_SPAWN_SETPGROUP, &pid);
  if (e != 0) {
    printf("posix_spawn SETPGROUP: %s\n", strerror(e));
    return 1;
  }
  printf("the child's group is its pid: %s\n", yes(getpgid(pid) == pid));
  errno = 0;
  printf("setpgid of the child after its exec: %s\n", setpgid(pid, getpgrp()) < 0 ? strerror(errno) : "done");
  printf("kill(-its group, SIGTERM): %s\n", kill(-pid, SIGTERM) == 0 ? "sent" : strerror(errno));
  int st = 0;
  const pid_t w = waitpid(-pid, &st, 0);
  printf("waitpid(-its group) answers it: %s\n", yes(w == pid));
  status_line("SETPGROUP child", st);

  // posix_spawn into a new session (POSIX_SPAWN_SETSID).
  e = start(self, POSIX_SPAWN_SETSID, &pid);
  if (e != 0) {
    printf("posix_spawn SETSID: %s\n", strerror(e));
    return 1;
  }
  printf("the child's session is its pid: %s\n", yes(getsid(pid) == pid));
  kill(pid, SIGTERM);
  waitpid(pid, &st, 0);
  status_line("SETSID child", st);

  // Both: the child leads its session, which setpgid refuses (EPERM).
  e = start(self, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETPGROUP, &pid);
  printf("posix_spawn SETSID|SETPGROUP: %s\n", e != 0 ? strerror(e) : "started");
  if (e == 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }

  // kill(0): every process of this group — a child that stayed in it (and
  // dies of SIGUSR1) and this process, whose handler has run once when
  // kill returns. waitpid(0) answers the child.
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_usr1;
  sigaction(SIGUSR1, &a, NULL);
  e = start(self, 0, &pid);
  if (e != 0) {
    printf("posix_spawn: %s\n", strerror(e));
    return 1;
  }
  if (getpgrp() != me) {  // never the group this test was started in (its shell's)
    printf("not the leader of a group of its own: no kill(0)\n");
    return 1;
  }
  const int k = kill(0, SIGUSR1);
  const int handled = g_usr1;
  printf("kill(0, SIGUSR1): %s, handled before it returned: %s\n", k == 0 ? "sent" : strerror(errno),
         yes(handled == 1));
  const pid_t w0 = waitpid(0, &st, 0);
  printf("waitpid(0) answers the child in this group: %s\n", yes(w0 == pid));
  status_line("child in this group", st);
  printf("SIGUSR1 handled here: %d time(s)\n", (int)g_usr1);
  // A signal the host does not forward (SIGALRM), to this group: handled
  // here once, and the run goes on (the host's copy would end it).
  g_alrm = 0;
  a.sa_handler = on_alrm;
  sigaction(SIGALRM, &a, NULL);
  const int ka = kill(0, SIGALRM);
  linger(300);
  printf("kill(0, SIGALRM): %s, handled %d time(s)\n", ka == 0 ? "sent" : strerror(errno), (int)g_alrm);

  // A vfork child: setpgid(0, 0) makes it a group leader, whose setsid
  // fails (EPERM).
  int vp[2];
  if (pipe(vp) != 0) return 1;
  const pid_t v = vfork();
  if (v == 0) {
    int ve = 0;
    if (setpgid(0, 0) != 0)
      ve = -1;
    else if (setsid() < 0)
      ve = errno;
    (void)!write(vp[1], &ve, sizeof ve);
    _exit(0);
  }
  close(vp[1]);
  int ve = 0;
  if (v < 0 || read(vp[0], &ve, sizeof ve) != (ssize_t)sizeof ve) ve = -2;
  close(vp[0]);
  if (v > 0) waitpid(v, NULL, 0);
  printf("a vfork child's setsid after its setpgid(0, 0): %s\n", ve > 0    ? strerror(ve)
                                                                 : ve == 0 ? "done"
                                                                           : "no answer");

  errno = 0;
  printf("kill of a group with no process: %s\n", kill(-((1 << 22) - 1), 0) < 0 ? strerror(errno) : "sent");

  // daemon(3): fork, the parent exits, the child makes a new session. The
  // daemon reports through a pipe, whose end is its end.
  int p[2];
  if (pipe(p) != 0) return 1;
  fflush(stdout);
  const pid_t f = fork();
  if (f == 0) {
    close(p[0]);
    if (daemon(1, 1) != 0) {
      dprintf(p[1], "daemon: %s\n", strerror(errno));
      _exit(1);
    }
    const pid_t d = getpid();
    dprintf(p[1], "daemon: leads a new session: %s, leads its group: %s, another session than its parent's: %s\n",
            yes(getsid(0) == d), yes(getpgrp() == d), yes(getsid(0) != sid));
    _exit(0);
  }
  close(p[1]);
  if (f < 0) {
    printf("fork: %s\n", strerror(errno));
    return 1;
  }
  char line[256];
  size_t n = 0;
  for (ssize_t r; n < sizeof line - 1 && (r = read(p[0], line + n, sizeof line - 1 - n)) > 0;) n += (size_t)r;
  line[n] = 0;
  printf("%s", n > 0 ? line : "daemon: no line\n");
  close(p[0]);
  waitpid(f, &st, 0);
  status_line("daemon's parent", st);
  return 0;
}

int groups_kill_own(void) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_usr1;
  sigaction(SIGUSR1, &a, NULL);
  const int k = kill(0, SIGUSR1);
  linger(1000);
  printf("kill(0, SIGUSR1) in the group it started in: %s, handled %d time(s)\n", k == 0 ? "sent" : strerror(errno),
         (int)g_usr1);
  return 0;
}

static volatile sig_atomic_t g_caught;
static void on_caught(int s) {
  (void)s;
  g_caught = g_caught + 1;
}

// Counts `sig` once the file READY exists, until a second after the first.
int groups_wait_signal(const char* ready, int sig, const char* what) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = on_caught;
  sigaction(sig, &a, NULL);
  FILE* f = fopen(ready, "w");
  if (f == NULL) return 1;
  fclose(f);
  for (int i = 0; i < 3000 && g_caught == 0; ++i) usleep(10000);  // at most 30 s: a hang guard
  linger(1000);
  printf("%s: handled %d time(s)\n", what, (int)g_caught);
  return 0;
}

int groups_lies(void) {
  errno = 0;
  printf("getpgid: %s\n", getpgid(0) < 0 ? strerror(errno) : "an id");  // getpgrp sets no errno
  errno = 0;
  printf("getsid: %s\n", getsid(0) < 0 ? strerror(errno) : "an id");
  errno = 0;
  printf("setsid: %s\n", setsid() < 0 ? strerror(errno) : "an id");
  printf("the program goes on\n");
  return 0;
}
