// Readiness (docs/libos.md, "Descriptors, pipes, sockets and readiness"):
// poll/ppoll, select/pselect6 (on poll) and epoll. The host waits; the
// enclave decides what the program sees. For epoll the enclave keeps every
// registration (descriptor, events, the program's epoll_data) and gives
// the host only a key of its own: an answer with a key this epoll instance
// never registered, more events than asked, or a key twice is refused
// (EIO); events are masked to what was registered (plus ERR and HUP), so a
// host can neither make the program follow a pointer it chose nor report
// readiness the program did not ask for.
#pragma once

#include <stdint.h>

#include "libos/enclave/file_table.h"

namespace nsgx::libos {

// Descriptor `fd` (whose entry is `f`) is closing: its registrations in
// every epoll instance go (the host's too, before its descriptor closes);
// if `f` is an epoll instance, its reference goes.
void epoll_forget(int fd, Fd& f);
// `copy` is a new descriptor for f's epoll instance (dup): one more reference.
void epoll_share(Fd& copy);

// The signal masks of ppoll, pselect6 and epoll_pwait(2) are the thread's
// for the wait (signals.h, signals_wait_mask); none of these waits is
// restarted after a handler (signal(7)).
long sys_poll(uint64_t fds, uint64_t nfds, int64_t timeout_ms);
long sys_ppoll(uint64_t fds, uint64_t nfds, uint64_t timeout, uint64_t sigmask, uint64_t sigsize);
long sys_select(uint64_t nfds, uint64_t rd, uint64_t wr, uint64_t ex, uint64_t timeout, bool timespec, uint64_t sigarg);
long sys_epoll_create1(uint64_t flags);
long sys_epoll_ctl(int64_t epfd, uint64_t op, int64_t fd, uint64_t event);
// `timeout` in ms, or (`timespec`: epoll_pwait2) the address of a struct
// timespec, none if 0.
long sys_epoll_wait(int64_t epfd, uint64_t events, int64_t maxevents, int64_t timeout, bool timespec, uint64_t sigmask,
                    uint64_t sigsize);

}  // namespace nsgx::libos
