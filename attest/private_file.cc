#include "attest/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsgx::attest {

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

Status make_private_dirs(const std::string& path) {
  std::string cur;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if ((i == path.size() || path[i] == '/') && !cur.empty() && mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
      return Error("cannot create " + cur + ": " + errno_text());
    if (i < path.size()) cur += path[i];
  }
  return {};
}

Result<std::string> read_private(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Error("cannot open " + path + ": " + errno_text());
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != getuid() ||
      st.st_size > (1 << 20)) {
    close(fd);
    return Error(path + ": must be a regular file owned by this user with mode 0600");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  const ssize_t n = read(fd, out.data(), out.size());
  close(fd);
  if (n != st.st_size) return Error("cannot read " + path);
  return out;
}

Status write_private(const std::string& path, const std::string& data) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error("cannot create " + path + ": " + errno_text());
  const bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return Error("cannot write " + path);
  return {};
}

Status publish_private(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  unlink(tmp.c_str());
  if (Status w = write_private(tmp, data); !w) {
    unlink(tmp.c_str());
    return w;
  }
  // link(2), unlike rename(2), never replaces an existing file.
  const int rc = link(tmp.c_str(), path.c_str());
  const int err = errno;
  unlink(tmp.c_str());
  if (rc != 0) {
    errno = err;
    return Error("cannot create " + path + ": " + errno_text());
  }
  return {};
}

}  // namespace nsgx::attest
