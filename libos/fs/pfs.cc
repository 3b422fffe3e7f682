// Protected files (pfs.h; the format: format.h). The same source runs in
// the enclave (with the trusted runtime's sgx_tcrypto over mbedTLS and
// EGETKEY) and natively in the tests and the fuzzer (the same sgx_tcrypto
// source, a fake EGETKEY).
//
// In memory a File keeps the metadata fields, every tag node (1/129 of the
// file, read and checked against the root at open) with each node's hash,
// and one decrypted chunk. Chunks are written through (encrypted with a
// fresh random IV, then their entry updated in memory only once the write
// succeeded); tag nodes and the metadata are written at flush. So what is
// in memory is always self-consistent and authenticated; what is on disk is
// consistent after a flush.
#include "libos/fs/pfs.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "libos/fs/seal_key.h"
#include "sgx_tcrypto.h"
#include "sgx_trts.h"

namespace nsgx::pfs {

namespace f = format;

struct File {
  Storage st;
  bool writable;
  f::KeyKind kind;
  SealIdentity svn;
  std::uint8_t key_id[f::kKeyIdSize];
  std::uint8_t meta_key[f::kKeySize];
  std::uint8_t file_key[f::kKeySize];
  std::uint64_t size;
  std::uint64_t version;
  std::uint64_t encryptions;
  char* path;
  std::size_t path_len;
  // Tag nodes [0, cap) (f::kBlockSize each), their hashes, dirty marks.
  std::uint8_t* nodes;
  std::uint8_t* hashes;
  std::uint8_t* dirty;
  std::uint64_t cap;
  // The chunk count whose length the storage file has (after the last
  // flush or open); flush truncates it when the file shrank.
  std::uint64_t disk_chunks;
  bool meta_dirty;
  // One decrypted chunk.
  bool cached;
  std::uint64_t cached_index;
  std::uint8_t chunk[f::kChunkSize];
  Freshness fresh;
};

namespace {

void wipe(void* p, std::size_t n) {
  volatile auto* b = static_cast<volatile std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = 0;
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
  std::uint8_t acc = 0;
  for (std::size_t i = 0; i < n; ++i) acc |= p[i];
  return acc == 0;
}

bool random_bytes(std::uint8_t* p, std::size_t n) { return sgx_read_rand(p, n) == SGX_SUCCESS; }

// ---------------------------------------------------------------- storage
// Every answer of the untrusted side is checked here, once.

// Reads exactly `len` bytes at `off`. A storage that ends early gives
// kIntegrity (the file was truncated); an error or a count out of range, kIo.
Error read_exact(const Storage& st, std::uint8_t* buf, std::size_t len, std::uint64_t off) {
  std::size_t done = 0;
  while (done < len) {
    const std::int64_t n = st.pread(st.ctx, buf + done, len - done, off + done);
    if (n < 0) return Error::kIo;
    if (n == 0) return Error::kIntegrity;
    if (static_cast<std::uint64_t>(n) > len - done) return Error::kIo;
    done += static_cast<std::size_t>(n);
  }
  return Error::kOk;
}

Error write_exact(const Storage& st, const std::uint8_t* buf, std::size_t len, std::uint64_t off) {
  std::size_t done = 0;
  while (done < len) {
    const std::int64_t n = st.pwrite(st.ctx, buf + done, len - done, off + done);
    if (n <= 0 || static_cast<std::uint64_t>(n) > len - done) return Error::kIo;
    done += static_cast<std::size_t>(n);
  }
  return Error::kOk;
}

// True if the storage has no byte at `off` (its length is at most `off`).
Error expect_end(const Storage& st, std::uint64_t off) {
  std::uint8_t b = 0;
  const std::int64_t n = st.pread(st.ctx, &b, 1, off);
  if (n < 0 || n > 1) return Error::kIo;
  return n == 0 ? Error::kOk : Error::kIntegrity;
}

// ----------------------------------------------------------------- crypto

Error gcm_encrypt(const std::uint8_t (&key)[f::kKeySize], const std::uint8_t* iv, const std::uint8_t* aad,
                  std::size_t aad_len, const std::uint8_t* in, std::size_t len, std::uint8_t* out, std::uint8_t* tag) {
  sgx_aes_gcm_128bit_key_t k;
  std::memcpy(k, key, sizeof k);
  sgx_aes_gcm_128bit_tag_t t;
  const sgx_status_t s = sgx_rijndael128GCM_encrypt(&k, in, static_cast<std::uint32_t>(len), out, iv, f::kIvSize, aad,
                                                    static_cast<std::uint32_t>(aad_len), &t);
  wipe(k, sizeof k);
  if (s != SGX_SUCCESS) return s == SGX_ERROR_OUT_OF_MEMORY ? Error::kNoMemory : Error::kInvalid;
  std::memcpy(tag, t, f::kTagSize);
  return Error::kOk;
}

Error gcm_decrypt(const std::uint8_t (&key)[f::kKeySize], const std::uint8_t* iv, const std::uint8_t* aad,
                  std::size_t aad_len, const std::uint8_t* in, std::size_t len, std::uint8_t* out,
                  const std::uint8_t* tag) {
  sgx_aes_gcm_128bit_key_t k;
  std::memcpy(k, key, sizeof k);
  sgx_aes_gcm_128bit_tag_t t;
  std::memcpy(t, tag, sizeof t);
  const sgx_status_t s = sgx_rijndael128GCM_decrypt(&k, in, static_cast<std::uint32_t>(len), out, iv, f::kIvSize, aad,
                                                    static_cast<std::uint32_t>(aad_len), &t);
  wipe(k, sizeof k);
  if (s == SGX_SUCCESS) return Error::kOk;
  if (s == SGX_ERROR_MAC_MISMATCH) return Error::kIntegrity;
  return s == SGX_ERROR_OUT_OF_MEMORY ? Error::kNoMemory : Error::kInvalid;
}

// SHA-256 over a few pieces.
struct Piece {
  const void* p;
  std::size_t n;
};
Error sha256(const Piece* pieces, std::size_t count, std::uint8_t (&out)[f::kHashSize]) {
  sgx_sha_state_handle_t h = nullptr;
  sgx_status_t s = sgx_sha256_init(&h);
  if (s != SGX_SUCCESS) return s == SGX_ERROR_OUT_OF_MEMORY ? Error::kNoMemory : Error::kInvalid;
  for (std::size_t i = 0; i < count && s == SGX_SUCCESS; ++i)
    if (pieces[i].n != 0)
      s = sgx_sha256_update(static_cast<const std::uint8_t*>(pieces[i].p), static_cast<std::uint32_t>(pieces[i].n), h);
  sgx_sha256_hash_t hash;
  if (s == SGX_SUCCESS) s = sgx_sha256_get_hash(h, &hash);
  (void)sgx_sha256_close(h);
  if (s != SGX_SUCCESS) return Error::kInvalid;
  std::memcpy(out, hash, sizeof out);
  return Error::kOk;
}

constexpr char kNodeLabel[] = "nsgxPFS node";  // 12 bytes, no NUL hashed
constexpr char kRootLabel[] = "nsgxPFS root";
constexpr char kMetaLabel[] = "nsgxPFS metadata key";

Error node_hash(std::uint64_t g, const std::uint8_t* node, std::uint8_t (&out)[f::kHashSize]) {
  std::uint8_t idx[8];
  f::store_le(idx, g, 8);
  const Piece p[] = {{kNodeLabel, sizeof kNodeLabel - 1}, {idx, sizeof idx}, {node, f::kBlockSize}};
  return sha256(p, 3, out);
}

// The root over node hashes [0, node_count(chunks)).
Error tree_root(const File* fl, std::uint64_t chunks, std::uint8_t (&out)[f::kHashSize]) {
  sgx_sha_state_handle_t h = nullptr;
  sgx_status_t s = sgx_sha256_init(&h);
  if (s != SGX_SUCCESS) return s == SGX_ERROR_OUT_OF_MEMORY ? Error::kNoMemory : Error::kInvalid;
  std::uint8_t n[8];
  f::store_le(n, chunks, 8);
  s = sgx_sha256_update(reinterpret_cast<const std::uint8_t*>(kRootLabel), sizeof kRootLabel - 1, h);
  if (s == SGX_SUCCESS) s = sgx_sha256_update(n, sizeof n, h);
  const std::uint64_t nodes = f::node_count(chunks);
  for (std::uint64_t g = 0; g < nodes && s == SGX_SUCCESS; ++g)
    s = sgx_sha256_update(fl->hashes + g * f::kHashSize, f::kHashSize, h);
  sgx_sha256_hash_t hash;
  if (s == SGX_SUCCESS) s = sgx_sha256_get_hash(h, &hash);
  (void)sgx_sha256_close(h);
  if (s != SGX_SUCCESS) return Error::kInvalid;
  std::memcpy(out, hash, sizeof out);
  return Error::kOk;
}

// The metadata key: NIST SP 800-108r1 §4.1 counter-mode KDF with AES-CMAC,
// K_IN = the key source's key, Label = kMetaLabel, Context = KEYID ||
// SHA-256(path), L = 128: one PRF block, [1]_32 || Label || 0x00 ||
// Context || [128]_32. The path in the derivation is what refuses a file
// renamed or copied to another path (its metadata then fails GCM).
Error derive_meta_key(const std::uint8_t (&source)[f::kKeySize], const std::uint8_t (&key_id)[f::kKeyIdSize],
                      std::string_view path, std::uint8_t (&out)[f::kKeySize]) {
  std::uint8_t path_hash[f::kHashSize];
  const Piece p[] = {{path.data(), path.size()}};
  if (Error e = sha256(p, 1, path_hash); e != Error::kOk) return e;
  std::uint8_t msg[4 + sizeof kMetaLabel + f::kKeyIdSize + f::kHashSize + 4];
  std::size_t n = 0;
  f::store_le(msg, 0, 4);
  msg[n + 3] = 1;  // [i]_32 big-endian, i = 1
  n += 4;
  std::memcpy(msg + n, kMetaLabel, sizeof kMetaLabel);  // the label and its 0x00 separator
  n += sizeof kMetaLabel;
  std::memcpy(msg + n, key_id, f::kKeyIdSize);
  n += f::kKeyIdSize;
  std::memcpy(msg + n, path_hash, f::kHashSize);
  n += f::kHashSize;
  f::store_le(msg + n, 0, 4);
  msg[n + 2] = 0;
  msg[n + 3] = 128;  // [L]_32 big-endian, L = 128
  n += 4;
  sgx_cmac_128bit_key_t k;
  std::memcpy(k, source, sizeof k);
  sgx_cmac_128bit_tag_t t;
  const sgx_status_t s = sgx_rijndael128_cmac_msg(&k, msg, static_cast<std::uint32_t>(n), &t);
  wipe(k, sizeof k);
  if (s != SGX_SUCCESS) return s == SGX_ERROR_OUT_OF_MEMORY ? Error::kNoMemory : Error::kKey;
  std::memcpy(out, t, sizeof out);
  wipe(t, sizeof t);
  return Error::kOk;
}

// The key source's key for this file.
Error source_key(const KeySource& ks, const SealIdentity& svn, const std::uint8_t (&key_id)[f::kKeyIdSize],
                 std::uint8_t (&out)[f::kKeySize]) {
  switch (ks.kind) {
    case f::KeyKind::kSealMrenclave:
    case f::KeyKind::kSealMrsigner:
      return get_seal_key(ks.kind == f::KeyKind::kSealMrenclave, svn, key_id, out) ? Error::kOk : Error::kKey;
    case f::KeyKind::kProvisioned:
      std::memcpy(out, ks.key, sizeof out);
      return Error::kOk;
  }
  return Error::kInvalid;
}

// ----------------------------------------------------------------- memory

void destroy(File* fl) {
  if (fl == nullptr) return;
  std::free(fl->path);
  std::free(fl->nodes);
  std::free(fl->hashes);
  std::free(fl->dirty);
  wipe(fl, sizeof *fl);
  std::free(fl);
}

// Room for `nodes` tag nodes (new ones zero).
Error reserve_nodes(File* fl, std::uint64_t nodes) {
  if (nodes <= fl->cap) return Error::kOk;
  std::uint64_t cap = fl->cap < 4 ? 4 : fl->cap;
  while (cap < nodes) cap *= 2;
  auto* n = static_cast<std::uint8_t*>(std::realloc(fl->nodes, cap * f::kBlockSize));
  if (n == nullptr) return Error::kNoMemory;
  fl->nodes = n;
  auto* h = static_cast<std::uint8_t*>(std::realloc(fl->hashes, cap * f::kHashSize));
  if (h == nullptr) return Error::kNoMemory;
  fl->hashes = h;
  auto* d = static_cast<std::uint8_t*>(std::realloc(fl->dirty, cap));
  if (d == nullptr) return Error::kNoMemory;
  fl->dirty = d;
  std::memset(fl->nodes + fl->cap * f::kBlockSize, 0, (cap - fl->cap) * f::kBlockSize);
  std::memset(fl->hashes + fl->cap * f::kHashSize, 0, (cap - fl->cap) * f::kHashSize);
  std::memset(fl->dirty + fl->cap, 0, cap - fl->cap);
  fl->cap = cap;
  return Error::kOk;
}

std::uint8_t* entry_of(File* fl, std::uint64_t i) {
  return fl->nodes + (i / f::kEntriesPerNode) * f::kBlockSize + (i % f::kEntriesPerNode) * f::kEntrySize;
}

// ----------------------------------------------------------------- chunks

void chunk_aad(const File* fl, std::uint64_t i, std::uint8_t (&aad)[f::kKeyIdSize + 8]) {
  std::memcpy(aad, fl->key_id, f::kKeyIdSize);
  f::store_le(aad + f::kKeyIdSize, i, 8);
}

// Loads chunk i (< the chunk count) into fl->chunk.
Error load_chunk(File* fl, std::uint64_t i) {
  if (fl->cached && fl->cached_index == i) return Error::kOk;
  fl->cached = false;
  static_assert(f::kChunkSize == f::kBlockSize);
  auto* ct = static_cast<std::uint8_t*>(std::malloc(f::kChunkSize));
  if (ct == nullptr) return Error::kNoMemory;
  Error e = read_exact(fl->st, ct, f::kChunkSize, f::chunk_offset(i));
  if (e == Error::kOk) {
    const std::uint8_t* en = entry_of(fl, i);
    std::uint8_t aad[f::kKeyIdSize + 8];
    chunk_aad(fl, i, aad);
    e = gcm_decrypt(fl->file_key, en + f::entry::kIvOff, aad, sizeof aad, ct, f::kChunkSize, fl->chunk,
                    en + f::entry::kTagOff);
  }
  std::free(ct);
  if (e != Error::kOk) return e;
  fl->cached = true;
  fl->cached_index = i;
  return Error::kOk;
}

// Encrypts fl->chunk as chunk i under a fresh IV and writes it; its entry
// changes only once the write succeeded.
Error store_chunk(File* fl, std::uint64_t i) {
  if (fl->encryptions >= f::kMaxEncryptions) return Error::kExhausted;
  std::uint8_t iv[f::kIvSize];
  if (!random_bytes(iv, sizeof iv)) return Error::kKey;
  auto* ct = static_cast<std::uint8_t*>(std::malloc(f::kChunkSize));
  if (ct == nullptr) return Error::kNoMemory;
  std::uint8_t aad[f::kKeyIdSize + 8];
  chunk_aad(fl, i, aad);
  std::uint8_t tag[f::kTagSize];
  Error e = gcm_encrypt(fl->file_key, iv, aad, sizeof aad, fl->chunk, f::kChunkSize, ct, tag);
  if (e == Error::kOk) {
    ++fl->encryptions;
    fl->meta_dirty = true;
    e = write_exact(fl->st, ct, f::kChunkSize, f::chunk_offset(i));
  }
  std::free(ct);
  if (e != Error::kOk) {
    fl->cached = false;
    return e;
  }
  std::uint8_t* en = entry_of(fl, i);
  std::memcpy(en + f::entry::kIvOff, iv, f::kIvSize);
  std::memcpy(en + f::entry::kTagOff, tag, f::kTagSize);
  fl->dirty[i / f::kEntriesPerNode] = 1;
  fl->cached = true;
  fl->cached_index = i;
  return Error::kOk;
}

// Adds zero chunks until the file has `chunks` of them.
Error grow_chunks(File* fl, std::uint64_t chunks) {
  if (Error e = reserve_nodes(fl, f::node_count(chunks)); e != Error::kOk) return e;
  for (std::uint64_t i = f::chunk_count(fl->size); i < chunks; ++i) {
    std::memset(fl->chunk, 0, sizeof fl->chunk);
    if (Error e = store_chunk(fl, i); e != Error::kOk) return e;
    // The file now has i + 1 chunks: its size covers them, so a failure
    // later leaves a file whose size and tree agree.
    fl->size = (i + 1) * f::kChunkSize;
  }
  return Error::kOk;
}

// ------------------------------------------------------------- metadata

void put_header(const File* fl, std::uint8_t* b) {
  std::memset(b, 0, f::header::kSize);
  std::memcpy(b + f::header::kMagicOff, f::kMagic, sizeof f::kMagic);
  f::store_le(b + f::header::kVersionOff, f::kFormatVersion, 4);
  f::store_le(b + f::header::kChunkSizeOff, f::kChunkSize, 4);
  f::store_le(b + f::header::kKeyKindOff, static_cast<std::uint32_t>(fl->kind), 4);
  f::store_le(b + f::header::kIsvSvnOff, fl->svn.isv_svn, 2);
  f::store_le(b + f::header::kConfigSvnOff, fl->svn.config_svn, 2);
  std::memcpy(b + f::header::kCpuSvnOff, fl->svn.cpu_svn, sizeof fl->svn.cpu_svn);
  std::memcpy(b + f::header::kKeyIdOff, fl->key_id, f::kKeyIdSize);
}

Error write_metadata(File* fl, const std::uint8_t (&root)[f::kHashSize]) {
  auto* block = static_cast<std::uint8_t*>(std::calloc(2, f::kBlockSize));
  if (block == nullptr) return Error::kNoMemory;
  std::uint8_t* body = block + f::kBlockSize;  // the clear body, wiped below
  put_header(fl, block);
  std::memcpy(body + f::body::kFileKeyOff, fl->file_key, f::kKeySize);
  f::store_le(body + f::body::kSizeOff, fl->size, 8);
  f::store_le(body + f::body::kVersionOff, fl->version + 1, 8);
  std::memcpy(body + f::body::kRootOff, root, f::kHashSize);
  f::store_le(body + f::body::kEncryptionsOff, fl->encryptions, 8);
  f::store_le(body + f::body::kPathLenOff, fl->path_len, 4);
  std::memcpy(body + f::body::kPathOff, fl->path, fl->path_len);
  Error e = random_bytes(block + f::header::kIvOff, f::kIvSize) ? Error::kOk : Error::kKey;
  if (e == Error::kOk)
    e = gcm_encrypt(fl->meta_key, block + f::header::kIvOff, block, f::header::kAadSize, body, f::body::kSize,
                    block + f::header::kSize, block + f::header::kTagOff);
  wipe(body, f::kBlockSize);
  if (e == Error::kOk) e = write_exact(fl->st, block, f::kBlockSize, 0);
  if (e == Error::kOk) {
    const Piece p[] = {{block, f::kBlockSize}};
    e = sha256(p, 1, fl->fresh.digest);
    fl->fresh.version = fl->version + 1;
    ++fl->version;
  }
  std::free(block);
  return e;
}

// Parses and checks block 0 (opened as `path` under `ks`) into fl.
Error read_metadata(File* fl, std::string_view path, const KeySource& ks, const Freshness* expected) {
  auto* block = static_cast<std::uint8_t*>(std::malloc(2 * f::kBlockSize));
  if (block == nullptr) return Error::kNoMemory;
  std::uint8_t* body = block + f::kBlockSize;
  Error e = read_exact(fl->st, block, f::kBlockSize, 0);
  const std::uint8_t* h = block;
  if (e == Error::kOk && (std::memcmp(h + f::header::kMagicOff, f::kMagic, sizeof f::kMagic) != 0 ||
                          f::load_le(h + f::header::kVersionOff, 4) != f::kFormatVersion ||
                          f::load_le(h + f::header::kChunkSizeOff, 4) != f::kChunkSize ||
                          f::load_le(h + f::header::kKeyKindOff, 4) != static_cast<std::uint32_t>(ks.kind) ||
                          !all_zero(h + f::header::kReservedOff, f::header::kSize - f::header::kReservedOff)))
    e = Error::kIntegrity;
  std::uint8_t source[f::kKeySize] = {};
  if (e == Error::kOk) {
    fl->svn.isv_svn = static_cast<std::uint16_t>(f::load_le(h + f::header::kIsvSvnOff, 2));
    fl->svn.config_svn = static_cast<std::uint16_t>(f::load_le(h + f::header::kConfigSvnOff, 2));
    std::memcpy(fl->svn.cpu_svn, h + f::header::kCpuSvnOff, sizeof fl->svn.cpu_svn);
    std::memcpy(fl->key_id, h + f::header::kKeyIdOff, f::kKeyIdSize);
    e = source_key(ks, fl->svn, fl->key_id, source);
    // EGETKEY refuses only SVNs above this enclave's: a header this
    // enclave's TCB cannot have written (or a changed one).
    if (e == Error::kKey) e = Error::kIntegrity;
  }
  if (e == Error::kOk) e = derive_meta_key(source, fl->key_id, path, fl->meta_key);
  wipe(source, sizeof source);
  if (e == Error::kOk)
    e = gcm_decrypt(fl->meta_key, h + f::header::kIvOff, h, f::header::kAadSize, h + f::header::kSize, f::body::kSize,
                    body, h + f::header::kTagOff);
  if (e == Error::kOk) {
    // Authentic from here: what follows refuses only what this library
    // never writes (a bug, or a key shared with something else).
    const std::uint64_t path_len = f::load_le(body + f::body::kPathLenOff, 4);
    if (path_len != path.size() || std::memcmp(body + f::body::kPathOff, path.data(), path.size()) != 0 ||
        !all_zero(body + f::body::kPathOff + path_len, f::body::kMaxPath - path_len) ||
        f::load_le(body + f::body::kReservedOff, 4) != 0 || f::load_le(body + f::body::kSizeOff, 8) > f::kMaxFileSize ||
        f::load_le(body + f::body::kEncryptionsOff, 8) > f::kMaxEncryptions)
      e = Error::kIntegrity;
  }
  if (e == Error::kOk) {
    std::memcpy(fl->file_key, body + f::body::kFileKeyOff, f::kKeySize);
    fl->size = f::load_le(body + f::body::kSizeOff, 8);
    fl->version = f::load_le(body + f::body::kVersionOff, 8);
    fl->encryptions = f::load_le(body + f::body::kEncryptionsOff, 8);
    fl->fresh.version = fl->version;
    const Piece p[] = {{block, f::kBlockSize}};
    e = sha256(p, 1, fl->fresh.digest);
  }
  if (e == Error::kOk && expected != nullptr &&
      (expected->version != fl->fresh.version || std::memcmp(expected->digest, fl->fresh.digest, f::kHashSize) != 0))
    e = Error::kRolledBack;
  std::uint8_t root[f::kHashSize] = {};
  if (e == Error::kOk) std::memcpy(root, body + f::body::kRootOff, f::kHashSize);
  wipe(body, f::kBlockSize);
  std::free(block);
  if (e != Error::kOk) return e;

  // The tree: every tag node, unused entries zero, hashed up to the root.
  const std::uint64_t chunks = f::chunk_count(fl->size);
  const std::uint64_t nodes = f::node_count(chunks);
  if (e = reserve_nodes(fl, nodes); e != Error::kOk) return e;
  for (std::uint64_t g = 0; g < nodes; ++g) {
    std::uint8_t* node = fl->nodes + g * f::kBlockSize;
    if (e = read_exact(fl->st, node, f::kBlockSize, f::node_offset(g)); e != Error::kOk) return e;
    const std::uint64_t used =
        chunks - g * f::kEntriesPerNode < f::kEntriesPerNode ? chunks - g * f::kEntriesPerNode : f::kEntriesPerNode;
    if (!all_zero(node + used * f::kEntrySize, f::kBlockSize - used * f::kEntrySize)) return Error::kIntegrity;
    for (std::uint64_t k = 0; k < used; ++k)
      if (!all_zero(node + k * f::kEntrySize + f::entry::kReservedOff, 4)) return Error::kIntegrity;
    std::uint8_t hash[f::kHashSize];
    if (e = node_hash(g, node, hash); e != Error::kOk) return e;
    std::memcpy(fl->hashes + g * f::kHashSize, hash, f::kHashSize);
  }
  std::uint8_t computed[f::kHashSize];
  if (e = tree_root(fl, chunks, computed); e != Error::kOk) return e;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < f::kHashSize; ++i) diff |= static_cast<std::uint8_t>(computed[i] ^ root[i]);
  if (diff != 0) return Error::kIntegrity;
  // Chunks exist physically up to the last one (read_chunk finds a
  // truncation of any of them); nothing may follow the last.
  if (e = expect_end(fl->st, f::file_length(chunks)); e != Error::kOk) return e;
  fl->disk_chunks = chunks;
  return Error::kOk;
}

// A new, empty file.
Error create(File* fl, std::string_view path, const KeySource& ks) {
  if (!random_bytes(fl->key_id, sizeof fl->key_id) || !random_bytes(fl->file_key, sizeof fl->file_key))
    return Error::kKey;
  if (ks.kind != f::KeyKind::kProvisioned && !current_seal_identity(&fl->svn)) return Error::kKey;
  std::uint8_t source[f::kKeySize] = {};
  Error e = source_key(ks, fl->svn, fl->key_id, source);
  if (e == Error::kOk) e = derive_meta_key(source, fl->key_id, path, fl->meta_key);
  wipe(source, sizeof source);
  if (e != Error::kOk) return e;
  fl->size = 0;
  fl->version = 0;
  fl->encryptions = 0;
  fl->meta_dirty = true;
  // Whatever the storage held goes at the next flush.
  fl->disk_chunks = f::kMaxFileSize;
  return Error::kOk;
}

bool valid_path(std::string_view path) {
  return !path.empty() && path.size() <= f::body::kMaxPath && path[0] == '/' &&
         path.find('\0') == std::string_view::npos;
}

}  // namespace

const char* error_name(Error e) {
  switch (e) {
    case Error::kOk:
      return "ok";
    case Error::kIo:
      return "storage I/O error";
    case Error::kIntegrity:
      return "integrity check failed";
    case Error::kRolledBack:
      return "not the expected version (rolled back)";
    case Error::kNoMemory:
      return "out of memory";
    case Error::kInvalid:
      return "invalid argument";
    case Error::kReadOnly:
      return "file not opened for writing";
    case Error::kKey:
      return "no key";
    case Error::kTooLarge:
      return "file too large";
    case Error::kExhausted:
      return "file key exhausted";
    case Error::kNameTooLong:
      return "path too long";
  }
  return "unknown error";
}

int to_errno(Error e) {
  switch (e) {
    case Error::kOk:
      return 0;
    case Error::kIo:
    case Error::kIntegrity:
    case Error::kRolledBack:
    case Error::kKey:
      return EIO;
    case Error::kNoMemory:
      return ENOMEM;
    case Error::kInvalid:
      return EINVAL;
    case Error::kReadOnly:
      return EBADF;
    case Error::kTooLarge:
      return EFBIG;
    case Error::kExhausted:
      return ENOSPC;
    case Error::kNameTooLong:
      return ENAMETOOLONG;
  }
  return EIO;
}

Error open(std::string_view path, std::uint32_t flags, const KeySource& key, const Storage& st,
           const Freshness* expected, File** out) {
  if (out == nullptr) return Error::kInvalid;
  *out = nullptr;
  if (path.size() > f::body::kMaxPath) return Error::kNameTooLong;
  if (!valid_path(path) || st.pread == nullptr || st.pwrite == nullptr || st.ftruncate == nullptr ||
      st.fsync == nullptr || (flags & ~(kRead | kWrite | kCreate | kTruncate)) != 0 ||
      (flags & (kRead | kWrite)) == 0 || ((flags & (kCreate | kTruncate)) != 0 && (flags & kWrite) == 0))
    return Error::kInvalid;
  if (key.kind != f::KeyKind::kSealMrenclave && key.kind != f::KeyKind::kSealMrsigner &&
      key.kind != f::KeyKind::kProvisioned)
    return Error::kInvalid;
  // An all-zero key is what an enclave holds before anything was
  // provisioned: never a key.
  if (key.kind == f::KeyKind::kProvisioned && all_zero(key.key, sizeof key.key)) return Error::kKey;
  auto* fl = static_cast<File*>(std::calloc(1, sizeof(File)));
  if (fl == nullptr) return Error::kNoMemory;
  fl->st = st;
  fl->writable = (flags & kWrite) != 0;
  fl->kind = key.kind;
  fl->path = static_cast<char*>(std::malloc(path.size()));
  if (fl->path == nullptr) {
    destroy(fl);
    return Error::kNoMemory;
  }
  std::memcpy(fl->path, path.data(), path.size());
  fl->path_len = path.size();

  Error e = Error::kOk;
  bool fresh_file = (flags & kTruncate) != 0;
  if (!fresh_file && (flags & kCreate) != 0) {
    // An empty storage file is a file to create; anything else must be one.
    std::uint8_t b = 0;
    const std::int64_t n = st.pread(st.ctx, &b, 1, 0);
    if (n < 0 || n > 1) e = Error::kIo;
    fresh_file = n == 0;
  }
  if (e == Error::kOk) e = fresh_file ? create(fl, path, key) : read_metadata(fl, path, key, expected);
  if (e == Error::kOk && fresh_file && expected != nullptr) e = Error::kRolledBack;
  if (e != Error::kOk) {
    destroy(fl);
    return e;
  }
  *out = fl;
  return Error::kOk;
}

std::uint64_t size(const File* fl) { return fl->size; }

Error read(File* fl, std::uint64_t off, void* buf, std::size_t len, std::size_t* done) {
  if (fl == nullptr || done == nullptr || (buf == nullptr && len != 0)) return Error::kInvalid;
  *done = 0;
  if (off >= fl->size || len == 0) return Error::kOk;
  const std::uint64_t end = fl->size - off < len ? fl->size : off + len;
  auto* dst = static_cast<std::uint8_t*>(buf);
  for (std::uint64_t pos = off; pos < end;) {
    const std::uint64_t i = pos / f::kChunkSize;
    const std::size_t in = static_cast<std::size_t>(pos % f::kChunkSize);
    const std::size_t n = static_cast<std::size_t>(end - pos < f::kChunkSize - in ? end - pos : f::kChunkSize - in);
    if (Error e = load_chunk(fl, i); e != Error::kOk) return e;
    std::memcpy(dst + (pos - off), fl->chunk + in, n);
    pos += n;
    *done += n;
  }
  return Error::kOk;
}

Error write(File* fl, std::uint64_t off, const void* buf, std::size_t len) {
  if (fl == nullptr || (buf == nullptr && len != 0)) return Error::kInvalid;
  if (!fl->writable) return Error::kReadOnly;
  if (len == 0) return Error::kOk;
  if (off > f::kMaxFileSize || len > f::kMaxFileSize - off) return Error::kTooLarge;
  // Zero chunks up to the one `off` is in; the bytes of the last chunk past
  // the size are zero already, and the loop below makes the rest.
  if (Error e = grow_chunks(fl, off / f::kChunkSize); e != Error::kOk) return e;
  const std::uint64_t end = off + len;
  if (Error e = reserve_nodes(fl, f::node_count(f::chunk_count(end))); e != Error::kOk) return e;
  const auto* src = static_cast<const std::uint8_t*>(buf);
  for (std::uint64_t pos = off; pos < end;) {
    const std::uint64_t i = pos / f::kChunkSize;
    const std::size_t in = static_cast<std::size_t>(pos % f::kChunkSize);
    const std::size_t n = static_cast<std::size_t>(end - pos < f::kChunkSize - in ? end - pos : f::kChunkSize - in);
    if (i < f::chunk_count(fl->size)) {
      if (n != f::kChunkSize)
        if (Error e = load_chunk(fl, i); e != Error::kOk) return e;
    } else {
      std::memset(fl->chunk, 0, sizeof fl->chunk);
    }
    std::memcpy(fl->chunk + in, src + (pos - off), n);
    if (Error e = store_chunk(fl, i); e != Error::kOk) return e;
    pos += n;
    if (pos > fl->size) fl->size = pos;
  }
  fl->meta_dirty = true;
  return Error::kOk;
}

Error truncate(File* fl, std::uint64_t new_size) {
  if (fl == nullptr) return Error::kInvalid;
  if (!fl->writable) return Error::kReadOnly;
  if (new_size > f::kMaxFileSize) return Error::kTooLarge;
  if (new_size == fl->size) return Error::kOk;
  fl->meta_dirty = true;
  if (new_size > fl->size) {
    if (Error e = grow_chunks(fl, f::chunk_count(new_size)); e != Error::kOk) return e;
    fl->size = new_size;
    return Error::kOk;
  }
  const std::uint64_t chunks = f::chunk_count(new_size);
  // Zeros past the new end inside its last chunk, so a later growth reads zeros.
  if (new_size % f::kChunkSize != 0) {
    if (Error e = load_chunk(fl, chunks - 1); e != Error::kOk) return e;
    const std::size_t keep = static_cast<std::size_t>(new_size % f::kChunkSize);
    std::memset(fl->chunk + keep, 0, f::kChunkSize - keep);
    if (Error e = store_chunk(fl, chunks - 1); e != Error::kOk) return e;
  }
  for (std::uint64_t i = chunks; i < f::chunk_count(fl->size); ++i) {
    std::memset(entry_of(fl, i), 0, f::kEntrySize);
    fl->dirty[i / f::kEntriesPerNode] = 1;
  }
  if (fl->cached && fl->cached_index >= chunks) fl->cached = false;
  fl->size = new_size;
  return Error::kOk;
}

Error flush(File* fl, Freshness* now) {
  if (fl == nullptr) return Error::kInvalid;
  if (fl->writable && fl->meta_dirty) {
    const std::uint64_t chunks = f::chunk_count(fl->size);
    const std::uint64_t nodes = f::node_count(chunks);
    for (std::uint64_t g = 0; g < nodes; ++g) {
      if (fl->dirty[g] == 0) continue;
      const std::uint8_t* node = fl->nodes + g * f::kBlockSize;
      if (Error e = write_exact(fl->st, node, f::kBlockSize, f::node_offset(g)); e != Error::kOk) return e;
      std::uint8_t hash[f::kHashSize];
      if (Error e = node_hash(g, node, hash); e != Error::kOk) return e;
      std::memcpy(fl->hashes + g * f::kHashSize, hash, f::kHashSize);
      fl->dirty[g] = 0;
    }
    // Nodes past the end are gone: zero, so that a regrown file starts clean.
    for (std::uint64_t g = nodes; g < fl->cap; ++g) {
      std::memset(fl->nodes + g * f::kBlockSize, 0, f::kBlockSize);
      fl->dirty[g] = 0;
    }
    std::uint8_t root[f::kHashSize];
    if (Error e = tree_root(fl, chunks, root); e != Error::kOk) return e;
    if (Error e = write_metadata(fl, root); e != Error::kOk) return e;
    if (fl->disk_chunks > chunks) {
      const std::int64_t r = fl->st.ftruncate(fl->st.ctx, f::file_length(chunks));
      if (r != 0) return Error::kIo;
    }
    fl->disk_chunks = chunks;
    fl->meta_dirty = false;
    if (fl->st.fsync(fl->st.ctx) != 0) return Error::kIo;
  }
  if (now != nullptr) *now = fl->fresh;
  return Error::kOk;
}

Error close(File* fl, Freshness* now) {
  if (fl == nullptr) return Error::kInvalid;
  const Error e = flush(fl, now);
  destroy(fl);
  return e;
}

}  // namespace nsgx::pfs
