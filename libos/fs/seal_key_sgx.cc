// The sealing key inside an enclave: EGETKEY through the trusted runtime.
#include <cstring>

#include "libos/fs/seal_key.h"
#include "sgx_key.h"
#include "sgx_utils.h"

namespace nsgx::pfs {
namespace {
// The SGX SDK's default masks for sealing (sgx_tseal.h, sgx_seal_data):
// ATTRIBUTES.INIT, DEBUG, bit 3 and the reserved high bits; no XFRM bits,
// so a key survives a change of enabled XSAVE features; MISCSELECT's
// reserved high nibble.
constexpr std::uint64_t kFlagsMask = 0xFF0000000000000BULL;
constexpr std::uint32_t kMiscMask = 0xF0000000U;
}  // namespace

bool current_seal_identity(SealIdentity* out) {
  const sgx_report_t* self = sgx_self_report();
  if (self == nullptr) return false;
  std::memcpy(out->cpu_svn, self->body.cpu_svn.svn, sizeof out->cpu_svn);
  out->isv_svn = self->body.isv_svn;
  out->config_svn = self->body.config_svn;
  return true;
}

bool get_seal_key(bool mrenclave, const SealIdentity& id, const std::uint8_t (&key_id)[format::kKeyIdSize],
                  std::uint8_t (&out)[format::kKeySize]) {
  sgx_key_request_t req;
  std::memset(&req, 0, sizeof req);
  req.key_name = SGX_KEYSELECT_SEAL;
  req.key_policy = mrenclave ? SGX_KEYPOLICY_MRENCLAVE : SGX_KEYPOLICY_MRSIGNER;
  req.isv_svn = id.isv_svn;
  req.config_svn = id.config_svn;
  std::memcpy(req.cpu_svn.svn, id.cpu_svn, sizeof req.cpu_svn.svn);
  req.attribute_mask.flags = kFlagsMask;
  req.attribute_mask.xfrm = 0;
  req.misc_mask = kMiscMask;
  static_assert(sizeof req.key_id.id == format::kKeyIdSize);
  std::memcpy(req.key_id.id, key_id, sizeof req.key_id.id);
  sgx_key_128bit_t key;
  const bool ok = sgx_get_key(&req, &key) == SGX_SUCCESS;
  if (ok) std::memcpy(out, key, sizeof out);
  // The copy on the stack is the caller's concern no longer: wipe it.
  volatile std::uint8_t* p = key;
  for (std::size_t i = 0; i < sizeof key; ++i) p[i] = 0;
  std::memset(&req, 0, sizeof req);
  return ok;
}

}  // namespace nsgx::pfs
