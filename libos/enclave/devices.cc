// The library OS's own character devices (devices.h).
#include "libos/enclave/devices.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "libos/manifest/manifest.h"
#include "sgx_trts.h"

namespace nsgx::libos {
namespace {

// Minor numbers in the order of Device and of the manifest's paths
// (major 1: Linux's Documentation/admin-guide/devices.txt).
constexpr uint32_t kMinor[kDeviceCount] = {3, 5, 7, 8, 9};
static_assert(kLibosDevicePaths.size() == kDeviceCount, "one path per device");
static_assert(kLibosDevicePaths[static_cast<uint8_t>(Device::kNull)] == "/dev/null" &&
                  kLibosDevicePaths[static_cast<uint8_t>(Device::kUrandom)] == "/dev/urandom",
              "manifest.h's paths in the order of Device");
constexpr uint32_t kMemMajor = 1;

// Linux caps one read or write at MAX_RW_COUNT (INT_MAX rounded down to a
// page): a larger count is a short transfer, not an error.
constexpr uint64_t kMaxRw = 0x7ffff000;

// glibc's makedev (<sys/sysmacros.h>): the minor's low 8 bits, the major's
// low 12 above them, then the minor's and major's high bits.
constexpr dev_t dev_number(uint32_t major, uint32_t minor) {
  return (static_cast<dev_t>(minor) & 0xff) | ((static_cast<dev_t>(major) & 0xfff) << 8) |
         ((static_cast<dev_t>(minor) & ~dev_t{0xff}) << 12) | ((static_cast<dev_t>(major) & ~dev_t{0xfff}) << 32);
}
static_assert(dev_number(1, 3) == 0x103, "/dev/null is 1:3");

}  // namespace

bool device_at(const std::string& path, Device& out) {
  for (uint8_t i = 0; i < kDeviceCount; ++i) {
    if (path == kLibosDevicePaths[i]) {
      out = static_cast<Device>(i);
      return true;
    }
  }
  return false;
}

bool device_from(uint8_t v, Device& out) {
  if (v >= kDeviceCount) return false;
  out = static_cast<Device>(v);
  return true;
}

void device_stat(Device d, struct stat& st) {
  const uint32_t minor = kMinor[static_cast<uint8_t>(d)];
  memset(&st, 0, sizeof st);
  st.st_dev = kLibosDev;
  st.st_ino = device_ino(d);
  st.st_mode = S_IFCHR | 0666;
  st.st_nlink = 1;
  st.st_rdev = dev_number(kMemMajor, minor);
  st.st_blksize = 4096;
}

long device_read(Device d, void* buf, uint64_t n) {
  if (n > kMaxRw) n = kMaxRw;
  switch (d) {
    case Device::kNull:
      return 0;
    case Device::kZero:
    case Device::kFull:
      memset(buf, 0, n);
      return static_cast<long>(n);
    case Device::kRandom:
    case Device::kUrandom:
      if (sgx_read_rand(static_cast<unsigned char*>(buf), n) != SGX_SUCCESS) return -EIO;
      return static_cast<long>(n);
  }
  return -EINVAL;
}

uint64_t device_ino(Device d) { return (uint64_t{1} << 62) | kMinor[static_cast<uint8_t>(d)]; }

int16_t device_poll_mask(Device d) {
  if (d == Device::kRandom) return POLLIN | POLLRDNORM;
  return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

long device_write(Device d, uint64_t n) {
  if (d == Device::kFull) return -ENOSPC;
  return static_cast<long>(n > kMaxRw ? kMaxRw : n);
}

}  // namespace nsgx::libos
