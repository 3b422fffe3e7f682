// The SGX SDK's extended untrusted API (sgx_urts.h, sgx_metadata.h,
// sgx_capable.h): sgx_create_enclave_ex and _from_buffer_ex with their
// feature bits, sgx_get_target_info, sgx_get_metadata, sgx_is_capable and
// friends — over the same loader as sgx_create_enclave (load.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "base/bytes.h"
#include "image/sdk_image.h"
#include "runtime/isolated/paths.h"
#include "sdk/urts/backend.h"
#include "sdk/urts/load.h"
#include "sdk/urts/switchless.h"
#include "sgx_capable.h"
#include "sgx_metadata.h"
#include "sgx_urts.h"

namespace {

using nsgx::urts::LoadOptions;

// Checks `ex_features`/`ex_features_p` as the SDK documents them and turns
// them into load options. Every set bit needs its configuration and every
// configuration its bit.
sgx_status_t parse_features(const uint32_t ex_features, const void* const ex_features_p[32], LoadOptions& opts) {
  if ((ex_features & ~_SGX_EX_FEATURES_MASK_) != 0) return SGX_ERROR_INVALID_PARAMETER;
  for (uint32_t bit = 0; bit < MAX_EX_FEATURES_COUNT; ++bit) {
    const bool asked = (ex_features & (1U << bit)) != 0;
    const void* config = ex_features_p ? ex_features_p[bit] : nullptr;
    if (!asked && config != nullptr) return SGX_ERROR_INVALID_PARAMETER;
    // PCL may come without a configuration in the SDK (its key is passed
    // separately); the others must have one.
    if (asked && config == nullptr && bit != SGX_CREATE_ENCLAVE_EX_PCL_BIT_IDX) return SGX_ERROR_INVALID_PARAMETER;
  }
  // Protected code loader: encrypted enclave images are not supported.
  if (ex_features & SGX_CREATE_ENCLAVE_EX_PCL) return SGX_ERROR_FEATURE_NOT_SUPPORTED;
  // Switchless calls: worker threads on both sides serve the
  // `transition_using_threads` calls (sdk/urts/switchless.h); they start at
  // the enclave's first ECALL.
  if (ex_features & SGX_CREATE_ENCLAVE_EX_SWITCHLESS) {
    const auto* sl =
        static_cast<const sgx_uswitchless_config_t*>(ex_features_p[SGX_CREATE_ENCLAVE_EX_SWITCHLESS_BIT_IDX]);
    if (const sgx_status_t st = nsgx::urts::Switchless::check(*sl); st != SGX_SUCCESS) return st;
    opts.switchless = true;
    opts.switchless_config = *sl;
  }
  if (ex_features & SGX_CREATE_ENCLAVE_EX_KSS) {
    const auto* kss = static_cast<const sgx_kss_config_t*>(ex_features_p[SGX_CREATE_ENCLAVE_EX_KSS_BIT_IDX]);
    opts.kss = true;
    static_assert(sizeof opts.config_id == sizeof kss->config_id);
    std::memcpy(opts.config_id, kss->config_id, sizeof opts.config_id);
    opts.config_svn = kss->config_svn;
  }
  return SGX_SUCCESS;
}

// KSS needs an enclave signed with ATTRIBUTES.KSS: ECREATE refuses
// CONFIGID/CONFIGSVN otherwise (SDM ECREATE), so say so before loading.
sgx_status_t check_kss(const nsgx::Bytes& file, const LoadOptions& opts, const char* name) {
  if (!opts.kss) return SGX_SUCCESS;
  nsgx::Bytes copy = file;
  auto img = nsgx::image::SdkImage::parse(std::move(copy));
  if (!img) return SGX_SUCCESS;  // load_image reports it
  if ((img->sigstruct().attributes.flags & SGX_FLAGS_KSS) == 0) {
    std::fprintf(stderr, "nsgx urts: %s: SGX_CREATE_ENCLAVE_EX_KSS for an enclave not signed with ATTRIBUTES.KSS\n",
                 name);
    return SGX_ERROR_FEATURE_NOT_SUPPORTED;
  }
  return SGX_SUCCESS;
}

sgx_status_t create_ex(nsgx::Bytes file, const char* name, int debug, sgx_enclave_id_t* enclave_id,
                       sgx_misc_attribute_t* misc_attr, uint32_t ex_features, const void* const ex_features_p[32],
                       std::optional<uint64_t> base = std::nullopt) {
  LoadOptions opts;
  opts.base = base;
  if (const sgx_status_t st = parse_features(ex_features, ex_features_p, opts); st != SGX_SUCCESS) return st;
  if (const sgx_status_t st = check_kss(file, opts, name); st != SGX_SUCCESS) return st;
  return nsgx::urts::load_image(std::move(file), name, debug != 0, opts, enclave_id, misc_attr);
}

}  // namespace

extern "C" sgx_status_t sgx_create_enclave_ex(const char* file_name, const int debug, sgx_launch_token_t* launch_token,
                                              int* launch_token_updated, sgx_enclave_id_t* enclave_id,
                                              sgx_misc_attribute_t* misc_attr, const uint32_t ex_features,
                                              const void* ex_features_p[32]) {
  (void)launch_token;  // legacy, as in sgx_create_enclave
  if (file_name == nullptr || enclave_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  if (launch_token_updated) *launch_token_updated = 0;
  auto file = nsgx::read_file(file_name);
  if (!file) return SGX_ERROR_ENCLAVE_FILE_ACCESS;
  return create_ex(std::move(*file), file_name, debug, enclave_id, misc_attr, ex_features, ex_features_p);
}

extern "C" sgx_status_t nsgx_create_enclave_at_ex(const char* file_name, const int debug, const uint64_t base,
                                                  sgx_enclave_id_t* enclave_id, const uint32_t ex_features,
                                                  const void* ex_features_p[32]) {
  if (file_name == nullptr || enclave_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  auto file = nsgx::read_file(file_name);
  if (!file) return SGX_ERROR_ENCLAVE_FILE_ACCESS;
  return create_ex(std::move(*file), file_name, debug, enclave_id, nullptr, ex_features, ex_features_p, base);
}

extern "C" sgx_status_t sgx_create_enclave_from_buffer_ex(uint8_t* buffer, size_t buffer_size, const int debug,
                                                          sgx_enclave_id_t* enclave_id, sgx_misc_attribute_t* misc_attr,
                                                          const uint32_t ex_features, const void* ex_features_p[32]) {
  if (buffer == nullptr || buffer_size == 0 || enclave_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  nsgx::Bytes file(buffer, buffer + buffer_size);
  return create_ex(std::move(file), "(buffer)", debug, enclave_id, misc_attr, ex_features, ex_features_p);
}

extern "C" sgx_status_t sgx_get_target_info(const sgx_enclave_id_t enclave_id, sgx_target_info_t* target_info) {
  if (target_info == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  nsgx::urts::EnclaveIdentity id;
  if (!nsgx::urts::enclave_identity(enclave_id, &id)) return SGX_ERROR_INVALID_ENCLAVE_ID;
  // TARGETINFO (SDM Table 34-20): the fields EREPORT derives the target's
  // report key from, exactly as they are in the target's SECS.
  std::memset(target_info, 0, sizeof *target_info);
  std::memcpy(target_info->mr_enclave.m, id.secs.mr_enclave, sizeof target_info->mr_enclave.m);
  target_info->attributes.flags = id.secs.attributes.flags;
  target_info->attributes.xfrm = id.secs.attributes.xfrm;
  target_info->misc_select = id.secs.misc_select;
  target_info->config_svn = id.secs.config_svn;
  std::memcpy(target_info->config_id, id.secs.config_id, sizeof target_info->config_id);
  return SGX_SUCCESS;
}

extern "C" sgx_status_t sgx_get_metadata(const char* enclave_file, metadata_t* metadata) {
  if (enclave_file == nullptr || metadata == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  auto file = nsgx::read_file(enclave_file);
  if (!file) return SGX_ERROR_ENCLAVE_FILE_ACCESS;
  auto img = nsgx::image::SdkImage::parse(std::move(*file));
  if (!img) {
    std::fprintf(stderr, "nsgx urts: %s: %s\n", enclave_file, img.error().message().c_str());
    return SGX_ERROR_INVALID_ENCLAVE;
  }
  // parse() checked that the selected block, md.size bytes at its offset,
  // lies inside the file.
  const std::uint64_t off = img->selected_metadata_offset();
  const std::size_t n = std::min<std::size_t>(img->metadata().size, sizeof *metadata);
  std::memset(metadata, 0, sizeof *metadata);
  std::memcpy(metadata, img->file().data() + off, n);
  return SGX_SUCCESS;
}

namespace {
// Whether sgx_create_enclave can work in this process: the isolated backend
// needs the monitor and enclave-host executables it would start (or that
// serve its daemon); the others need /dev/sgx_enclave — SGX hardware, or
// nsgx exec's emulation of it (so opened, not just looked up).
bool backend_available() {
  if (nsgx::urts::use_isolated())
    return access(nsgx::isolated::monitor_path().c_str(), X_OK) == 0 &&
           access(nsgx::isolated::enclave_host_path().c_str(), X_OK) == 0;
  const int fd = open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}
}  // namespace

extern "C" sgx_status_t sgx_is_capable(int* sgx_capable) {
  if (sgx_capable == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  *sgx_capable = backend_available() ? 1 : 0;
  return SGX_SUCCESS;
}

// Nothing can be enabled from here (no BIOS or software-enable step exists
// for a monitor): the status is what sgx_is_capable sees.
extern "C" sgx_status_t sgx_cap_get_status(sgx_device_status_t* sgx_device_status) {
  if (sgx_device_status == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  *sgx_device_status = backend_available() ? SGX_ENABLED : SGX_DISABLED;
  return SGX_SUCCESS;
}

extern "C" sgx_status_t sgx_cap_enable_device(sgx_device_status_t* sgx_device_status) {
  return sgx_cap_get_status(sgx_device_status);
}
