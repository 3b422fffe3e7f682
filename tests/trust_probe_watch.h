// trust_probe watch: an unprivileged user's attacker on its own processes
// while they run (libos/tests/unpriv_test.sh, the library OS's fork).
//
//   trust_probe watch UID STOP FLIP WHAT   (the secret to look for on stdin)
//
// Until the file STOP exists, over and over, every process of UID but the
// harness's probes (trust_probe: they hold the secret on purpose, and the
// file it came from on stdin, which they are handed too); WHAT is a
// comma-separated list of:
//   mem   every readable mapping, through /proc/PID/mem (the costly part:
//         at most a fifth of the time)
//   fds   every descriptor the process holds that the user can read
//         without taking anything from it: regular files and memory files
//         (opened again through /proc/PID/fd), pipes (tee(2): the bytes
//         stay in the pipe), sockets (pidfd_getfd, recv with MSG_PEEK)
//   flip  while the file FLIP exists: in each fork checkpoint on its way
//         (the library OS host's memory file "nsgx-libos-fork", libos/host/
//         spawn_ocalls.cc) that the parent has written whole and the child
//         still has more than 64 KiB of to read (the descriptor's position,
//         /proc/PID/fdinfo), the last byte flipped through the user's own
//         writable reopening of it — a byte the child has yet to read, so
//         the child must see the change
//   once  one pass only, STOP or not (a look at one moment the harness
//         chose, such as while a fork child runs)
// With fds or flip, each checkpoint is also read whole once it is written.
// Prints each find as "FOUND ...", each change as "flipped ...", and at the
// end a summary ("watch: ..."); exit 0 if the secret was found nowhere, 1
// if it was found, 2 on bad usage.
#pragma once

namespace nsgx::probe {

int watch(int argc, char** argv);

}  // namespace nsgx::probe
