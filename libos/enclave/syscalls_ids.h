// The program's users and groups (docs/libos.md, "Users and groups"): one
// user inside, root — getuid and the rest answer 0, as the auxiliary
// vector's AT_UID and AT_GID say. Setting an id to what it is (0, or -1:
// unchanged) succeeds, as Linux's for root; any other id is EPERM, logged
// with --trace: the library OS keeps no second identity, and answering 0
// would let a program believe it dropped a privilege it still has.
// GNU make, for one, sets its ids to its own (setresuid) before it runs a
// recipe.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

// `nr` one of getresuid, getresgid, setuid, setgid, setreuid, setregid,
// setresuid, setresgid, setfsuid, setfsgid, getgroups, setgroups, with
// the system call's arguments; true with the answer in `r` if it is one.
bool identity_call(long nr, uint64_t a0, uint64_t a1, uint64_t a2, long& r);

}  // namespace nsgx::libos
