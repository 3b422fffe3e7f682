#include "crypto/ec_point.h"

#include <openssl/core_names.h>

#include <string>

namespace nsgx::crypto {

Result<ossl::Pkey> ec_public_key_from_point(const char* group, ByteSpan point) {
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return Error(ossl::error_text("EC parameters"));
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return Error(ossl::error_text(("EC point is not a valid " + std::string(group) + " public key").c_str()));
  ossl::Pkey owned(pkey);
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return Error(ossl::error_text(("EC point not on " + std::string(group)).c_str()));
  return owned;
}

}  // namespace nsgx::crypto
