// Untrusted, as every host answer: the enclave checks the whole listing
// against the hash its measured manifest holds (libos_enclave.cc).
#include "libos/host/listing_ocalls.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "libos/manifest/manifest.h"
#include "libos_u.h"

namespace nsgx::libos_host {
namespace {
std::string g_dir = ".";  // the signed enclave's directory
}  // namespace

std::string listing_path(uint32_t index) { return g_dir + "/" + nsgx::libos::listing_file_name(index); }

void init_listings(const char* image) {
  const std::string s(image);
  const std::size_t slash = s.rfind('/');
  g_dir = slash == std::string::npos ? "." : slash == 0 ? "/" : s.substr(0, slash);
}

}  // namespace nsgx::libos_host

extern "C" int64_t libos_trusted_listing_ocall(uint32_t index, uint64_t offset, uint8_t* buf, uint64_t cap) {
  const std::string path = nsgx::libos_host::listing_path(index);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  uint64_t got = 0;
  int64_t answer = 0;
  while (got < cap) {
    const ssize_t n = pread(fd, buf + got, cap - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      answer = -errno;
      break;
    }
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
  }
  close(fd);
  return answer < 0 ? answer : static_cast<int64_t>(got);
}
