// The host's side of the library OS's path calls that the POSIX layer
// does not have (libos.edl): directory listings — what the enclave lists
// inside an allowed or encrypted path —, chmod and symlink by path.
// Untrusted, as every host answer: the enclave checks each record.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "libos_u.h"

extern "C" int64_t libos_list_directory_ocall(const char* path, uint8_t* buf, uint64_t cap) {
  DIR* d = opendir(path);
  if (d == nullptr) return -errno;
  uint64_t used = 0;
  int64_t answer = 0;
  errno = 0;
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    const uint64_t n = std::strlen(e->d_name) + 1;
    if (cap - used < 9 + n) {
      answer = -ERANGE;
      break;
    }
    const uint64_t ino = e->d_ino;
    std::memcpy(buf + used, &ino, 8);
    buf[used + 8] = e->d_type;
    std::memcpy(buf + used + 9, e->d_name, n);
    used += 9 + n;
  }
  if (answer == 0) answer = errno != 0 ? -errno : static_cast<int64_t>(used);
  closedir(d);
  return answer;
}

extern "C" int64_t libos_chmod_ocall(const char* path, uint32_t mode) {
  return chmod(path, static_cast<mode_t>(mode)) == 0 ? 0 : -errno;
}

extern "C" int64_t libos_symlink_ocall(const char* target, const char* path) {
  return symlink(target, path) == 0 ? 0 : -errno;
}
