#include "libos/fs/testing/fake_seal_key.h"

#include <cstring>

#include "sgx_tcrypto.h"

namespace nsgx::pfs {
namespace {
testing::FakeEnclave g_enclave;
bool g_fail = false;
}  // namespace

namespace testing {
void set_fake_enclave(const FakeEnclave& e) { g_enclave = e; }
void fail_seal_keys(bool fail) { g_fail = fail; }
}  // namespace testing

bool current_seal_identity(SealIdentity* out) {
  if (g_fail) return false;
  *out = g_enclave.svn;
  return true;
}

bool get_seal_key(bool mrenclave, const SealIdentity& id, const std::uint8_t (&key_id)[format::kKeyIdSize],
                  std::uint8_t (&out)[format::kKeySize]) {
  // EGETKEY refuses an SVN above the enclave's own (SDM: #GP / SGX_INVALID_ISVSVN).
  if (g_fail || id.isv_svn > g_enclave.svn.isv_svn || id.config_svn > g_enclave.svn.config_svn) return false;
  std::uint8_t msg[1 + 32 + 16 + 2 + 2 + format::kKeyIdSize] = {};
  std::size_t n = 0;
  msg[n++] = mrenclave ? 1 : 2;
  std::memcpy(msg + n, mrenclave ? g_enclave.mrenclave : g_enclave.mrsigner, 32);
  n += 32;
  std::memcpy(msg + n, id.cpu_svn, 16);
  n += 16;
  format::store_le(msg + n, id.isv_svn, 2);
  n += 2;
  format::store_le(msg + n, id.config_svn, 2);
  n += 2;
  std::memcpy(msg + n, key_id, format::kKeyIdSize);
  n += format::kKeyIdSize;
  sgx_cmac_128bit_key_t k;
  std::memcpy(k, g_enclave.platform_secret, sizeof k);
  sgx_cmac_128bit_tag_t t;
  if (sgx_rijndael128_cmac_msg(&k, msg, static_cast<std::uint32_t>(n), &t) != SGX_SUCCESS) return false;
  std::memcpy(out, t, sizeof out);
  return true;
}

}  // namespace nsgx::pfs
