// Process groups and sessions: the spawn test program's part for them
// (groups.c).
#pragma once

int groups_test(const char* self);
// `spawn child group SID`: argc and argv as main's.
int groups_child(int argc, char** argv);
int groups_lies(void);

// A wait status as a line (spawn.c).
void status_line(const char* what, int st);
int groups_kill_own(void);
// `spawn terminal READY` and `spawn outside READY`.
int groups_wait_signal(const char* ready, int sig, const char* what);
