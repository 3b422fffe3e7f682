#include "tools/nsgx/trusted_dirs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crypto/sha.h"

namespace nsgx::cli {
namespace {

namespace fs = std::filesystem;

Result<libos::Sha256> hash_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(path + ": cannot read the file to hash it: " + std::strerror(errno));
  crypto::Sha256 h;
  std::vector<std::uint8_t> buf(std::size_t{1} << 20);
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      return Error(path + ": cannot read the file to hash it: " + std::strerror(e));
    }
    if (n == 0) break;
    h.update(ByteSpan(buf.data(), static_cast<std::size_t>(n)));
  }
  close(fd);
  const auto d = h.finish();
  libos::Sha256 out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

}  // namespace

Result<std::vector<libos::TrustedFile>> list_trusted_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error("trusted directory " + dir + ": not a directory");
  std::vector<libos::TrustedFile> files;
  // Not following links to directories (the iterator's default); a link
  // to a file is listed: is_regular_file follows it.
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return Error("trusted directory " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Error("trusted directory " + dir + ": " + ec.message());
    std::error_code kind;
    if (!it->is_regular_file(kind)) {
      // Directories, links to them, sockets, pipes, devices, and links to
      // nothing are not files to trust; a file whose kind cannot be known
      // (a link into a directory the builder may not search) fails.
      if (kind && kind != std::errc::no_such_file_or_directory)
        return Error("trusted directory " + dir + ": " + it->path().string() + ": " + kind.message());
      continue;
    }
    // The path as the program names it: the directory's own, then the
    // names below it (lexically: no link resolved).
    const std::string path = dir + "/" + it->path().lexically_relative(dir).string();
    if (auto ok = libos::check_path(path); !ok) return ok.error().context("trusted directory " + dir);
    auto hash = hash_file(it->path().string());
    if (!hash) return hash.error();
    files.push_back({path, *hash});
  }
  if (ec) return Error("trusted directory " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(),
            [](const libos::TrustedFile& a, const libos::TrustedFile& b) { return a.path < b.path; });
  return files;
}

Result<std::map<std::string, Bytes>> list_trusted_dirs(libos::Manifest& m, const std::vector<std::string>& covered) {
  std::map<std::string, Bytes> listings;
  for (auto& d : m.trusted_dirs) {
    auto files = list_trusted_dir(d.path);
    if (!files) return files.error();
    for (const auto& c : covered) {
      if (!libos::path_within(c, d.path)) continue;
      const bool listed =
          std::binary_search(files->begin(), files->end(), libos::TrustedFile{c, {}},
                             [](const libos::TrustedFile& a, const libos::TrustedFile& b) { return a.path < b.path; });
      if (!listed)
        return Error(c + ": the program needs it and it lies in trusted directory " + d.path +
                     ", whose listing does not hold it (a link to a directory on the way is not followed)");
    }
    auto bytes = libos::encode_trusted_listing(d.path, std::move(*files));
    if (!bytes) return bytes.error();
    const auto digest = crypto::sha256(*bytes);
    std::copy(digest.begin(), digest.end(), d.sha256.begin());
    listings.emplace(d.path, std::move(*bytes));
  }
  return listings;
}

}  // namespace nsgx::cli
