// The fork checkpoint's channel (fork_channel.h).
#include "libos/enclave/fork_channel.h"

#include <stdlib.h>
#include <string.h>

#include "libos_t.h"
#include "sgx_key.h"
#include "sgx_tcrypto.h"
#include "sgx_trts.h"
#include "sgx_utils.h"

namespace nsgx::libos {
namespace {

constexpr uint32_t kMagic = 0x4b46534e;  // "NSFK"
constexpr uint32_t kVersion = 1;
constexpr size_t kChunkHead = 5;  // u32 length, u8 last
constexpr size_t kTag = 16;

void wipe(void* p, size_t n) {
  volatile uint8_t* v = static_cast<volatile uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) v[i] = 0;
}

// The seal key for `key_id` (KEYPOLICY MRENCLAVE): only an enclave with
// this MRENCLAVE, on this platform, at this enclave's SVNs can derive it.
// Masks as the SDK's sgx_seal_data (ATTRIBUTES.INIT, DEBUG, bit 3 and the
// reserved high bits; no XFRM; MISCSELECT's reserved nibble).
bool seal_key(const uint8_t* key_id, uint8_t (&out)[16]) {
  const sgx_report_t* self = sgx_self_report();
  if (self == nullptr) return false;
  sgx_key_request_t req;
  memset(&req, 0, sizeof req);
  req.key_name = SGX_KEYSELECT_SEAL;
  req.key_policy = SGX_KEYPOLICY_MRENCLAVE;
  req.isv_svn = self->body.isv_svn;
  req.config_svn = self->body.config_svn;
  memcpy(req.cpu_svn.svn, self->body.cpu_svn.svn, sizeof req.cpu_svn.svn);
  req.attribute_mask.flags = 0xFF0000000000000BULL;
  req.attribute_mask.xfrm = 0;
  req.misc_mask = 0xF0000000U;
  static_assert(sizeof req.key_id.id == kForkKeyIdBytes);
  memcpy(req.key_id.id, key_id, kForkKeyIdBytes);
  sgx_key_128bit_t key;
  const bool ok = sgx_get_key(&req, &key) == SGX_SUCCESS;
  if (ok) memcpy(out, key, sizeof out);
  wipe(key, sizeof key);
  return ok;
}

// K_label = CMAC(K, counter 1 || label || 0 || length 128) (SP 800-108, 5.1).
bool derive(const uint8_t (&k)[16], const char* label, uint8_t (&out)[16]) {
  uint8_t msg[64];
  const size_t n = strlen(label);
  if (n + 7 > sizeof msg) return false;
  msg[0] = 1;
  memcpy(msg + 1, label, n);
  msg[1 + n] = 0;
  const uint8_t len[4] = {0, 0, 0, 128};  // bits, big endian
  memcpy(msg + 2 + n, len, 4);
  sgx_cmac_128bit_tag_t t;
  if (sgx_rijndael128_cmac_msg(&k, msg, static_cast<uint32_t>(n + 6), &t) != SGX_SUCCESS) return false;
  memcpy(out, t, sizeof out);
  return true;
}

bool keys_for(ForkKeys& k) {
  uint8_t root[16];
  const bool ok = seal_key(k.header + 8, root) && derive(root, "nsgx-libos-fork-enc", k.enc) &&
                  derive(root, "nsgx-libos-fork-mac", k.mac);
  wipe(root, sizeof root);
  return ok;
}

void nonce_for(uint64_t counter, bool last, uint8_t (&iv)[12]) {
  memcpy(iv, &counter, 8);
  const uint32_t l = last ? 1 : 0;
  memcpy(iv + 8, &l, 4);
}

// AAD: the header, the chunk's length and last flag.
void aad_for(const ForkKeys& k, uint32_t len, bool last, uint8_t (&aad)[kForkHeaderBytes + kChunkHead]) {
  memcpy(aad, k.header, kForkHeaderBytes);
  memcpy(aad + kForkHeaderBytes, &len, 4);
  aad[kForkHeaderBytes + 4] = last ? 1 : 0;
}

bool mac_of(const ForkKeys& k, const char* label, const uint8_t* nonce, uint8_t (&out)[kForkMacBytes]) {
  uint8_t msg[16 + kForkSnapshotBytes + kForkNonceBytes] = {};
  const size_t n = strlen(label);
  if (n >= 16) return false;
  memcpy(msg, label, n + 1);  // NUL-padded to 16 bytes
  memcpy(msg + 16, k.snapshot(), kForkSnapshotBytes);
  memcpy(msg + 16 + kForkSnapshotBytes, nonce, kForkNonceBytes);
  sgx_cmac_128bit_key_t key;
  memcpy(key, k.mac, sizeof key);
  sgx_cmac_128bit_tag_t t;
  const bool ok = sgx_rijndael128_cmac_msg(&key, msg, sizeof msg, &t) == SGX_SUCCESS;
  wipe(key, sizeof key);
  if (ok) memcpy(out, t, sizeof out);
  return ok;
}

// Constant time: the MACs are secrets until they match.
bool equal(const uint8_t* a, const uint8_t* b, size_t n) {
  uint8_t d = 0;
  for (size_t i = 0; i < n; ++i) d |= static_cast<uint8_t>(a[i] ^ b[i]);
  return d == 0;
}

}  // namespace

ForkKeys::~ForkKeys() {
  wipe(enc, sizeof enc);
  wipe(mac, sizeof mac);
}

bool fork_keys_new(ForkKeys& k) {
  memcpy(k.header, &kMagic, 4);
  memcpy(k.header + 4, &kVersion, 4);
  if (sgx_read_rand(k.header + 8, kForkKeyIdBytes + kForkSnapshotBytes) != SGX_SUCCESS) return false;
  return keys_for(k);
}

bool fork_keys_from(const uint8_t* header, ForkKeys& k, std::string& why) {
  uint32_t magic, version;
  memcpy(&magic, header, 4);
  memcpy(&version, header + 4, 4);
  if (magic != kMagic || version != kVersion) {
    why = "the fork checkpoint's header is not one";
    return false;
  }
  memcpy(k.header, header, kForkHeaderBytes);
  if (!keys_for(k)) {
    why = "the fork checkpoint's key cannot be derived (EGETKEY)";
    return false;
  }
  return true;
}

ForkWriter::~ForkWriter() {
  if (buf_ != nullptr) wipe(buf_, kChunkBytes);
  free(buf_);
  free(out_);
}

bool ForkWriter::start() {
  buf_ = static_cast<uint8_t*>(malloc(kChunkBytes));
  out_ = static_cast<uint8_t*>(malloc(kChunkHead + kChunkBytes + kTag));
  if (buf_ == nullptr || out_ == nullptr) return false;
  int64_t r = -1;
  ok_ = libos_fork_put_ocall(&r, 1, k_.header, kForkHeaderBytes) == SGX_SUCCESS && r == 0;
  return ok_;
}

void ForkWriter::put(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  while (ok_ && n > 0) {
    if (used_ == kChunkBytes && !flush(false)) return;
    const size_t take = n < kChunkBytes - used_ ? n : kChunkBytes - used_;
    memcpy(buf_ + used_, b, take);
    used_ += take;
    b += take;
    n -= take;
  }
}

bool ForkWriter::flush(bool last) {
  const auto len = static_cast<uint32_t>(used_);
  uint8_t iv[12], aad[kForkHeaderBytes + kChunkHead];
  nonce_for(counter_, last, iv);
  aad_for(k_, len, last, aad);
  memcpy(out_, &len, 4);
  out_[4] = last ? 1 : 0;
  sgx_aes_gcm_128bit_key_t key;
  memcpy(key, k_.enc, sizeof key);
  sgx_aes_gcm_128bit_tag_t tag;
  ok_ = sgx_rijndael128GCM_encrypt(&key, buf_, len, out_ + kChunkHead, iv, sizeof iv, aad, sizeof aad, &tag) ==
        SGX_SUCCESS;
  wipe(key, sizeof key);
  if (!ok_) return false;
  memcpy(out_ + kChunkHead + len, tag, kTag);
  int64_t r = -1;
  ok_ = libos_fork_put_ocall(&r, 0, out_, kChunkHead + len + kTag) == SGX_SUCCESS && r == 0;
  ++counter_;
  used_ = 0;
  return ok_;
}

bool ForkWriter::finish() { return ok_ && flush(true); }

ForkReader::~ForkReader() {
  if (buf_ != nullptr) wipe(buf_, kChunkBytes + kTag);
  free(buf_);
}

namespace {
// Exactly `n` bytes from the host, or false.
bool fetch(uint8_t* p, size_t n) {
  int64_t r = -1;
  return libos_fork_get_ocall(&r, p, n) == SGX_SUCCESS && r >= 0 && static_cast<uint64_t>(r) == n;
}
}  // namespace

bool ForkReader::start(ForkKeys& k, std::string& why) {
  buf_ = static_cast<uint8_t*>(malloc(kChunkBytes + kTag));
  uint8_t header[kForkHeaderBytes];
  if (buf_ == nullptr || !fetch(header, sizeof header)) {
    why = "no fork checkpoint from the host";
    return false;
  }
  if (!fork_keys_from(header, k, why)) return false;
  k_ = &k;
  return true;
}

bool ForkReader::next() {
  uint8_t head[kChunkHead];
  if (last_ || !fetch(head, sizeof head)) {
    failure_ = "the fork checkpoint ends early";
    return false;
  }
  uint32_t len;
  memcpy(&len, head, 4);
  if (len > kChunkBytes || head[4] > 1 || !fetch(buf_, len + kTag)) {
    failure_ = "the fork checkpoint is malformed";
    return false;
  }
  const bool last = head[4] == 1;
  uint8_t iv[12], aad[kForkHeaderBytes + kChunkHead];
  nonce_for(counter_, last, iv);
  aad_for(*k_, len, last, aad);
  sgx_aes_gcm_128bit_key_t key;
  memcpy(key, k_->enc, sizeof key);
  sgx_aes_gcm_128bit_tag_t tag;
  memcpy(tag, buf_ + len, kTag);
  // In place: the SDK's GCM reads each block before it writes it.
  const bool ok =
      sgx_rijndael128GCM_decrypt(&key, buf_, len, buf_, iv, sizeof iv, aad, sizeof aad, &tag) == SGX_SUCCESS;
  wipe(key, sizeof key);
  if (!ok) {
    failure_ = "the fork checkpoint is not authentic (AES-GCM)";
    return false;
  }
  ++counter_;
  last_ = last;
  len_ = len;
  at_ = 0;
  return true;
}

bool ForkReader::get(void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  while (n > 0) {
    if (at_ == len_ && !next()) return false;
    const size_t take = n < len_ - at_ ? n : len_ - at_;
    memcpy(b, buf_ + at_, take);
    at_ += take;
    b += take;
    n -= take;
  }
  return true;
}

bool ForkReader::str(std::string& s, size_t max) {
  uint32_t n;
  if (!u32(n) || n > max) return false;
  s.resize(n);
  if (!get(s.data(), n)) return false;
  return memchr(s.data(), 0, n) == nullptr;
}

bool fork_hello(const ForkKeys& k, uint8_t (&hello)[kForkHelloBytes]) {
  if (sgx_read_rand(hello, kForkNonceBytes) != SGX_SUCCESS) return false;
  uint8_t m[kForkMacBytes];
  if (!mac_of(k, "hello", hello, m)) return false;
  memcpy(hello + kForkNonceBytes, m, kForkMacBytes);
  return true;
}

bool fork_check_hello(const ForkKeys& k, const uint8_t (&hello)[kForkHelloBytes], uint8_t (&confirm)[kForkMacBytes]) {
  uint8_t m[kForkMacBytes];
  if (!mac_of(k, "hello", hello, m) || !equal(m, hello + kForkNonceBytes, kForkMacBytes)) return false;
  return mac_of(k, "confirm", hello, confirm);
}

bool fork_check_confirm(const ForkKeys& k, const uint8_t (&hello)[kForkHelloBytes],
                        const uint8_t (&confirm)[kForkMacBytes]) {
  uint8_t m[kForkMacBytes];
  return mac_of(k, "confirm", hello, m) && equal(m, confirm, kForkMacBytes);
}

}  // namespace nsgx::libos
