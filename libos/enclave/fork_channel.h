// The channel a fork checkpoint crosses the untrusted host on
// (docs/libos.md "Processes", fork): encrypted and authenticated under a
// key only enclaves of this MRENCLAVE on this platform can derive, in
// chunks the host cannot drop, reorder, truncate or change unnoticed,
// and the once-only confirmation between the parent and its child.
//
// Key: EGETKEY's seal key (KEYPOLICY MRENCLAVE; SDM Vol. 3D, EGETKEY) for
// a KEYID the parent draws at random for each fork and sends in the
// clear; from it, by AES-CMAC in the manner of NIST SP 800-108's counter
// mode, an encryption key and a MAC key.
//
// Stream (STREAM, Hoang et al., CRYPTO 2015): the header in the clear
// (magic 'NSFK', version, KEYID, a random snapshot id), then chunks of at
// most kChunkBytes: u32 length, u8 last (1 on the final chunk only), the
// AES-128-GCM ciphertext and its 16-byte tag. The nonce is the chunk's
// counter and the last flag; the AAD is the header, the length and the
// flag — so every chunk is bound to this snapshot and its place, and the
// stream's end is authenticated.
//
// Once only: the child answers hello = N || CMAC(K_mac, "hello" ||
// snapshot || N) for a fresh random N; the parent, which waits for one
// hello per fork, answers CMAC(K_mac, "confirm" || snapshot || N); the
// child runs only with that confirmation for its own N.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

namespace nsgx::libos {

constexpr size_t kForkKeyIdBytes = 32, kForkSnapshotBytes = 16, kForkNonceBytes = 16, kForkMacBytes = 16;
constexpr size_t kForkHeaderBytes = 8 + kForkKeyIdBytes + kForkSnapshotBytes;
constexpr size_t kForkHelloBytes = kForkNonceBytes + kForkMacBytes;
constexpr size_t kChunkBytes = 32 * 1024;

struct ForkKeys {
  uint8_t header[kForkHeaderBytes] = {};
  uint8_t enc[16] = {}, mac[16] = {};
  ~ForkKeys();
  const uint8_t* snapshot() const { return header + 8 + kForkKeyIdBytes; }
};

// The parent's: a fresh KEYID and snapshot id, the keys. False if the
// random source or EGETKEY fails.
bool fork_keys_new(ForkKeys& k);
// The child's: the keys for a header read from the host; false with `why`
// if the header is not one (magic, version) or EGETKEY fails.
bool fork_keys_from(const uint8_t* header, ForkKeys& k, std::string& why);

// The parent's writer: bytes in, chunks out through libos_fork_put_ocall.
class ForkWriter {
 public:
  explicit ForkWriter(const ForkKeys& k) : k_(k) {}
  ~ForkWriter();
  ForkWriter(const ForkWriter&) = delete;
  ForkWriter& operator=(const ForkWriter&) = delete;
  bool start();  // allocates, writes the header
  void put(const void* p, size_t n);
  void u8(uint8_t v) { put(&v, 1); }
  void u32(uint32_t v) { put(&v, 4); }  // little endian: x86-64
  void u64(uint64_t v) { put(&v, 8); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    put(s.data(), s.size());
  }
  // The final chunk; false if any chunk could not be written.
  bool finish();
  // The checkpoint's bytes so far (plaintext, the header's not counted).
  uint64_t bytes() const { return counter_ * kChunkBytes + used_; }

 private:
  bool flush(bool last);
  const ForkKeys& k_;
  uint8_t* buf_ = nullptr;  // plaintext, kChunkBytes
  uint8_t* out_ = nullptr;  // 5 + kChunkBytes + 16
  size_t used_ = 0;
  uint64_t counter_ = 0;
  bool ok_ = false;
};

// The child's reader: chunks in through libos_fork_get_ocall, each
// authenticated before any of its bytes is handed out.
class ForkReader {
 public:
  ForkReader() = default;
  ~ForkReader();
  ForkReader(const ForkReader&) = delete;
  ForkReader& operator=(const ForkReader&) = delete;
  // Reads the header and derives the keys; false with `why`.
  bool start(ForkKeys& k, std::string& why);
  bool get(void* p, size_t n);
  bool u8(uint8_t& v) { return get(&v, 1); }
  bool u32(uint32_t& v) { return get(&v, 4); }
  bool u64(uint64_t& v) { return get(&v, 8); }
  bool str(std::string& s, size_t max);
  // True once the final chunk has been read whole (nothing left over).
  bool at_end() const { return last_ && at_ == len_; }
  // Why get failed: the host's bytes were not authentic, or ran out.
  const char* failure() const { return failure_; }

 private:
  bool next();
  const ForkKeys* k_ = nullptr;
  uint8_t* buf_ = nullptr;  // kChunkBytes + 16
  size_t len_ = 0, at_ = 0;
  uint64_t counter_ = 0;
  bool last_ = false;
  const char* failure_ = "the fork checkpoint is malformed";
};

// hello = N || CMAC(K_mac, "hello" || snapshot || N), a fresh N.
bool fork_hello(const ForkKeys& k, uint8_t (&hello)[kForkHelloBytes]);
// The parent: the hello's MAC checks; the confirmation for its N.
bool fork_check_hello(const ForkKeys& k, const uint8_t (&hello)[kForkHelloBytes], uint8_t (&confirm)[kForkMacBytes]);
// The child: `confirm` is the parent's for this snapshot and its own N.
bool fork_check_confirm(const ForkKeys& k, const uint8_t (&hello)[kForkHelloBytes],
                        const uint8_t (&confirm)[kForkMacBytes]);

}  // namespace nsgx::libos
