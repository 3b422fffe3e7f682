#include "libos/manifest/manifest.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace nsgx::libos {
namespace {

bool is_singleton(RecordType t) {
  return t == RecordType::kEntrypoint || t == RecordType::kArgv0 || t == RecordType::kEnclaveSize ||
         t == RecordType::kMaxThreads || t == RecordType::kNoSyscallRewrite || t == RecordType::kArgv;
}

Status check_env(std::string_view name, std::string_view value) {
  if (name.empty() || name.size() > kMaxEnvName)
    return Error("environment variable name of length " + std::to_string(name.size()));
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
      return Error("environment variable name \"" + std::string(name) + "\" is not [A-Za-z_][A-Za-z0-9_]*");
  }
  if (value.size() > kMaxEnvValue) return Error("environment variable " + std::string(name) + ": value too long");
  if (value.find('\0') != std::string_view::npos)
    return Error("environment variable " + std::string(name) + ": NUL in value");
  return ok_status();
}

Status check_limits(const Manifest& m) {
  if (m.argv0.size() > kMaxArgv0 || m.argv0.find('\0') != std::string::npos)
    return Error("argv0: longer than 4096 bytes or holds a NUL");
  if (!m.argv.empty()) {
    // Two ways to name argv[0] would make one manifest mean two things.
    if (!m.argv0.empty()) return Error("argv0 and argv both given (argv[0] is argv's first string)");
    if (m.argv.size() > kMaxArgvCount) return Error("argv: more than 256 strings");
    std::size_t bytes = 0;
    for (const auto& a : m.argv) {
      if (a.find('\0') != std::string::npos) return Error("argv: a string holds a NUL");
      bytes += a.size() + 1;
    }
    if (bytes > kMaxArgvBytes) return Error("argv: longer than 32 KiB");
  }
  if (m.enclave_size != 0 && (m.enclave_size < kMinEnclaveSize || m.enclave_size > kMaxEnclaveSize ||
                              (m.enclave_size & (m.enclave_size - 1)) != 0))
    return Error("enclave size " + std::to_string(m.enclave_size) + " is not a power of two from 1 MiB to 64 GiB");
  if (m.max_threads > kMaxThreadCount) return Error("max_threads " + std::to_string(m.max_threads) + " is above 1024");
  return ok_status();
}

// A trusted directory's listing alone says what is trusted below it, and
// nothing else of the manifest reaches into it (manifest.h).
Status check_trusted_dirs(const Manifest& m) {
  for (std::size_t i = 0; i < m.trusted_dirs.size(); ++i) {
    const std::string& d = m.trusted_dirs[i].path;
    if (auto s = check_path(d); !s) return s.error().context("trusted directory");
    for (std::size_t j = 0; j < i; ++j) {
      if (m.trusted_dirs[j].path == d) return Error("trusted directory " + d + " twice");
      if (path_within(d, m.trusted_dirs[j].path))
        return Error("trusted directory " + d + " lies below trusted directory " + m.trusted_dirs[j].path);
    }
    for (const auto& f : m.trusted_files) {
      if (path_within(f.path, d))
        return Error("trusted file " + f.path + " lies in trusted directory " + d + " (its listing covers it)");
      if (path_within(d, f.path)) return Error("trusted directory " + d + " lies below the trusted file " + f.path);
    }
    for (const auto& a : m.allowed_files)
      if (path_within(a, d) || path_within(d, a))
        return Error("allowed path " + a + " and trusted directory " + d + " overlap");
    for (const auto& e : m.encrypted_files)
      if (path_within(e.path, d) || path_within(d, e.path))
        return Error("encrypted path " + e.path + " and trusted directory " + d + " overlap");
    for (const std::string_view l : kLibosLinkPaths)
      if (path_within(l, d) || path_within(d, l))
        return Error("trusted directory " + d + ", but the library OS answers " + std::string(l) + " itself");
    for (const std::string_view v : kLibosDevicePaths)
      if (path_within(v, d) || path_within(d, v))
        return Error("trusted directory " + d + ", but the library OS provides " + std::string(v) + " itself");
  }
  return ok_status();
}

// The rules of a listing of `dir` (manifest.h); `files` sorted.
Status check_listing(const std::vector<TrustedFile>& files, std::string_view dir) {
  if (files.size() > kMaxListingEntries)
    return Error("trusted directory " + std::string(dir) + ": more than " + std::to_string(kMaxListingEntries) +
                 " files");
  const auto is_entry = [&](std::string_view p) {
    const auto it = std::lower_bound(files.begin(), files.end(), p,
                                     [](const TrustedFile& f, std::string_view q) { return f.path < q; });
    return it != files.end() && it->path == p;
  };
  // The order first: the look-ups below search the whole list.
  for (std::size_t i = 1; i < files.size(); ++i)
    if (!(files[i - 1].path < files[i].path))
      return Error("trusted directory " + std::string(dir) + ": " + files[i].path + " out of order or twice");
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string& p = files[i].path;
    if (auto s = check_path(p); !s) return s.error().context("trusted directory " + std::string(dir));
    if (p.size() == dir.size() || !path_within(p, dir))
      return Error("trusted directory " + std::string(dir) + ": " + p + " does not lie below it");
    // Sorted, "/d/a-x" comes between "/d/a" and "/d/a/b": each of an
    // entry's directories is looked up, not only its neighbour.
    for (std::size_t slash = p.rfind('/'); slash > dir.size(); slash = p.rfind('/', slash - 1))
      if (is_entry(std::string_view(p).substr(0, slash)))
        return Error("trusted directory " + std::string(dir) + ": " + p + " lies below the file " + p.substr(0, slash));
    for (const std::string_view d : kLibosDevicePaths)
      if (p == d) return Error(p + " is in a trusted directory, but the library OS provides that device itself");
    for (const std::string_view l : kLibosLinkPaths)
      if (path_within(p, l)) return Error(p + " is in a trusted directory, but the library OS answers it itself");
  }
  return ok_status();
}

// The rules every manifest keeps, whoever built it; `m` sorted.
Status check_sorted(const Manifest& m) {
  if (auto s = check_path(m.entrypoint); !s) return s.error().context("entrypoint");
  if (m.trusted(m.entrypoint) == nullptr && m.trusted_dir(m.entrypoint) == nullptr)
    return Error("entrypoint " + m.entrypoint + " is not a trusted file");
  if (auto s = check_limits(m); !s) return s;
  for (std::size_t i = 0; i < m.env.size(); ++i) {
    if (auto s = check_env(m.env[i].first, m.env[i].second); !s) return s;
    if (i > 0 && m.env[i - 1].first == m.env[i].first)
      return Error("environment variable " + m.env[i].first + " twice");
  }
  for (std::size_t i = 0; i < m.trusted_files.size(); ++i) {
    if (auto s = check_path(m.trusted_files[i].path); !s) return s.error().context("trusted file");
    if (i > 0 && m.trusted_files[i - 1].path == m.trusted_files[i].path)
      return Error("trusted file " + m.trusted_files[i].path + " twice");
  }
  for (std::size_t i = 0; i < m.allowed_files.size(); ++i) {
    if (auto s = check_path(m.allowed_files[i]); !s) return s.error().context("allowed file");
    if (i > 0 && m.allowed_files[i - 1] == m.allowed_files[i])
      return Error("allowed file " + m.allowed_files[i] + " twice");
    if (m.trusted(m.allowed_files[i]) != nullptr)
      return Error(m.allowed_files[i] + " is both a trusted and an allowed file");
    for (std::size_t j = 0; j < i; ++j)
      if (path_within(m.allowed_files[i], m.allowed_files[j]))
        return Error("allowed file " + m.allowed_files[i] + " lies below allowed " + m.allowed_files[j]);
  }
  for (std::size_t i = 0; i < m.encrypted_files.size(); ++i) {
    const EncryptedPath& e = m.encrypted_files[i];
    if (auto s = check_path(e.path); !s) return s.error().context("encrypted file");
    if (e.key != EncryptedKey::kMrenclave && e.key != EncryptedKey::kMrsigner)
      return Error("encrypted file " + e.path + ": unknown key " + std::to_string(static_cast<std::uint32_t>(e.key)));
    // Sorted, a path below another comes right after it or after paths
    // below it; comparing with every earlier one keeps this obviously right.
    for (std::size_t j = 0; j < i; ++j) {
      if (m.encrypted_files[j].path == e.path) return Error("encrypted file " + e.path + " twice");
      if (path_within(e.path, m.encrypted_files[j].path))
        return Error("encrypted file " + e.path + " lies below encrypted " + m.encrypted_files[j].path);
    }
  }
  for (const auto& f : m.trusted_files)
    if (const EncryptedPath* e = m.encrypted(f.path))
      return Error("trusted file " + f.path + " lies in encrypted " + e->path);
  for (const auto& f : m.allowed_files)
    if (const EncryptedPath* e = m.encrypted(f)) return Error("allowed file " + f + " lies in encrypted " + e->path);
  // An allowed directory passes everything below it through: no trusted
  // or encrypted path lies there (each path has one meaning).
  for (const auto& a : m.allowed_files) {
    for (const auto& f : m.trusted_files)
      if (path_within(f.path, a)) return Error("trusted file " + f.path + " lies in allowed " + a);
    for (const auto& e : m.encrypted_files)
      if (path_within(e.path, a)) return Error("encrypted path " + e.path + " lies in allowed " + a);
  }
  if (auto s = check_trusted_dirs(m); !s) return s;
  for (const std::string_view l : kLibosLinkPaths) {
    const auto below = [&](std::string_view p) { return path_within(p, l); };
    for (const auto& f : m.trusted_files)
      if (below(f.path)) return Error(f.path + " is a trusted file, but the library OS answers " + std::string(l) + " itself");
    for (const auto& f : m.allowed_files)
      if (below(f) || path_within(l, f))
        return Error(f + " is an allowed file, but the library OS answers " + std::string(l) + " itself");
    for (const auto& e : m.encrypted_files)
      if (below(e.path) || m.encrypted(l) != nullptr)
        return Error(e.path + " is an encrypted path, but the library OS answers " + std::string(l) + " itself");
  }
  for (const std::string_view d : kLibosDevicePaths) {
    const char* what = m.trusted(d) != nullptr       ? "a trusted file"
                       : m.trusted_dir(d) != nullptr ? "in a trusted directory"
                       : m.allowed(d)                ? "an allowed file"
                       : m.encrypted(d)              ? "in an encrypted path"
                                                     : nullptr;
    if (what != nullptr)
      return Error(std::string(d) + " is " + what + ", but the library OS provides that device itself " +
                   "(docs/libos.md, \"Devices\"): remove it from the manifest");
  }
  return ok_status();
}

void put16(Bytes& b, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put64(Bytes& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint16_t get16(ByteSpan b, std::size_t at) { return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8)); }
std::uint32_t get32(ByteSpan b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(b[at + i]) << (8 * i);
  return v;
}
std::uint64_t get64(ByteSpan b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(b[at + i]) << (8 * i);
  return v;
}

void put_record(Bytes& b, RecordType t, ByteSpan payload) {
  put16(b, static_cast<std::uint16_t>(t));
  put16(b, 0);
  put32(b, static_cast<std::uint32_t>(payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  while (b.size() % 8 != 0) b.push_back(0);
}
ByteSpan as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string as_string(ByteSpan b) { return {b.begin(), b.end()}; }

}  // namespace

const TrustedFile* Manifest::trusted(std::string_view path) const {
  auto it = std::lower_bound(trusted_files.begin(), trusted_files.end(), path,
                             [](const TrustedFile& f, std::string_view p) { return f.path < p; });
  return it != trusted_files.end() && it->path == path ? &*it : nullptr;
}

const TrustedFile* Manifest::trusted_dir(std::string_view path) const {
  // Trusted directories never nest (check_trusted_dirs): at most one holds `path`.
  for (const auto& d : trusted_dirs)
    if (path_within(path, d.path)) return &d;
  return nullptr;
}

bool Manifest::leads_to_trusted(std::string_view dir) const {
  // Sorted by path, the paths that start with "dir/" stand together, the
  // first of them at lower_bound("dir/").
  const std::string prefix = dir == "/" ? std::string("/") : std::string(dir) + "/";
  const auto it = std::lower_bound(trusted_files.begin(), trusted_files.end(), prefix,
                                   [](const TrustedFile& f, const std::string& p) { return f.path < p; });
  return it != trusted_files.end() && it->path.starts_with(prefix);
}

bool Manifest::allowed(std::string_view path) const {
  // Allowed paths never nest (check_sorted): a linear look, as encrypted's.
  return std::any_of(allowed_files.begin(), allowed_files.end(),
                     [&](const std::string& a) { return path_within(path, a); });
}

bool path_within(std::string_view p, std::string_view dir) {
  return p.size() >= dir.size() && p.substr(0, dir.size()) == dir && (p.size() == dir.size() || p[dir.size()] == '/');
}

const EncryptedPath* Manifest::encrypted(std::string_view path) const {
  // Encrypted paths never nest (check_sorted): at most one holds `path`.
  for (const auto& e : encrypted_files)
    if (path_within(path, e.path)) return &e;
  return nullptr;
}

Status check_path(std::string_view p) {
  if (p.empty() || p[0] != '/') return Error("path \"" + std::string(p) + "\" is not absolute");
  if (p.size() > kMaxPathLength) return Error("path longer than 4096 bytes");
  if (p.size() == 1 || p.back() == '/') return Error("path \"" + std::string(p) + "\" names a directory");
  for (const char c : p)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Error("path holds a control character");
  std::size_t start = 1;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      return Error("path \"" + std::string(p) + "\" is not normal (empty, \".\" or \"..\" component)");
    start = end + 1;
  }
  return ok_status();
}

Result<Bytes> encode_manifest(Manifest m) {
  std::sort(m.env.begin(), m.env.end());
  std::sort(m.trusted_files.begin(), m.trusted_files.end(),
            [](const TrustedFile& a, const TrustedFile& b) { return a.path < b.path; });
  std::sort(m.allowed_files.begin(), m.allowed_files.end());
  std::sort(m.encrypted_files.begin(), m.encrypted_files.end(),
            [](const EncryptedPath& a, const EncryptedPath& b) { return a.path < b.path; });
  std::sort(m.trusted_dirs.begin(), m.trusted_dirs.end(),
            [](const TrustedFile& a, const TrustedFile& b) { return a.path < b.path; });
  if (auto s = check_sorted(m); !s) return s.error();
  Bytes b(kManifestHeaderSize, 0);
  std::uint32_t records = 0;
  const auto add = [&](RecordType t, ByteSpan payload) {
    put_record(b, t, payload);
    ++records;
  };
  add(RecordType::kEntrypoint, as_bytes(m.entrypoint));
  if (!m.argv0.empty()) add(RecordType::kArgv0, as_bytes(m.argv0));
  for (const auto& [name, value] : m.env) {
    Bytes p(name.begin(), name.end());
    p.push_back(0);
    p.insert(p.end(), value.begin(), value.end());
    add(RecordType::kEnv, p);
  }
  for (const auto& f : m.trusted_files) {
    Bytes p(f.sha256.begin(), f.sha256.end());
    p.insert(p.end(), f.path.begin(), f.path.end());
    add(RecordType::kTrustedFile, p);
  }
  for (const auto& f : m.allowed_files) add(RecordType::kAllowedFile, as_bytes(f));
  if (m.enclave_size != 0) {
    Bytes p;
    put64(p, m.enclave_size);
    add(RecordType::kEnclaveSize, p);
  }
  if (m.max_threads != 0) {
    Bytes p;
    put32(p, m.max_threads);
    add(RecordType::kMaxThreads, p);
  }
  for (const auto& e : m.encrypted_files) {
    Bytes p;
    put32(p, static_cast<std::uint32_t>(e.key));
    p.insert(p.end(), e.path.begin(), e.path.end());
    add(RecordType::kEncrypted, p);
  }
  if (!m.syscall_rewrite) {
    Bytes p;
    put32(p, 0);
    add(RecordType::kNoSyscallRewrite, p);
  }
  if (!m.argv.empty()) {
    Bytes p;
    for (const auto& a : m.argv) {
      p.insert(p.end(), a.begin(), a.end());
      p.push_back(0);
    }
    add(RecordType::kArgv, p);
  }
  for (const auto& d : m.trusted_dirs) {
    Bytes p(d.sha256.begin(), d.sha256.end());
    p.insert(p.end(), d.path.begin(), d.path.end());
    add(RecordType::kTrustedDir, p);
  }
  if (b.size() > kMaxManifestSize) return Error("manifest larger than 1 MiB encoded");
  Bytes h;
  h.insert(h.end(), kManifestMagic.begin(), kManifestMagic.end());
  put32(h, kManifestVersion);
  put32(h, static_cast<std::uint32_t>(b.size()));
  put32(h, records);
  put32(h, 0);
  std::copy(h.begin(), h.end(), b.begin());
  return b;
}

Result<Manifest> parse_manifest(ByteSpan bytes) {
  if (bytes.size() < kManifestHeaderSize) return Error("manifest: shorter than its header");
  if (bytes.size() > kMaxManifestSize) return Error("manifest: larger than 1 MiB");
  if (!std::equal(kManifestMagic.begin(), kManifestMagic.end(), bytes.begin())) return Error("manifest: bad magic");
  if (get32(bytes, 8) != kManifestVersion) return Error("manifest: version " + std::to_string(get32(bytes, 8)));
  if (get32(bytes, 12) != bytes.size()) return Error("manifest: total size does not match");
  const std::uint32_t records = get32(bytes, 16);
  if (get32(bytes, 20) != 0) return Error("manifest: reserved header field not zero");
  Manifest m;
  std::size_t at = kManifestHeaderSize;
  std::uint16_t last_type = 0;
  bool have_entrypoint = false;
  for (std::uint32_t i = 0; i < records; ++i) {
    const std::string where = "manifest record " + std::to_string(i);
    if (bytes.size() - at < 8) return Error(where + ": truncated header");
    const std::uint16_t type = get16(bytes, at);
    const std::uint32_t len = get32(bytes, at + 4);
    if (get16(bytes, at + 2) != 0) return Error(where + ": reserved field not zero");
    if (len > bytes.size() - at - 8) return Error(where + ": payload runs past the end");
    const ByteSpan payload = bytes.subspan(at + 8, len);
    const std::size_t end = at + 8 + ((static_cast<std::size_t>(len) + 7) & ~std::size_t{7});
    if (end > bytes.size()) return Error(where + ": padding runs past the end");
    for (std::size_t k = at + 8 + len; k < end; ++k)
      if (bytes[k] != 0) return Error(where + ": padding not zero");
    if (type < last_type) return Error(where + ": records out of order");
    const auto t = static_cast<RecordType>(type);
    if (type == last_type && is_singleton(t)) return Error(where + ": a second record of type " + std::to_string(type));
    switch (t) {
      case RecordType::kEntrypoint:
        m.entrypoint = as_string(payload);
        have_entrypoint = true;
        break;
      case RecordType::kArgv0:
        if (len == 0) return Error(where + ": empty argv0");
        m.argv0 = as_string(payload);
        break;
      case RecordType::kEnv: {
        const auto nul = std::find(payload.begin(), payload.end(), std::uint8_t{0});
        if (nul == payload.end()) return Error(where + ": environment entry without NUL");
        const auto k = static_cast<std::size_t>(nul - payload.begin());
        std::string name = as_string(payload.first(k)), value = as_string(payload.subspan(k + 1));
        if (!m.env.empty() && !(m.env.back().first < name)) return Error(where + ": environment out of order or twice");
        m.env.emplace_back(std::move(name), std::move(value));
        break;
      }
      case RecordType::kTrustedFile: {
        if (len <= 32) return Error(where + ": trusted file without a path");
        TrustedFile f;
        std::copy(payload.begin(), payload.begin() + 32, f.sha256.begin());
        f.path = as_string(payload.subspan(32));
        if (!m.trusted_files.empty() && !(m.trusted_files.back().path < f.path))
          return Error(where + ": trusted files out of order or twice");
        m.trusted_files.push_back(std::move(f));
        break;
      }
      case RecordType::kAllowedFile: {
        std::string p = as_string(payload);
        if (!m.allowed_files.empty() && !(m.allowed_files.back() < p))
          return Error(where + ": allowed files out of order or twice");
        m.allowed_files.push_back(std::move(p));
        break;
      }
      case RecordType::kEnclaveSize:
        if (len != 8) return Error(where + ": enclave size of " + std::to_string(len) + " bytes");
        m.enclave_size = get64(bytes, at + 8);
        if (m.enclave_size == 0) return Error(where + ": enclave size 0");
        break;
      case RecordType::kMaxThreads:
        if (len != 4) return Error(where + ": max_threads of " + std::to_string(len) + " bytes");
        m.max_threads = get32(bytes, at + 8);
        if (m.max_threads == 0) return Error(where + ": max_threads 0");
        break;
      case RecordType::kEncrypted: {
        if (len <= 4) return Error(where + ": encrypted file without a path");
        const std::uint32_t key = get32(bytes, at + 8);
        if (key != static_cast<std::uint32_t>(EncryptedKey::kMrenclave) &&
            key != static_cast<std::uint32_t>(EncryptedKey::kMrsigner))
          return Error(where + ": encrypted file with unknown key " + std::to_string(key));
        EncryptedPath e{as_string(payload.subspan(4)), static_cast<EncryptedKey>(key)};
        if (!m.encrypted_files.empty() && !(m.encrypted_files.back().path < e.path))
          return Error(where + ": encrypted files out of order or twice");
        m.encrypted_files.push_back(std::move(e));
        break;
      }
      case RecordType::kNoSyscallRewrite:
        if (len != 4 || get32(bytes, at + 8) != 0) return Error(where + ": syscall_rewrite record not u32 0");
        m.syscall_rewrite = false;
        break;
      case RecordType::kArgv: {
        // NUL-terminated strings back to back; the count and size limits
        // are check_limits', through check_sorted below.
        if (len == 0 || payload.back() != 0) return Error(where + ": argv not a list of NUL-terminated strings");
        for (std::size_t k = 0; k < len;) {
          const auto nul = std::find(payload.begin() + static_cast<std::ptrdiff_t>(k), payload.end(), std::uint8_t{0});
          const auto n = static_cast<std::size_t>(nul - payload.begin()) - k;
          if (m.argv.size() == kMaxArgvCount) return Error(where + ": argv of more than 256 strings");
          m.argv.push_back(as_string(payload.subspan(k, n)));
          k += n + 1;
        }
        break;
      }
      case RecordType::kTrustedDir: {
        if (len <= 32) return Error(where + ": trusted directory without a path");
        TrustedFile d;
        std::copy(payload.begin(), payload.begin() + 32, d.sha256.begin());
        d.path = as_string(payload.subspan(32));
        if (!m.trusted_dirs.empty() && !(m.trusted_dirs.back().path < d.path))
          return Error(where + ": trusted directories out of order or twice");
        m.trusted_dirs.push_back(std::move(d));
        break;
      }
      default:
        return Error(where + ": unknown type " + std::to_string(type));
    }
    last_type = type;
    at = end;
  }
  if (at != bytes.size()) return Error("manifest: bytes after the last record");
  if (!have_entrypoint) return Error("manifest: no entrypoint");
  if (auto s = check_sorted(m); !s) return s.error().context("manifest");
  return m;
}

Result<Bytes> encode_trusted_listing(std::string_view dir, std::vector<TrustedFile> files) {
  if (auto s = check_path(dir); !s) return s.error().context("trusted directory");
  std::sort(files.begin(), files.end(), [](const TrustedFile& a, const TrustedFile& b) { return a.path < b.path; });
  if (auto s = check_listing(files, dir); !s) return s.error();
  Bytes b(kListingHeaderSize, 0);
  for (const auto& f : files) {
    b.insert(b.end(), f.sha256.begin(), f.sha256.end());
    put32(b, static_cast<std::uint32_t>(f.path.size()));
    b.insert(b.end(), f.path.begin(), f.path.end());
    while (b.size() % 8 != 0) b.push_back(0);
    if (b.size() > kMaxListingSize)
      return Error("trusted directory " + std::string(dir) + ": listing larger than 64 MiB encoded");
  }
  Bytes h;
  h.insert(h.end(), kListingMagic.begin(), kListingMagic.end());
  put32(h, kListingVersion);
  put32(h, static_cast<std::uint32_t>(b.size()));
  put32(h, static_cast<std::uint32_t>(files.size()));
  put32(h, 0);
  std::copy(h.begin(), h.end(), b.begin());
  return b;
}

Result<std::vector<TrustedFile>> parse_trusted_listing(ByteSpan bytes, std::string_view dir) {
  const std::string what = "listing of trusted directory " + std::string(dir);
  if (bytes.size() < kListingHeaderSize) return Error(what + ": shorter than its header");
  if (bytes.size() > kMaxListingSize) return Error(what + ": larger than 64 MiB");
  if (!std::equal(kListingMagic.begin(), kListingMagic.end(), bytes.begin())) return Error(what + ": bad magic");
  if (get32(bytes, 8) != kListingVersion) return Error(what + ": version " + std::to_string(get32(bytes, 8)));
  if (get32(bytes, 12) != bytes.size()) return Error(what + ": total size does not match");
  const std::uint32_t count = get32(bytes, 16);
  if (get32(bytes, 20) != 0) return Error(what + ": reserved header field not zero");
  // Each entry takes 40 bytes at least (36, a path of 2 or more, padding).
  if (count > kMaxListingEntries || count > (bytes.size() - kListingHeaderSize) / 40)
    return Error(what + ": " + std::to_string(count) + " entries");
  std::vector<TrustedFile> files;
  files.reserve(count);
  std::size_t at = kListingHeaderSize;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string where = what + ", entry " + std::to_string(i);
    if (bytes.size() - at < 36) return Error(where + ": truncated");
    const std::uint32_t len = get32(bytes, at + 32);
    if (len > bytes.size() - at - 36) return Error(where + ": path runs past the end");
    // The entry's 36 bytes and its path, rounded up to 8 from its start.
    const std::size_t padded = at + ((36 + static_cast<std::size_t>(len) + 7) & ~std::size_t{7});
    if (padded > bytes.size()) return Error(where + ": padding runs past the end");
    for (std::size_t k = at + 36 + len; k < padded; ++k)
      if (bytes[k] != 0) return Error(where + ": padding not zero");
    TrustedFile f;
    std::copy(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(at + 32),
              f.sha256.begin());
    f.path = as_string(bytes.subspan(at + 36, len));
    files.push_back(std::move(f));
    at = padded;
  }
  if (at != bytes.size()) return Error(what + ": bytes after the last entry");
  if (auto s = check_listing(files, dir); !s) return s.error();
  return files;
}

Status add_trusted_listing(Manifest& m, std::size_t dir, ByteSpan listing) {
  if (dir >= m.trusted_dirs.size()) return Error("no trusted directory " + std::to_string(dir));
  auto files = parse_trusted_listing(listing, m.trusted_dirs[dir].path);
  if (!files) return files.error();
  std::vector<TrustedFile> merged;
  merged.reserve(m.trusted_files.size() + files->size());
  const auto by_path = [](const TrustedFile& a, const TrustedFile& b) { return a.path < b.path; };
  // m.trusted_files copied, not moved: an error leaves `m` as it was.
  std::merge(m.trusted_files.begin(), m.trusted_files.end(), std::make_move_iterator(files->begin()),
             std::make_move_iterator(files->end()), std::back_inserter(merged), by_path);
  // The manifest's rules leave no other trusted file in the directory;
  // checked again, so that a path never has two hashes.
  for (std::size_t i = 1; i < merged.size(); ++i)
    if (merged[i - 1].path == merged[i].path) return Error("trusted file " + merged[i].path + " twice");
  m.trusted_files = std::move(merged);
  return ok_status();
}

}  // namespace nsgx::libos
