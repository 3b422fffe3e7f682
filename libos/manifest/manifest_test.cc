#include "libos/manifest/manifest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "libos/manifest/toml_manifest.h"

namespace nsgx::libos {
namespace {

const std::string kHash(64, 'a');

std::string hello_toml(const std::string& extra = "") {
  return "libos.entrypoint = \"/usr/local/bin/hello\"\n"
         "loader.argv0_override = \"hello\"\n"
         "loader.env.LANG = \"C\"\n"
         "loader.env.HOME = \"/\"\n"
         "sgx.enclave_size = \"256M\"\n"
         "sgx.max_threads = 4\n"
         "sgx.trusted_files = [ { uri = \"file:/usr/local/bin/hello\", sha256 = \"" +
         kHash + "\" }, { uri = \"file:/etc/data\", sha256 = \"" + std::string(64, '0') +
         "\" } ]\n"
         "sgx.allowed_files = [ \"file:/tmp/out.txt\" ]\n" +
         extra;
}

TEST(Manifest, TomlToCanonicalBinaryAndBack) {
  auto m = manifest_from_toml(hello_toml(), "hello.toml");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->entrypoint, "/usr/local/bin/hello");
  EXPECT_EQ(m->argv0, "hello");
  ASSERT_EQ(m->env.size(), 2u);
  EXPECT_EQ(m->env[0].first, "HOME");  // sorted by name
  EXPECT_EQ(m->enclave_size, std::uint64_t{256} << 20);
  EXPECT_EQ(m->max_threads, 4u);
  ASSERT_EQ(m->trusted_files.size(), 2u);
  EXPECT_EQ(m->trusted_files[0].path, "/etc/data");  // sorted by path
  const TrustedFile* hello = m->trusted("/usr/local/bin/hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->sha256[0], 0xaa);
  EXPECT_TRUE(m->allowed("/tmp/out.txt"));
  EXPECT_FALSE(m->allowed("/etc/passwd"));
  EXPECT_EQ(m->trusted("/etc/passwd"), nullptr);

  auto b = encode_manifest(*m);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->size() % 8, 0u);
  auto back = parse_manifest(*b);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *m);
  // One encoding per manifest: the order the TOML listed things in does not matter.
  auto reordered = manifest_from_toml(
      "sgx.allowed_files = [ \"file:/tmp/out.txt\" ]\n"
      "sgx.trusted_files = [ { uri = \"file:/etc/data\", sha256 = \"" +
          std::string(64, '0') + "\" }, { uri = \"file:/usr/local/bin/hello\", sha256 = \"" + kHash +
          "\" } ]\n"
          "sgx.max_threads = 4\nsgx.enclave_size = 268435456\n"
          "loader.env.HOME = \"/\"\nloader.env.LANG = \"C\"\nloader.argv0_override = \"hello\"\n"
          "libos.entrypoint = \"file:/usr/local/bin/hello\"\n",
      "reordered.toml");
  ASSERT_TRUE(reordered) << reordered.error().message();
  EXPECT_EQ(*encode_manifest(*reordered), *b);
}

// libos.syscall_rewrite: on unless the manifest says false; "off" is one
// record (u32 0), "on" none, so the default has one encoding.
TEST(Manifest, SyscallRewriteSwitch) {
  auto on = manifest_from_toml(hello_toml(), "hello.toml");
  auto explicit_on = manifest_from_toml(hello_toml("libos.syscall_rewrite = true\n"), "on.toml");
  auto off = manifest_from_toml(hello_toml("libos.syscall_rewrite = false\n"), "off.toml");
  ASSERT_TRUE(on && explicit_on && off);
  EXPECT_TRUE(on->syscall_rewrite);
  EXPECT_FALSE(off->syscall_rewrite);
  EXPECT_EQ(*encode_manifest(*on), *encode_manifest(*explicit_on));
  auto b = encode_manifest(*off);
  ASSERT_TRUE(b);
  EXPECT_NE(*b, *encode_manifest(*on));
  auto back = parse_manifest(*b);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_FALSE(back->syscall_rewrite);
  // The record's payload must be u32 0: the last record, its value 1 is refused.
  Bytes bad = *b;
  ASSERT_GE(bad.size(), 8u);
  bad[bad.size() - 8] = 1;
  auto refused = parse_manifest(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("syscall_rewrite"), std::string::npos) << refused.error().message();
  auto not_bool = manifest_from_toml(hello_toml("libos.syscall_rewrite = 1\n"), "bad.toml");
  ASSERT_FALSE(not_bool);
  EXPECT_NE(not_bool.error().message().find("libos.syscall_rewrite must be true or false"), std::string::npos);
}

void expect_toml_error(const std::string& text, const std::string& needle) {
  auto m = manifest_from_toml(text, "bad.toml");
  ASSERT_FALSE(m) << "accepted:\n" << text;
  EXPECT_NE(m.error().message().find(needle), std::string::npos) << m.error().message();
  EXPECT_NE(m.error().message().find("bad.toml"), std::string::npos) << m.error().message();
}

TEST(Manifest, TomlRefusals) {
  expect_toml_error("libos.entrypoint = \n", "bad.toml:1");  // TOML syntax
  expect_toml_error("loader.env.A = \"b\"\n", "libos.entrypoint is missing");
  expect_toml_error(hello_toml("sgx.thread_num = 4\n"), "unknown key sgx.thread_num");
  expect_toml_error(hello_toml("colour = 1\n"), "unknown key colour");
  expect_toml_error("libos.entrypoint = \"/bin/x\"\n", "is not a trusted file");
  expect_toml_error(
      "libos.entrypoint = \"bin/x\"\nsgx.trusted_files = [ { uri = \"file:bin/x\", sha256 = \"" + kHash + "\" } ]\n",
      "not absolute");
  expect_toml_error(
      "libos.entrypoint = \"/bin/x\"\nsgx.trusted_files = [ { uri = \"file:/bin/x\", sha256 = \"abc\" } ]\n",
      "64 hexadecimal digits");
  expect_toml_error("libos.entrypoint = \"/bin/x\"\nsgx.trusted_files = [ { uri = \"file:/bin/x\" } ]\n",
                    "needs uri and sha256");
  expect_toml_error(
      "libos.entrypoint = \"/bin/x\"\nsgx.trusted_files = [ { uri = \"http:/bin/x\", sha256 = \"" + kHash + "\" } ]\n",
      "not a file: URI");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/etc/data"),
                    "both a trusted and an allowed file");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/tmp/../etc"), "not normal");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("\"256M\""), 6, "\"3M\""), "power of two");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("= 4"), 3, "= 5000"), "from 1 to 1024");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("LANG"), 4, "1LANG"), "is not [A-Za-z_]");
}

Bytes good_binary() {
  auto m = manifest_from_toml(hello_toml(), "hello.toml");
  return *encode_manifest(*m);
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void expect_binary_error(const Bytes& b, const std::string& needle) {
  auto m = parse_manifest(b);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find(needle), std::string::npos) << m.error().message();
}

TEST(Manifest, BinaryRefusals) {
  const Bytes good = good_binary();
  ASSERT_TRUE(parse_manifest(good));
  expect_binary_error(Bytes(good.begin(), good.begin() + 10), "shorter than its header");
  Bytes b = good;
  b[0] ^= 1;
  expect_binary_error(b, "bad magic");
  b = good;
  put32(b, 8, 2);
  expect_binary_error(b, "version 2");
  b = good;
  b.push_back(0);
  expect_binary_error(b, "total size");
  b = good;
  put32(b, 20, 1);
  expect_binary_error(b, "reserved header");
  b = good;
  put32(b, 16, 100);  // more records than there are
  expect_binary_error(b, "truncated header");
  b = good;
  put32(b, 16, 3);  // fewer: bytes left over
  expect_binary_error(b, "bytes after the last record");
  b = good;
  put32(b, 24 + 4, 0x10000);  // the first record's length past the end
  expect_binary_error(b, "runs past the end");
  b = good;
  b[24 + 2] = 1;  // the first record's reserved field
  expect_binary_error(b, "reserved field");
  b = good;
  b[24] = 99;  // an unknown type
  expect_binary_error(b, "unknown type 99");
  b = good;
  b[24] = 5;  // the entrypoint's record as an allowed file: argv0 then comes after it
  expect_binary_error(b, "out of order");
  // The entrypoint record ("/usr/local/bin/hello", 20 bytes, then 4 of padding).
  b = good;
  b[24 + 8 + 20] = 1;
  expect_binary_error(b, "padding not zero");
  b = good;
  b[24 + 8 + 5] = '.';  // "/usr/.ocal/..." stays normal, but no longer trusted
  expect_binary_error(b, "is not a trusted file");
}

// loader.argv: the whole argv, measured; kept in the manifest's order
// (argv is a sequence, never sorted), empty strings included.
std::string argv_toml(const std::string& argv) {
  return "libos.entrypoint = \"/bin/x\"\n"
         "loader.argv = " +
         argv +
         "\n"
         "sgx.trusted_files = [ { uri = \"file:/bin/x\", sha256 = \"" +
         kHash + "\" } ]\n";
}

TEST(Manifest, ArgvPinned) {
  auto m = manifest_from_toml(argv_toml("[ \"x\", \"--zeta\", \"\", \"--alpha\" ]"), "argv.toml");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->argv, (std::vector<std::string>{"x", "--zeta", "", "--alpha"}));
  auto enc = encode_manifest(*m);
  ASSERT_TRUE(enc) << enc.error().message();
  auto back = parse_manifest(*enc);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->argv, m->argv);
  // The measurement covers it: another argv is another encoding.
  auto other = manifest_from_toml(argv_toml("[ \"x\", \"--alpha\", \"\", \"--zeta\" ]"), "argv.toml");
  ASSERT_TRUE(other);
  EXPECT_NE(*encode_manifest(*other), *enc);

  expect_toml_error(argv_toml("[]"), "non-empty array of strings");
  expect_toml_error(argv_toml("\"x --flag\""), "non-empty array of strings");
  expect_toml_error(argv_toml("[ \"x\", 3 ]"), "strings only");
  expect_toml_error(argv_toml("[ \"x\" ]") + "loader.argv0_override = \"y\"\n", "argv0 and argv both given");
  std::string many = "[ ";
  for (int i = 0; i < 257; ++i) many += "\"a\", ";
  expect_toml_error(argv_toml(many + "]"), "more than 256 strings");
  expect_toml_error(argv_toml("[ \"" + std::string(33 * 1024, 'a') + "\" ]"), "longer than 32 KiB");

  // The binary record: NUL-terminated strings, the last one too.
  Manifest one;
  one.entrypoint = "/bin/x";
  one.trusted_files.push_back({"/bin/x", {}});
  one.argv = {"x", "y"};
  Bytes good = *encode_manifest(one);
  ASSERT_TRUE(parse_manifest(good));
  // Records: entrypoint "/bin/x" (8 + 6 + 2 padding), trusted file (8 + 32 +
  // 6 + 2), then argv "x\0y\0" (8 + 4 + 4 padding).
  const std::size_t argv_at = 24 + 16 + 48;
  ASSERT_EQ(good[argv_at], 10);
  Bytes b = good;
  b[argv_at + 8 + 3] = 'z';  // "x\0yz": the last string unterminated
  expect_binary_error(b, "argv not a list of NUL-terminated strings");
  b = good;
  put32(b, argv_at + 4, 0);  // an empty record: no argv[0]
  expect_binary_error(b, "manifest record 2: argv not a list");
}

std::string encrypted_toml(const std::string& entries) {
  return "libos.entrypoint = \"/bin/x\"\n"
         "sgx.trusted_files = [ { uri = \"file:/bin/x\", sha256 = \"" +
         kHash +
         "\" } ]\n"
         "sgx.allowed_files = [ \"file:/tmp/out.txt\" ]\n"
         "sgx.encrypted_files = [ " +
         entries + " ]\n";
}

TEST(Manifest, EncryptedFilesToCanonicalBinaryAndBack) {
  auto m = manifest_from_toml(encrypted_toml("{ uri = \"file:/sealed/one\", key_name = \"_sgx_mrsigner\" }, "
                                             "{ uri = \"file:/data\", key_name = \"_sgx_mrenclave\" }, "
                                             "{ uri = \"file:/data-b\" }"),
                              "enc.toml");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->encrypted_files.size(), 3u);
  EXPECT_EQ(m->encrypted_files[0], (EncryptedPath{"/data", EncryptedKey::kMrenclave}));    // sorted by path
  EXPECT_EQ(m->encrypted_files[1], (EncryptedPath{"/data-b", EncryptedKey::kMrenclave}));  // the default key
  EXPECT_EQ(m->encrypted_files[2], (EncryptedPath{"/sealed/one", EncryptedKey::kMrsigner}));
  // A directory holds everything below it, and nothing beside it.
  ASSERT_NE(m->encrypted("/data"), nullptr);
  EXPECT_EQ(m->encrypted("/data/a/b")->path, "/data");
  EXPECT_EQ(m->encrypted("/data-b/f")->path, "/data-b");
  EXPECT_EQ(m->encrypted("/datax"), nullptr);
  EXPECT_EQ(m->encrypted("/dat"), nullptr);
  EXPECT_EQ(m->encrypted("/sealed"), nullptr);
  EXPECT_EQ(m->encrypted("/sealed/one")->key, EncryptedKey::kMrsigner);
  auto b = encode_manifest(*m);
  ASSERT_TRUE(b) << b.error().message();
  auto back = parse_manifest(*b);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *m);
  // The key is measured: the same paths under the other key encode differently.
  Manifest other = *m;
  other.encrypted_files[0].key = EncryptedKey::kMrsigner;
  EXPECT_NE(*encode_manifest(other), *b);
}

// The library OS's own devices are never the manifest's: as a trusted, an
// allowed or an encrypted path, each is refused with the reason.
TEST(Manifest, DevicesAreTheLibraryOSs) {
  for (const std::string_view d : kLibosDevicePaths) {
    const std::string dev(d);
    expect_toml_error(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, dev),
                      dev + " is an allowed file, but the library OS provides that device itself");
    expect_toml_error(hello_toml("").replace(hello_toml("").find("/etc/data"), 9, dev),
                      dev + " is a trusted file, but the library OS provides that device itself");
    expect_toml_error(hello_toml("sgx.encrypted_files = [ { uri = \"file:/dev/null\" } ]\n"),
                      "/dev/null is in an encrypted path, but the library OS provides that device itself");
    expect_toml_error(hello_toml("sgx.encrypted_files = [ { uri = \"file:/dev\" } ]\n"),
                      "/dev is an encrypted path, but the library OS answers /dev/stdin itself");
  }
  // The links to descriptors, and what lies below them, too.
  expect_toml_error(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/dev/stdout"),
                    "/dev/stdout is an allowed file, but the library OS answers /dev/stdout itself");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("/etc/data"), 9, "/proc/self/fd/3"),
                    "/proc/self/fd/3 is a trusted file, but the library OS answers /proc/self/fd itself");
  expect_toml_error(hello_toml("sgx.encrypted_files = [ { uri = \"file:/proc\" } ]\n"),
                    "/proc is an encrypted path, but the library OS answers /proc/self/fd itself");
  // Other paths under /dev stay the manifest's to name (a terminal, /dev/shm).
  EXPECT_TRUE(
      manifest_from_toml(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/dev/tty"), "t.toml"));
}

// An allowed path names a file or a directory: everything below it
// passes through; nothing trusted or encrypted lies there.
TEST(Manifest, AllowedDirectories) {
  const std::string toml = hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/srv/data");
  auto m = manifest_from_toml(toml, "a.toml");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_TRUE(m->allowed("/srv/data"));
  EXPECT_TRUE(m->allowed("/srv/data/a/b.txt"));
  EXPECT_FALSE(m->allowed("/srv/database"));
  EXPECT_FALSE(m->allowed("/srv"));
  expect_toml_error(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/etc"),
                    "trusted file /etc/data lies in allowed /etc");
  expect_toml_error(toml + "sgx.encrypted_files = [ { uri = \"file:/srv/data/sealed\" } ]\n",
                    "encrypted path /srv/data/sealed lies in allowed /srv/data");
  expect_toml_error(
      hello_toml("").replace(hello_toml("").find("\"file:/tmp/out.txt\""), 19, "\"file:/srv\", \"file:/srv/data\""),
      "allowed file /srv/data lies below allowed /srv");
  expect_toml_error(hello_toml("").replace(hello_toml("").find("/tmp/out.txt"), 12, "/dev"),
                    "/dev is an allowed file, but the library OS answers /dev/stdin itself");
}

TEST(Manifest, EncryptedFilesRefusals) {
  expect_toml_error(encrypted_toml("\"file:/data\""), "needs uri");
  expect_toml_error(encrypted_toml("{ key_name = \"_sgx_mrenclave\" }"), "needs uri");
  expect_toml_error(encrypted_toml("{ uri = \"file:/data\", key_name = \"default\" }"), "key_name must be");
  expect_toml_error(encrypted_toml("{ uri = \"file:/data\", key_name = 1 }"), "key_name must be");
  expect_toml_error(encrypted_toml("{ uri = \"file:/data\", keyname = \"_sgx_mrenclave\" }"),
                    "unknown key sgx.encrypted_files.keyname");
  expect_toml_error(encrypted_toml("{ uri = \"file:data\" }"), "not absolute");
  expect_toml_error(encrypted_toml("{ uri = \"file:/data/\" }"), "names a directory");
  expect_toml_error(encrypted_toml("{ uri = \"file:/data\" }, { uri = \"file:/data\" }"), "twice");
  expect_toml_error(encrypted_toml("{ uri = \"file:/data\" }, { uri = \"file:/data/in\" }"),
                    "/data/in lies below encrypted /data");
  expect_toml_error(encrypted_toml("{ uri = \"file:/bin\" }"), "trusted file /bin/x lies in encrypted /bin");
  expect_toml_error(encrypted_toml("{ uri = \"file:/tmp/out.txt\" }"),
                    "allowed file /tmp/out.txt lies in encrypted /tmp/out.txt");
  expect_toml_error("libos.entrypoint = \"/bin/x\"\nsgx.encrypted_files = \"file:/data\"\n", "must be an array");

  // The binary form: one record, checked as the TOML's.
  auto m = manifest_from_toml(encrypted_toml("{ uri = \"file:/data\" }"), "enc.toml");
  ASSERT_TRUE(m) << m.error().message();
  const Bytes good = *encode_manifest(*m);
  ASSERT_TRUE(parse_manifest(good));
  // Its record is the last: u16 type 8, u16 0, u32 9, u32 key, "/data", padding.
  const std::size_t rec = good.size() - 24;
  ASSERT_EQ(good[rec], 8);
  ASSERT_EQ(good[rec + 4], 9);
  Bytes b = good;
  put32(b, rec + 8, 3);  // kProvisioned is the library's, not the manifest's
  expect_binary_error(b, "unknown key 3");
  b = good;
  put32(b, rec + 8, 0);
  expect_binary_error(b, "unknown key 0");
  b = good;
  put32(b, rec + 4, 4);  // a key without a path (the path's bytes zeroed: padding)
  for (std::size_t k = rec + 12; k < b.size(); ++k) b[k] = 0;
  expect_binary_error(b, "without a path");
  b = good;
  b[rec + 13] = 'b';  // "/data" -> "/bata": still normal and sorted
  auto renamed = parse_manifest(b);
  ASSERT_TRUE(renamed) << renamed.error().message();
  EXPECT_EQ(renamed->encrypted_files[0].path, "/bata");
  b = good;
  b[rec + 12] = 'x';  // "xdata": not absolute
  expect_binary_error(b, "not absolute");
  // Two records out of order.
  auto two = manifest_from_toml(encrypted_toml("{ uri = \"file:/a\" }, { uri = \"file:/b\" }"), "enc.toml");
  ASSERT_TRUE(two) << two.error().message();
  b = *encode_manifest(*two);
  const std::size_t last = b.size() - 16;  // "/b": 4 + 2 bytes, padded to 8
  ASSERT_EQ(b[last + 13], 'b');
  b[last + 13] = '0';  // "/0" < "/a"
  expect_binary_error(b, "encrypted files out of order");
}

void expect_every_truncation_and_flip_checked(const Bytes& good) {
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(parse_manifest(ByteSpan(good.data(), n))) << n;
  for (std::size_t i = 0; i < good.size(); ++i) {
    Bytes b = good;
    b[i] ^= 0x01;
    auto m = parse_manifest(b);
    if (!m) continue;
    // Accepted (a changed hash byte or path character): it is then the
    // canonical encoding of what it says.
    auto again = encode_manifest(*m);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, b) << "byte " << i;
  }
}

TEST(Manifest, EveryTruncationAndEveryByteFlipIsRefusedOrReencodesExactly) {
  expect_every_truncation_and_flip_checked(good_binary());
  auto m = manifest_from_toml(encrypted_toml("{ uri = \"file:/data\" }, { uri = \"file:/s/f\", key_name = "
                                             "\"_sgx_mrsigner\" }"),
                              "enc.toml");
  ASSERT_TRUE(m) << m.error().message();
  expect_every_truncation_and_flip_checked(*encode_manifest(*m));
}

// Trusted directories: "file:DIR/" in sgx.trusted_files trusts every file
// below DIR through a listing whose hash the manifest holds.
std::string dir_toml(const std::string& entries, const std::string& extra = "") {
  return "libos.entrypoint = \"/usr/bin/py\"\n"
         "sgx.trusted_files = [ " +
         entries + " ]\n" + extra;
}

Result<Manifest> dir_manifest(const std::string& entries, const std::string& extra = "") {
  std::vector<std::string> unhashed;
  return manifest_from_toml(dir_toml(entries, extra), "dir.toml", &unhashed);
}

void expect_dir_error(const std::string& entries, const std::string& extra, const std::string& needle) {
  auto m = dir_manifest(entries, extra);
  ASSERT_FALSE(m) << entries << extra;
  EXPECT_NE(m.error().message().find(needle), std::string::npos) << m.error().message();
}

TEST(Manifest, TrustedDirectoriesFromToml) {
  std::vector<std::string> unhashed;
  auto m = manifest_from_toml(dir_toml("\"file:/usr/bin/py\", \"file:/usr/lib/py/\", { uri = \"file:/opt/x/\" }"),
                              "dir.toml", &unhashed);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(unhashed, (std::vector<std::string>{"/usr/bin/py", "/usr/lib/py/", "/opt/x/"}));
  ASSERT_EQ(m->trusted_dirs.size(), 2u);
  EXPECT_EQ(m->trusted_dirs[0].path, "/opt/x");  // sorted, without the '/'
  EXPECT_EQ(m->trusted_dirs[1].path, "/usr/lib/py");
  ASSERT_EQ(m->trusted_files.size(), 1u);
  EXPECT_EQ(m->trusted_dir("/usr/lib/py/json/__init__.py"), &m->trusted_dirs[1]);
  EXPECT_EQ(m->trusted_dir("/usr/lib/pyx"), nullptr);
  EXPECT_EQ(m->trusted_dir("/usr/lib"), nullptr);
  auto b = encode_manifest(*m);
  ASSERT_TRUE(b) << b.error().message();
  auto back = parse_manifest(*b);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *m);
  expect_every_truncation_and_flip_checked(*b);

  // The entrypoint may lie in a trusted directory (its listing trusts it).
  EXPECT_TRUE(dir_manifest("\"file:/usr/bin/\""));
  // A directory's hash is its listing's, which only the build step makes.
  expect_toml_error(dir_toml("{ uri = \"file:/usr/bin/py\", sha256 = \"" + kHash + "\" }, \"file:/usr/lib/py/\""),
                    "listed by `nsgx libos build`");
  expect_toml_error(dir_toml("\"file:/usr/bin/py\""), "needs uri and sha256");
  expect_dir_error("{ uri = \"file:/usr/bin/py\" }, { uri = \"file:/usr/lib/py/\", sha256 = \"" + kHash + "\" }", "",
                   "takes no sha256");
  expect_dir_error("\"file:/usr/bin/py\", \"file:/usr/lib/../py/\"", "", "not normal");
  expect_dir_error("\"file:/usr/bin/py\", 7", "", "a \"file:\" URI or a table");
}

TEST(Manifest, TrustedDirectoriesKeepEachPathToOneMeaning) {
  const std::string py = "\"file:/usr/bin/py\", ";
  expect_dir_error(py + "\"file:/usr/lib/\", \"file:/usr/lib/py/\"", "", "lies below trusted directory /usr/lib");
  expect_dir_error(py + "\"file:/usr/lib/py/\", \"file:/usr/lib/py/os.py\"", "", "lies in trusted directory");
  expect_dir_error("\"file:/usr/bin/\", \"file:/usr/bin/py\"", "", "lies in trusted directory");
  expect_dir_error(py + "{ uri = \"file:/opt/x\", sha256 = \"" + kHash + "\" }, \"file:/opt/x/y/\"", "",
                   "lies below the trusted file /opt/x");
  expect_dir_error(py + "\"file:/dev/null/x/\"", "", "provides /dev/null itself");
  expect_dir_error(py + "\"file:/usr/lib/py/\"", "sgx.allowed_files = [ \"file:/usr/lib/py/cache\" ]\n", "overlap");
  expect_dir_error(py + "\"file:/usr/lib/py/\"", "sgx.allowed_files = [ \"file:/usr/lib\" ]\n", "overlap");
  expect_dir_error(py + "\"file:/data/x/\"", "sgx.encrypted_files = [ { uri = \"file:/data\" } ]\n", "overlap");
  expect_dir_error(py + "\"file:/data/\"", "sgx.encrypted_files = [ { uri = \"file:/data/x\" } ]\n", "overlap");
  expect_dir_error(py + "\"file:/dev/\"", "", "answers /dev/stdin itself");
  expect_dir_error(py + "\"file:/proc/\"", "", "answers /proc/self/fd itself");
  expect_dir_error(py + "\"file:/dev/fd/x/\"", "", "answers /dev/fd itself");
}

TrustedFile tf(const std::string& path, std::uint8_t first = 0) { return {path, Sha256{first}}; }

TEST(Manifest, TrustedDirectoryListings) {
  const std::vector<TrustedFile> files = {tf("/d/os.py", 1), tf("/d/a", 2), tf("/d/json/__init__.py", 3),
                                          tf("/d/a-x", 4)};
  auto l = encode_trusted_listing("/d", files);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->size() % 8, 0u);
  auto back = parse_trusted_listing(*l, "/d");
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->size(), 4u);
  EXPECT_EQ((*back)[0].path, "/d/a");  // sorted by path
  EXPECT_EQ((*back)[1].path, "/d/a-x");
  EXPECT_EQ((*back)[3].path, "/d/os.py");
  EXPECT_EQ((*back)[3].sha256[0], 1);
  EXPECT_FALSE(parse_trusted_listing(*l, "/e"));  // another directory's listing
  EXPECT_TRUE(encode_trusted_listing("/d", {}));  // an empty directory

  const auto refused = [](std::vector<TrustedFile> f, const std::string& needle) {
    auto r = encode_trusted_listing("/d", std::move(f));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find(needle), std::string::npos) << r.error().message();
  };
  refused({tf("/e/x")}, "does not lie below it");
  refused({tf("/dx")}, "does not lie below it");
  refused({tf("/d/x"), tf("/d/x")}, "out of order or twice");
  // Sorted, "/d/a-x" lies between the file "/d/a" and "/d/a/b": a file is
  // no directory, whoever stands next to whom.
  refused({tf("/d/a"), tf("/d/a-x"), tf("/d/a/b")}, "lies below the file /d/a");
  refused({tf("/d/./x")}, "not normal");

  // Bytes changed after encoding: refused, or the encoding of what they say.
  for (std::size_t n = 0; n < l->size(); ++n) EXPECT_FALSE(parse_trusted_listing(ByteSpan(l->data(), n), "/d")) << n;
  for (std::size_t i = 0; i < l->size(); ++i) {
    Bytes b = *l;
    b[i] ^= 0x01;
    auto f = parse_trusted_listing(b, "/d");
    if (!f) continue;
    auto again = encode_trusted_listing("/d", *f);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, b) << "byte " << i;
  }
  // An entry's path as "/d/a/b" after "/d/a" in a hand-made listing (the
  // encoder refuses to make one).
  auto two = encode_trusted_listing("/d", {tf("/d/a"), tf("/d/a0b")});
  ASSERT_TRUE(two);
  Bytes b = *two;
  const std::size_t second = 24 + 40;  // header, then "/d/a": 36 + 4 bytes
  ASSERT_EQ(b[second + 36 + 4], '0');
  b[second + 36 + 4] = '/';
  auto f = parse_trusted_listing(b, "/d");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("lies below the file /d/a"), std::string::npos) << f.error().message();
}

TEST(Manifest, TrustedDirectoryListingJoinsTheTrustedFiles) {
  auto m = dir_manifest("\"file:/usr/bin/py\", \"file:/usr/lib/py/\", \"file:/a/\", \"file:/usr/lib/zz\"");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->trusted_dirs[1].path, "/usr/lib/py");
  EXPECT_FALSE(m->leads_to_trusted("/usr/lib/py"));  // its files have not joined yet
  EXPECT_FALSE(m->leads_to_trusted("/usr/lib/py/json"));
  auto l = encode_trusted_listing("/usr/lib/py", {tf("/usr/lib/py/os.py", 7), tf("/usr/lib/py/json/__init__.py")});
  ASSERT_TRUE(l);
  const Manifest before = *m;
  // The wrong directory's listing: refused, and the manifest as it was.
  EXPECT_FALSE(add_trusted_listing(*m, 0, *l));
  EXPECT_EQ(*m, before);
  EXPECT_FALSE(add_trusted_listing(*m, 2, *l));
  Bytes cut(l->begin(), l->end() - 8);
  EXPECT_FALSE(add_trusted_listing(*m, 1, cut));
  EXPECT_EQ(*m, before);
  auto added = add_trusted_listing(*m, 1, *l);
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_EQ(m->trusted_files.size(), 4u);
  EXPECT_TRUE(std::is_sorted(m->trusted_files.begin(), m->trusted_files.end(),
                             [](const TrustedFile& a, const TrustedFile& b) { return a.path < b.path; }));
  ASSERT_NE(m->trusted("/usr/lib/py/os.py"), nullptr);
  EXPECT_EQ(m->trusted("/usr/lib/py/os.py")->sha256[0], 7);
  EXPECT_NE(m->trusted("/usr/bin/py"), nullptr);
  EXPECT_NE(m->trusted("/usr/lib/zz"), nullptr);
  EXPECT_TRUE(m->leads_to_trusted("/usr/lib/py/json"));
  EXPECT_TRUE(m->leads_to_trusted("/usr/lib"));
  EXPECT_TRUE(m->leads_to_trusted("/"));
  EXPECT_FALSE(m->leads_to_trusted("/a"));  // an empty trusted directory: no file below it
  EXPECT_FALSE(m->leads_to_trusted("/usr/lib/py/os.py"));
  EXPECT_FALSE(m->leads_to_trusted("/usr/lib/p"));
  EXPECT_FALSE(m->leads_to_trusted("/usr/lib/py/jso"));
}

}  // namespace
}  // namespace nsgx::libos
