#include "libos/manifest/toml_manifest.h"

#include <toml++/toml.h>

#include <string>

namespace nsgx::libos {
namespace {

std::string where(const toml::node& n, std::string_view source) {
  const auto& s = n.source();
  return std::string(source) + ":" + std::to_string(s.begin.line);
}

// "file:" URIs only: the one scheme Gramine's manifests use for these.
Result<std::string> file_uri(const toml::node& n, std::string_view key, std::string_view source) {
  const auto s = n.value<std::string>();
  if (!s) return Error(where(n, source) + ": " + std::string(key) + " must be a string");
  if (s->rfind("file:", 0) != 0)
    return Error(where(n, source) + ": " + std::string(key) + " \"" + *s + "\" is not a file: URI");
  std::string path = s->substr(5);
  if (auto ok = check_path(path); !ok) return ok.error().context(where(n, source));
  return path;
}

Result<Sha256> sha256_hex(const toml::node& n, std::string_view source) {
  const auto s = n.value<std::string>();
  if (!s || s->size() != 64) return Error(where(n, source) + ": sha256 must be 64 hexadecimal digits");
  Sha256 out{};
  for (std::size_t i = 0; i < 64; ++i) {
    const char c = (*s)[i];
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return Error(where(n, source) + ": sha256 must be 64 hexadecimal digits");
    out[i / 2] = static_cast<std::uint8_t>(out[i / 2] | (v << (i % 2 == 0 ? 4 : 0)));
  }
  return out;
}

Result<std::uint64_t> size_value(const toml::node& n, std::string_view source) {
  if (const auto i = n.value<std::int64_t>(); i && n.is_integer()) {
    if (*i <= 0) return Error(where(n, source) + ": sgx.enclave_size must be positive");
    return static_cast<std::uint64_t>(*i);
  }
  const auto s = n.value<std::string>();
  if (!s || s->empty()) return Error(where(n, source) + ": sgx.enclave_size must be a size such as \"256M\"");
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < s->size() && (*s)[i] >= '0' && (*s)[i] <= '9'; ++i) {
    v = v * 10 + static_cast<std::uint64_t>((*s)[i] - '0');
    if (v > (std::uint64_t{1} << 40)) return Error(where(n, source) + ": sgx.enclave_size too large");
  }
  const std::string suffix = s->substr(i);
  const unsigned shift = suffix.empty() ? 0 : suffix == "K" ? 10 : suffix == "M" ? 20 : suffix == "G" ? 30 : 99;
  if (i == 0 || shift == 99)
    return Error(where(n, source) + ": sgx.enclave_size \"" + *s + "\" is not a size such as \"256M\"");
  return v << shift;
}

// { uri = "file:/data", key_name = "_sgx_mrenclave" | "_sgx_mrsigner" }:
// Gramine's key names for the sealing keys; without key_name, MRENCLAVE's.
Result<EncryptedPath> encrypted_entry(const toml::node& f, std::string_view source) {
  const toml::table* t = f.as_table();
  if (t == nullptr || !(*t)["uri"])
    return Error(where(f, source) + ": each encrypted file needs uri (and optionally key_name)");
  for (const auto& [k, v] : *t)
    if (k.str() != "uri" && k.str() != "key_name")
      return Error(where(v, source) + ": unknown key sgx.encrypted_files." + std::string(k.str()));
  auto path = file_uri(*(*t)["uri"].node(), "uri", source);
  if (!path) return path.error();
  EncryptedPath e{*path, EncryptedKey::kMrenclave};
  if (const toml::node* k = (*t)["key_name"].node()) {
    const auto name = k->value<std::string>();
    if (name && k->is_string() && *name == "_sgx_mrenclave") {
      e.key = EncryptedKey::kMrenclave;
    } else if (name && k->is_string() && *name == "_sgx_mrsigner") {
      e.key = EncryptedKey::kMrsigner;
    } else {
      return Error(where(*k, source) + ": key_name must be \"_sgx_mrenclave\" or \"_sgx_mrsigner\"");
    }
  }
  return e;
}

Status only_keys(const toml::table& t, std::initializer_list<std::string_view> keys, std::string_view prefix,
                 std::string_view source) {
  for (const auto& [k, v] : t) {
    bool known = false;
    for (const auto key : keys) known = known || k.str() == key;
    if (!known) return Error(where(v, source) + ": unknown key " + std::string(prefix) + std::string(k.str()));
  }
  return ok_status();
}

// One of sgx.trusted_files: "file:PATH" or { uri = "file:PATH", sha256 =
// "<hex>" }, a file; a URI ending in '/' names a directory, every file
// below it trusted (as gramine-sgx-sign expands one), whose listing the
// build step makes and hashes. Without `unhashed` every hash must be given,
// so no directory can be.
Status trusted_entry(const toml::node& f, std::string_view source, Manifest& m, std::vector<std::string>* unhashed) {
  const toml::table* t = f.as_table();
  if (t == nullptr && !f.is_string())
    return Error(where(f, source) + ": each trusted file is a \"file:\" URI or a table of uri and sha256");
  if (t != nullptr) {
    if (!(*t)["uri"]) return Error(where(f, source) + ": each trusted file needs uri and sha256 (the file's SHA-256)");
    if (auto s = only_keys(*t, {"uri", "sha256"}, "sgx.trusted_files.", source); !s) return s.error();
  }
  const toml::node& uri = t != nullptr ? *(*t)["uri"].node() : f;
  const bool hashed = t != nullptr && (*t)["sha256"];
  const auto text = uri.value<std::string>();
  if (text && uri.is_string() && text->size() > 6 && text->starts_with("file:") && text->back() == '/') {
    if (hashed)
      return Error(where(f, source) + ": a trusted directory takes no sha256 (`nsgx libos build` hashes its files)");
    if (unhashed == nullptr) return Error(where(f, source) + ": a trusted directory is listed by `nsgx libos build`");
    std::string dir = text->substr(5, text->size() - 6);
    if (auto ok = check_path(dir); !ok)
      return ok.error().context(where(f, source) + ": trusted directory \"" + *text + "\"");
    unhashed->push_back(dir + "/");
    m.trusted_dirs.push_back({dir, Sha256{}});
    return ok_status();
  }
  if (!hashed && unhashed == nullptr)
    return Error(where(f, source) + ": each trusted file needs uri and sha256 (the file's SHA-256)");
  auto path = file_uri(uri, "uri", source);
  if (!path) return path.error();
  if (!hashed) {  // the build step fills it in
    unhashed->push_back(*path);
    m.trusted_files.push_back({*path, Sha256{}});
    return ok_status();
  }
  auto hash = sha256_hex(*(*t)["sha256"].node(), source);
  if (!hash) return hash.error();
  m.trusted_files.push_back({*path, *hash});
  return ok_status();
}

Result<Manifest> convert(const toml::table& root, std::string_view source, std::vector<std::string>* unhashed) {
  Manifest m;
  if (auto s = only_keys(root, {"libos", "loader", "sgx"}, "", source); !s) return s.error();
  const toml::table* libos = root["libos"].as_table();
  if (libos == nullptr || !(*libos)["entrypoint"]) return Error(std::string(source) + ": libos.entrypoint is missing");
  if (auto s = only_keys(*libos, {"entrypoint", "syscall_rewrite"}, "libos.", source); !s) return s.error();
  if (const toml::node* n = (*libos)["syscall_rewrite"].node()) {
    const auto v = n->value<bool>();
    if (!v || !n->is_boolean()) return Error(where(*n, source) + ": libos.syscall_rewrite must be true or false");
    m.syscall_rewrite = *v;
  }
  const toml::node& entry = *(*libos)["entrypoint"].node();
  const auto e = entry.value<std::string>();
  if (!e) return Error(where(entry, source) + ": libos.entrypoint must be a string (a path)");
  m.entrypoint = e->rfind("file:", 0) == 0 ? e->substr(5) : *e;
  if (const toml::table* loader = root["loader"].as_table()) {
    if (auto s = only_keys(*loader, {"argv", "argv0_override", "env"}, "loader.", source); !s) return s.error();
    if (const toml::node* a = (*loader)["argv"].node()) {
      const toml::array* arr = a->as_array();
      if (arr == nullptr || arr->empty())
        return Error(where(*a, source) + ": loader.argv must be a non-empty array of strings");
      for (const toml::node& v : *arr) {
        const auto s = v.value<std::string>();
        if (!s || !v.is_string()) return Error(where(v, source) + ": loader.argv must hold strings only");
        m.argv.push_back(*s);
      }
    }
    if (const toml::node* a = (*loader)["argv0_override"].node()) {
      const auto v = a->value<std::string>();
      if (!v || v->empty()) return Error(where(*a, source) + ": loader.argv0_override must be a non-empty string");
      m.argv0 = *v;
    }
    if (const toml::node* env = (*loader)["env"].node()) {
      const toml::table* t = env->as_table();
      if (t == nullptr) return Error(where(*env, source) + ": loader.env must be a table");
      for (const auto& [k, v] : *t) {
        const auto value = v.value<std::string>();
        if (!value || !v.is_string())
          return Error(where(v, source) + ": loader.env." + std::string(k.str()) + " must be a string");
        m.env.emplace_back(std::string(k.str()), *value);
      }
    }
  }
  if (const toml::table* sgx = root["sgx"].as_table()) {
    if (auto s = only_keys(*sgx, {"enclave_size", "max_threads", "trusted_files", "allowed_files", "encrypted_files"},
                           "sgx.", source);
        !s)
      return s.error();
    if (const toml::node* n = (*sgx)["enclave_size"].node()) {
      auto v = size_value(*n, source);
      if (!v) return v.error();
      m.enclave_size = *v;
    }
    if (const toml::node* n = (*sgx)["max_threads"].node()) {
      const auto v = n->value<std::int64_t>();
      if (!v || !n->is_integer() || *v < 1 || *v > kMaxThreadCount)
        return Error(where(*n, source) + ": sgx.max_threads must be an integer from 1 to 1024");
      m.max_threads = static_cast<std::uint32_t>(*v);
    }
    if (const toml::node* n = (*sgx)["trusted_files"].node()) {
      const toml::array* a = n->as_array();
      if (a == nullptr) return Error(where(*n, source) + ": sgx.trusted_files must be an array");
      for (const toml::node& f : *a)
        if (auto s = trusted_entry(f, source, m, unhashed); !s) return s.error();
    }
    if (const toml::node* n = (*sgx)["allowed_files"].node()) {
      const toml::array* a = n->as_array();
      if (a == nullptr) return Error(where(*n, source) + ": sgx.allowed_files must be an array");
      for (const toml::node& f : *a) {
        auto path = file_uri(f, "allowed file", source);
        if (!path) return path.error();
        m.allowed_files.push_back(*path);
      }
    }
    if (const toml::node* n = (*sgx)["encrypted_files"].node()) {
      const toml::array* a = n->as_array();
      if (a == nullptr) return Error(where(*n, source) + ": sgx.encrypted_files must be an array");
      for (const toml::node& f : *a) {
        auto enc = encrypted_entry(f, source);
        if (!enc) return enc.error();
        m.encrypted_files.push_back(*enc);
      }
    }
  }
  // The same checks the encoding makes (sorted, unique, the entrypoint
  // trusted, limits), with this file's name in front.
  if (auto b = encode_manifest(m); !b) return b.error().context(std::string(source));
  auto sorted = parse_manifest(*encode_manifest(m));
  if (!sorted) return sorted.error().context(std::string(source));
  return *sorted;
}

}  // namespace

Result<Manifest> manifest_from_toml(std::string_view text, std::string_view source,
                                    std::vector<std::string>* unhashed) {
  try {
    const toml::table root = toml::parse(text, source);
    return convert(root, source, unhashed);
  } catch (const toml::parse_error& e) {
    const auto& s = e.source();
    return Error(std::string(source) + ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column) +
                 ": " + std::string(e.description()));
  }
}

}  // namespace nsgx::libos
