// The character devices the library OS provides itself (docs/libos.md,
// "Devices"): /dev/null, /dev/zero, /dev/full, /dev/random and
// /dev/urandom, Linux's memory devices (major 1, drivers/char/mem.c and
// random.c; devices.txt). They are answered inside, whatever the host or
// the manifest holds at those paths: what a program writes to /dev/null
// never reaches the host, and its random bytes come from the enclave's
// RDRAND (as getrandom's), never from the host's /dev/urandom, which an
// untrusted host could make predictable.
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include <string>

namespace nsgx::libos {

enum class Device : uint8_t { kNull, kZero, kFull, kRandom, kUrandom };
constexpr uint8_t kDeviceCount = 5;

// st_dev of everything the library OS synthesises (these devices, the
// directories leading to the manifest's files, trusted files' copies):
// one device of its own ("nsgx"), never a host's.
constexpr dev_t kLibosDev = 0x6e736778;

// The device at absolute, normal path `path`, if it names one.
bool device_at(const std::string& path, Device& out);
// A device from its number in a spawn request or a fork checkpoint.
bool device_from(uint8_t v, Device& out);

// Its inode number on kLibosDev: bit 62 and the minor (trusted files are
// numbered from 1, directories have bit 63: syscalls_path.cc).
uint64_t device_ino(Device d);
// stat/fstat: a character device, mode 0666, root's, st_rdev 1:minor.
void device_stat(Device d, struct stat& st);
// read/pread into the program's buffer (checked by the caller): null
// answers end of file, zero and full zeros, random and urandom bytes from
// RDRAND (Linux's /dev/random no longer blocks once the pool is ready).
// The count or -errno.
long device_read(Device d, void* buf, uint64_t n);
// poll's readiness: the memory devices have no poll (Linux's
// DEFAULT_POLLMASK: POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM); random's is
// readable only (random.c's random_poll, its pool ready); urandom has none.
int16_t device_poll_mask(Device d);
// write/pwrite: every byte taken (and dropped; random's input does not
// mix into RDRAND), except full: ENOSPC.
long device_write(Device d, uint64_t n);

}  // namespace nsgx::libos
