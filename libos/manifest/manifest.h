// The library OS's manifest in its canonical binary form (docs/libos.md,
// "The manifest").
//
// The TOML a user writes is parsed outside the enclave only
// (toml_manifest.h); what the enclave gets — and what its measurement
// covers — is this form, which has exactly one encoding per manifest: the
// same manifest always measures the same, and the enclave's parser accepts
// only that encoding (so a second, differently ordered or padded encoding of
// the same contents cannot exist). Usage:
//
//   Result<Bytes> b = encode_manifest(m);            // signing side
//   Result<Manifest> m = parse_manifest(bytes);      // enclave side, bounds-checked
//
// Layout, little-endian:
//   header   magic "nsgxMAN1" | u32 version (1) | u32 total size | u32 records | u32 0
//   record   u16 type | u16 0 | u32 payload length | payload | zeros to 8-byte alignment
// Records in the order of their type, then of their key (below); each
// singleton at most once:
//   1 entrypoint     a path                        (required; must be a trusted file)
//   2 argv0          any string without NUL        (loader.argv0_override)
//   3 env            NAME NUL VALUE, by NAME        (loader.env)
//   4 trusted file   32-byte SHA-256, then a path, by path (sgx.trusted_files)
//   5 allowed file   a path, by path                (sgx.allowed_files)
//   6 enclave size   u64                            (sgx.enclave_size)
//   7 max threads    u32                            (sgx.max_threads)
//   8 encrypted      u32 key (EncryptedKey), then a path, by path
//                                                  (sgx.encrypted_files)
//   9 no rewriting   u32 0: load-time system-call rewriting off
//                                                  (libos.syscall_rewrite = false;
//                                                  absent: on, the default)
//  10 argv           the program's arguments, each followed by a NUL, in
//                    order: 1 to 256 strings, 32 KiB at most (loader.argv;
//                    never with argv0: argv[0] is its first string)
//  11 trusted dir    32-byte SHA-256 of its listing, then a path, by path
//                    (sgx.trusted_files' "file:DIR/" entries: every file
//                    below DIR, each with its SHA-256, in the listing below)
// Paths are absolute and normal: '/' first, no empty, "." or ".." component,
// no trailing '/', no control character; a path is never both trusted and
// allowed. The entrypoint is a trusted file or lies in a trusted
// directory. Trusted directories do not nest, and no trusted file, allowed
// or encrypted path lies in one, nor one in an allowed or encrypted path:
// the listing alone says what is trusted below it. An encrypted path names a file or a directory (every path below
// it): no encrypted path lies below another, and no trusted or allowed
// path is an encrypted one or below one. An allowed path names a file or a
// directory too (every path below it passes through, since 2026-12-07):
// no allowed path lies below another, and no trusted or encrypted path
// lies in one. The library OS's own devices
// (kLibosDevicePaths) and descriptor links (kLibosLinkPaths, and what lies
// below them) are none of these, nor lie in a trusted directory.
//
// A trusted directory's listing (`nsgx libos build` writes it beside the
// signed enclave; the enclave reads it through the host and checks its
// SHA-256 against the record before using a byte of it):
//   header   magic "nsgxTDL1" | u32 version (1) | u32 total size | u32 entries | u32 0
//   entry    32-byte SHA-256 | u32 path length | the file's absolute path
//            (below the directory) | zeros to 8-byte alignment
// Entries strictly by path; no entry lies below another (a file is no
// directory).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace nsgx::libos {

inline constexpr std::array<std::uint8_t, 8> kManifestMagic = {'n', 's', 'g', 'x', 'M', 'A', 'N', '1'};
inline constexpr std::uint32_t kManifestVersion = 1;
inline constexpr std::size_t kManifestHeaderSize = 24;
inline constexpr std::size_t kMaxManifestSize = std::size_t{1} << 20;
inline constexpr std::size_t kMaxPathLength = 4096;
inline constexpr std::size_t kMaxEnvName = 256;
inline constexpr std::size_t kMaxEnvValue = 32768;
inline constexpr std::size_t kMaxArgv0 = 4096;
inline constexpr std::size_t kMaxArgvCount = 256;          // build_stack's (initial_stack.cc)
inline constexpr std::size_t kMaxArgvBytes = std::size_t{32} << 10;  // with their NULs; the stack has 64 KiB
inline constexpr std::uint64_t kMinEnclaveSize = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kMaxEnclaveSize = std::uint64_t{64} << 30;
inline constexpr std::uint32_t kMaxThreadCount = 1024;
inline constexpr std::array<std::uint8_t, 8> kListingMagic = {'n', 's', 'g', 'x', 'T', 'D', 'L', '1'};
inline constexpr std::uint32_t kListingVersion = 1;
inline constexpr std::size_t kListingHeaderSize = 24;
// A listing's bounds: far above a language's standard library (Python
// 3.11's is 1,403 files, 130 KiB of listing), and small enough that an
// enclave's heap holds the files it names.
inline constexpr std::size_t kMaxListingSize = std::size_t{64} << 20;
inline constexpr std::uint32_t kMaxListingEntries = std::uint32_t{1} << 18;

enum class RecordType : std::uint16_t {
  kEntrypoint = 1,
  kArgv0 = 2,
  kEnv = 3,
  kTrustedFile = 4,
  kAllowedFile = 5,
  kEnclaveSize = 6,
  kMaxThreads = 7,
  kEncrypted = 8,
  kNoSyscallRewrite = 9,
  kArgv = 10,
  kTrustedDir = 11,
};

using Sha256 = std::array<std::uint8_t, 32>;

struct TrustedFile {
  std::string path;
  Sha256 sha256{};
  bool operator==(const TrustedFile&) const = default;
};

// Whose sealing key protects an encrypted path (EGETKEY SEAL with
// KEYPOLICY.MRENCLAVE or .MRSIGNER; Gramine's key names "_sgx_mrenclave"
// and "_sgx_mrsigner"). The values are libos/fs/format.h's KeyKind's.
enum class EncryptedKey : std::uint32_t {
  kMrenclave = 1,
  kMrsigner = 2,
};

struct EncryptedPath {
  std::string path;  // a file, or a directory and everything below it
  EncryptedKey key = EncryptedKey::kMrenclave;
  bool operator==(const EncryptedPath&) const = default;
};

// The character devices the library OS answers itself, inside, whatever
// the host holds there (libos/enclave/devices.h, which numbers them in
// this order): no manifest names one as a trusted, allowed or encrypted
// path, so that a manifest has one meaning.
inline constexpr std::array<std::string_view, 5> kLibosDevicePaths = {"/dev/null", "/dev/zero", "/dev/full",
                                                                      "/dev/random", "/dev/urandom"};
// Linux's links to descriptors, which the library OS answers itself too
// (libos/enclave/syscalls_path.cc): no manifest path is one or lies
// below one.
inline constexpr std::array<std::string_view, 5> kLibosLinkPaths = {"/dev/stdin", "/dev/stdout", "/dev/stderr",
                                                                    "/dev/fd", "/proc/self/fd"};

// Whether `p` is `dir` or lies below it ("/a/b" is below "/a", "/ab" is not).
bool path_within(std::string_view p, std::string_view dir);

struct Manifest {
  std::string entrypoint;
  std::string argv0;                                     // empty: none given
  std::vector<std::pair<std::string, std::string>> env;  // by name
  std::vector<TrustedFile> trusted_files;                // by path
  std::vector<std::string> allowed_files;                // by path
  std::uint64_t enclave_size = 0;                        // 0: none given
  std::uint32_t max_threads = 0;                         // 0: none given
  std::vector<EncryptedPath> encrypted_files;            // by path
  bool syscall_rewrite = true;                           // libos.syscall_rewrite (docs/libos.md)
  // loader.argv: the program's whole argv, measured with the rest; empty:
  // the command line's, which the untrusted host hands in (docs/libos.md,
  // "Arguments").
  std::vector<std::string> argv;
  // sgx.trusted_files' directories, by path: `sha256` is their listing's.
  // The enclave adds each listing's files to trusted_files when it starts
  // (add_trusted_listing); the records stay, saying where they came from.
  std::vector<TrustedFile> trusted_dirs;
  bool operator==(const Manifest&) const = default;

  // The trusted file at `path`, or null.
  const TrustedFile* trusted(std::string_view path) const;
  // The trusted directory that holds `path`, or null.
  const TrustedFile* trusted_dir(std::string_view path) const;
  // Whether a trusted file lies below the directory `dir` ("/" included):
  // a directory exists inside when a file lies below it.
  bool leads_to_trusted(std::string_view dir) const;
  bool allowed(std::string_view path) const;
  // The encrypted entry that is `path` or one of its directories, or null.
  const EncryptedPath* encrypted(std::string_view path) const;
};

// Whether `p` is an absolute, normal path (the rules above); the error
// names what is wrong.
Status check_path(std::string_view p);

// The canonical encoding of `m`, after the checks the parser makes (so
// that whatever encodes, parses): sorted, singletons once, limits kept.
Result<Bytes> encode_manifest(Manifest m);

// Parses the canonical encoding: every length and offset checked against
// `bytes`, every rule above enforced; anything else is an error that says
// where.
Result<Manifest> parse_manifest(ByteSpan bytes);

// A trusted directory's listing of `files` (each below `dir`), in its one
// encoding; the errors say which rule a file breaks.
Result<Bytes> encode_trusted_listing(std::string_view dir, std::vector<TrustedFile> files);

// The name of trusted directory `index`'s listing (the order of the
// manifest's sorted trusted_dirs): `nsgx libos build` writes it beside the
// signed enclave, where the library OS host reads it for the enclave
// (libos/host/listing_ocalls.cc). Untrusted: its hash is in the manifest.
inline std::string listing_file_name(std::size_t index) { return "trusted_dir_" + std::to_string(index) + ".bin"; }

// Parses a listing of `dir` (the caller has checked its SHA-256 against
// the manifest's record): every length checked against `bytes`, every
// rule above enforced.
Result<std::vector<TrustedFile>> parse_trusted_listing(ByteSpan bytes, std::string_view dir);

// Adds the files of trusted directory `dir` (an index into
// m.trusted_dirs), parsed from its listing, to m.trusted_files, keeping
// them sorted. The manifest's rules keep every path to one meaning: no
// other trusted, allowed or encrypted path lies in a trusted directory.
Status add_trusted_listing(Manifest& m, std::size_t dir, ByteSpan listing);

}  // namespace nsgx::libos
