// The request a new program's enclave starts from (spawn_request.h).
#include "libos/enclave/spawn_request.h"

#include <fcntl.h>
#include <string.h>

namespace nsgx::libos {
namespace {

constexpr uint32_t kMagic = 0x5250534e;  // "NSPR"
constexpr uint32_t kVersion = 3;
// SIGKILL (9) and SIGSTOP (19) can be neither ignored nor blocked.
constexpr uint64_t kUnblockable = (uint64_t{1} << 8) | (uint64_t{1} << 18);

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v));
  put32(b, static_cast<uint32_t>(v >> 32));
}
void put_string(std::vector<uint8_t>& b, const std::string& s) {
  put32(b, static_cast<uint32_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

// A cursor over the untrusted bytes: every read checks what is left.
struct Reader {
  const uint8_t* p;
  size_t left;
  bool u32(uint32_t& v) {
    if (left < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
    p += 4;
    left -= 4;
    return true;
  }
  bool u64(uint64_t& v) {
    uint32_t lo, hi;
    if (!u32(lo) || !u32(hi)) return false;
    v = lo | (static_cast<uint64_t>(hi) << 32);
    return true;
  }
  bool u8(uint8_t& v) {
    if (left < 1) return false;
    v = *p++;
    --left;
    return true;
  }
  bool string(std::string& s) {
    uint32_t n;
    if (!u32(n) || n > left || memchr(p, 0, n) != nullptr) return false;
    s.assign(reinterpret_cast<const char*>(p), n);
    p += n;
    left -= n;
    return true;
  }
  bool strings(std::vector<std::string>& v) {
    uint32_t n;
    if (!u32(n) || n > kMaxStrings || n > left / 4) return false;
    v.resize(n);
    for (auto& s : v)
      if (!string(s)) return false;
    return true;
  }
};

}  // namespace

std::vector<uint8_t> encode_request(const SpawnRequest& r) {
  std::vector<uint8_t> b;
  put32(b, kMagic);
  put32(b, kVersion);
  put32(b, static_cast<uint32_t>(r.pid));
  put32(b, static_cast<uint32_t>(r.ppid));
  put64(b, r.ignored);
  put64(b, r.blocked);
  put_string(b, r.path);
  put_string(b, r.cwd);
  for (const auto* v : {&r.argv, &r.envp}) {
    put32(b, static_cast<uint32_t>(v->size()));
    for (const auto& s : *v) put_string(b, s);
  }
  put32(b, static_cast<uint32_t>(r.fds.size()));
  for (const auto& f : r.fds) {
    put32(b, static_cast<uint32_t>(f.fd));
    b.push_back(static_cast<uint8_t>(f.kind));
    b.push_back(f.kind == FdKind::kDevice ? static_cast<uint8_t>(f.device) : static_cast<uint8_t>(f.stream));
    b.push_back(0);
    b.push_back(0);
    put32(b, static_cast<uint32_t>(f.domain));
    put64(b, f.offset);
    put32(b, f.flags);
    if (f.kind == FdKind::kEncrypted) put_string(b, f.path);
  }
  return b;
}

bool decode_request(const uint8_t* b, size_t len, SpawnRequest& out, std::string& why) {
  why = "the host's spawn request is malformed";
  if (len > kMaxRequest) return false;
  Reader r{b, len};
  uint32_t magic, version, pid, ppid, nfds;
  if (!r.u32(magic) || !r.u32(version) || magic != kMagic || version != kVersion) return false;
  if (!r.u32(pid) || !r.u32(ppid) || !r.u64(out.ignored) || !r.u64(out.blocked) || !r.string(out.path) ||
      !r.string(out.cwd) || !r.strings(out.argv) || !r.strings(out.envp))
    return false;
  if (((out.ignored | out.blocked) & kUnblockable) != 0) return false;
  out.pid = static_cast<int32_t>(pid);
  out.ppid = static_cast<int32_t>(ppid);
  if (out.pid < 0 || out.ppid < 0 || out.path.empty()) return false;
  if (!r.u32(nfds) || nfds > static_cast<uint32_t>(kMaxFds)) return false;
  bool seen[kMaxFds] = {};
  for (uint32_t i = 0; i < nfds; ++i) {
    uint32_t fd, domain, flags;
    uint8_t kind, stream, pad0, pad1;
    uint64_t offset;
    if (!r.u32(fd) || !r.u8(kind) || !r.u8(stream) || !r.u8(pad0) || !r.u8(pad1) || !r.u32(domain) || !r.u64(offset) ||
        !r.u32(flags))
      return false;
    if (fd >= static_cast<uint32_t>(kMaxFds) || seen[fd] || pad0 != 0 || pad1 != 0) return false;
    seen[fd] = true;
    InheritedFd f;
    f.fd = static_cast<int32_t>(fd);
    // Only what has a host descriptor and no state inside can be
    // inherited: stdio, allowed files (with their offset), pipes, eventfds
    // and sockets — never an epoll set (its registrations are inside) —
    // the library OS's devices, which have neither, and protected files,
    // which the new enclave opens anew by their path (encrypted_files.h
    // checks what it finds there as at any open).
    switch (kind) {
      case static_cast<uint8_t>(FdKind::kHostStdio):
      case static_cast<uint8_t>(FdKind::kHost):
      case static_cast<uint8_t>(FdKind::kStream):
      case static_cast<uint8_t>(FdKind::kDevice):
      case static_cast<uint8_t>(FdKind::kEncrypted):
        f.kind = static_cast<FdKind>(kind);
        break;
      default:
        return false;
    }
    constexpr uint32_t kDeviceFlags = O_ACCMODE | O_APPEND | O_NONBLOCK;
    if (f.kind == FdKind::kDevice) {
      if (!device_from(stream, f.device) || (flags & ~kDeviceFlags) != 0 || domain != 0 || offset != 0) return false;
      f.flags = flags;
    } else if (f.kind == FdKind::kEncrypted) {
      // An absolute, normal path (no "..": the manifest's prefix match must
      // mean what the host will open).
      if ((flags & ~static_cast<uint32_t>(O_ACCMODE | O_APPEND)) != 0 || domain != 0 || stream != 0 ||
          !r.string(f.path) || !check_path(f.path))
        return false;
      f.flags = flags;
    } else if (flags != 0) {
      return false;
    }
    if (f.kind == FdKind::kStream) {
      if (stream != static_cast<uint8_t>(StreamKind::kPipe) && stream != static_cast<uint8_t>(StreamKind::kEventfd) &&
          stream != static_cast<uint8_t>(StreamKind::kSocket))
        return false;
      f.stream = static_cast<StreamKind>(stream);
    }
    if (offset > static_cast<uint64_t>(INT64_MAX)) return false;
    f.domain = static_cast<int32_t>(domain);
    f.offset = offset;
    out.fds.push_back(f);
  }
  if (r.left != 0) return false;
  why.clear();
  return true;
}

}  // namespace nsgx::libos
