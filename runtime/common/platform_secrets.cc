#include "runtime/common/platform_secrets.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "crypto/symmetric.h"

namespace nsgx::runtime {

namespace {
constexpr std::size_t kSize = sizeof(monitor::PlatformSecrets);
static_assert(kSize == 64);

Status make_dirs(const std::string& path) {
  std::string cur;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty() && mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
        return Error("cannot create " + cur + ": " + std::strerror(errno));
    }
    if (i < path.size()) cur += path[i];
  }
  return {};
}
}  // namespace

std::string default_state_dir() {
#if NSGX_ENV_OVERRIDES
  if (const char* d = std::getenv("NSGX_STATE_DIR"); d && *d) return d;
#endif
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x && x[0] == '/') return std::string(x) + "/nsgx";
  if (const char* h = std::getenv("HOME"); h && *h && h[0] == '/') return std::string(h) + "/.local/state/nsgx";
  // No /tmp fallback: another user could have made that directory first.
  // The home directory the password database names is the user's own.
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr && pw->pw_dir[0] == '/')
    return std::string(pw->pw_dir) + "/.local/state/nsgx";
  return {};
}

Result<monitor::PlatformSecrets> load_or_create_secrets(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir[0] != '/') return Error("no state directory (an absolute path is needed)");
  NSGX_RETURN_IF_ERROR(make_dirs(dir));
  // The directory must be this user's own and closed to others: a file in a
  // directory another user can write could be swapped under us.
  struct stat dst {};
  if (lstat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode) || dst.st_uid != geteuid() || (dst.st_mode & 022) != 0)
    return Error(dir + ": must be a directory owned by this user that others cannot write");
  const std::string path = dir + "/" + name;
  monitor::PlatformSecrets s;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != getuid()) {
      close(fd);
      return Error(path + ": must be a regular file owned by this user with mode 0600");
    }
    const ssize_t n = read(fd, &s, kSize);
    close(fd);
    if (n != static_cast<ssize_t>(kSize) || st.st_size != static_cast<off_t>(kSize))
      return Error(path + ": not a platform secrets file (" + std::to_string(kSize) + " bytes expected)");
    return s;
  }
  if (errno != ENOENT) return Error("cannot open " + path + ": " + std::strerror(errno));
  NSGX_RETURN_IF_ERROR(crypto::random_bytes(as_writable_bytes(s)));
  const std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(gettid());
  fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error("cannot create " + tmp + ": " + std::strerror(errno));
  const bool ok = write(fd, &s, kSize) == static_cast<ssize_t>(kSize) && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return Error("cannot write " + tmp);
  }
  // Linked into place, never renamed over: if two processes race on the
  // first start, exactly one file wins (the other gets EEXIST) and both
  // read back that one — a rename would let the second replace the secrets
  // the first had already started to use.
  const int linked = link(tmp.c_str(), path.c_str());
  const int err = errno;
  unlink(tmp.c_str());
  if (linked != 0 && err != EEXIST) return Error("cannot create " + path + ": " + std::strerror(err));
  return load_or_create_secrets(dir, name);
}

}  // namespace nsgx::runtime
