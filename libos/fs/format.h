// The on-disk format of the library OS's protected files (docs/libos.md,
// "Encrypted files"). Only layout constants and the byte order live here;
// pfs.cc reads and writes these fields one by one through load_le/store_le
// (parse, don't cast: nothing on the untrusted disk is ever cast to a
// struct).
//
// What it follows: the idea of Intel's SGX SDK Protected FS (a file of
// fixed 4 KiB nodes: a metadata node sealed to the enclave, data nodes
// under AES-GCM whose tags sit in authenticated tree nodes up to the
// metadata), simplified to a two-level tree; the GCM interface and IV rules
// of NIST SP 800-38D (96-bit IVs, random IV construction §8.2.2, at most
// 2^32 invocations per key with random IVs §8.3); the key derivation of
// NIST SP 800-108r1 §4.1 (counter mode) with AES-CMAC (SP 800-38B) as the
// PRF; SHA-256 (FIPS 180-4) for the tree.
//
// A file is a sequence of 4 KiB blocks, little-endian:
//
//   block 0          the metadata node: a clear header (below) whose bytes
//                    [0, kHeaderAadSize) are the AAD of an AES-GCM-128
//                    encryption of the body under the metadata key
//   then per group g of up to 128 chunks:
//     a tag node     128 entries of { IV[12], GCM tag[16], u32 0 } for the
//                    group's chunks, unused entries all zero (clear: IVs and
//                    tags are not secret)
//     its chunks     each 4096 bytes of AES-GCM-128 ciphertext of the
//                    chunk's plaintext (zeros past the file's size) under the
//                    file key, IV from its entry, AAD = key_id || u64 index
//
// The tree: node_hash[g] = SHA-256("nsgxPFS node" || u64 g || tag node g);
// root = SHA-256("nsgxPFS root" || u64 chunk count || node_hash[0..n)).
// The root is in the encrypted metadata body, so every chunk's IV and tag —
// and through GCM every chunk's contents and position — is authenticated
// by the metadata node's tag.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsgx::pfs::format {

inline constexpr std::size_t kBlockSize = 4096;
inline constexpr std::size_t kChunkSize = kBlockSize;  // plaintext bytes per chunk
inline constexpr std::size_t kEntrySize = 32;
inline constexpr std::size_t kEntriesPerNode = kBlockSize / kEntrySize;  // chunks per tag node
inline constexpr std::size_t kIvSize = 12;                               // SP 800-38D §8.2: 96 bits
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kKeySize = 16;  // AES-128, as EGETKEY's keys
inline constexpr std::size_t kKeyIdSize = 32;
inline constexpr std::size_t kHashSize = 32;

inline constexpr char kMagic[8] = {'n', 's', 'g', 'x', 'P', 'F', 'S', '1'};
inline constexpr std::uint32_t kFormatVersion = 1;

// How the metadata key's source is chosen. Stored in the header (and in the
// AAD) and compared with what the opener asks for: a file made under one
// policy never opens under another.
enum class KeyKind : std::uint32_t {
  kSealMrenclave = 1,  // EGETKEY SEAL, KEYPOLICY.MRENCLAVE
  kSealMrsigner = 2,   // EGETKEY SEAL, KEYPOLICY.MRSIGNER
  kProvisioned = 3,    // a 128-bit key the enclave got after remote attestation
};

// The metadata node's clear header.
namespace header {
inline constexpr std::size_t kMagicOff = 0;       // u8[8]  kMagic
inline constexpr std::size_t kVersionOff = 8;     // u32    kFormatVersion
inline constexpr std::size_t kChunkSizeOff = 12;  // u32    kChunkSize
inline constexpr std::size_t kKeyKindOff = 16;    // u32    KeyKind
inline constexpr std::size_t kIsvSvnOff = 20;     // u16    KEYREQUEST.ISVSVN (sealing; else 0)
inline constexpr std::size_t kConfigSvnOff = 22;  // u16    KEYREQUEST.CONFIGSVN (sealing; else 0)
inline constexpr std::size_t kCpuSvnOff = 24;     // u8[16] KEYREQUEST.CPUSVN (sealing; else 0)
inline constexpr std::size_t kKeyIdOff = 40;      // u8[32] random per file: KEYREQUEST.KEYID and the file's id
inline constexpr std::size_t kAadSize = 72;       // [0, 72) is the metadata's AAD
inline constexpr std::size_t kIvOff = 72;         // u8[12] the metadata's IV, random per write
inline constexpr std::size_t kTagOff = 84;        // u8[16] the metadata's GCM tag
inline constexpr std::size_t kReservedOff = 100;  // zeros to kSize
inline constexpr std::size_t kSize = 128;
static_assert(kKeyIdOff + kKeyIdSize == kAadSize);
static_assert(kIvOff == kAadSize && kIvOff + kIvSize == kTagOff && kTagOff + kTagSize == kReservedOff);
static_assert(kReservedOff <= kSize && kSize % 16 == 0);
}  // namespace header

// The metadata node's encrypted body: block 0 from header::kSize on.
namespace body {
inline constexpr std::size_t kFileKeyOff = 0;       // u8[16] the chunks' AES-GCM key, random per file
inline constexpr std::size_t kSizeOff = 16;         // u64    the file's size in bytes
inline constexpr std::size_t kVersionOff = 24;      // u64    +1 at every flush that changed the file
inline constexpr std::size_t kRootOff = 32;         // u8[32] the tree's root
inline constexpr std::size_t kEncryptionsOff = 64;  // u64    chunk encryptions under the file key so far
inline constexpr std::size_t kPathLenOff = 72;      // u32    bytes of the path
inline constexpr std::size_t kReservedOff = 76;     // u32    0
inline constexpr std::size_t kPathOff = 80;         // the path inside the enclave's namespace, zero padded
inline constexpr std::size_t kSize = kBlockSize - header::kSize;
inline constexpr std::size_t kMaxPath = kSize - kPathOff;
static_assert(kFileKeyOff + kKeySize == kSizeOff && kRootOff + kHashSize == kEncryptionsOff);
static_assert(kSize == 3968 && kMaxPath == 3888);
}  // namespace body

// A tag node's entry (one per chunk).
namespace entry {
inline constexpr std::size_t kIvOff = 0;
inline constexpr std::size_t kTagOff = 12;
inline constexpr std::size_t kReservedOff = 28;  // u32 0
static_assert(kTagOff == kIvOff + kIvSize && kReservedOff == kTagOff + kTagSize && kReservedOff + 4 == kEntrySize);
}  // namespace entry
static_assert(kEntriesPerNode == 128 && kEntriesPerNode * kEntrySize == kBlockSize);

// At most 2^32 chunk encryptions per file key with random IVs (SP 800-38D
// §8.3); the metadata counts them and the file refuses writes beyond.
inline constexpr std::uint64_t kMaxEncryptions = std::uint64_t{1} << 32;
// The largest file: 2^44 bytes (16 TiB) keeps every block offset far below 2^63.
inline constexpr std::uint64_t kMaxFileSize = std::uint64_t{1} << 44;

// Chunks needed for `size` bytes.
constexpr std::uint64_t chunk_count(std::uint64_t size) { return (size + kChunkSize - 1) / kChunkSize; }
// Tag nodes needed for `chunks` chunks.
constexpr std::uint64_t node_count(std::uint64_t chunks) { return (chunks + kEntriesPerNode - 1) / kEntriesPerNode; }
// Byte offset of tag node g and of chunk i; the file's length for n chunks.
constexpr std::uint64_t node_offset(std::uint64_t g) { return kBlockSize * (1 + g * (kEntriesPerNode + 1)); }
constexpr std::uint64_t chunk_offset(std::uint64_t i) {
  return node_offset(i / kEntriesPerNode) + kBlockSize * (1 + i % kEntriesPerNode);
}
constexpr std::uint64_t file_length(std::uint64_t chunks) { return kBlockSize * (1 + node_count(chunks) + chunks); }
static_assert(chunk_offset(0) == 2 * kBlockSize && chunk_offset(127) == 129 * kBlockSize &&
              node_offset(1) == 130 * kBlockSize && chunk_offset(128) == 131 * kBlockSize);
static_assert(file_length(0) == kBlockSize && file_length(1) == 3 * kBlockSize && file_length(129) == 132 * kBlockSize);
static_assert(file_length(chunk_count(kMaxFileSize)) < (std::uint64_t{1} << 46));

constexpr std::uint64_t load_le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}
constexpr void store_le(std::uint8_t* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}

}  // namespace nsgx::pfs::format
