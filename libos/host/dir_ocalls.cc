// The host's side of the library OS's path calls that the POSIX layer
// does not have (libos.edl): directory listings — what the enclave lists
// inside an allowed or encrypted path —, chmod, symlink and statfs by
// path.
// Untrusted, as every host answer: the enclave checks each record.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "libos_u.h"

extern "C" int64_t libos_list_directory_ocall(const char* path, int64_t cookie, uint8_t* buf, uint64_t cap) {
  DIR* d = opendir(path);
  if (d == nullptr) return -errno;
  if (cookie != 0) seekdir(d, static_cast<long>(cookie));
  uint64_t used = 0;
  int64_t answer = 0;
  errno = 0;
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    const uint64_t n = std::strlen(e->d_name) + 1;
    if (cap - used < 17 + n) {
      if (used == 0) answer = -ERANGE;
      break;
    }
    const uint64_t ino = e->d_ino;
    const auto next = static_cast<uint64_t>(telldir(d));  // the position after this entry
    std::memcpy(buf + used, &ino, 8);
    std::memcpy(buf + used + 8, &next, 8);
    buf[used + 16] = e->d_type;
    std::memcpy(buf + used + 17, e->d_name, n);
    used += 17 + n;
    errno = 0;
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

extern "C" int64_t libos_statfs_ocall(const char* path, uint8_t* out, uint64_t n) {
  struct statfs st {};
  if (n != sizeof st) return -EINVAL;
  if (statfs(path, &st) != 0) return -errno;
  std::memcpy(out, &st, sizeof st);
  return 0;
}
